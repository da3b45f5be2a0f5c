"""Fishyscapes (Blum et al., IJCV 2021): FS Lost & Found and FS Static validation sets, as the authors distribute
them (the label zips; the images come from Lost & Found or Cityscapes, which the zips do not contain).

``fishyscapes_lostandfound.zip`` (RAW), with ``--base`` a Lost & Found root (``leftImg8bit/{train,test}/...``)::

    <NNNN>_<laf frame id>_labels.png              8-bit labels: 0 in-distribution, 1 anomaly, 255 void

``fs_val_v3.zip`` (RAW), with ``--base`` a Cityscapes root (``leftImg8bit/val/<city>/<id>_leftImg8bit.png``)::

    <NNNN>_<cityscapes id>_labels.png             0 / 1 / 255 as above
    <NNNN>_<cityscapes id>_rgb.npz                signed overlay ``rgb`` (H, W, 3), added to the Cityscapes image

The Static image is ``clip(cityscapes + rgb, 0, 255)`` (what the authors' loader builds), stored as PNG. A folder
that already holds blended ``<NNNN>_<id>_rgb.png`` / ``.jpg`` images next to the labels needs no ``--base``.
Ids are the label file names without ``_labels.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

from comsamy.data.benchmarks.base import Benchmark, Discovery, ImportOptions, Pair
from comsamy.data.benchmarks.labelmap import parse_label_map
from comsamy.data.benchmarks.lostandfound import laf_images
from comsamy.errors import DataValidationError

__all__ = ["FISHYSCAPES_LAF", "FISHYSCAPES_STATIC"]

LABELS = re.compile(r"^(\d+)_(.+)_labels\.png$")
CITYSCAPES_SUFFIX = "_leftImg8bit.png"
_BLENDED = ("_rgb.png", "_rgb.jpg")


def _labels(raw: Path, name: str) -> tuple[list[tuple[str, str, Path]], list[str]]:
    if not raw.is_dir():
        raise DataValidationError(f"{name}: expected the extracted Fishyscapes folder, got {raw}")
    found, other = [], []
    for p in sorted(raw.iterdir()):
        m = LABELS.match(p.name)
        if p.is_file() and m:
            found.append((f"{m.group(1)}_{m.group(2)}", m.group(2), p))
        elif not p.name.startswith(".") and not p.name.endswith(("_rgb.npz", *_BLENDED)):
            other.append(p.name)
    return found, other


def _laf(raw: Path, options: ImportOptions) -> Discovery:
    base = options.base or raw
    labels, other = _labels(raw, "fishyscapes_laf")
    other = [o for o in other if o not in ("leftImg8bit", "gtCoarse")]
    images = laf_images(base, what="fishyscapes_laf (--base)")
    problems, pairs = [], []
    for ident, laf_id, label in labels:
        img = images.get(laf_id)
        if img is None:
            problems.append(
                f"{label.name}: expected the Lost & Found image {laf_id}_leftImg8bit.png under "
                f"{base}/leftImg8bit, got none (pass --base LOST_AND_FOUND_ROOT)"
            )
            continue
        pairs.append(Pair(ident, img.path, label, metadata={"scene": img.scene, "laf_split": img.split}))
    notes = (f"{len(other)} other file(s) ignored: " + ", ".join(other[:5]),) if other else ()
    return Discovery(tuple(pairs), notes, tuple(problems))


def _cityscapes(base: Path) -> dict[str, Path]:
    return {
        p.name[: -len(CITYSCAPES_SUFFIX)]: p for p in sorted((base / "leftImg8bit").glob(f"*/*/*{CITYSCAPES_SUFFIX}"))
    }


def _static(raw: Path, options: ImportOptions) -> Discovery:
    labels, other = _labels(raw, "fishyscapes_static")
    other = [o for o in other if o != "leftImg8bit"]
    cityscapes: dict[str, Path] | None = None
    problems, pairs = [], []
    for ident, cs_id, label in labels:
        city = {"city": cs_id.split("_")[0]}
        blended = next((raw / f"{ident}{s}" for s in _BLENDED if (raw / f"{ident}{s}").is_file()), None)
        if blended is not None:
            pairs.append(Pair(ident, blended, label, metadata=city))
            continue
        overlay = raw / f"{ident}_rgb.npz"
        if not overlay.is_file():
            problems.append(
                f"{label.name}: expected its image {ident}_rgb.npz (or a blended {ident}_rgb.png), got none"
            )
            continue
        if cityscapes is None:
            cityscapes = _cityscapes(options.base or raw)
        image = cityscapes.get(cs_id)
        if image is None:
            problems.append(
                f"{overlay.name}: expected the Cityscapes image {cs_id}{CITYSCAPES_SUFFIX} under "
                f"{options.base or raw}/leftImg8bit, got none (pass --base CITYSCAPES_ROOT)"
            )
            continue
        pairs.append(Pair(ident, image, label, metadata=city, overlay=overlay))
    notes = (f"{len(other)} other file(s) ignored: " + ", ".join(other[:5]),) if other else ()
    return Discovery(tuple(pairs), notes, tuple(problems))


_MAP = parse_label_map("0=0,1=1,255=255")

FISHYSCAPES_LAF = Benchmark(
    name="fishyscapes_laf",
    title="Fishyscapes Lost and Found",
    summary="Fishyscapes Lost & Found (Blum et al., 2021): Lost & Found frames relabelled for anomaly "
    "segmentation (objects outside the Cityscapes classes are anomalies, the rest of the scene is in-distribution); "
    "the public validation set.",
    homepage="https://fishyscapes.com/dataset",
    label_map=_MAP,
    columns=("scene", "laf_split"),
    discover=_laf,
)

FISHYSCAPES_STATIC = Benchmark(
    name="fishyscapes_static",
    title="Fishyscapes Static",
    summary="Fishyscapes Static (Blum et al., 2021): Cityscapes validation images with Pascal VOC objects blended "
    "in as anomalies; the public validation set (v3 overlays).",
    homepage="https://fishyscapes.com/dataset",
    label_map=_MAP,
    columns=("city",),
    discover=_static,
)
