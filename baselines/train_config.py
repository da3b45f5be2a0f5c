"""Training configuration: a frozen dataclass read from YAML plus ``key=value`` overrides, type-checked by pydantic.

>>> cfg = TrainConfig.from_mapping({"model": "rpl_eel", "steps": 10}, ["model_config.width=0.0625", "data.crop_size=64"])
>>> cfg.model_config["width"], cfg.data.crop_size
(0.0625, 64)
>>> TrainConfig.from_mapping({}, ["steps=abc"])
Traceback (most recent call last):
...
comsamy.errors.ConfigError: training config: steps (override steps=abc): expected an integer, got 'abc'

Every value is checked against the field's type (pydantic v2 validating the dataclasses) before the
dataclasses' own range checks run, and every problem becomes one :class:`~comsamy.errors.ConfigError` line
naming the key, where it came from (the YAML file or the override) and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from baselines.data import DataConfig
from comsamy.errors import ConfigError

__all__ = ["TrainConfig", "apply_overrides", "load_yaml", "parse_dataclass"]

T = TypeVar("T")

OPTIMIZERS = ("adam", "adamw")


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs (see the packaged configs, ``baselines/configs/*.yaml``, for examples).

    Build it with :meth:`from_file` / :meth:`from_mapping` (typed parsing, one-line errors); the constructor
    itself only runs the range checks.
    """

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
        if self.weight_decay < 0:
            raise ConfigError(f"expected weight_decay >= 0, got {self.weight_decay}")
        if self.num_workers < 0:
            raise ConfigError(f"expected num_workers >= 0, got {self.num_workers}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"expected threads >= 1 or null, got {self.threads}")
        object.__setattr__(self, "model_config", dict(self.model_config))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["data"] = self.data.to_dict()
        d["model_config"] = dict(self.model_config)
        return d

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any], overrides: Sequence[str] = (), *, source: str | None = None
    ) -> TrainConfig:
        """Build from a (YAML) mapping, then apply ``key=value`` overrides (dotted keys reach into sections).

        Args:
            mapping: the parsed YAML.
            overrides: ``key=value`` strings, values parsed as YAML.
            source: where ``mapping`` came from (named in error messages).

        Raises:
            ConfigError: one line per bad key (unknown key, wrong type, out of range), naming the key.
        """
        raw = _deep_copy(apply_overrides(_deep_copy(mapping), overrides))
        origin = _origins(overrides, source)
        _check_keys(raw, origin)
        return _validate(TrainConfig, raw, origin)

    @classmethod
    def from_file(cls, path: str | Path | None, overrides: Sequence[str] = ()) -> TrainConfig:
        """Read ``path`` (a YAML file or a packaged config name such as ``tiny_cpu``; None = defaults), apply
        ``overrides``."""
        if not path:
            return cls.from_mapping({}, overrides, source="defaults")
        from baselines.configs import resolve_config

        resolved = resolve_config(path)
        return cls.from_mapping(load_yaml(resolved), overrides, source=str(resolved.name))


_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "int_type": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping (key: value lines)",
    "mapping_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
    "too_short": "more items",
    "too_long": "fewer items",
    "dataclass_type": "a mapping (key: value lines)",
    "dataclass_exact_type": "a mapping (key: value lines)",
}


def _origins(overrides: Sequence[str], source: str | None) -> dict[str, str]:
    out: dict[str, str] = {"": source or "the config"}
    for item in overrides:
        key = item.partition("=")[0].strip()
        out[key] = f"override {item}"
    return out


def _where(key: str, origin: Mapping[str, str]) -> str:
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        hit = origin.get(".".join(parts[:n]))
        if hit:
            return hit
    return origin[""]


def _check_keys(raw: Mapping[str, Any], origin: Mapping[str, str]) -> None:
    data = raw.get("data")
    if isinstance(data, dict) and "inliers" in data:  # data.inliers: an alias of data.dataset
        if "dataset" in data and data["dataset"] != data["inliers"]:
            raise ConfigError(
                f"training config: data.inliers and data.dataset are the same key, got both "
                f"({data['inliers']!r} and {data['dataset']!r})"
            )
        data["dataset"] = data.pop("inliers")
    sections: list[tuple[str, Mapping[str, Any], type]] = [("", raw, TrainConfig)]
    if isinstance(data, Mapping):
        sections.append(("data.", data, DataConfig))
    problems = []
    for prefix, section, cls in sections:
        known = sorted(f.name for f in dataclasses.fields(cls))
        for key in sorted(set(section) - set(known)):
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {prefix}{near[0]}?)" if near else ""
            problems.append(
                f"{prefix}{key} ({_where(prefix + str(key), origin)}): expected one of the "
                f"{'data ' if prefix else ''}config keys {known}, got unknown key {key!r}{hint}"
            )
        for f in dataclasses.fields(cls):  # YAML's yes / true are not numbers (pydantic would take them as 1)
            value = section.get(f.name)
            if isinstance(value, bool) and str(f.type).split(" |")[0] in ("int", "float"):
                want = "an integer" if str(f.type).startswith("int") else "a number"
                problems.append(
                    f"{prefix}{f.name} ({_where(prefix + f.name, origin)}): expected {want}, got {str(value).lower()}"
                )
    if problems:
        raise ConfigError("training config: " + "; ".join(problems))


def parse_dataclass(cls: type[T], mapping: Mapping[str, Any], *, prefix: str = "", source: str = "the config") -> T:
    """Build the dataclass ``cls`` from ``mapping`` with every value type-checked (pydantic v2).

    Used for the training config and for the models' own config dataclasses (``model_config``), so that
    ``model_config.width=abc`` gets the same one-line error as ``steps=abc``. Unknown keys are the caller's check.

    Raises:
        ConfigError: one ``key (source): expected X, got Y`` part per bad value, keys prefixed with ``prefix``.
    """
    return _validate(cls, dict(mapping), {"": source}, prefix)


def _validate(cls: type[T], raw: dict[str, Any], origin: Mapping[str, str], prefix: str = "") -> T:
    import pydantic

    try:
        return _adapter(cls).validate_python(raw)
    except pydantic.ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
            key = prefix + loc if loc else "(top level)"
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, ConfigError):  # a range check of the dataclasses: its message names the key
                section = DataConfig if (cls is TrainConfig and loc == "data") else cls
                named = _named_key(str(cause), section, prefix + (f"{loc}." if loc else ""))
                lines.append(f"{named} ({_where(named, origin)}): {cause}" if named else f"{cause} ({origin['']})")
                continue
            want = _TYPE_WORDS.get(err["type"])
            got = repr(err.get("input"))
            got = got if len(got) <= 80 else got[:77] + "..."
            index = [p for p in err["loc"] if isinstance(p, int)]
            if err["type"] == "missing" and index:
                msg = f"expected a list with an item at position {index[-1]}, got fewer items"
            elif want:
                msg = f"expected {want}, got {got}"
            else:
                msg = f"{err['msg'][0].lower()}{err['msg'][1:]}, got {got}"
            lines.append(f"{key} ({_where(key, origin)}): {msg}")
        raise ConfigError(f"{'training config' if cls is TrainConfig else cls.__name__}: " + "; ".join(lines)) from None


def _named_key(message: str, section: type, prefix: str) -> str:
    """The dotted key a range-check message is about (``expected data.crop_size >= 0`` -> ``data.crop_size``)."""
    for f in dataclasses.fields(section):
        if re.search(rf"\b{f.name}\b", message):
            return prefix + f.name
    return ""


_ADAPTERS: dict[type, Any] = {}


def _adapter(cls: type) -> Any:
    if cls not in _ADAPTERS:
        import pydantic

        _ADAPTERS[cls] = pydantic.TypeAdapter(cls)  # unknown keys are caught first, by the callers
    return _ADAPTERS[cls]


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
