"""Training checkpoints: one file holding the model (name, config, weights) and the full training state.

Layout (a dict saved with ``torch.save``): ``format``, ``model_name``, ``model_config``, ``model`` (state
dict), ``train_config``, ``step``, ``optimizer``, ``scheduler``, ``rng`` (python / numpy / torch / cuda).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from comsamy.errors import ConfigError

__all__ = [
    "CHECKPOINT_FORMAT",
    "build_from_checkpoint",
    "capture_rng",
    "check_checkpoint",
    "export_pretrained",
    "load_checkpoint",
    "restore_rng",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "comsamy-baseline-checkpoint/1"


def capture_rng() -> dict[str, Any]:
    """Every random state a training step reads."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Undo :func:`capture_rng`."""
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus the format tag) atomically to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    torch.save({"format": CHECKPOINT_FORMAT, **payload}, tmp)
    os.replace(tmp, p)
    return p


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`, checking its format."""
    from baselines.safe_load import load_torch_file

    p = Path(path)
    return check_checkpoint(load_torch_file(p, what="checkpoint"), str(p))


def check_checkpoint(ckpt: Any, where: str) -> dict[str, Any]:
    """``ckpt`` itself if it is a checkpoint dict of :func:`save_checkpoint` with its fields, else ``ConfigError``."""
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        got = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ConfigError(f"expected a {CHECKPOINT_FORMAT} checkpoint in {where!r}, got format {got!r}")
    for key in ("model_name", "model_config", "model"):
        if key not in ckpt:
            raise ConfigError(f"expected field {key!r} in checkpoint {where!r}, got fields {sorted(ckpt)}")
    return ckpt


def build_from_checkpoint(path_or_ckpt: str | Path | dict[str, Any]) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model a checkpoint was trained as and load its weights (no ``pretrained`` file needed)."""
    from baselines.registry import create_baseline

    ckpt = path_or_ckpt if isinstance(path_or_ckpt, dict) else load_checkpoint(path_or_ckpt)
    config = dict(ckpt["model_config"])
    if "pretrained" in config:
        config["pretrained"] = None
    if config.get("backbone") and config.get("backbone_config"):
        config["backbone"] = None  # the architecture is in backbone_config, the weights in the checkpoint
    model = create_baseline(ckpt["model_name"], **config)
    model.load_state_dict(ckpt["model"])
    return model, ckpt


def export_pretrained(checkpoint: str | Path | dict[str, Any], folder: str | Path) -> Path:
    """Convert a ``comsamy-train`` checkpoint into the one saved-model format: a ``save_pretrained`` folder.

    The folder (``config.json``, ``model.safetensors``, a model card) loads with ``from_pretrained``, with
    ``baselines.hub.load_pretrained_baseline`` and with ``comsamy-infer``, and can be pushed with ``push_to_hub``;
    the optimizer and random state of the checkpoint (needed only to resume training) are left out.
    """
    model, _ = build_from_checkpoint(checkpoint)
    path: Path = model.save_pretrained(folder)  # type: ignore[operator]
    return path
