"""Object banks from COCO instance annotations (``comsamy-synth bank-from-coco``), the outlier source of RPL / PEBAL.

Which objects (RPL and PEBAL take their COCO outliers from Meta-OoD's ``prepare_coco_segmentation.py``):

* images holding any instance of a class that Cityscapes also has (:data:`COCO_EXCLUDED_CLASSES`) are skipped
  entirely, so no object of such a class, and no partly visible one, reaches the bank;
* images smaller than ``min_image_side`` (480 px in Meta-OoD) on either side are skipped.

Then, per instance (our additions, for clean cut-outs; switch them off with ``min_area=0``,
``keep_truncated=True``): crowd annotations (``iscrowd: 1``, regions rather than objects) are skipped, instances
with fewer than ``min_area`` mask pixels are dropped, and so are truncated ones, whose mask touches the image
border (part of the object lies outside the photo). Masks are exact: polygons are rasterised and RLE (both the
uncompressed ``counts`` list and COCO's compressed string) decoded here, with no pycocotools.

The bank is the usual folder (``images/<id>.png`` crop of the instance's box, ``masks/<id>.png``,
``provenance.jsonl`` with COCO image / annotation / category ids), which ``compose`` and training take.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.synthesis.bank import BankWriter
from comsamy.errors import DataNotAvailableError, DataValidationError, UsageError

__all__ = ["COCO_EXCLUDED_CLASSES", "CocoBankSummary", "annotation_mask", "build_coco_bank", "decode_rle", "encode_rle"]

log = logging.getLogger(__name__)

COCO_EXCLUDED_CLASSES: tuple[str, ...] = (
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "bus",
    "truck",
    "traffic light",
    "stop sign",
)
"""COCO classes that overlap Cityscapes' (Meta-OoD's ``exclude_classes``, used by PEBAL and RPL): images holding any
instance of them are left out of the outlier bank."""


def _decode_counts(text: str) -> list[int]:
    """COCO's compressed RLE string -> run lengths (6-bit chunks, 5 data bits, delta-coded after the second run)."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(text):
                raise ValueError("truncated compressed RLE string")
            c = ord(text[pos]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {text[pos]!r} outside COCO's RLE alphabet")
            value |= (c & 0x1F) << (5 * shift)
            more = bool(c & 0x20)
            pos += 1
            shift += 1
            if not more and c & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def _encode_counts(counts: Sequence[int]) -> str:
    """Run lengths -> COCO's compressed RLE string (the inverse of :func:`_decode_counts`)."""
    out = []
    for i, run in enumerate(counts):
        value = int(run) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = value & 0x1F
            value >>= 5
            more = not ((c & 0x10 == 0 and value == 0) or (c & 0x10 and value == -1))
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def decode_rle(rle: dict[str, Any]) -> np.ndarray:
    """A COCO RLE (``{"size": [h, w], "counts": str | list[int]}``) -> (h, w) bool mask (runs column-major, 0s first).

    >>> decode_rle({"size": [2, 3], "counts": [1, 2, 3]}).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0]]
    """
    h, w = (int(v) for v in rle["size"])
    counts = rle["counts"]
    runs = _decode_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if any(r < 0 for r in runs) or sum(runs) != h * w:
        raise ValueError(f"expected RLE runs summing to {h}x{w} = {h * w} pixels, got {sum(runs)}")
    flat = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
    return flat.reshape((w, h)).T.copy()


def encode_rle(mask: np.ndarray, *, compressed: bool = True) -> dict[str, Any]:
    """(h, w) bool mask -> COCO RLE (compressed string counts by default), e.g. to write test annotations."""
    flat = np.asarray(mask, bool).T.reshape(-1)
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0, *runs]
    h, w = mask.shape
    return {"size": [h, w], "counts": _encode_counts(runs) if compressed else runs}


def _polygons_mask(polygons: Sequence[Sequence[float]], h: int, w: int) -> np.ndarray:
    """Rasterise COCO polygons (``[x0, y0, x1, y1, ...]`` in pixel coordinates, even-odd rule per polygon, union
    over polygons): pixel (x, y) is inside when its centre (x + 0.5, y + 0.5) is, the rule pycocotools follows."""
    mask = np.zeros((h, w), bool)
    yc = np.arange(h, dtype=np.float64)[:, None] + 0.5  # (h, 1) row centres
    xc = np.arange(w, dtype=np.float64) + 0.5
    for poly in polygons:
        pts = np.asarray(poly, np.float64).reshape(-1, 2)
        if len(pts) < 3:
            continue
        x0, y0 = pts[:, 0], pts[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        crosses = (y0 <= yc) != (y1 <= yc)  # (h, edges): the edge spans the row centre
        with np.errstate(divide="ignore", invalid="ignore"):
            xs = np.where(crosses, x0 + (yc - y0) * (x1 - x0) / (y1 - y0), np.inf)
        xs.sort(axis=1)
        inside = np.zeros((h, w), bool)
        for k in range(0, xs.shape[1] - 1, 2):
            a, b = xs[:, k : k + 1], xs[:, k + 1 : k + 2]
            inside ^= (xc >= a) & (xc < b) & np.isfinite(b)
        mask |= inside
    return mask


def annotation_mask(ann: dict[str, Any], h: int, w: int) -> np.ndarray:
    """The (h, w) bool mask of one COCO annotation (polygon list, uncompressed or compressed RLE)."""
    seg = ann.get("segmentation")
    if isinstance(seg, list):
        return _polygons_mask(seg, h, w)
    if isinstance(seg, dict) and "counts" in seg:
        rle = dict(seg)
        rle.setdefault("size", [h, w])
        mask = decode_rle(rle)
        if mask.shape != (h, w):
            raise ValueError(f"expected an RLE of the image size {h}x{w}, got {mask.shape[0]}x{mask.shape[1]}")
        return mask
    raise ValueError(f"expected a polygon list or an RLE dict as segmentation, got {type(seg).__name__}")


@dataclass(frozen=True)
class CocoBankSummary:
    """What a bank-from-coco run did."""

    written: int
    skipped_existing: int
    images_used: int
    images_excluded_overlap: int
    images_too_small: int
    images_missing: int
    instances_crowd: int
    instances_small: int
    instances_truncated: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _read_annotations(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataNotAvailableError(f"--annotations: expected a COCO instances JSON file, got no file {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(
            f"--annotations {path}: expected COCO instances JSON, got invalid JSON ({exc})"
        ) from exc
    missing = [
        k
        for k in ("images", "annotations", "categories")
        if not isinstance(data.get(k) if isinstance(data, dict) else None, list)
    ]
    if missing:
        raise DataValidationError(f"--annotations {path}: expected COCO instances JSON with lists {missing}, got none")
    return data


def build_coco_bank(
    images_dir: str | Path,
    annotations: str | Path,
    out: str | Path,
    *,
    excluded_classes: Sequence[str] = COCO_EXCLUDED_CLASSES,
    min_image_side: int = 480,
    min_area: int = 1000,
    keep_truncated: bool = False,
    limit: int | None = None,
    progress: bool = True,
) -> CocoBankSummary:
    """Cut COCO instances into an object bank at ``out`` (resumable: objects already written are skipped).

    Args:
        images_dir: the folder of the annotated images (``train2017/``).
        annotations: the instances JSON (``instances_train2017.json``).
        out: the bank folder to write.
        excluded_classes: images with any instance of these category names are skipped.
        min_image_side: images smaller than this on either side are skipped (Meta-OoD: 480).
        min_area: instances with fewer mask pixels are dropped.
        keep_truncated: keep instances whose mask touches the image border.
        limit: stop after this many objects in the bank (None: all).
        progress: show a progress bar.

    Raises:
        DataNotAvailableError: the JSON or the image folder does not exist.
        DataValidationError: the JSON is not COCO instances, or an annotation cannot be decoded.
        UsageError: an excluded class name that the JSON does not have, or a bad option.
    """
    from PIL import Image
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    images_dir, ann_path = Path(images_dir), Path(annotations)
    if min_area < 0 or min_image_side < 0 or (limit is not None and limit < 1):
        raise UsageError(
            f"expected --min-area >= 0, --min-image-side >= 0 and --limit >= 1, got {min_area}, "
            f"{min_image_side} and {limit}"
        )
    data = _read_annotations(ann_path)
    if not images_dir.is_dir():
        raise DataNotAvailableError(f"--images: expected the folder of the COCO images, got no folder {images_dir}")
    cats = {int(c["id"]): str(c["name"]) for c in data["categories"]}
    unknown = sorted(set(excluded_classes) - set(cats.values()))
    if unknown:
        raise UsageError(
            f"--annotations {ann_path}: expected the excluded classes {unknown} among its categories, "
            "got none of that name"
        )
    excluded_ids = {k for k, v in cats.items() if v in set(excluded_classes)}
    by_image: dict[int, list[dict[str, Any]]] = {}
    for ann in data["annotations"]:
        by_image.setdefault(int(ann["image_id"]), []).append(ann)
    writer = BankWriter(out)
    done = writer.existing_ids()
    counts = dict.fromkeys(("written", "overlap", "small_img", "missing", "crowd", "small", "truncated", "used"), 0)
    skipped = 0
    images = sorted(data["images"], key=lambda im: int(im["id"]))
    bar = tqdm(images, desc="bank-from-coco", unit="img", disable=not progress)
    for info in bar:
        if limit is not None and counts["written"] + skipped >= limit:
            break
        anns = by_image.get(int(info["id"]), [])
        if any(int(a["category_id"]) in excluded_ids for a in anns):
            counts["overlap"] += 1
            continue
        h, w = int(info["height"]), int(info["width"])
        if h < min_image_side or w < min_image_side:
            counts["small_img"] += 1
            continue
        keep = []
        for ann in sorted(anns, key=lambda a: int(a["id"])):
            if ann.get("iscrowd"):
                counts["crowd"] += 1
                continue
            try:
                mask = annotation_mask(ann, h, w)
            except (ValueError, TypeError, KeyError) as exc:
                raise DataValidationError(
                    f"--annotations {ann_path}: annotation {ann.get('id')}: expected a "
                    f"decodable segmentation, got {exc}"
                ) from exc
            if int(mask.sum()) < max(min_area, 1):
                counts["small"] += 1
                continue
            if not keep_truncated and (mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any()):
                counts["truncated"] += 1
                continue
            keep.append((ann, mask))
        if not keep:
            continue
        image_path = images_dir / str(info["file_name"])
        if not image_path.is_file():
            counts["missing"] += 1
            log.warning("COCO image %s listed in %s is missing; its instances are skipped", image_path, ann_path)
            continue
        rgb = None
        counts["used"] += 1
        for ann, mask in keep:
            oid = f"coco_{int(info['id']):012d}_{int(ann['id'])}"
            if oid in done:
                skipped += 1
                continue
            if limit is not None and counts["written"] + skipped >= limit:
                break
            if rgb is None:
                with Image.open(image_path) as im:
                    rgb = np.asarray(im.convert("RGB"))
                if rgb.shape[:2] != (h, w):
                    raise DataValidationError(
                        f"{image_path}: expected the annotated size {w}x{h}, got {rgb.shape[1]}x{rgb.shape[0]}"
                    )
            ys, xs = np.nonzero(mask)
            box = (slice(int(ys.min()), int(ys.max()) + 1), slice(int(xs.min()), int(xs.max()) + 1))
            writer.write(
                oid,
                np.ascontiguousarray(rgb[box]),
                mask[box],
                {
                    "source": "coco",
                    "kind": cats.get(int(ann["category_id"]), "unknown"),
                    "coco_image_id": int(info["id"]),
                    "coco_annotation_id": int(ann["id"]),
                    "category_id": int(ann["category_id"]),
                    "file_name": str(info["file_name"]),
                    "pixels": int(mask.sum()),
                    "box_xywh": [
                        int(xs.min()),
                        int(ys.min()),
                        int(xs.max() - xs.min() + 1),
                        int(ys.max() - ys.min() + 1),
                    ],
                },
            )
            counts["written"] += 1
    bar.close()
    return CocoBankSummary(
        written=counts["written"],
        skipped_existing=skipped,
        images_used=counts["used"],
        images_excluded_overlap=counts["overlap"],
        images_too_small=counts["small_img"],
        images_missing=counts["missing"],
        instances_crowd=counts["crowd"],
        instances_small=counts["small"],
        instances_truncated=counts["truncated"],
        seconds=time.perf_counter() - t0,
    )
