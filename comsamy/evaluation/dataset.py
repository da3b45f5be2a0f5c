"""The dataset side of an evaluation: ids, label PNG bytes, image sizes and metadata, read cheaply.

Labels are taken as their encoded PNG bytes (never decoded in the main process); each image's (H, W) comes from
the PNG header. Weather and landform ClassLabel indices become names.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comsamy.errors import DataNotAvailableError, DataValidationError, MissingDependencyError

__all__ = ["DatasetView", "ImageRecord", "load_view"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_LABEL = "label"
_ID = "id"
_SKIP_FEATURE_TYPES = ("Image", "Audio", "Video", "Array2D", "Array3D", "Sequence")


@dataclass(frozen=True)
class ImageRecord:
    """One dataset image as the evaluator needs it.

    Attributes:
        image_id: the dataset id.
        label_png: the label map's encoded bytes (PNG, mode L, values 0/1/255).
        shape: (H, W) of the label.
        metadata: condition columns (``weather``, ``landform`` as names, ``anomaly_types`` list, others).
    """

    image_id: str
    label_png: bytes = field(repr=False)
    shape: tuple[int, int]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DatasetView:
    """The images of one dataset split, in the dataset's order.

    Attributes:
        name: what the user named (``"comsamy"``, ``"sample"``, a folder) or the dataset's own name.
        revision: the dataset's version when it declares one, else ``sha256:`` + the first 16 hex digits of
            ``labels_sha256`` (a content revision, the same on every machine).
        config: the dataset config evaluated.
        split: the split evaluated.
        records: one :class:`ImageRecord` per image.
        labels_sha256: :func:`content_hash` of the records (ids, labels, metadata).
        benchmark: which benchmark the dataset holds (its card's ``benchmark`` key: ``comsamy``,
            ``roadanomaly21``, ...), None when unknown (an in-memory dataset, a Hub id).
    """

    name: str
    revision: str | None
    config: str | None
    split: str | None
    records: tuple[ImageRecord, ...] = field(repr=False)
    labels_sha256: str = ""
    benchmark: str | None = None

    @property
    def shapes(self) -> dict[str, tuple[int, int]]:
        """Image id -> (H, W), in order."""
        return {r.image_id: r.shape for r in self.records}

    def to_dict(self) -> dict[str, Any]:
        """``name``, ``benchmark``, ``revision``, ``config``, ``split``, ``num_images``, ``labels_sha256``."""
        return {
            "name": self.name,
            "benchmark": self.benchmark,
            "revision": self.revision,
            "config": self.config,
            "split": self.split,
            "num_images": len(self.records),
            "labels_sha256": self.labels_sha256,
        }


def png_size(data: bytes, where: str) -> tuple[int, int]:
    """(H, W) of a PNG from its IHDR chunk; other formats fall back to Pillow's lazy header read."""
    if data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(height), int(width)
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception as exc:
        raise DataValidationError(f"{where}: expected a PNG label map, got unreadable bytes ({exc})") from exc
    return int(height), int(width)


def _load(data: Any, config: str | None, split: str | None) -> tuple[Any, str]:
    import datasets

    if isinstance(data, datasets.DatasetDict):
        if split not in data:
            raise DataValidationError(f"dataset: expected a split {split!r}, got splits {sorted(data)}")
        data = data[split]
    if isinstance(data, datasets.Dataset):
        return data, data.info.dataset_name or data.info.builder_name or "dataset"
    if not isinstance(data, (str, Path)):
        raise DataValidationError(
            f"data: expected a dataset name, folder or datasets.Dataset, got {type(data).__name__}"
        )
    from comsamy import load_dataset

    name = str(data)
    try:
        ds = load_dataset(name, config=config, split=split)
    except ImportError as exc:  # a missing or too old package is never "data not available"
        dependency = MissingDependencyError.from_import_error(exc)
        if dependency is None:  # our own code failed to import: a bug, not a missing package
            raise
        raise dependency from exc
    except FileNotFoundError as exc:
        raise DataNotAvailableError(
            f"dataset {name!r}: expected a dataset name, folder or Hub id that can be loaded, got {exc}. Use "
            "--data sample for the bundled sample, or download the benchmark and point --data (or COMSAMY_DATA) at it."
        ) from exc
    if isinstance(ds, datasets.DatasetDict):
        return _load(ds, config, split)[0], name
    return ds, name


def _version(ds: Any) -> str | None:
    version = getattr(ds.info, "version", None)
    if version is not None and str(version) not in ("0.0.0", ""):
        return str(version)
    return None


def content_hash(records: tuple[ImageRecord, ...]) -> str:
    """SHA-256 of what the metrics depend on: ids, label bytes and metadata, in order (same on every machine)."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(r.image_id.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(r.label_png).digest())
        digest.update(json.dumps(r.metadata, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def _metadata_columns(features: Any) -> list[str]:
    out = []
    for column, feature in features.items():
        if column in (_ID, _LABEL, "image"):
            continue
        if type(feature).__name__ in _SKIP_FEATURE_TYPES and column != "anomaly_types":
            continue
        out.append(column)
    return out


def _rows(ds: Any, columns: list[str]) -> Iterator[dict[str, Any]]:
    from datasets import Image

    view = ds.select_columns([_ID, _LABEL, *columns]).cast_column(_LABEL, Image(decode=False))
    yield from view


def load_view(data: Any, *, config: str | None = "all", split: str | None = "test") -> DatasetView:
    """Resolve ``data`` to the images of one split, with label bytes, sizes and metadata.

    Args:
        data: a name or folder for :func:`comsamy.load_dataset`, or a loaded ``datasets.Dataset`` / ``DatasetDict``.
        config: dataset config (``"all"``: every image in split ``"test"``).
        split: split name.

    Raises:
        DataNotAvailableError: the dataset cannot be found or loaded (message says how to get it).
        DataValidationError: the dataset lacks ``id`` / ``label`` columns or repeats an id.
    """
    ds, name = _load(data, config, split)
    missing = [c for c in (_ID, _LABEL) if c not in ds.column_names]
    if missing:
        raise DataValidationError(f"dataset {name!r}: expected columns 'id' and 'label', got {ds.column_names}")
    features = ds.features
    columns = _metadata_columns(features)
    records: list[ImageRecord] = []
    seen: set[str] = set()
    for row in _rows(ds, columns):
        image_id = str(row[_ID])
        if image_id in seen:
            raise DataValidationError(f"dataset {name!r}: expected unique ids, got {image_id!r} twice")
        seen.add(image_id)
        label = row[_LABEL]
        raw = label.get("bytes") if isinstance(label, dict) else None
        if raw is None and isinstance(label, dict) and label.get("path"):
            raw = Path(label["path"]).read_bytes()
        if raw is None:
            raise DataValidationError(f"dataset {name!r}: image {image_id!r}: expected label bytes, got none")
        meta = {}
        for column in columns:
            value = row[column]
            feature = features[column]
            if type(feature).__name__ == "ClassLabel" and isinstance(value, int):
                value = feature.int2str(value)
            meta[column] = value
        records.append(ImageRecord(image_id, raw, png_size(raw, f"dataset {name!r}: label of {image_id!r}"), meta))
    rows = tuple(records)
    digest = content_hash(rows)
    return DatasetView(name, _version(ds) or f"sha256:{digest[:16]}", config, split, rows, digest, _benchmark(data))


def _benchmark(data: Any) -> str | None:
    """The dataset card's ``benchmark`` name, None when the dataset has no card to read."""
    from comsamy.data import benchmark_name

    return benchmark_name(data)
