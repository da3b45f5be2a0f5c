"""Training runs of the study (through :func:`baselines.training.train`), reused only when their config hash
matches, and their evaluation into per-image histograms (:class:`comsamy.metrics.MetricAccumulator`).

A run's hash covers its whole :class:`~baselines.train_config.TrainConfig` (model, model config with λ, data
section, steps, lr, batch size, seed, threads; paths only by name, so a moved study folder is still recognised),
the data fingerprint, the hash of the run it starts from (RPL starts from an inlier segmenter) and the torch
version. ``<run>/study_run.json`` stores it next to ``last.pt``;
``--reuse`` takes a checkpoint only when the stored hash, the checkpoint's own ``train_config`` and its step
count all match, and retrains otherwise.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baselines.study.config import stable_hash

__all__ = ["RunRecord", "evaluate_checkpoint", "run_hash", "train_or_reuse"]

log = logging.getLogger(__name__)

SIDE_FILE = "study_run.json"


@dataclass(frozen=True)
class RunRecord:
    """A finished (or reused) training run."""

    name: str
    checkpoint: str
    config_hash: str
    reused: bool
    first_loss: float | None
    last_loss: float | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "config_hash": self.config_hash,
            "reused": self.reused,
            "first_loss": self.first_loss,
            "last_loss": self.last_loss,
        }


def _normalised(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def _weights_config(train_config: Mapping[str, Any]) -> dict[str, Any]:
    """The training config without where things live: ``out_dir``, ``data.dataset`` (a folder named by the data
    hash) and ``model_config.pretrained`` (a path whose content is covered by the parent's hash), so a moved or
    copied study folder is still recognised; every other field counts."""
    cfg = _normalised(train_config)
    cfg.pop("out_dir", None)
    if isinstance(cfg.get("model_config"), dict):
        cfg["model_config"].pop("pretrained", None)
    if isinstance(cfg.get("data"), dict):
        cfg["data"]["dataset"] = Path(str(cfg["data"].get("dataset"))).name
    return cfg


def run_hash(train_config: Mapping[str, Any], *, data_fingerprint: str, parent_hash: str | None) -> str:
    """Hash of everything that determines a run's weights (see the module docstring)."""
    import torch

    return stable_hash(
        {
            "train_config": _weights_config(train_config),
            "data": data_fingerprint,
            "parent": parent_hash,
            "torch": torch.__version__,
        }
    )


def _reusable(out_dir: Path, config_hash: str, train_config: Mapping[str, Any]) -> dict[str, Any] | None:
    from baselines.checkpoint import load_checkpoint
    from comsamy.errors import ComsamyError

    side, ckpt_path = out_dir / SIDE_FILE, out_dir / "last.pt"
    if not (side.is_file() and ckpt_path.is_file()):
        return None
    try:
        stored = json.loads(side.read_text(encoding="utf-8"))
        ckpt = load_checkpoint(ckpt_path)
    except (OSError, ValueError, ComsamyError) as exc:
        log.warning("%s: not reused, unreadable run files (%s)", out_dir, exc)
        return None
    if stored.get("config_hash") != config_hash:
        log.warning(
            "%s: not reused, its config hash %s differs from this run's %s",
            out_dir,
            stored.get("config_hash"),
            config_hash,
        )
        return None
    if _weights_config(ckpt.get("train_config") or {}) != _weights_config(train_config) or int(
        ckpt.get("step", -1)
    ) != int(train_config["steps"]):
        log.warning("%s: not reused, the checkpoint's train_config or step count differs", out_dir)
        return None
    return stored


def train_or_reuse(
    name: str,
    mapping: Mapping[str, Any],
    *,
    data_fingerprint: str,
    parent_hash: str | None = None,
    train_set: Any | None = None,
    reuse: bool = False,
) -> RunRecord:
    """Train the run described by ``mapping`` (a :class:`TrainConfig` mapping), or reuse a matching checkpoint.

    Args:
        name: Run name (for logs and the summary).
        mapping: The training config; ``out_dir`` is the run folder.
        data_fingerprint: Hash of the study's data.
        parent_hash: Hash of the run whose checkpoint ``model_config.pretrained`` points at.
        train_set: A ready training set (the inlier scenes), else ``mapping["data"]`` is loaded.
        reuse: Take an existing checkpoint whose hash, config and step count match.
    """
    from baselines.train_config import TrainConfig
    from baselines.training import train

    config = TrainConfig.from_mapping(mapping, source=f"study run {name}")
    full = config.to_dict()
    config_hash = run_hash(full, data_fingerprint=data_fingerprint, parent_hash=parent_hash)
    out_dir = Path(config.out_dir)
    if reuse:
        stored = _reusable(out_dir, config_hash, full)
        if stored is not None:
            log.info("%s: reused %s", name, out_dir / "last.pt")
            return RunRecord(
                name,
                str(out_dir / "last.pt"),
                config_hash,
                True,
                stored.get("first_loss"),
                stored.get("last_loss"),
                0.0,
            )
    (out_dir / SIDE_FILE).unlink(missing_ok=True)
    t0 = time.perf_counter()
    result = train(config, train_set=train_set)
    record = RunRecord(
        name, result.checkpoint, config_hash, False, result.first_loss, result.last_loss, time.perf_counter() - t0
    )
    (out_dir / SIDE_FILE).write_text(
        json.dumps({"name": name, **record.to_dict(), "train_config": _normalised(full)}, indent=2, sort_keys=True),
        encoding="utf-8",
    )
    return record


def evaluate_checkpoint(checkpoint: str | Path, rows: Sequence[Any], scores: Sequence[str]) -> dict[str, Any]:
    """Score every row with each of ``scores`` and collect per-image histograms.

    Args:
        checkpoint: A training checkpoint.
        rows: :class:`~baselines.study.data.BenchmarkRow` items.
        scores: Score names (``baselines.base.SCORE_NAMES``).

    Returns:
        ``{score: MetricAccumulator}`` holding one histogram per image, metadata ``weather`` / ``landform``.
    """
    import torch

    from baselines.checkpoint import build_from_checkpoint
    from baselines.inference import score_image
    from comsamy.metrics import MetricAccumulator

    model, _ = build_from_checkpoint(checkpoint)
    model.eval()
    accs = {s: MetricAccumulator() for s in scores}
    with torch.no_grad():
        for row in rows:
            for s in scores:
                scores_map = score_image(model, row.image, score=s, out_size=row.label.shape, device="cpu")
                accs[s].update(row.id, scores_map, row.label, {"weather": row.weather, "landform": row.landform})
    return accs
