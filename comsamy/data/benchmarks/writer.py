"""Write imported pairs to the published layout: one parquet shard per subset and a card with configs.

Every pair is checked in one pass (image readable and RGB, label a single-channel PNG of the image's size,
every label value covered by the map) while the shards are written into a temporary folder; when any pair is
bad, the folder is removed and every problem is reported together, so nothing is ever half-written. Label
bytes are the source bytes when the map leaves them unchanged (an 8-bit ``L`` PNG already in 0 / 1 / 255),
otherwise a new mode ``L`` PNG of the exactly remapped values. Nothing is resized.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comsamy.constants import LABEL_ANOMALY, LABEL_VOID
from comsamy.data.benchmarks.base import Benchmark, Discovery, Pair
from comsamy.data.benchmarks.labelmap import LabelMap
from comsamy.data.staging import ROW_GROUP_SIZE, check_out, open_shard_writer, staged_folder
from comsamy.errors import DataValidationError

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

__all__ = ["ALL_CONFIG", "ImportSummary", "benchmark_row_features", "subset_shard", "write_benchmark"]

ALL_CONFIG = "all"
"""The config holding every image (split ``test``); it is the default config of an imported benchmark."""
ALL_SPLIT = "test"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SUBSET = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`write_benchmark` wrote."""

    out: Path
    benchmark: str
    num_images: int
    subsets: tuple[str, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "benchmark": self.benchmark,
            "num_images": self.num_images,
            "subsets": list(self.subsets),
            "notes": list(self.notes),
        }


def subset_shard(subset: str) -> str:
    """The shard of one subset, relative to the folder root.

    >>> subset_shard("test")
    'data/test-00000-of-00001.parquet'
    """
    return f"data/{subset}-00000-of-00001.parquet"


def benchmark_row_features(columns: Sequence[str]) -> datasets.Features:
    """``id``, ``image``, ``label`` and one string column per metadata column."""
    from datasets import Features, Image, Value

    return Features(
        {"id": Value("string"), "image": Image(), "label": Image(), **{c: Value("string") for c in columns}}
    )


@dataclass(frozen=True)
class _Row:
    image: bytes
    image_name: str
    label: bytes
    counts: Counter[int]


def _image_bytes(pair: Pair, rel: str, problems: list[str]) -> tuple[bytes, str, tuple[int, int]] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        data = pair.image.read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            fmt, mode, size = im.format or "?", im.mode, im.size
            if fmt == "JPEG":  # 1/8-scale decode still reads and checks the whole stream
                im.draft(mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            im.load()
            if pair.overlay is not None:
                return _overlaid(im, pair, rel, problems)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        problems.append(f"{rel}: expected a readable JPEG, PNG or WebP image, got an unreadable file ({exc})")
        return None
    if fmt not in _IMAGE_FORMATS:
        problems.append(f"{rel}: expected a JPEG, PNG or WebP image, got format {fmt}")
        return None
    if mode != "RGB":
        problems.append(f"{rel}: expected an RGB image, got mode {mode}")
        return None
    return data, _IMAGE_FORMATS[fmt], size


def _overlaid(im: Any, pair: Pair, rel: str, problems: list[str]) -> tuple[bytes, str, tuple[int, int]] | None:
    """Fishyscapes Static: base image + the signed ``rgb`` overlay, clipped to [0, 255], as a PNG."""
    import numpy as np
    from PIL import Image

    assert pair.overlay is not None
    base = np.asarray(im.convert("RGB"), np.int16)
    try:
        with np.load(pair.overlay, allow_pickle=False) as npz:
            if "rgb" not in npz.files:
                problems.append(f"{pair.overlay.name}: expected an array 'rgb', got keys {npz.files}")
                return None
            overlay = npz["rgb"]
    except (OSError, ValueError) as exc:
        problems.append(f"{pair.overlay.name}: expected a readable .npz overlay, got {exc}")
        return None
    if overlay.shape != base.shape:
        problems.append(
            f"{pair.overlay.name}: expected an overlay of shape {base.shape} (the base image {rel}), "
            f"got {overlay.shape}; nothing is resized"
        )
        return None
    blended = np.clip(base + overlay.astype(np.int16), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(blended, "RGB").save(buf, format="PNG", compress_level=1)
    return buf.getvalue(), ".png", (base.shape[1], base.shape[0])


def _label_bytes(
    pair: Pair, rel: str, size: tuple[int, int], label_map: LabelMap, problems: list[str]
) -> tuple[bytes, Counter[int]] | None:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        data = pair.label.read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            fmt, mode, lsize = im.format, im.mode, im.size
            if fmt != "PNG":
                problems.append(f"{rel}: expected a PNG label map (lossless), got format {fmt}")
                return None
            if mode not in ("L", "P", "I;16", "I;16B", "I"):
                problems.append(f"{rel}: expected a single-channel label PNG (mode L, P or 16-bit), got mode {mode}")
                return None
            if lsize != size:
                problems.append(
                    f"{rel}: expected the image's size {size[0]}x{size[1]}, got {lsize[0]}x{lsize[1]}; "
                    "labels are never resized"
                )
                return None
            values = np.asarray(im)  # mode P: the palette indices, never luminance
            hist = np.asarray(im.histogram()) if mode in ("L", "P") else None  # C, faster than bincount
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        problems.append(f"{rel}: expected a readable PNG label map, got an unreadable file ({exc})")
        return None
    mapped, present, unmapped, counts = label_map.apply(values, hist=hist)
    if unmapped:
        shown = ", ".join(str(v) for v in unmapped[:8]) + (
            f" and {len(unmapped) - 8} more" if len(unmapped) > 8 else ""
        )
        problems.append(f"{rel}: expected label values covered by the map {label_map.describe()}, got {shown}")
        return None
    if mode == "L" and label_map.is_identity_on(present):
        return data, counts
    buf = io.BytesIO()
    Image.fromarray(mapped, "L").save(buf, format="PNG", compress_level=1)
    return buf.getvalue(), counts


def _row(pair: Pair, root: Path, label_map: LabelMap, problems: list[str]) -> _Row | None:
    def rel(p: Path) -> str:
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return str(p)

    if not _ID.match(pair.id):
        problems.append(f"{rel(pair.image)}: expected an id of letters, digits, '.', '_' and '-', got {pair.id!r}")
        return None
    image = _image_bytes(pair, rel(pair.image), problems)
    if image is None:
        return None
    data, ext, size = image
    label = _label_bytes(pair, rel(pair.label), size, label_map, problems)
    if label is None:
        return None
    return _Row(data, pair.id + ext, label[0], label[1])


def _subsets(pairs: Sequence[Pair], problems: list[str]) -> list[str]:
    subsets = list(dict.fromkeys(p.subset for p in pairs))
    for s in subsets:
        if not _SUBSET.match(s) or s == ALL_CONFIG:
            problems.append(f"subset {s!r}: expected lower-case letters, digits, '_' and '-' (not 'all')")
    return subsets


def write_benchmark(
    bench: Benchmark,
    found: Discovery,
    raw: Path,
    out: str | Path,
    *,
    label_map: LabelMap,
    force: bool = False,
    progress: bool = False,
) -> ImportSummary:
    """Check and write every pair of ``found`` to ``out`` (see the module docstring).

    Raises:
        DataValidationError: any problem (found by the importer or while reading); nothing is written.
        UsageError: ``out`` is a file, or a non-empty folder without ``force``.
    """
    import pyarrow as pa
    from tqdm.auto import tqdm

    out = Path(out).absolute()
    check_out(out, force)
    problems = list(found.problems)
    ids = Counter(p.id for p in found.pairs)
    problems += [f"id {i!r}: expected unique ids, got it {n} times" for i, n in ids.items() if n > 1]
    subsets = _subsets(found.pairs, problems)
    if not found.pairs and not problems:
        problems.append(f"{raw}: expected at least one labelled image of {bench.title}, got none")
    if problems:
        raise DataValidationError(f"{bench.name}: {len(problems)} problem(s) in {raw}; nothing was written", problems)
    features = benchmark_row_features(bench.columns)
    schema = features.arrow_schema
    sizes: dict[str, int] = {}
    pixels: Counter[int] = Counter()
    with staged_folder(out, force=force) as tmp:
        with tqdm(total=len(found.pairs), desc=f"Importing {bench.name}", unit="image", disable=not progress) as bar:
            for subset in subsets:
                pairs = [p for p in found.pairs if p.subset == subset]
                sizes[subset] = len(pairs)
                with open_shard_writer(tmp / subset_shard(subset), schema) as writer:
                    for start in range(0, len(pairs), ROW_GROUP_SIZE):
                        chunk = pairs[start : start + ROW_GROUP_SIZE]
                        rows = [(p, _row(p, raw, label_map, problems)) for p in chunk]
                        bar.update(len(chunk))
                        good = [(p, r) for p, r in rows if r is not None]
                        if problems or not good:
                            continue  # keep checking every file; nothing of this folder will be kept
                        for _, r in good:
                            pixels.update(r.counts)
                        columns: dict[str, list[object]] = {
                            "id": [p.id for p, _ in good],
                            "image": [{"bytes": r.image, "path": r.image_name} for _, r in good],
                            "label": [{"bytes": r.label, "path": p.id + ".png"} for p, r in good],
                            **{c: [p.metadata.get(c) for p, _ in good] for c in bench.columns},
                        }
                        writer.write_table(pa.Table.from_pydict(columns, schema=schema), row_group_size=ROW_GROUP_SIZE)
        if problems:
            raise DataValidationError(
                f"{bench.name}: {len(problems)} problem(s) in {raw}; nothing was written", problems
            )
        from comsamy.data.benchmarks.card import render_benchmark_card

        text = render_benchmark_card(bench, features, sizes, pixels, label_map, found.notes)
        (tmp / "README.md").write_text(text, encoding="utf-8")
    for note in found.notes:
        logger.info("%s: %s", bench.name, note)
    logger.info("imported %d images of %s to %s", len(found.pairs), bench.name, out)
    return ImportSummary(out, bench.name, len(found.pairs), tuple(subsets), found.notes)


def anomaly_share(pixels: Counter[int]) -> tuple[float, float]:
    """``(anomaly %, void %)`` of all label pixels."""
    total = sum(pixels.values()) or 1
    return 100 * pixels[LABEL_ANOMALY] / total, 100 * pixels[LABEL_VOID] / total
