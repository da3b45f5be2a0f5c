"""Lincoln's RoadAnomaly (Lis et al., ICCV 2019), read as its authors distribute it.

Release layout (``RoadAnomaly/`` or ``RoadAnomaly_jpg/``)::

    frame_list.json                              list of the image file names (the order kept here)
    frames/<name>.jpg | <name>.webp              the images
    frames/<name>.labels/labels_semantic.png     8-bit labels: 0 background, 2 anomaly (1 road in some frames)
    frames/<name>.labels/labels_instance.png ... other label files (ignored)
    readme.md, credits.txt                       (ignored)

Values: the authors' loaders treat ``>= 2`` as anomaly and everything else as background; there is no void.
"""

from __future__ import annotations

import json
from pathlib import Path

from comsamy.data.benchmarks.base import Benchmark, Discovery, ImportOptions, Pair
from comsamy.data.benchmarks.labelmap import parse_label_map
from comsamy.errors import DataValidationError

__all__ = ["ROADANOMALY"]

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".webp", ".png")
LABEL_FILE = "labels_semantic.png"


def _frame_names(raw: Path, problems: list[str]) -> list[str]:
    listing = raw / "frame_list.json"
    frames = raw / "frames"
    if not frames.is_dir():
        raise DataValidationError(
            f"roadanomaly: expected a folder frames/ in {raw}, got none",
            [f"{raw}: expected the RoadAnomaly release root (frame_list.json, frames/)"],
        )
    if listing.is_file():
        try:
            names = json.loads(listing.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"frame_list.json: expected a JSON list of image file names, got {exc}")
            return []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append("frame_list.json: expected a JSON list of image file names, got another JSON value")
            return []
        return names
    return sorted(p.name for p in frames.iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)


def discover(raw: Path, options: ImportOptions) -> Discovery:
    """Every frame of ``frame_list.json`` (or of ``frames/`` when the list is absent) with its label."""
    del options
    problems: list[str] = []
    notes: list[str] = []
    names = _frame_names(raw, problems)
    pairs = []
    for name in names:
        if Path(name).name != name or name in ("", ".", ".."):
            problems.append(f"frame_list.json: expected plain file names inside frames/, got {name!r}")
            continue
        image = raw / "frames" / name
        stem = Path(name).stem
        label = raw / "frames" / f"{stem}.labels" / LABEL_FILE
        if not image.is_file():
            problems.append(f"frames/{name}: expected the image listed in frame_list.json, got no such file")
            continue
        if not label.is_file():
            problems.append(f"frames/{stem}.labels/{LABEL_FILE}: expected the label of frames/{name}, got no such file")
            continue
        pairs.append(Pair(stem, image, label))
    listed = set(names)
    unlisted = sorted(
        p.name
        for p in (raw / "frames").iterdir()
        if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES and p.name not in listed
    )
    if unlisted:
        notes.append(f"{len(unlisted)} image(s) in frames/ not in frame_list.json ignored: " + ", ".join(unlisted[:5]))
    return Discovery(tuple(pairs), tuple(notes), tuple(problems))


ROADANOMALY = Benchmark(
    name="roadanomaly",
    title="RoadAnomaly",
    summary="RoadAnomaly (Lis et al., *Detecting the Unexpected via Image Resynthesis*, ICCV 2019): 60 web images "
    "of unusual dangers on roads (animals, rocks, cones, obstacles) with per-pixel labels.",
    homepage="https://www.epfl.ch/labs/cvlab/data/road-anomaly/",
    label_map=parse_label_map("0=0,1=0,2-255=1"),
    columns=(),
    discover=discover,
)
