"""Training configuration: a frozen dataclass read from YAML plus ``key=value`` overrides.

>>> cfg = TrainConfig.from_mapping({"model": "rpl_eel", "steps": 10}, ["model_config.width=0.0625", "data.crop_size=64"])
>>> cfg.model_config["width"], cfg.data.crop_size
(0.0625, 64)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baselines.data import DataConfig
from comsamy.errors import ConfigError

__all__ = ["TrainConfig", "apply_overrides", "load_yaml"]

OPTIMIZERS = ("adam", "adamw")


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs (see configs/*.yaml for commented examples)."""

    model: str = "rpl_eel"
    model_config: Mapping[str, Any] = field(default_factory=dict)
    data: DataConfig = field(default_factory=DataConfig)
    out_dir: str = "runs/default"
    steps: int = 1000
    batch_size: int = 8
    lr: float = 7.5e-5
    optimizer: str = "adam"
    weight_decay: float = 0.0
    poly_power: float = 0.9
    num_workers: int = 0
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    log_every: int = 10
    ckpt_every: int = 200
    resume: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"expected optimizer in {OPTIMIZERS}, got {self.optimizer!r}")
        for name in ("steps", "batch_size", "log_every", "ckpt_every"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"expected {name} >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"expected lr > 0, got {self.lr}")
        if self.num_workers < 0:
            raise ConfigError(f"expected num_workers >= 0, got {self.num_workers}")
        object.__setattr__(self, "model_config", dict(self.model_config))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["data"] = self.data.to_dict()
        d["model_config"] = dict(self.model_config)
        return d

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], overrides: Sequence[str] = ()) -> TrainConfig:
        """Build from a (YAML) mapping, then apply ``key=value`` overrides (dotted keys reach into sections)."""
        raw = _deep_copy(apply_overrides(_deep_copy(mapping), overrides))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"expected config keys among {sorted(known)}, got unknown {unknown}")
        data = raw.pop("data", None) or {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"expected 'data' to be a mapping, got {type(data).__name__}")
        data_known = {f.name for f in dataclasses.fields(DataConfig)}
        bad = sorted(set(data) - data_known)
        if bad:
            raise ConfigError(f"expected data keys among {sorted(data_known)}, got unknown {bad}")
        try:
            return cls(data=DataConfig(**data), **raw)
        except TypeError as exc:
            raise ConfigError(f"bad training config: {exc}") from exc

    @classmethod
    def from_file(cls, path: str | Path | None, overrides: Sequence[str] = ()) -> TrainConfig:
        """Read ``path`` (YAML; None = defaults) and apply ``overrides``."""
        return cls.from_mapping(load_yaml(path) if path else {}, overrides)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _coerce(value: Any) -> Any:
    """YAML 1.1 reads ``1e-4`` as a string; turn such exponent-only numbers into floats."""
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return value


def _deep_copy(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else _coerce(v) for k, v in mapping.items()}


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping from ``path``."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"expected a YAML config file at {str(p)!r}, got no such file")
    try:
        obj = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"expected valid YAML in {str(p)!r}, got {exc}") from exc
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise ConfigError(f"expected a mapping at the top of {str(p)!r}, got {type(obj).__name__}")
    return obj


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides to ``raw`` in place; values are parsed as YAML (``1e-4``, ``[1, 2]``, ``null``)."""
    import yaml

    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"expected an override of the form key=value, got {item!r}")
        parts = key.strip().split(".")
        node = raw
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError(f"expected {part!r} to be a section in override {item!r}, got a value")
            node = nxt
        try:
            node[parts[-1]] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"expected a YAML value in override {item!r}, got {exc}") from exc
    return raw
