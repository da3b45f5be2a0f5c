"""``comsamy.load_dataset``: resolve a name to a local folder or a Hub repo and load it with ``datasets``.

Resolution order (spec/data.md):

1. an explicit local dataset folder (a path, or a name that is an existing folder holding a dataset);
2. ``"sample"``: the synthetic sample bundled in the package (:func:`sample_path`), no network needed;
3. ``"comsamy"`` with the environment variable ``COMSAMY_DATA`` naming a local copy;
4. a Hub dataset repo: ``"comsamy"`` means ``COMSAMY_HUB_REPO`` or :data:`comsamy.constants.DEFAULT_HUB_REPO`;
   any ``"org/name"`` is used as given.

Local folders are loaded with a cache directory keyed by the folder's resolved path and by the names, sizes
and modification times of its files, so that a regenerated folder (or another folder with the same name)
never returns the rows ``datasets`` cached for an earlier one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from comsamy.constants import DEFAULT_HUB_REPO, ENV_DATA, ENV_HUB_REPO
from comsamy.errors import DataNotAvailableError, UsageError

logger = logging.getLogger(__name__)

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
LOCAL_CACHE_SUBDIR = "comsamy-local"


def sample_path() -> Path:
    """The bundled synthetic sample folder (``comsamy/sample_data/comsamy-sample``)."""
    return Path(__file__).resolve().parent.parent / "sample_data" / "comsamy-sample"


def example_predictions_path() -> Path:
    """The example prediction archive for the bundled sample (``comsamy/sample_data/example-preds.zip``)."""
    return Path(__file__).resolve().parent.parent / "sample_data" / "example-preds.zip"


def how_to_get_data(repo_id: str) -> str:
    """The sentence every 'data not available' error ends with."""
    return (
        f"To get a local copy, run `comsamy-data fetch --to DIR` (downloads the Hub dataset {repo_id}) on a machine "
        f"with internet access, then set {ENV_DATA}=DIR or pass the folder path instead of the name; "
        f'`comsamy.load_dataset("sample")` loads the bundled synthetic sample without any download.'
    )


def one_line(exc: BaseException) -> str:
    """``"Type: message"`` on one line without a trailing period (for one-paragraph error messages)."""
    return f"{type(exc).__name__}: " + " ".join(str(exc).split()).rstrip(".")


def is_dataset_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder in the published layout (a ``README.md`` card and parquet files)."""
    path = Path(path)
    return path.is_dir() and (path / "README.md").is_file() and any(path.glob("data/*.parquet"))


def hub_repo_id(name: str = "comsamy") -> str:
    """The Hub repo a name resolves to (``"comsamy"`` -> ``$COMSAMY_HUB_REPO`` or the default)."""
    if name == "comsamy":
        return os.environ.get(ENV_HUB_REPO) or DEFAULT_HUB_REPO
    return name


def resolve(name: str | os.PathLike[str] = "comsamy") -> tuple[str, str]:
    """Resolve a dataset name to ``("local", folder)`` or ``("hub", repo_id)``.

    Raises:
        DataNotAvailableError: the name points at a missing or malformed local copy.
        UsageError: the name is neither a folder, ``"comsamy"``, ``"sample"`` nor a Hub id.
    """
    if isinstance(name, os.PathLike):
        return "local", _checked_folder(Path(name), "the path given")
    if not isinstance(name, str) or not name:
        raise UsageError(f"expected a dataset name, folder path or Hub id, got {name!r}")
    if name == "sample":
        return "local", _checked_folder(sample_path(), "the bundled sample (reinstall comsamy)")
    if is_dataset_folder(name):
        return "local", str(Path(name).resolve())
    looks_like_path = name.startswith((".", "/", "~")) or (os.sep in name and Path(name).expanduser().exists())
    if looks_like_path:
        return "local", _checked_folder(Path(name).expanduser(), "the path given")
    if name == "comsamy":
        env = os.environ.get(ENV_DATA)
        if env:
            return "local", _checked_folder(Path(env).expanduser(), f"the environment variable {ENV_DATA}")
        return "hub", hub_repo_id(name)
    if HUB_ID.match(name):
        return "hub", name
    raise UsageError(f"expected 'comsamy', 'sample', a dataset folder or a Hub dataset id 'org/name', got {name!r}")


def _checked_folder(path: Path, origin: str) -> str:
    if not is_dataset_folder(path):
        what = "does not exist" if not path.exists() else "is not a dataset folder (README.md + data/*.parquet)"
        raise DataNotAvailableError(
            f"expected a ComsAmy dataset folder from {origin}, got {str(path)!r}, which {what}. "
            + how_to_get_data(hub_repo_id())
        )
    return str(path.resolve())


def folder_fingerprint(folder: str | Path) -> str:
    """A short hash of a folder's file names, sizes and modification times (changes when any file does)."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _local_cache_dir(folder: str, cache_dir: str | None) -> str:
    """A cache dir unique to this folder's current content; older ones for the same folder are removed."""
    import datasets

    root = Path(cache_dir or datasets.config.HF_DATASETS_CACHE) / LOCAL_CACHE_SUBDIR
    key = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:16]
    current = root / f"{key}-{folder_fingerprint(folder)}"
    if root.is_dir():
        for old in root.glob(f"{key}-*"):
            if old != current:
                logger.info("removing the cache of an earlier version of %s: %s", folder, old)
                shutil.rmtree(old, ignore_errors=True)
    return str(current)


def folder_configs(folder: str | Path) -> list[str]:
    """Config names declared in a dataset folder's card, in order."""
    import yaml

    text = (Path(folder) / "README.md").read_text(encoding="utf-8")
    if not text.startswith("---"):
        return []
    front = text.split("---", 2)[1]
    data = yaml.safe_load(front) or {}
    return [c["config_name"] for c in data.get("configs", []) if isinstance(c, dict) and "config_name" in c]


def load_dataset(
    name: str | os.PathLike[str] = "comsamy", config: str | None = None, split: str | None = None, **kwargs: Any
) -> Any:
    """Load the ComsAmy benchmark, a local copy, or the bundled sample as ``datasets`` objects.

    Args:
        name: ``"comsamy"`` (``$COMSAMY_DATA`` or the Hub), ``"sample"``, a dataset folder path, or a Hub id.
        config: ``default`` (splits ``clear``/``adverse``), ``all`` (split ``test``), a weather name (split
            ``test``) or ``inliers`` (split ``train``); None means ``default``.
        split: a split of that config, or None for a ``DatasetDict``.
        **kwargs: passed to ``datasets.load_dataset`` unchanged (e.g. ``streaming=True``, ``revision``).

    Returns:
        What ``datasets.load_dataset`` returns: ``Dataset``, ``DatasetDict``, ``IterableDataset`` or
        ``IterableDatasetDict``.

    Raises:
        DataNotAvailableError: no local copy and the Hub cannot be reached (the message says how to get one).
        UsageError: an unknown config or name.
    """
    kind, where = resolve(name)
    if kind == "local":
        return _load_local(where, config, split, kwargs)
    return _load_hub(where, config, split, kwargs)


def _load_local(folder: str, config: str | None, split: str | None, kwargs: dict[str, Any]) -> Any:
    import datasets

    configs = folder_configs(folder)
    if config is not None and configs and config not in configs:
        raise UsageError(f"expected a config in {configs} for the dataset folder {folder}, got {config!r}")
    if not kwargs.get("streaming", False):
        kwargs = dict(kwargs)
        kwargs["cache_dir"] = _local_cache_dir(folder, kwargs.get("cache_dir"))
    return datasets.load_dataset(folder, config, split=split, **kwargs)


def http_errors() -> tuple[type[BaseException], ...]:
    """The HTTP error base classes of the client ``huggingface_hub`` uses: the ``httpx`` module it re-exports
    (``huggingface_hub.utils.httpx``, >= 1.0; whichever distribution provides it) and/or ``requests`` (older)."""
    errors: list[type[BaseException]] = []
    try:
        from huggingface_hub.utils import httpx

        errors.append(httpx.HTTPError)
    except ImportError:
        pass
    try:
        import requests

        errors.append(requests.RequestException)
    except ImportError:
        pass
    return tuple(errors)


def _load_hub(repo_id: str, config: str | None, split: str | None, kwargs: dict[str, Any]) -> Any:
    import datasets
    from datasets.exceptions import DatasetNotFoundError
    from huggingface_hub.errors import OfflineModeIsEnabled

    try:
        return datasets.load_dataset(repo_id, config, split=split, **kwargs)
    except (ConnectionError, OfflineModeIsEnabled, DatasetNotFoundError, *http_errors()) as exc:
        raise DataNotAvailableError(
            f"expected to reach the Hub dataset {repo_id!r} or find a local copy, got "
            f"{one_line(exc)}. " + how_to_get_data(repo_id)
        ) from exc


__all__ = [
    "example_predictions_path",
    "folder_configs",
    "folder_fingerprint",
    "hub_repo_id",
    "is_dataset_folder",
    "load_dataset",
    "resolve",
    "sample_path",
]
