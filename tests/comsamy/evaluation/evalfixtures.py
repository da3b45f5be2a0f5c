"""Builders for evaluation tests: tiny benchmark datasets (in memory or as a published folder) and archives.

Imported by the evaluation, submission and CLI tests (the CLI tests load it by file path).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


@dataclass
class Item:
    """One image of a test dataset."""

    id: str
    label: np.ndarray
    weather: str = "clear"
    landform: str = "highway"
    anomaly_types: list[str] = field(default_factory=list)


def png_bytes(arr: np.ndarray) -> bytes:
    """Encode a 2-D uint8 (mode L) or uint16 array as PNG."""
    buf = io.BytesIO()
    if arr.dtype == np.uint16:
        Image.fromarray(arr.astype(np.uint16)).save(buf, format="PNG")
    else:
        Image.fromarray(np.asarray(arr, np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _rows(items: Sequence[Item]) -> dict[str, list[Any]]:
    rgb = png_bytes(np.zeros((1, 1), np.uint8))
    return {
        "id": [it.id for it in items],
        "image": [{"bytes": rgb, "path": None} for _ in items],
        "label": [{"bytes": png_bytes(it.label), "path": None} for it in items],
        "weather": [it.weather for it in items],
        "landform": [it.landform for it in items],
        "anomaly_types": [list(it.anomaly_types) for it in items],
    }


def build_dataset(items: Sequence[Item]) -> Any:
    """An in-memory ``datasets.Dataset`` with the benchmark features."""
    import datasets

    from comsamy.data.features import benchmark_features

    features = benchmark_features()
    rows = _rows(items)
    rows["weather"] = [features["weather"].str2int(w) for w in rows["weather"]]
    rows["landform"] = [features["landform"].str2int(w) for w in rows["landform"]]
    return datasets.Dataset.from_dict(rows, features=features)


def build_dataset_folder(root: Path, items: Sequence[Item]) -> Path:
    """A dataset folder in the published layout (README card + parquet), loadable by ``comsamy.load_dataset``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    build_dataset(items).to_parquet(str(root / "data" / "test-00000-of-00001.parquet"))
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: all\n  data_files:\n  - split: test\n    path: data/test-*.parquet\n---\n"
        "# test dataset\n",
        encoding="utf-8",
    )
    return root


def write_zip(path: Path, members: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip with the given raw members."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def score_members(scores: Mapping[str, np.ndarray], fmt: str = "npy") -> dict[str, bytes]:
    """Encode score maps as archive members of one format."""
    out = {}
    for image_id, arr in scores.items():
        if fmt == "npy":
            out[f"{image_id}.npy"] = npy_bytes(arr)
        elif fmt == "npz":
            buf = io.BytesIO()
            np.savez_compressed(buf, score=arr)
            out[f"{image_id}.npz"] = buf.getvalue()
        elif fmt == "png":
            out[f"{image_id}.png"] = png_bytes(arr)
        elif fmt == "h5":
            import h5py

            buf = io.BytesIO()
            with h5py.File(buf, "w") as f:
                f.create_dataset("value", data=arr)
            out[f"{image_id}.h5"] = buf.getvalue()
        else:
            raise ValueError(fmt)
    return out


def write_archive(
    path: Path, scores: Mapping[str, np.ndarray], *, fmt: str = "npy", manifest: Mapping[str, Any] | None = None
) -> Path:
    """A zip (``path`` ending in .zip) or a folder of score maps."""
    members = score_members(scores, fmt)
    if manifest is not None:
        members["manifest.json"] = json.dumps(manifest).encode()
    if path.suffix == ".zip":
        return write_zip(path, members)
    path.mkdir(parents=True, exist_ok=True)
    for name, data in members.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


# --- the spec's numeric anchors as one dataset (one image per anchor, tagged with the anchor's name) ----------
def _row(y: Sequence[int], s: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([y], np.uint8), np.array([s], np.float64)


def anchor_cases() -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """id -> (labels (1, N) or (H, W), scores float64, weather), covering T1-T13 of spec/metrics.md."""
    t5_s = [k / 40 for k in range(40, 0, -1)]
    t5_y = [1] * 18 + [0, 1] + [0] * 5 + [1] + [0] * 14
    t6_s = [k / 20 for k in range(20, 0, -1)]
    t6_y = [1] * 9 + [0] * 3 + [1] + [0] * 7
    t7_s = [k / 20 for k in range(20, 0, -1) for _ in range(2)]
    t7_y = [1, 0] * 20
    cases = {
        "T1": (*_row([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]), "clear"),
        "T2": (*_row([0, 0, 0, 0, 0, 1, 1, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]), "clear"),
        "T3": (*_row([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]), "clear"),
        "T4": (*_row([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]), "clear"),
        "T5": (*_row(t5_y, t5_s), "clear"),
        "T6": (*_row(t6_y, t6_s), "clear"),
        "T7": (*_row(t7_y, t7_s), "clear"),
        "T9": (
            np.array([[0, 0, 1, 255], [0, 1, 1, 255], [255, 0, 0, 1]], np.uint8),
            np.array([[0.1, 0.4, 0.8, 0.99], [0.3, 0.7, 0.35, 0], [0.95, 0.2, 0.6, 0.9]]),
            "clear",
        ),
        "fog_0": (*_row([0, 0, 1, 1, 0, 255], [0.2, 0.6, 0.7, 0.5, 0.1, 0.9]), "fog"),
        "fog_1": (*_row([0, 1, 0, 0, 0, 0], [0.3, 0.8, 0.85, 0.1, 0.2, 0.4]), "fog"),
        "night_0": (*_row([1, 1, 0, 0, 255, 0], [0.55, 0.45, 0.5, 0.3, 0.99, 0.6]), "night"),
        "T11": (*_row([1, 0, 1, 0, 0, 1], [0.50001, 0.50002, 0.7, 0.69995, 0.1, 0.2]), "clear"),
        "T12": (*_row([1] * 20 + [0, 1], list(range(22, 0, -1))), "clear"),
        "T13": (*_row([1] * 47 + [1, 0, 1, 1], [*list(range(100, 53, -1)), 10, 10, 5, 4]), "clear"),
    }
    return cases


def anchor_items() -> list[Item]:
    """Dataset items of :func:`anchor_cases`; T10's images carry the tag ``T10``, every other its own id."""
    items = []
    for image_id, (labels, _, weather) in anchor_cases().items():
        tag = "T10" if image_id.startswith(("fog_", "night_")) else image_id
        items.append(Item(image_id, labels, weather=weather, landform="urban_road", anomaly_types=[tag]))
    return items


def anchor_scores() -> dict[str, np.ndarray]:
    return {image_id: s for image_id, (_, s, _) in anchor_cases().items()}


# Expected values (spec/metrics.md): AP, AUROC, FPR95 first, closest, interp, trapezoid AUPRC.
ANCHORS: dict[str, tuple[float, ...]] = {
    "T1": (1.0, 1.0, 0.0, 0.0, 0.0, 0.5),
    "T2": (29 / 36, 0.888889, 1 / 6, 1 / 6, 1 / 6, 0.430556),
    "T3": (0.5, 0.5, 1.0, 1.0, 0.95, 0.0),
    "T4": (0.416667, 0.0, 1.0, 1.0, 1.0, 0.291667),
    "T5": (0.985962, 0.9825, 0.05, 0.30, 0.30, 0.935665),
    "T6": (0.976923, 0.97, 0.30, 0.30, 0.30, 0.875962),
    "T7": (0.5, 0.5, 0.95, 0.95, 0.95, 0.475),
    "T9": (0.916667, 0.9, 0.4, 0.4, 0.4, 0.658333),
    "T12": (0.997835, 0.952381, 0.0, 1.0, 0.0, 0.950165),
    "T13": (0.998800, 0.95, 1.0, 1.0, 0.5, 0.978996),
}
STRICT = {"T12": 0.0, "T13": 1.0}
"""FPR95 ``strict`` (scikit-learn's thinned curve, TPR > 0.95) of the closest-rule anchors."""


# --- bad archives (spec/submission.md): each builder returns the members and what the report must say ----------
SMALL_SHAPE = (4, 5)
SMALL_IDS = ("a", "b", "c")


def small_items() -> list[Item]:
    """Three 4x5 images with anomalies, void and two weathers."""
    rng = np.random.default_rng(0)
    items = []
    for k, image_id in enumerate(SMALL_IDS):
        label = (rng.random(SMALL_SHAPE) < 0.3).astype(np.uint8)
        label[0, 0], label[0, 1], label[3, 4] = 1, 0, 255
        items.append(
            Item(image_id, label, weather=("clear", "fog", "rain")[k], landform="forest", anomaly_types=["animal"])
        )
    return items


def small_scores(dtype: Any = np.float16, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {i: rng.random(SMALL_SHAPE).astype(dtype) for i in SMALL_IDS}


def _patch_flags(data: bytes, name: bytes, *, set_bits: int = 0, clear_bits: int = 0) -> bytes:
    """Set / clear general-purpose flag bits of a member in both its local and central headers."""
    buf = bytearray(data)
    for sig, flag_off, name_off in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (pos := buf.find(sig, start)) >= 0:
            start = pos + 4
            if bytes(buf[pos + name_off : pos + name_off + len(name)]) != name:
                continue
            flags = int.from_bytes(buf[pos + flag_off : pos + flag_off + 2], "little")
            flags = (flags | set_bits) & ~clear_bits
            buf[pos + flag_off : pos + flag_off + 2] = flags.to_bytes(2, "little")
    return bytes(buf)


def _zip_bytes(members: Mapping[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_bad_archives(tmp: Path) -> dict[str, tuple[Path, list[str]]]:
    """Every bad archive of the spec against :func:`small_items`: ``case -> (zip path, substrings of the report)``."""
    good = score_members(small_scores())
    cases: dict[str, tuple[dict[str, bytes] | bytes, list[str]]] = {}

    def with_(**over: bytes) -> dict[str, bytes]:
        members = dict(good)
        for k, v in over.items():
            members[k.replace("__", ".")] = v
        return members

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.npy", b"\0" * (8 << 20))
        zf.writestr("b.npy", good["b.npy"])
        zf.writestr("c.npy", good["c.npy"])
    cases["zip_bomb"] = (bomb.getvalue(), ["'a.npy'", "uncompressed bytes", "8388608"])
    trav = dict(good)
    trav.pop("a.npy")
    trav["../a.npy"] = good["a.npy"]
    trav["/abs/x.npy"] = good["b.npy"]
    trav["sub\\y.npy"] = good["c.npy"]
    cases["traversal"] = (trav, ["'../a.npy'", "'..'", "'/abs/x.npy'", "absolute", "backslash"])
    link = io.BytesIO()
    with zipfile.ZipFile(link, "w") as zf:
        for name in ("b.npy", "c.npy"):
            zf.writestr(name, good[name])
        info = zipfile.ZipInfo("a.npy")
        info.create_system = 3
        info.external_attr = (0o120777) << 16
        zf.writestr(info, "/etc/passwd")
    cases["symlink"] = (link.getvalue(), ["'a.npy'", "symbolic link"])
    pickled = io.BytesIO()
    np.save(pickled, np.array([[{"x": 1}] * 5] * 4, dtype=object), allow_pickle=True)
    cases["pickled_npy"] = (with_(a__npy=pickled.getvalue()), ["'a.npy'", "pickled"])
    cases["wrong_shape"] = (with_(a__npy=npy_bytes(np.zeros((5, 4), np.float16))), ["'a.npy'", "(4, 5)", "(5, 4)"])
    cases["not_2d"] = (with_(a__npy=npy_bytes(np.zeros((2, 4, 5), np.float16))), ["'a.npy'", "2-D", "3-D"])
    cases["wrong_dtype"] = (with_(a__npy=npy_bytes(np.zeros(SMALL_SHAPE, np.int32))), ["'a.npy'", "int32"])
    nan = np.ones(SMALL_SHAPE, np.float32)
    nan[0, :3] = np.nan
    inf = np.ones(SMALL_SHAPE, np.float16)
    inf[1, 1] = np.inf
    cases["nan"] = (with_(a__npy=npy_bytes(nan), b__npy=npy_bytes(inf)), ["'a.npy'", "3 NaN", "'b.npy'", "1 NaN"])
    big = np.ones(SMALL_SHAPE, np.float64)
    big[2, 2] = 1e6
    cases["float16_range"] = (with_(a__npy=npy_bytes(big)), ["'a.npy'", "float16", "rescale"])
    missing = dict(good)
    missing.pop("c.npy")
    cases["missing_ids"] = (missing, ["missing", "1 of 3", "'c'"])
    cases["unknown_ids"] = (with_(zzz__npy=good["a.npy"]), ["unknown", "'zzz.npy'"])
    dup = dict(good)
    dup["x/a.png"] = png_bytes(np.zeros(SMALL_SHAPE, np.uint8))
    cases["duplicate_ids"] = (dup, ["duplicate", "'a.npy'", "'x/a.png'"])
    cases["unsupported_ext"] = (with_(notes__txt=b"hi"), ["'notes.txt'", "extension"])
    stored = _zip_bytes(good)
    pos = stored.find(b"PK\x03\x04")  # a.npy is the first member; flip its last data byte
    end = pos + 30 + len("a.npy") + len(good["a.npy"]) - 1
    corrupt = bytearray(stored)
    corrupt[end] ^= 0xFF
    cases["crc"] = (bytes(corrupt), ["'a.npy'", "CRC"])
    cases["encrypted"] = (_patch_flags(stored, b"b.npy", set_bits=0x1), ["'b.npy'", "encrypted"])
    cases["not_zip"] = (b"this is not a zip file at all" * 10, ["not a", "zip"])
    mixed = with_(b__npy=npy_bytes(np.zeros(SMALL_SHAPE, np.uint16)))
    cases["mixed_kinds"] = (mixed, ["mixed", "'a.npy'", "'b.npy'"])
    many = dict(good)
    many.update({f"extra_{k}.npy": b"" for k in range(80)})
    cases["too_many_members"] = (many, ["too many members", "at most 67"])
    utf = _zip_bytes({**good, "a\u00ff.npy": good["a.npy"]})
    utf = utf.replace("a\u00ff.npy".encode(), b"a\xff\xff.npy")
    utf = _patch_flags(utf, b"a\xff\xff.npy", clear_bits=0x800)
    cases["non_utf8_name"] = (utf, ["UTF-8"])
    npz = io.BytesIO()
    np.savez(npz, x=np.zeros(SMALL_SHAPE), y=np.zeros(SMALL_SHAPE))
    del_a = dict(good)
    del_a.pop("a.npy")
    cases["npz_two_arrays"] = ({**del_a, "a.npz": npz.getvalue()}, ["'a.npz'", "'score'"])
    rgb = io.BytesIO()
    Image.fromarray(np.zeros((*SMALL_SHAPE, 3), np.uint8)).save(rgb, format="PNG")
    cases["png_rgb"] = ({**del_a, "a.png": rgb.getvalue()}, ["'a.png'", "colour type 2"])
    assert tuple(cases) == BAD_CASES
    out = {}
    for name, (content, needles) in cases.items():
        path = tmp / f"{name}.zip"
        path.write_bytes(content if isinstance(content, bytes) else _zip_bytes(content))
        out[name] = (path, needles)
    return out


BAD_CASES = (
    "zip_bomb",
    "traversal",
    "symlink",
    "pickled_npy",
    "wrong_shape",
    "not_2d",
    "wrong_dtype",
    "nan",
    "float16_range",
    "missing_ids",
    "unknown_ids",
    "duplicate_ids",
    "unsupported_ext",
    "crc",
    "encrypted",
    "not_zip",
    "mixed_kinds",
    "too_many_members",
    "non_utf8_name",
    "npz_two_arrays",
    "png_rgb",
)
"""Names of the cases :func:`make_bad_archives` builds."""
VALUE_CASES = frozenset({"nan", "float16_range"})
"""Bad archives whose problems need the pixels (found by the scoring pass, not by validate_archive)."""
