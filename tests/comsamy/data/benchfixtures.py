"""Tiny releases of the field's benchmarks in their real layouts and encodings (file names, PNG modes, values).

Each builder returns ``(raw, expected)`` with ``expected[id] = (image path, expected 0/1/255 label array)``,
computed here independently of the importer's label maps.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

W, H = 32, 16
Expected = dict[str, tuple[Path, np.ndarray]]


def _rgb(seed: int, size: tuple[int, int] = (W, H)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def _save(img: Image.Image, path: Path, **kw: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return path


def _values(seed: int, values: list[int], size: tuple[int, int] = (W, H)) -> np.ndarray:
    """A label array holding every value of ``values`` (in blocks), uint8."""
    rng = np.random.default_rng(seed)
    arr = np.full((size[1], size[0]), values[0], np.uint8)
    for i, v in enumerate(values):
        arr[:, i * (size[0] // len(values)) : (i + 1) * (size[0] // len(values))] = v
    arr[rng.integers(0, size[1]), rng.integers(0, size[0])] = values[-1]
    return arr


def roadanomaly(root: Path, *, n: int = 3, ext: str = ".jpg") -> tuple[Path, Expected]:
    """``frame_list.json`` + ``frames/<name><ext>`` + ``frames/<name>.labels/labels_semantic.png`` (L, 0 / 2)."""
    names = ["animals01_Guiguinto_railway_station_Calves", "cones03_road_works", "boat_trailer01"][:n]
    names += [f"animals{i:02d}_extra_frame" for i in range(len(names), n)]
    frames = root / "frames"
    expected: Expected = {}
    for i, name in enumerate(names):
        image = _save(_rgb(i), frames / f"{name}{ext}", **({"quality": 90} if ext == ".jpg" else {}))
        src = _values(i, [0, 2] if i else [0, 1, 2])
        _save(Image.fromarray(src, "L"), frames / f"{name}.labels" / "labels_semantic.png")
        _save(Image.fromarray(src * 20, "L"), frames / f"{name}.labels" / "labels_instance.png")
        expected[name] = (image, np.where(src >= 2, 1, 0).astype(np.uint8))
    (root / "frame_list.json").write_text(json.dumps([f"{n}{ext}" for n in names]))
    (root / "readme.md").write_text("# Road Anomaly dataset\n")
    (root / "credits.txt").write_text("sources\n")
    return root, expected


def smiyc(root: Path, *, track: str = "anomaly", labelled: int = 3, held_out: int = 2) -> tuple[Path, Expected]:
    """``images/<fid>.jpg|webp`` + ``labels_masks/<fid>_labels_semantic.png`` (L, 0 / 1 / 255) + colour masks."""
    ext = ".jpg" if track == "anomaly" else ".webp"
    fids = (
        [f"validation{i:04d}" for i in range(labelled)]
        if track == "anomaly"
        else [f"validation_{i + 1}" for i in range(labelled - 1)] + ["driveway_3"]
    )
    expected: Expected = {}
    for i, fid in enumerate(fids):
        image = _save(_rgb(10 + i), root / "images" / f"{fid}{ext}", quality=90)
        src = _values(i, [0, 1, 255])
        _save(Image.fromarray(src, "L"), root / "labels_masks" / f"{fid}_labels_semantic.png")
        _save(_rgb(99), root / "labels_masks" / f"{fid}_labels_semantic_color.png")
        expected[fid] = (image, src)
    for i in range(held_out):
        name = f"test{i:04d}" if track == "anomaly" else f"gravel_stone_{i}"
        _save(_rgb(50 + i), root / "images" / f"{name}{ext}")
    (root / ("LICENSE.txt" if track == "anomaly" else "image-sources.txt")).write_text("licence\n")
    return root, expected


LAF_FIDS = {
    "train": ["01_Hanns_Klemm_Str_45_000000_000080", "01_Hanns_Klemm_Str_45_000001_000060"],
    "test": ["04_Maurener_Weg_8_000002_000120"],
}


def lostandfound(root: Path, *, extra: int = 0) -> tuple[Path, Expected]:
    """``leftImg8bit/{train,test}/<scene>/<fid>_leftImg8bit.png`` + ``gtCoarse/.../<fid>_gtCoarse_labelIds.png``.

    ``extra`` adds that many test frames of scene ``04_Maurener_Weg_8``."""
    expected: Expected = {}
    more = [f"04_Maurener_Weg_8_000009_{i:06d}" for i in range(extra)]
    for split, fids in {"train": LAF_FIDS["train"], "test": LAF_FIDS["test"] + more}.items():
        for i, fid in enumerate(fids):
            scene = fid.rsplit("_", 2)[0]
            image = _save(_rgb(20 + i), root / "leftImg8bit" / split / scene / f"{fid}_leftImg8bit.png")
            gt = root / "gtCoarse" / split / scene
            src = _values(i, [0, 1, 2, 37, 201])
            _save(Image.fromarray(src, "L"), gt / f"{fid}_gtCoarse_labelIds.png")
            _save(Image.fromarray(src, "L"), gt / f"{fid}_gtCoarse_instanceIds.png")
            _save(_rgb(7), gt / f"{fid}_gtCoarse_color.png")
            (gt / f"{fid}_gtCoarse_polygons.json").write_text("{}")
            want = np.full(src.shape, 255, np.uint8)
            want[src == 1] = 0
            want[(src >= 2) & (src <= 200)] = 1
            expected[fid] = (image, want)
    return root, expected


def fishyscapes_laf(root: Path, laf_root: Path) -> tuple[Path, Expected]:
    """The ``fishyscapes_lostandfound.zip`` content: ``<NNNN>_<laf id>_labels.png`` (L, 0 / 1 / 255)."""
    lostandfound(laf_root)
    expected: Expected = {}
    for i, fid in enumerate(LAF_FIDS["train"] + LAF_FIDS["test"]):
        split = "train" if fid in LAF_FIDS["train"] else "test"
        src = _values(30 + i, [0, 1, 255])
        _save(Image.fromarray(src, "L"), root / f"{i:04d}_{fid}_labels.png")
        image = laf_root / "leftImg8bit" / split / fid.rsplit("_", 2)[0] / f"{fid}_leftImg8bit.png"
        expected[f"{i:04d}_{fid}"] = (image, src)
    return root, expected


CS_IDS = ["frankfurt_000000_000294", "lindau_000010_000019"]


def fishyscapes_static(root: Path, cityscapes_root: Path) -> tuple[Path, Expected, dict[str, np.ndarray]]:
    """The ``fs_val_v3.zip`` content: ``<NNNN>_<cs id>_labels.png`` + ``<NNNN>_<cs id>_rgb.npz`` overlays.

    Returns ``(raw, expected, blended)`` where ``blended[id]`` is the image the importer must build.
    """
    expected: Expected = {}
    blended: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(5)
    for i, cs_id in enumerate(CS_IDS):
        base = _save(
            _rgb(40 + i), cityscapes_root / "leftImg8bit" / "val" / cs_id.split("_")[0] / f"{cs_id}_leftImg8bit.png"
        )
        overlay = rng.integers(-300, 300, np.asarray(Image.open(base)).shape).astype(np.int16)
        root.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(root / f"{i:04d}_{cs_id}_rgb.npz", rgb=overlay)
        src = _values(60 + i, [0, 1, 255])
        _save(Image.fromarray(src, "L"), root / f"{i:04d}_{cs_id}_labels.png")
        ident = f"{i:04d}_{cs_id}"
        expected[ident] = (base, src)
        blended[ident] = np.clip(np.asarray(Image.open(base), np.int16) + overlay, 0, 255).astype(np.uint8)
    return root, expected, blended


def generic(root: Path, *, n: int = 2) -> tuple[Path, Expected]:
    """``images/<stem>.png`` + ``labels/<stem>.png`` palette (mode P) labels with values 0 / 2 / 3."""
    expected: Expected = {}
    for i, stem in enumerate(["a01", "b02", *(f"c{k:02d}" for k in range(2, n))][:n]):
        image = _save(_rgb(70 + i), root / "images" / f"{stem}.png")
        src = _values(i, [0, 2, 3])
        lab = Image.fromarray(src, "P")
        lab.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [9] * (256 * 3 - 12))
        _save(lab, root / "labels" / f"{stem}.png")
        expected[stem] = (image, np.select([src == 2, src == 0], [1, 0], 255).astype(np.uint8))
    return root, expected


def png_l(arr: np.ndarray) -> bytes:
    """An 8-bit mode L PNG of ``arr``."""
    buf = io.BytesIO()
    Image.fromarray(arr, "L").save(buf, format="PNG")
    return buf.getvalue()
