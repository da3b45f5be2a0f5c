"""The one training loop of every baseline: single process (CPU / GPU) or DDP under ``torchrun``.

``train(config)`` builds the model from the registry, the data from :mod:`baselines.data`, an Adam / AdamW
optimizer over ``model.param_groups(lr)`` with poly decay, and runs ``config.steps`` steps, checkpointing to
``<out_dir>/last.pt`` every ``ckpt_every`` steps and at the end. ``resume`` (a path, or ``"auto"`` for
``<out_dir>/last.pt`` when present) restores model, optimizer, scheduler, step and random state, and the batch
order is a function of (seed, epoch), so a resumed run continues exactly where the first stopped.

Under ``torchrun`` (``WORLD_SIZE > 1``) each rank takes its slice of every epoch's permutation (the role of
``DistributedSampler``), gradients are averaged by ``DistributedDataParallel``, and only rank 0 logs and writes.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from baselines.checkpoint import capture_rng, load_checkpoint, restore_rng, save_checkpoint
from baselines.train_config import TrainConfig
from comsamy.errors import ConfigError

__all__ = ["TrainResult", "epoch_batches", "resolve_device", "train"]

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


def _dist_env() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")), world


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


def train(config: TrainConfig, *, train_set: Any | None = None) -> TrainResult:
    """Run a training as described by ``config``; ``train_set`` overrides the dataset built from ``config.data``."""
    from baselines.data import build_train_set
    from baselines.registry import create_baseline

    rank, local_rank, world = _dist_env()
    distributed = world > 1
    device = resolve_device(config.device, local_rank)
    if distributed:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if config.threads:
        torch.set_num_threads(int(config.threads))
    is_main = rank == 0
    out_dir = Path(config.out_dir)
    ckpt_path = out_dir / "last.pt"

    _seed_everything(config.seed)
    model = create_baseline(config.model, **config.model_config).to(device)
    optimizer = _make_optimizer(config, model.param_groups(config.lr))
    steps = config.steps
    power = config.poly_power
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1.0 - s / steps) ** power)
    dataset: Any = train_set if train_set is not None else build_train_set(config.data)
    if len(dataset) == 0:
        raise ConfigError(f"expected a non-empty training set for {config.data.dataset}, got 0 rows")

    start = 0
    resume = config.resume
    if resume == "auto":
        resume = str(ckpt_path) if ckpt_path.is_file() else None
    if resume:
        ckpt = load_checkpoint(resume)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start = int(ckpt["step"])
        restore_rng(ckpt["rng"])
        if is_main:
            logger.info("resumed from %s at step %d", resume, start)

    runner: nn.Module = _LossWrapper(model, config.data.anomaly_id)
    if distributed:
        runner = nn.parallel.DistributedDataParallel(
            runner, device_ids=[device.index] if device.type == "cuda" else None
        )

    def checkpoint(step: int) -> None:
        if is_main:
            save_checkpoint(
                ckpt_path,
                {
                    "model_name": config.model,
                    "model_config": dict(config.model_config),
                    "model": model.state_dict(),
                    "train_config": config.to_dict(),
                    "step": step,
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "rng": capture_rng(),
                },
            )

    per_epoch = len(epoch_batches(len(dataset), config.batch_size, seed=config.seed, epoch=0, rank=rank, world=world))
    bar = None
    if is_main and config.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=start, desc=f"train {config.model}", unit="step", dynamic_ncols=True)
    losses: list[float] = []
    first_window: float | None = None
    t0 = time.perf_counter()
    step = start
    model.train()
    while step < steps:
        epoch, offset = divmod(step, per_epoch)
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        batches = epoch_batches(len(dataset), config.batch_size, seed=config.seed, epoch=epoch, rank=rank, world=world)
        loader = torch.utils.data.DataLoader(
            dataset,
            batch_sampler=batches[offset:],
            num_workers=config.num_workers,
            pin_memory=device.type == "cuda",
            generator=torch.Generator().manual_seed(config.seed + epoch),
        )
        for images, labels in loader:
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            loss, parts = runner(images, labels)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"expected a finite loss at step {step}, got {float(loss)} ({parts})")
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            losses.append(float(loss.detach()))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{losses[-1]:.4f}")
            if step % config.log_every == 0 or step == steps:
                window = float(np.mean(losses[-config.log_every :]))
                first_window = window if first_window is None else first_window
                if is_main:
                    detail = " ".join(f"{k}={v:.4f}" for k, v in parts.items())
                    logger.info("step %d/%d lr=%.3g loss=%.4f %s", step, steps, scheduler.get_last_lr()[0], window, detail)
            if step % config.ckpt_every == 0 or step == steps:
                checkpoint(step)
            if step >= steps:
                break
    if bar is not None:
        bar.close()
    if distributed:
        import torch.distributed as dist

        dist.barrier()
    seconds = time.perf_counter() - t0
    last = float(np.mean(losses[-config.log_every :])) if losses else float("nan")
    return TrainResult(
        checkpoint=str(ckpt_path),
        steps=step,
        first_loss=first_window if first_window is not None else last,
        last_loss=last,
        seconds=seconds,
    )
