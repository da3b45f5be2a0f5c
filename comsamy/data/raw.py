"""Validation of a raw release (spec/data.md, "Building the data").

A raw release is a folder::

    images/<id>.jpg|png       the photos (RGB)
    labels/<id>.png           8-bit mode L masks: 0 non-anomaly, 1 anomaly, 255 void
    metadata.csv              id,weather,landform,anomaly_types   (types separated by ';')
    inliers/                  optional inlier training set (docs/ARCHITECTURE.md):
      images/<id>.png, labels/<id>.png (Cityscapes train ids, 255 ignore), metadata.csv (id,weather,landform)

:func:`validate_raw_release` checks every file and raises one :class:`DataValidationError` listing
every problem with its file, or returns a :class:`RawRelease` that the exporter writes out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from comsamy.constants import IGNORE_INDEX, LANDFORMS, NUM_INLIER_CLASSES, VALID_LABEL_VALUES, WEATHERS
from comsamy.data.images import ImageInfo, LabelInfo, inspect_image, inspect_label
from comsamy.errors import DataValidationError

BENCHMARK_HEADER = ("id", "weather", "landform", "anomaly_types")
INLIER_HEADER = ("id", "weather", "landform")
INLIER_LABEL_VALUES = frozenset(range(NUM_INLIER_CLASSES)) | {IGNORE_INDEX}
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
"""Ids name prediction files, so they are restricted to portable file-name characters."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class RawItem:
    """One validated example of a raw release (paths absolute)."""

    id: str
    image: Path
    label: Path
    weather: str
    landform: str
    anomaly_types: tuple[str, ...]
    image_info: ImageInfo
    label_info: LabelInfo

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "image": str(self.image),
            "label": str(self.label),
            "weather": self.weather,
            "landform": self.landform,
            "anomaly_types": list(self.anomaly_types),
            "image_info": self.image_info.to_dict(),
            "label_info": self.label_info.to_dict(),
        }


@dataclass(frozen=True)
class RawRelease:
    """A validated raw release: the benchmark examples and the (possibly empty) inlier training set."""

    root: Path
    test: tuple[RawItem, ...]
    inliers: tuple[RawItem, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "root": str(self.root),
            "test": [item.to_dict() for item in self.test],
            "inliers": [item.to_dict() for item in self.inliers],
        }


@dataclass(frozen=True)
class _Row:
    line: int
    id: str
    weather: str
    landform: str
    anomaly_types: tuple[str, ...]


def _read_metadata(
    csv_path: Path, rel: str, header: tuple[str, ...], problems: list[str], listed: set[str]
) -> list[_Row] | None:
    """Parse a metadata CSV, appending a problem per bad line; returns the well-formed rows (None: unusable).

    Every id found (even on a bad line) is added to ``listed``, so that its files are not also reported
    as unlisted.
    """
    if not csv_path.is_file():
        problems.append(f"{rel}: expected a metadata file with columns {','.join(header)}, got no file")
        return None
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{rel}: expected a UTF-8 CSV file, got an unreadable file ({exc})")
        return None
    reader = csv.reader(text.splitlines())
    found = next(reader, None)
    if found is None or tuple(c.strip() for c in found) != header:
        problems.append(
            f"{rel}: expected the header {','.join(header)}, got {','.join(found or []) or 'an empty file'}"
        )
        return None
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        if not record or not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            problems.append(f"{rel} line {line}: expected {len(header)} fields, got {len(record)}")
            continue
        values = [c.strip() for c in record]
        ident, weather, landform = values[0], values[1], values[2]
        listed.add(ident)
        ok = True
        if not ID_PATTERN.match(ident):
            problems.append(f"{rel} line {line}: expected an id of letters, digits, '.', '_' or '-', got {ident!r}")
            ok = False
        elif ident in seen:
            problems.append(f"{rel} line {line}: duplicate id {ident!r} (first on line {seen[ident]})")
            ok = False
        else:
            seen[ident] = line
        if weather not in WEATHERS:
            problems.append(f"{rel} line {line}: expected weather in {', '.join(WEATHERS)}, got {weather!r}")
            ok = False
        if landform not in LANDFORMS:
            problems.append(f"{rel} line {line}: expected landform in {', '.join(LANDFORMS)}, got {landform!r}")
            ok = False
        types = tuple(t.strip() for t in values[3].split(";") if t.strip()) if len(values) > 3 else ()
        if ok:
            rows.append(_Row(line, ident, weather, landform, types))
    if not rows and not problems:
        problems.append(f"{rel}: expected at least one example, got none")
    return rows


def _index_files(folder: Path, rel: str, suffixes: tuple[str, ...], problems: list[str]) -> dict[str, Path]:
    """Map file stem -> path for the files of a folder, reporting stray and ambiguous files."""
    index: dict[str, Path] = {}
    if not folder.is_dir():
        problems.append(f"{rel}/: expected a folder, got nothing")
        return index
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_file() or path.suffix.lower() not in suffixes:
            problems.append(f"{rel}/{path.name}: expected only {'/'.join(suffixes)} files, got this one")
        elif path.stem in index:
            problems.append(f"{rel}/{path.name}: duplicate id {path.stem!r} (also {rel}/{index[path.stem].name})")
        else:
            index[path.stem] = path
    return index


def _validate_part(
    root: Path,
    prefix: str,
    header: tuple[str, ...],
    allowed: Collection[int],
    convert_palette: bool,
    problems: list[str],
    tick: Callable[[], object],
) -> list[RawItem]:
    base = root / prefix if prefix else root
    p = f"{prefix}/" if prefix else ""
    listed: set[str] = set()
    rows = _read_metadata(base / "metadata.csv", f"{p}metadata.csv", header, problems, listed)
    images = _index_files(base / "images", f"{p}images", IMAGE_SUFFIXES, problems)
    labels = _index_files(base / "labels", f"{p}labels", (".png",), problems)
    if rows is None:  # no usable metadata: the files cannot be matched to anything
        return []
    for stem, path in images.items():
        if stem not in listed:
            problems.append(f"{p}images/{path.name}: expected an id listed in {p}metadata.csv, got an unlisted file")
    for stem, path in labels.items():
        if stem not in listed:
            problems.append(f"{p}labels/{path.name}: expected an id listed in {p}metadata.csv, got an unlisted file")
    items: list[RawItem] = []
    for row in rows:
        tick()
        image, label = images.get(row.id), labels.get(row.id)
        if image is None:
            problems.append(f"{p}images/{row.id}.jpg|png: missing (id listed on {p}metadata.csv line {row.line})")
        if label is None:
            problems.append(f"{p}labels/{row.id}.png: missing (id listed on {p}metadata.csv line {row.line})")
        if image is None or label is None:
            continue
        image_rel, label_rel = f"{p}images/{image.name}", f"{p}labels/{label.name}"
        image_info, image_problems = inspect_image(image, image_rel)
        label_info, label_problems = inspect_label(label, label_rel, allowed=allowed, convert_palette=convert_palette)
        problems += image_problems + label_problems
        if image_info is None or label_info is None or image_problems:
            continue
        if label_info.size != image_info.size:
            (iw, ih), (lw, lh) = image_info.size, label_info.size
            problems.append(f"{label_rel}: expected the size of {image_rel}, {iw}x{ih}, got {lw}x{lh}")
            continue
        items.append(
            RawItem(row.id, image, label, row.weather, row.landform, row.anomaly_types, image_info, label_info)
        )
    return items


def validate_raw_release(root: str | Path, *, convert_palette: bool = False, progress: bool = False) -> RawRelease:
    """Check every file of a raw release and return it, or raise with every problem found.

    Args:
        root: the raw release folder.
        convert_palette: accept palette (mode P) label PNGs, to be converted by index at export.
        progress: show a progress bar (one step per example).

    Returns:
        The validated release, examples sorted by id.

    Raises:
        DataValidationError: naming every bad file (``problems``).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataValidationError(
            f"expected a raw release folder (images/, labels/, metadata.csv), got {str(root)!r} which is not a folder"
        )
    problems: list[str] = []
    has_inliers = (root / "inliers").exists()
    total = _count_rows(root / "metadata.csv") + (_count_rows(root / "inliers" / "metadata.csv") if has_inliers else 0)
    from tqdm.auto import tqdm

    with tqdm(total=total, desc="Validating", unit="example", disable=not progress) as bar:
        tick = bar.update
        test = _validate_part(root, "", BENCHMARK_HEADER, VALID_LABEL_VALUES, convert_palette, problems, tick)
        inliers: list[RawItem] = []
        if has_inliers:
            inliers = _validate_part(
                root, "inliers", INLIER_HEADER, INLIER_LABEL_VALUES, convert_palette, problems, tick
            )
    if problems:
        raise DataValidationError(
            f"expected a valid raw release in {root}, got {len(problems)} problem(s)", problems=problems
        )
    return RawRelease(root, tuple(sorted(test, key=lambda i: i.id)), tuple(sorted(inliers, key=lambda i: i.id)))


def _count_rows(csv_path: Path) -> int:
    try:
        return max(0, sum(1 for line in csv_path.read_text(encoding="utf-8-sig").splitlines() if line.strip()) - 1)
    except (OSError, UnicodeDecodeError):
        return 0


__all__ = ["BENCHMARK_HEADER", "INLIER_HEADER", "RawItem", "RawRelease", "validate_raw_release"]
