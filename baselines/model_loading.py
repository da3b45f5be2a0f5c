"""Open whatever ``comsamy-infer`` is pointed at, and say what it is.

=====================  ===========================================================================================
what                   how it is recognised
=====================  ===========================================================================================
training checkpoint    a file written by ``comsamy-train`` (``format: comsamy-baseline-checkpoint/1``)
released weights       any other ``.pt`` / ``.pth`` holding a DeepLabV3+ / WiderResNet38 state dict (RPL's release,
                       NVIDIA's Cityscapes model, ``module.`` prefixes): architecture read from the tensor shapes
baseline folder        a ``save_pretrained`` folder or Hub id whose ``config.json`` has ``comsamy_model``
transformers model     any other folder or Hub id: a ``transformers`` semantic-segmentation checkpoint
=====================  ===========================================================================================

Every file is read with :func:`baselines.safe_load.load_torch_file` (never plain pickle).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comsamy.errors import ConfigError

__all__ = ["DTYPES", "LoadedModel", "load_model", "torch_dtype"]

logger = logging.getLogger(__name__)

DTYPES = ("float32", "float16", "bfloat16")


def torch_dtype(name: str) -> Any:
    """``"float32"`` / ``"float16"`` / ``"bfloat16"`` -> the torch dtype."""
    import torch

    if name not in DTYPES:
        raise ConfigError(f"expected --dtype in {DTYPES}, got {name!r}")
    return getattr(torch, name)


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score, and its description for the manifest.

    Attributes:
        model: an :class:`~baselines.base.AnomalySegmenter` or a :class:`~baselines.hf.segmenter.HFSegmenter`.
        kind: ``"checkpoint"``, ``"weights"``, ``"pretrained"`` or ``"transformers"``.
        name: the registry name (``rpl_eel``, ``mask2anomaly``, ...) or the ``transformers`` architecture.
        source: what was given (path or Hub id).
        config: the model config (JSON values).
        step: the training step of a checkpoint, else None.
    """

    model: Any
    kind: str
    name: str
    source: str
    config: dict[str, Any] = field(default_factory=dict)
    step: int | None = None

    @property
    def outlier_data(self) -> bool:
        """Whether the model was trained with anomaly data (RPL, Mask2Anomaly), for the manifest."""
        return self.kind != "transformers" and self.name != "inlier_segmenter"


def _from_file(path: Path) -> LoadedModel:
    from baselines.checkpoint import CHECKPOINT_FORMAT, build_from_checkpoint, check_checkpoint
    from baselines.safe_load import load_torch_file

    obj = load_torch_file(path, what="checkpoint")
    if isinstance(obj, dict) and obj.get("format") == CHECKPOINT_FORMAT:
        model, ckpt = build_from_checkpoint(check_checkpoint(obj, str(path)))
        return LoadedModel(
            model,
            "checkpoint",
            str(ckpt["model_name"]),
            str(path),
            dict(ckpt["model_config"]),
            int(ckpt.get("step", 0)),
        )
    if isinstance(obj, dict) and "format" in obj:
        raise ConfigError(
            f"expected a {CHECKPOINT_FORMAT} checkpoint or released weights in {str(path)!r}, got "
            f"format {obj.get('format')!r}"
        )
    from baselines.registry import create_baseline
    from baselines.rpl.weights import extract_state_dict, infer_architecture, load_weights

    state = extract_state_dict(obj, str(path))
    name, config = infer_architecture(state)
    model = create_baseline(name, **config)
    report = load_weights(model, state)
    if report.missing:
        raise ConfigError(
            f"expected every weight of the {name} network in {str(path)!r}, got {len(report.missing)} "
            f"missing: {', '.join(report.missing[:5])}"
        )
    step = None
    if isinstance(obj, dict):
        for key in ("iteration", "epoch"):
            if key in obj and str(obj[key]).lstrip("-").isdigit():
                step = int(obj[key])
                break
    return LoadedModel(model, "weights", name, str(path), config, step)


def load_model(source: str | Path | dict[str, Any], *, device: Any = "cpu", dtype: str = "float32") -> LoadedModel:
    """Open ``source`` (see the module docstring), in eval mode on ``device`` with parameters in ``dtype``.

    Raises:
        ConfigError: nothing loadable there (the message names the path and what was expected).
        UnsafeFileError: a file whose pickle asks for code (refused, nothing run).
    """
    dt = torch_dtype(dtype)
    if isinstance(source, dict):
        from baselines.checkpoint import build_from_checkpoint

        model, ckpt = build_from_checkpoint(source)
        loaded = LoadedModel(
            model,
            "checkpoint",
            str(ckpt["model_name"]),
            "checkpoint",
            dict(ckpt["model_config"]),
            int(ckpt.get("step", 0)),
        )
    else:
        path = Path(source)
        if path.suffix.lower() in (".pt", ".pth", ".bin", ".ckpt") and not path.exists():
            raise ConfigError(f"expected a checkpoint file at {str(path)!r}, got no such file")
        if path.is_file():
            loaded = _from_file(path)
        else:
            from baselines.hub import is_baseline_folder, load_pretrained_baseline, read_hub_config

            if path.is_dir() and not (path / "config.json").is_file():
                raise ConfigError(f"expected a config.json (a save_pretrained folder) in {str(path)!r}, got none")
            try:
                hub_config = read_hub_config(str(source))
            except ConfigError as exc:
                raise ConfigError(
                    f"expected a .pt / .pth file, a save_pretrained folder or a Hub id, got {str(source)!r}: {exc}"
                ) from exc
            if is_baseline_folder(hub_config):
                model = load_pretrained_baseline(str(source))
                loaded = LoadedModel(model, "pretrained", model.registry_name(), str(source), model.config.to_dict())
            else:
                from baselines.hf.segmenter import load_hf_segmenter

                seg = load_hf_segmenter(str(source), device=device, dtype=dt)
                return LoadedModel(seg, "transformers", seg.info.architecture, str(source), seg.info.to_dict())
    loaded.model.to(device=device, dtype=dt).eval()
    return loaded
