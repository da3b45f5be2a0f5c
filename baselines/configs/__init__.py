"""The training configs shipped with the package, resolvable by name: ``comsamy-train tiny_cpu`` works anywhere.

>>> "tiny_cpu" in available_configs()
True
>>> resolve_config("tiny_cpu").name
'tiny_cpu.yaml'
"""

from __future__ import annotations

from pathlib import Path

from comsamy.errors import ConfigError

__all__ = ["CONFIG_DIR", "available_configs", "resolve_config"]

CONFIG_DIR = Path(__file__).resolve().parent
"""The folder holding the packaged ``*.yaml`` training configs."""


def available_configs() -> list[str]:
    """The names of the packaged configs (file names without ``.yaml``)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def resolve_config(name_or_path: str | Path) -> Path:
    """A YAML file path for ``name_or_path``.

    An existing file wins; otherwise a bare name (``tiny_cpu``, ``tiny_cpu.yaml``) or a path into a ``configs/``
    folder (``configs/tiny_cpu.yaml``, the layout of a source checkout before the configs moved into the package)
    is looked up among the packaged configs.

    Raises:
        ConfigError: no such file and no packaged config of that name.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    stem = path.name[: -len(path.suffix)] if path.suffix in (".yaml", ".yml") else path.name
    if path.parent in (Path("."), Path("configs")) and (CONFIG_DIR / f"{stem}.yaml").is_file():
        return CONFIG_DIR / f"{stem}.yaml"
    raise ConfigError(
        f"expected a YAML config file or a packaged config name among {available_configs()}, "
        f"got {str(name_or_path)!r} (no such file)"
    )
