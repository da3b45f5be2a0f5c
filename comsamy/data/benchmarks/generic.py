"""Any benchmark not named: an image folder plus a label folder, matched by file stem, with a value map.

``comsamy-data import generic RAW OUT --map 2=1,0=0,*=255 [--images images] [--labels labels]
[--label-suffix _labels]``: the label of ``images/<stem>.<ext>`` is ``labels/<stem><suffix>.png``.
"""

from __future__ import annotations

from pathlib import Path

from comsamy.data.benchmarks.base import Benchmark, Discovery, ImportOptions, Pair
from comsamy.data.benchmarks.labelmap import LabelMap
from comsamy.errors import DataValidationError, UsageError

__all__ = ["GENERIC"]

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def discover(raw: Path, options: ImportOptions) -> Discovery:
    """Pair ``images/<stem>.*`` with ``labels/<stem><suffix>.png``; unmatched files on either side are problems."""
    if options.label_map is None:
        raise UsageError("generic: expected --map (for example --map 2=1,0=0,*=255), got none")
    images_dir, labels_dir = raw / options.images, raw / options.labels
    missing = [d for d in (images_dir, labels_dir) if not d.is_dir()]
    if missing:
        raise DataValidationError(
            f"generic: expected folders {options.images}/ and {options.labels}/ in {raw}, got "
            f"none at {', '.join(str(d) for d in missing)}"
        )
    notes: list[str] = []
    images: dict[str, Path] = {}
    other: list[str] = []
    for p in sorted(images_dir.iterdir()):
        if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES:
            images[p.stem] = p
        elif not p.name.startswith("."):
            other.append(f"{options.images}/{p.name}")
    suffix = options.label_suffix + ".png"
    labels: dict[str, Path] = {}
    for p in sorted(labels_dir.iterdir()):
        if p.is_file() and p.name.endswith(suffix):
            labels[p.name[: -len(suffix)]] = p
        elif not p.name.startswith("."):
            other.append(f"{options.labels}/{p.name}")
    problems = [
        f"{options.labels}/{stem}{suffix}: expected the label of {options.images}/{images[stem].name}, got no such file"
        for stem in sorted(set(images) - set(labels))
    ]
    problems += [
        f"{options.labels}/{labels[stem].name}: expected its image {options.images}/{stem}.<jpg|png|webp>, got none"
        for stem in sorted(set(labels) - set(images))
    ]
    if other:
        notes.append(f"{len(other)} other file(s) ignored: " + ", ".join(other[:5]))
    pairs = tuple(Pair(stem, images[stem], labels[stem]) for stem in sorted(set(images) & set(labels)))
    return Discovery(pairs, tuple(notes), tuple(problems))


GENERIC = Benchmark(
    name="generic",
    title="Imported benchmark",
    summary="A benchmark imported from an image folder and a label folder with an explicit value map.",
    homepage="a local image and label folder",
    label_map=LabelMap(),
    columns=(),
    discover=discover,
)
