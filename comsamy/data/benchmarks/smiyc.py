"""SegmentMeIfYouCan (Chan et al., NeurIPS 2021 datasets track): RoadAnomaly21 and RoadObstacle21.

Release layout (``dataset_AnomalyTrack/`` and ``dataset_ObstacleTrack/``)::

    images/<fid>.jpg (AnomalyTrack) | images/<fid>.webp (ObstacleTrack)
    labels_masks/<fid>_labels_semantic.png         0 non-anomaly (road), 1 anomaly (obstacle), 255 void
    labels_masks/<fid>_labels_semantic_color.png   a colour rendering (ignored)
    LICENSE.txt, image-sources.txt                 (ignored)

Only the validation frames have labels; the held-out test images (no label file) are skipped with a note.
ObstacleTrack frame ids start with their scene (``<scene>_<n>``); the ``driveway`` scene is at night.
"""

from __future__ import annotations

from pathlib import Path

from comsamy.data.benchmarks.base import Benchmark, Discovery, ImportOptions, Pair
from comsamy.data.benchmarks.labelmap import parse_label_map
from comsamy.errors import DataValidationError

__all__ = ["ROADANOMALY21", "ROADOBSTACLE21"]

LABEL_SUFFIX = "_labels_semantic.png"
COLOR_SUFFIX = "_labels_semantic_color.png"
NIGHT_SCENES = frozenset({"driveway"})


def _discover(raw: Path, name: str, suffix: str, metadata: bool) -> Discovery:
    images_dir, labels_dir = raw / "images", raw / "labels_masks"
    if not images_dir.is_dir() or not labels_dir.is_dir():
        raise DataValidationError(
            f"{name}: expected folders images/ and labels_masks/ in {raw}, got "
            f"{sorted(p.name for p in raw.iterdir()) if raw.is_dir() else 'no folder'}"
        )
    images = {p.name[: -len(suffix)]: p for p in images_dir.iterdir() if p.is_file() and p.name.endswith(suffix)}
    problems: list[str] = []
    notes: list[str] = []
    labels: dict[str, Path] = {}
    other: list[str] = []
    for p in sorted(labels_dir.iterdir()):
        if p.name.endswith(COLOR_SUFFIX) or p.name.startswith("."):
            continue
        if p.name.endswith(LABEL_SUFFIX):
            labels[p.name[: -len(LABEL_SUFFIX)]] = p
        else:
            other.append(f"labels_masks/{p.name}")
    other += [
        f"images/{p.name}"
        for p in sorted(images_dir.iterdir())
        if not p.name.endswith(suffix) and not p.name.startswith(".")
    ]
    for fid in sorted(set(labels) - set(images)):
        problems.append(f"labels_masks/{fid}{LABEL_SUFFIX}: expected its image images/{fid}{suffix}, got no such file")
    unlabelled = sorted(set(images) - set(labels))
    if unlabelled:
        notes.append(f"{len(unlabelled)} image(s) without labels (the held-out test set) skipped")
    if other:
        notes.append(f"{len(other)} other file(s) ignored: " + ", ".join(other[:5]))
    pairs = []
    for fid in sorted(set(images) & set(labels)):
        meta = {}
        if metadata:
            scene = fid.split("_")[0]
            meta = {"sequence": scene, "time_of_day": "night" if scene in NIGHT_SCENES else "day"}
        pairs.append(Pair(fid, images[fid], labels[fid], metadata=meta))
    return Discovery(tuple(pairs), tuple(notes), tuple(problems))


def _anomaly(raw: Path, options: ImportOptions) -> Discovery:
    del options
    return _discover(raw, "roadanomaly21", ".jpg", metadata=False)


def _obstacle(raw: Path, options: ImportOptions) -> Discovery:
    del options
    return _discover(raw, "roadobstacle21", ".webp", metadata=True)


_MAP = parse_label_map("0=0,1=1,255=255")

ROADANOMALY21 = Benchmark(
    name="roadanomaly21",
    title="SegmentMeIfYouCan RoadAnomaly21",
    summary="RoadAnomaly21, the anomaly track of SegmentMeIfYouCan (Chan et al., 2021): anomalies of any size "
    "anywhere in the image. Only the validation frames have public labels; those are imported.",
    homepage="https://segmentmeifyoucan.com/datasets",
    label_map=_MAP,
    columns=(),
    discover=_anomaly,
)

ROADOBSTACLE21 = Benchmark(
    name="roadobstacle21",
    title="SegmentMeIfYouCan RoadObstacle21",
    summary="RoadObstacle21, the obstacle track of SegmentMeIfYouCan (Chan et al., 2021): small obstacles on the "
    "road; everything off the road is void. Only the validation frames have public labels; those are imported.",
    homepage="https://segmentmeifyoucan.com/datasets",
    label_map=_MAP,
    columns=("sequence", "time_of_day"),
    discover=_obstacle,
)
