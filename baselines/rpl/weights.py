"""Load released or locally trained weights into the RPL / inlier models, reporting what did not match."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from comsamy.errors import ConfigError

__all__ = [
    "LoadReport",
    "extract_state_dict",
    "infer_architecture",
    "load_weights",
    "normalise_state_dict",
    "read_state_dict",
]

logger = logging.getLogger(__name__)

_WRAPPER_KEYS = ("model", "state_dict", "model_state", "net")
_STRIP_PREFIXES = ("module.", "model.")


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_weights` did: keys loaded, keys the model has but the file lacks, keys left over."""

    loaded: tuple[str, ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "loaded": len(self.loaded),
            "missing": list(self.missing),
            "unexpected": list(self.unexpected),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        def head(keys: tuple[str, ...]) -> str:
            return ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")

        text = f"loaded {len(self.loaded)} tensors from {self.source or 'state dict'}"
        if self.missing:
            text += f"; {len(self.missing)} missing (kept as initialised): {head(self.missing)}"
        if self.unexpected:
            text += f"; {len(self.unexpected)} unexpected (ignored): {head(self.unexpected)}"
        return text


def read_state_dict(path: str | Path, *, what: str = "weights file") -> dict[str, torch.Tensor]:
    """Read a state dict from ``path``: a bare state dict or a checkpoint dict wrapping one.

    Read with :func:`baselines.safe_load.load_torch_file` (``weights_only`` plus numeric numpy scalars, never
    plain pickle), so the released layouts load: RPL's ``{"model", "optimizer", "epoch", "iteration"}``, NVIDIA's
    ``{"state_dict", "optimizer", "epoch", "mean_iu": numpy.float64, "command"}``, a ``comsamy-train`` checkpoint.

    Args:
        path: the ``.pth`` / ``.pt`` file.
        what: what the file is, for error messages.
    """
    from baselines.safe_load import load_torch_file

    return extract_state_dict(load_torch_file(path, what=what), str(path))


def extract_state_dict(obj: Any, where: str) -> dict[str, torch.Tensor]:
    """The state dict in a loaded file: ``obj`` itself, or the mapping under ``model`` / ``state_dict`` / ...."""
    if isinstance(obj, Mapping):
        for key in _WRAPPER_KEYS:
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        got = type(obj).__name__
        if isinstance(obj, Mapping):
            got = f"a dict with keys {sorted(map(str, obj))[:6]}"
        raise ConfigError(
            f"expected a state dict (name -> tensor), or one under {list(_WRAPPER_KEYS)}, in {where!r}, got {got}"
        )
    return dict(obj)


_BLOCK = re.compile(r"^branch1\.mod([2-7])\.block(\d+)\.")


def infer_architecture(state: Mapping[str, torch.Tensor]) -> tuple[str, dict[str, Any]]:
    """The registry name and config of the DeepLabV3+ / WiderResNet38 network that ``state`` holds.

    ``width`` comes from the stem (``mod1.conv1``: 64 x width output channels), ``structure`` from the blocks per
    trunk module, ``num_classes`` from the classifier (``final.6``); a ``residual_block`` makes it RPL.

    Args:
        state: a state dict under the official names (``module.`` / ``branch1.`` prefixes as in any release).

    Raises:
        ConfigError: the stem, a trunk module or the classifier is missing.
    """
    keys = normalise_state_dict(state, {"branch1.mod1.conv1.weight"})
    stem, final = keys.get("branch1.mod1.conv1.weight"), keys.get("branch1.final.6.weight")
    if stem is None or final is None:
        raise ConfigError(
            "expected DeepLabV3+ / WiderResNet38 weights with branch1.mod1.conv1.weight and "
            f"branch1.final.6.weight, got keys {sorted(keys)[:5]}"
        )
    blocks: dict[int, set[int]] = {}
    for key in keys:
        found = _BLOCK.match(key)
        if found:
            blocks.setdefault(int(found.group(1)), set()).add(int(found.group(2)))
    if sorted(blocks) != [2, 3, 4, 5, 6, 7]:
        raise ConfigError(f"expected trunk modules mod2..mod7 in the weights, got mod{sorted(blocks)}")
    config: dict[str, Any] = {
        "width": int(stem.shape[0]) / 64.0,
        "structure": [max(blocks[m]) for m in range(2, 8)],
        "num_classes": int(final.shape[0]),
    }
    residual = any(k.startswith("branch1.residual_block.") for k in keys)
    return ("rpl_eel" if residual else "inlier_segmenter"), config


def normalise_state_dict(state: Mapping[str, torch.Tensor], model_keys: set[str]) -> dict[str, torch.Tensor]:
    """Strip ``module.`` / ``model.`` prefixes (DDP, wrappers), then add or strip ``branch1.`` to match the model."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        k = key
        changed = True
        while changed:
            changed = False
            for prefix in _STRIP_PREFIXES:
                if k.startswith(prefix):
                    k = k[len(prefix) :]
                    changed = True
        out[k] = value
    has_branch = any(k.startswith("branch1.") for k in model_keys)
    if has_branch and not any(k.startswith("branch1.") for k in out):
        out = {f"branch1.{k}": v for k, v in out.items()}
    elif not has_branch and any(k.startswith("branch1.") for k in out):
        out = {k.removeprefix("branch1."): v for k, v in out.items()}
    return out


def load_weights(model: nn.Module, weights: str | Path | Mapping[str, torch.Tensor]) -> LoadReport:
    """Load ``weights`` (a path or a state dict) into ``model`` non-strictly, checking every shape.

    Keys the file lacks (e.g. the residual block when loading an inlier segmenter) keep their initial values and
    are listed in the report; keys the model lacks are ignored and listed. A shape mismatch or a file that
    matches no key at all raises :class:`ConfigError` naming the keys.
    """
    source = str(weights) if isinstance(weights, (str, Path)) else ""
    state = read_state_dict(weights) if isinstance(weights, (str, Path)) else dict(weights)
    own = model.state_dict()
    state = normalise_state_dict(state, set(own))
    bad = [
        f"{k}: expected {tuple(own[k].shape)}, got {tuple(v.shape)}"
        for k, v in state.items()
        if k in own and own[k].shape != v.shape
    ]
    if bad:
        raise ConfigError(
            f"expected weights shaped like the model (check width / structure / num_classes) in "
            f"{source or 'the state dict'}, got {len(bad)} mismatches: " + "; ".join(bad[:5])
        )
    loaded = tuple(k for k in state if k in own)
    if not loaded:
        raise ConfigError(
            f"expected weights whose names match the model in {source or 'the state dict'}, got none matching "
            f"(first keys: {list(state)[:3]})"
        )
    model.load_state_dict({k: state[k] for k in loaded}, strict=False)
    report = LoadReport(
        loaded=loaded,
        missing=tuple(k for k in own if k not in state),
        unexpected=tuple(k for k in state if k not in own),
        source=source,
    )
    logger.info("%s", report.summary())
    return report
