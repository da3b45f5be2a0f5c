"""The one training loop of every baseline: single process (CPU / GPU) or DDP under ``torchrun``.

``train(config)`` builds the model from the registry, the data from :mod:`baselines.data`, an Adam / AdamW
optimizer over ``model.param_groups(lr)`` with poly decay, and runs ``config.steps`` steps, checkpointing to
``<out_dir>/last.pt`` every ``ckpt_every`` steps and at the end. ``resume`` (a path, or ``"auto"`` for
``<out_dir>/last.pt`` when present) restores model, optimizer, scheduler, step and random state, and the batch
order is a function of (seed, epoch), so a resumed run continues exactly where the first stopped.

Under ``torchrun`` (``WORLD_SIZE > 1``) each rank takes its slice of every epoch's permutation (the role of
``DistributedSampler``), gradients are averaged by ``DistributedDataParallel``, and only rank 0 logs and writes.

The stages, each a function: :func:`baselines.distributed.dist_env` (where this process stands),
``_setup_process`` (device, process group, threads), ``_build_run`` (seed, model, optimizer, scheduler,
``_resume``, DDP), ``_loop`` (epochs, ``_step``, logging, checkpoints), :func:`train` (all of it, one call; its
signature ``train(config, *, train_set=None) -> TrainResult`` is the stable entry point).
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from baselines.checkpoint import capture_rng, load_checkpoint, restore_rng, save_checkpoint
from baselines.distributed import DistEnv, dist_env
from baselines.train_config import TrainConfig
from comsamy.errors import ConfigError

__all__ = ["TrainResult", "epoch_batches", "missing_weights_warning", "resolve_device", "train"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Where the run ended: the checkpoint, the last step, the mean loss of the first and last logged windows."""

    checkpoint: str
    steps: int
    first_loss: float
    last_loss: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("checkpoint", "steps", "first_loss", "last_loss", "seconds")}


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``"auto"`` -> ``cuda:<local_rank>`` when available, else ``cpu``; anything else as given."""
    if name == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"expected device 'auto', 'cpu' or 'cuda[:i]', got {name!r}") from exc


def epoch_batches(n: int, batch_size: int, *, seed: int, epoch: int, rank: int = 0, world: int = 1) -> list[list[int]]:
    """This rank's batches of ``epoch``: a seeded permutation, padded to a multiple of ``world``, sliced by rank,
    cut into full batches (a last partial batch is kept only when it would be the only one)."""
    perm = np.random.default_rng([seed, epoch, 7919]).permutation(n).tolist()
    per_rank = math.ceil(n / world)
    perm = (perm * math.ceil(per_rank * world / max(n, 1)))[: per_rank * world]
    mine = perm[rank::world]
    full = len(mine) // batch_size
    if full == 0:
        return [mine]
    return [mine[i * batch_size : (i + 1) * batch_size] for i in range(full)]


class _LossWrapper(nn.Module):
    """Puts ``training_loss`` behind ``forward`` so DistributedDataParallel sees the call."""

    def __init__(self, model: nn.Module, anomaly_id: int) -> None:
        super().__init__()
        self.model = model
        self.anomaly_id = anomaly_id

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        model: Any = self.model
        return model.training_loss(images, labels, anomaly_id=self.anomaly_id)


def _make_optimizer(config: TrainConfig, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
    groups = [g for g in groups if g["params"]]
    if not groups:
        raise ConfigError(f"expected model {config.model!r} to have trainable parameters, got none")
    cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    return cls(groups, lr=config.lr, weight_decay=config.weight_decay)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


_RPL_MODELS = frozenset({"rpl_energy", "rpl_eel", "rpl", "rpl_diffeel"})
_MASK2ANOMALY_MODELS = frozenset({"mask2anomaly", "mask2anomaly_diffeel", "m2a", "m2a_diffeel"})


def missing_weights_warning(config: TrainConfig) -> str | None:
    """The warning for a run whose model starts from random weights where the method needs trained ones, or None.

    RPL trains only a residual block on top of a *frozen* inlier segmenter: without
    ``model_config.pretrained`` that segmenter is random and the result scores at chance. Mask2Anomaly without
    ``pretrained`` or a backbone checkpoint (a ``backbone*`` key holding a path or Hub id) starts from a random
    backbone.
    """
    mc = dict(config.model_config)
    if config.model in _RPL_MODELS and not mc.get("pretrained"):
        return (
            f"training {config.model!r} without an inlier checkpoint: model_config.pretrained is not set, so the "
            "frozen segmenter under the residual block is random and the model will score at chance. Train the "
            "inlier segmenter first (comsamy-train inlier_segmenter ..., or the tiny one in docs/baselines.md) "
            "and pass model_config.pretrained=<its out_dir>/last.pt, or an official RPL / NVIDIA checkpoint."
        )
    has_backbone = any(k.startswith("backbone") and isinstance(v, str) and v for k, v in mc.items())
    if config.model in _MASK2ANOMALY_MODELS and not mc.get("pretrained") and not has_backbone:
        return (
            f"training {config.model!r} from a random backbone: neither model_config.pretrained nor a backbone "
            "checkpoint is set, so the model starts from scratch (the paper starts from Cityscapes-trained "
            "Mask2Former weights)."
        )
    return None


@dataclass
class _Run:
    """What the loop needs, set up once: the model, its wrapper (DDP or not), optimizer and scheduler."""

    config: TrainConfig
    env: DistEnv
    device: torch.device
    model: nn.Module
    runner: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    ckpt_path: Path
    start: int = 0

    def save(self, step: int) -> None:
        """Write ``last.pt`` (rank 0 only): model, optimizer, scheduler, step and every random state."""
        if not self.env.is_main:
            return
        save_checkpoint(
            self.ckpt_path,
            {
                "model_name": self.config.model,
                "model_config": dict(self.config.model_config),
                "model": self.model.state_dict(),
                "train_config": self.config.to_dict(),
                "step": step,
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "rng": capture_rng(),
            },
        )


def _setup_process(config: TrainConfig, env: DistEnv) -> torch.device:
    """Device, process group (under torchrun) and thread count."""
    device = resolve_device(config.device, env.local_rank)
    if env.distributed:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if config.threads:
        torch.set_num_threads(int(config.threads))
    return device


def _build_run(config: TrainConfig, env: DistEnv, device: torch.device) -> _Run:
    """Seed, build the model, optimizer and poly scheduler, resume, wrap in DDP when distributed."""
    from baselines.registry import create_baseline

    _seed_everything(config.seed)
    model = create_baseline(config.model, **config.model_config).to(device)
    optimizer = _make_optimizer(config, model.param_groups(config.lr))
    steps, power = config.steps, config.poly_power
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / steps) ** power)
    run = _Run(
        config=config,
        env=env,
        device=device,
        model=model,
        runner=_LossWrapper(model, config.data.anomaly_id),
        optimizer=optimizer,
        scheduler=scheduler,
        ckpt_path=Path(config.out_dir) / "last.pt",
    )
    run.start = _resume(run)
    if env.distributed:
        run.runner = nn.parallel.DistributedDataParallel(
            run.runner, device_ids=[device.index] if device.type == "cuda" else None
        )
    return run


def _resume(run: _Run) -> int:
    """Restore a checkpoint named by ``config.resume`` (``"auto"``: ``<out_dir>/last.pt`` if present); the step."""
    resume = run.config.resume
    if resume == "auto":
        resume = str(run.ckpt_path) if run.ckpt_path.is_file() else None
    if not resume:
        return 0
    ckpt = load_checkpoint(resume)
    run.model.load_state_dict(ckpt["model"])
    run.optimizer.load_state_dict(ckpt["optimizer"])
    run.scheduler.load_state_dict(ckpt["scheduler"])
    restore_rng(ckpt["rng"])
    if run.env.is_main:
        logger.info("resumed from %s at step %d", resume, int(ckpt["step"]))
    return int(ckpt["step"])


def _step(run: _Run, images: torch.Tensor, labels: torch.Tensor, step: int) -> tuple[float, dict[str, float]]:
    """One optimisation step; the loss and its parts."""
    images = images.to(run.device, non_blocking=True)
    labels = labels.to(run.device, non_blocking=True)
    run.optimizer.zero_grad(set_to_none=True)
    try:
        loss, parts = run.runner(images, labels)
    except ValueError as exc:
        if "Expected more than 1 value per channel" not in str(exc):
            raise
        raise ConfigError(
            f"expected batches of at least 2 images for model {run.config.model!r}, got a batch of "
            f"{images.shape[0]} (batch_size={run.config.batch_size} per process): some of its batch-norm layers "
            "see a globally pooled feature, one value per channel per image, and batch norm in training needs more "
            "than one. Set batch_size=2 or more (and give every process at least 2 training rows)."
        ) from None
    if not torch.isfinite(loss):
        raise FloatingPointError(f"expected a finite loss at step {step}, got {float(loss)} ({parts})")
    loss.backward()
    run.optimizer.step()
    run.scheduler.step()
    return float(loss.detach()), parts


def _loop(run: _Run, dataset: Any) -> tuple[int, list[float], float | None]:
    """Steps ``run.start`` .. ``config.steps``, epoch by epoch in the seeded order; logs and checkpoints."""
    config, env = run.config, run.env
    steps = config.steps
    per_epoch = len(
        epoch_batches(len(dataset), config.batch_size, seed=config.seed, epoch=0, rank=env.rank, world=env.world)
    )
    bar = None
    if env.is_main and config.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=run.start, desc=f"train {config.model}", unit="step", dynamic_ncols=True)
    losses: list[float] = []
    first_window: float | None = None
    step = run.start
    run.model.train()
    try:
        while step < steps:
            epoch, offset = divmod(step, per_epoch)
            if hasattr(dataset, "set_epoch"):
                dataset.set_epoch(epoch)
            batches = epoch_batches(
                len(dataset), config.batch_size, seed=config.seed, epoch=epoch, rank=env.rank, world=env.world
            )
            loader = torch.utils.data.DataLoader(
                dataset,
                batch_sampler=batches[offset:],
                num_workers=config.num_workers,
                pin_memory=run.device.type == "cuda",
                generator=torch.Generator().manual_seed(config.seed + epoch),
            )
            for images, labels in loader:
                loss, parts = _step(run, images, labels, step)
                step += 1
                losses.append(loss)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss:.4f}")
                if step % config.log_every == 0 or step == steps:
                    window = float(np.mean(losses[-config.log_every :]))
                    first_window = window if first_window is None else first_window
                    if env.is_main:
                        detail = " ".join(f"{k}={v:.4f}" for k, v in parts.items())
                        logger.info(
                            "step %d/%d lr=%.3g loss=%.4f %s",
                            step,
                            steps,
                            run.scheduler.get_last_lr()[0],
                            window,
                            detail,
                        )
                if step % config.ckpt_every == 0 or step == steps:
                    run.save(step)
                if step >= steps:
                    break
    finally:
        if bar is not None:
            bar.close()
    return step, losses, first_window


def train(config: TrainConfig, *, train_set: Any | None = None) -> TrainResult:
    """Run a training as described by ``config``; ``train_set`` overrides the dataset built from ``config.data``.

    Logs a warning (``missing_weights_warning``) when the method needs trained weights the config does not give.

    Raises:
        ConfigError: a config the model or data cannot train with (unknown model, empty set, ``batch_size=1``
            for a model with a pooled batch-norm branch, ...).
    """
    from baselines.data import build_train_set

    env = dist_env()
    device = _setup_process(config, env)
    warning = missing_weights_warning(config)
    if warning and env.is_main:
        logger.warning(warning)
    run = _build_run(config, env, device)
    dataset: Any = train_set if train_set is not None else build_train_set(config.data)
    if len(dataset) == 0:
        raise ConfigError(f"expected a non-empty training set for {config.data.dataset}, got 0 rows")
    t0 = time.perf_counter()
    step, losses, first_window = _loop(run, dataset)
    if env.distributed:
        import torch.distributed as dist

        dist.barrier()
    last = float(np.mean(losses[-config.log_every :])) if losses else float("nan")
    return TrainResult(
        checkpoint=str(run.ckpt_path),
        steps=step,
        first_loss=first_window if first_window is not None else last,
        last_loss=last,
        seconds=time.perf_counter() - t0,
    )
