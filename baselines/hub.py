"""One saved-model format for every baseline: ``huggingface_hub.PyTorchModelHubMixin`` folders.

``model.save_pretrained(folder)`` writes ``config.json`` (``{"comsamy_model": <registry name>, <config fields>}``),
``model.safetensors`` and a model card; ``Class.from_pretrained(folder_or_hub_id)`` rebuilds the model strictly
(every weight must match); ``model.push_to_hub(repo_id)`` comes with the mixin. Folders written by the earlier
Mask2Anomaly format (``{"format": "comsamy-mask2anomaly/1", "config": {...}}``) still load.

:func:`load_pretrained_baseline` opens any such folder or Hub id without knowing its class.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

from huggingface_hub import PyTorchModelHubMixin

from comsamy.errors import ConfigError

__all__ = [
    "CONFIG_NAME",
    "MODEL_KEY",
    "WEIGHTS_NAME",
    "BaselineHubMixin",
    "is_baseline_folder",
    "load_pretrained_baseline",
    "read_hub_config",
]

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
MODEL_KEY = "comsamy_model"
"""The ``config.json`` key naming the registry model: what tells a baseline folder from a ``transformers`` one."""
_LEGACY_FORMATS = ("comsamy-mask2anomaly/1",)


def _hub_file(model_id: str, filename: str, **hub: Any) -> Path:
    """``model_id/filename`` for a local folder, else the file downloaded (or cached) from the Hub."""
    folder = Path(model_id)
    if folder.is_dir():
        path = folder / filename
        if not path.is_file():
            raise ConfigError(f"expected {filename} in {folder}, got no such file")
        return path
    if folder.exists() or model_id.count("/") > 1 or model_id.endswith((".pt", ".pth", ".json")):
        raise ConfigError(f"expected a folder written by save_pretrained or a Hub id, got {model_id!r}")
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id=model_id, filename=filename, **hub))
    except Exception as exc:
        raise ConfigError(
            f"expected a local folder or a reachable Hub repository for {model_id!r}, got "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else exc}"
        ) from exc


def read_hub_config(model_id: str | Path, **hub: Any) -> dict[str, Any]:
    """The parsed ``config.json`` of a folder or Hub id (a dict), with a clear error when it is not JSON."""
    path = _hub_file(str(model_id), CONFIG_NAME, **hub)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"expected JSON in {path}, got a parse error: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"expected a JSON object in {path}, got {type(data).__name__}")
    return data


def is_baseline_folder(config: dict[str, Any]) -> bool:
    """True for a ``config.json`` written by :class:`BaselineHubMixin` (or the earlier Mask2Anomaly format)."""
    return MODEL_KEY in config or config.get("format") in _LEGACY_FORMATS


class BaselineHubMixin(
    PyTorchModelHubMixin,
    library_name="comsamy",
    tags=["anomaly-segmentation", "comsamy"],
    repo_url="https://github.com/comsamy/comsamy",
):
    """Save / load / push a baseline as ``config.json`` + ``model.safetensors``.

    A class using it has ``__init__(self, config)`` with a frozen dataclass ``config`` (``to_dict()``), sets
    :attr:`config_class`, and calls :meth:`_set_hub_config` at the end of ``__init__``.
    """

    config_class: ClassVar[type]
    registry_names: ClassVar[tuple[str, ...]] = ()
    config: Any

    def registry_name(self) -> str:
        """The registry name written to ``config.json`` (``rpl_eel``, ``mask2anomaly``, ...)."""
        raise NotImplementedError

    def _set_hub_config(self) -> None:
        data = self.config.to_dict()
        if "pretrained" in data:
            data["pretrained"] = None  # the weights are in the folder: never re-read a path from another machine
        self._hub_mixin_config = {MODEL_KEY: self.registry_name(), **data}

    def save_pretrained(
        self,
        save_directory: str | Path,
        *,
        push_to_hub: bool = False,  # type: ignore[override]
        **kwargs: Any,
    ) -> Any:
        """Write ``config.json``, ``model.safetensors`` and a model card to ``save_directory``.

        Returns:
            The folder (a :class:`~pathlib.Path`), or the commit URL with ``push_to_hub=True``.
        """
        url = super().save_pretrained(save_directory, push_to_hub=push_to_hub, **kwargs)
        return url if push_to_hub else Path(save_directory)

    @classmethod
    def config_from_json(cls, data: dict[str, Any], overrides: dict[str, Any]) -> Any:
        """Build :attr:`config_class` from a ``config.json`` dict plus ``overrides``; unknown keys are an error."""
        values = dict(data.get("config", data)) if data.get("format") in _LEGACY_FORMATS else dict(data)
        values.pop(MODEL_KEY, None)
        values.update(overrides)
        from_dict = getattr(cls.config_class, "from_dict", None)
        if from_dict is not None:
            return from_dict(values)
        import dataclasses

        names = {f.name for f in dataclasses.fields(cls.config_class)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"expected {cls.config_class.__name__} keys among {sorted(names)}, got unknown {unknown}")
        return cls.config_class(**values)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        *,
        force_download: bool = False,
        token: str | bool | None = None,
        cache_dir: str | Path | None = None,
        local_files_only: bool = False,
        revision: str | None = None,
        **overrides: Any,
    ) -> Any:
        """Rebuild a model from a ``save_pretrained`` folder or a Hub id; ``overrides`` change config fields
        (e.g. ``flip=False``, ``blur=True``; ``map_location="cuda"``). Every weight must match."""
        return cls._from_pretrained(
            model_id=str(pretrained_model_name_or_path),
            revision=revision,
            cache_dir=cache_dir,
            force_download=force_download,
            local_files_only=local_files_only,
            token=token,
            **overrides,
        )

    @classmethod
    def _from_pretrained(  # type: ignore[override]
        cls,
        *,
        model_id: str,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
        force_download: bool = False,
        local_files_only: bool = False,
        token: str | bool | None = None,
        map_location: str = "cpu",
        strict: bool = True,
        config: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Any:
        hub = {
            "revision": revision,
            "cache_dir": cache_dir,
            "force_download": force_download,
            "local_files_only": local_files_only,
            "token": token,
        }
        data = config if isinstance(config, dict) else read_hub_config(model_id, **hub)
        if not is_baseline_folder(data):
            raise ConfigError(
                f"expected a {CONFIG_NAME} written by save_pretrained (with a {MODEL_KEY!r} key) in "
                f"{model_id}, got keys {sorted(data)[:8]}"
            )
        name = data.get(MODEL_KEY)
        if name is not None and name not in cls.registry_names:
            raise ConfigError(
                f"expected a {' / '.join(cls.registry_names)} model in {model_id} for {cls.__name__}, "
                f"got {MODEL_KEY} {name!r} (use baselines.hub.load_pretrained_baseline for any model)"
            )
        model: Any = cls(cls.config_from_json(data, overrides))
        weights = _hub_file(model_id, WEIGHTS_NAME, **hub)
        from safetensors.torch import load_file

        try:
            state = load_file(str(weights), device=str(map_location))
        except Exception as exc:
            raise ConfigError(f"expected safetensors weights in {weights}, got an unreadable file ({exc})") from exc
        result = model.load_state_dict(state, strict=False)
        if strict and (result.missing_keys or result.unexpected_keys):
            raise ConfigError(
                f"expected the weights in {weights} to match its {CONFIG_NAME}, got missing "
                f"{result.missing_keys[:5]} and unexpected {result.unexpected_keys[:5]}"
            )
        return model.eval()


def load_pretrained_baseline(model_id: str | Path, **overrides: Any) -> Any:
    """Open any baseline folder or Hub id written by ``save_pretrained``, whatever its class.

    Raises:
        ConfigError: not a baseline folder (e.g. a ``transformers`` model), unknown model name, bad weights.
    """
    data = read_hub_config(model_id)
    if not is_baseline_folder(data):
        raise ConfigError(
            f"expected a {CONFIG_NAME} with a {MODEL_KEY!r} key in {model_id}, got keys {sorted(data)[:8]}"
        )
    name = data.get(MODEL_KEY) or "mask2anomaly"
    if name in ("inlier_segmenter",):
        from baselines.rpl.model import InlierSegmenter as cls
    elif name in ("rpl_eel", "rpl_energy"):
        from baselines.rpl.model import RPLSegmenter as cls  # type: ignore[assignment]
    elif name in ("mask2anomaly", "mask2anomaly_diffeel"):
        from baselines.mask2anomaly.model import Mask2Anomaly as cls  # type: ignore[assignment]
    else:
        raise ConfigError(
            f"expected {MODEL_KEY} in (inlier_segmenter, rpl_eel, rpl_energy, mask2anomaly, "
            f"mask2anomaly_diffeel) in {model_id}, got {name!r}"
        )
    return cls._from_pretrained(model_id=str(model_id), config=data, **overrides)
