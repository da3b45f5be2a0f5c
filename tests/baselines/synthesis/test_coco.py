"""comsamy-synth bank-from-coco on a tiny COCO-format JSON + images built here: filtering, exact masks, resume, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from baselines.synthesis.cli import main
from baselines.synthesis.coco import COCO_EXCLUDED_CLASSES, annotation_mask, decode_rle, encode_rle

H, W = 60, 80
CATEGORIES = [
    {"id": 1, "name": "person"},
    {"id": 3, "name": "car"},
    {"id": 18, "name": "dog"},
    {"id": 22, "name": "elephant"},
    {"id": 2, "name": "bicycle"},
    {"id": 4, "name": "motorcycle"},
    {"id": 6, "name": "bus"},
    {"id": 8, "name": "truck"},
    {"id": 10, "name": "traffic light"},
    {"id": 13, "name": "stop sign"},
]


def _ellipse(cy: float, cx: float, ry: float, rx: float, h: int = H, w: int = W) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return ((yy + 0.5 - cy) / ry) ** 2 + ((xx + 0.5 - cx) / rx) ** 2 <= 1.0


def write_coco(root: Path) -> dict[str, np.ndarray]:
    """Images + instances JSON in COCO's layout (train2017/<12 digits>.jpg... here .png, annotations/instances_*.json).

    Image 1: a dog (polygon), an elephant (compressed RLE), a small instance (RLE), a truncated one (touches the
    left border), a crowd region. Image 2: a dog beside a person (excluded: person overlaps Cityscapes). Image 3:
    smaller than the minimum side. Image 4: listed but its file is missing. Returns the expected masks by object id.
    """
    images_dir = root / "train2017"
    images_dir.mkdir(parents=True)
    (root / "annotations").mkdir()
    rng = np.random.default_rng(0)
    for i in (1, 2, 3):
        h, w = (H, W) if i != 3 else (20, 20)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(images_dir / f"{i:012d}.png")
    elephant = _ellipse(35, 55, 12, 15)
    small = _ellipse(8, 40, 2, 3)
    truncated = _ellipse(30, 2, 8, 6)
    crowd = _ellipse(50, 20, 6, 10)
    dog_poly = [10.0, 10.0, 30.0, 10.0, 30.0, 26.0, 20.0, 32.0, 10.0, 26.0]
    anns = [
        {"id": 11, "image_id": 1, "category_id": 18, "iscrowd": 0, "segmentation": [dog_poly]},
        {"id": 12, "image_id": 1, "category_id": 22, "iscrowd": 0, "segmentation": encode_rle(elephant)},
        {"id": 13, "image_id": 1, "category_id": 18, "iscrowd": 0, "segmentation": encode_rle(small, compressed=False)},
        {"id": 14, "image_id": 1, "category_id": 22, "iscrowd": 0, "segmentation": encode_rle(truncated)},
        {"id": 15, "image_id": 1, "category_id": 18, "iscrowd": 1, "segmentation": encode_rle(crowd, compressed=False)},
        {"id": 21, "image_id": 2, "category_id": 18, "iscrowd": 0, "segmentation": encode_rle(elephant)},
        {"id": 22, "image_id": 2, "category_id": 1, "iscrowd": 0, "segmentation": encode_rle(small)},
        {
            "id": 31,
            "image_id": 3,
            "category_id": 18,
            "iscrowd": 0,
            "segmentation": encode_rle(_ellipse(10, 10, 5, 5, 20, 20)),
        },
        {"id": 41, "image_id": 4, "category_id": 22, "iscrowd": 0, "segmentation": encode_rle(elephant)},
    ]
    images = [
        {"id": i, "file_name": f"{i:012d}.png", "height": H if i != 3 else 20, "width": W if i != 3 else 20}
        for i in (1, 2, 3, 4)
    ]
    (root / "annotations" / "instances_train2017.json").write_text(
        json.dumps({"images": images, "annotations": anns, "categories": CATEGORIES})
    )
    return {"coco_000000000001_11": annotation_mask(anns[0], H, W), "coco_000000000001_12": elephant}


def _argv(root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "bank-from-coco",
        "--images",
        str(root / "train2017"),
        "--annotations",
        str(root / "annotations" / "instances_train2017.json"),
        "--out",
        str(out),
        "--min-area",
        "30",
        "--min-image-side",
        "40",
        "--no-progress",
        *extra,
    ]


def test_rle_matches_pycocotools_encoding() -> None:
    # strings produced by pycocotools 2.0.8 (mask.encode of a Fortran-ordered uint8 array), kept as fixtures
    m = np.zeros((6, 7), bool)
    m[1:4, 2:6] = True
    m[5, 0] = True
    assert encode_rle(m)["counts"] == "5172L000005"
    np.testing.assert_array_equal(decode_rle({"size": [6, 7], "counts": "5172L000005"}), m)
    rng = np.random.default_rng(3)
    for _ in range(50):
        mask = rng.random((int(rng.integers(1, 30)), int(rng.integers(1, 30)))) < rng.random()
        for compressed in (True, False):
            np.testing.assert_array_equal(decode_rle(encode_rle(mask, compressed=compressed)), mask)
    with pytest.raises(ValueError, match="summing to"):
        decode_rle({"size": [2, 2], "counts": [1, 1]})


def test_polygon_rasterises_pixel_centres() -> None:
    rect = annotation_mask({"segmentation": [[10.0, 10.0, 30.0, 10.0, 30.0, 20.0, 10.0, 20.0]]}, 40, 40)
    assert rect.sum() == 200 and rect[10:20, 10:30].all()  # pycocotools gives the same 20 x 10 block
    tri = annotation_mask({"segmentation": [[0, 0, 8, 0, 0, 8]]}, 10, 10)
    # centres (x + .5, y + .5) strictly inside x + y < 8: rows of 7, 6, ..., 1 pixels
    assert tri[0, 6] and not tri[0, 7] and tri[6, 0] and not tri[7, 0] and tri.sum() == 28


def test_bank_from_coco_filters_and_cuts_exact_masks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from baselines.data import ObjectBank as TrainingBank
    from baselines.synthesis.bank import ObjectBank

    want = write_coco(tmp_path / "coco")
    out = tmp_path / "bank"
    assert main(_argv(tmp_path / "coco", out)) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == 2 and summary["images_used"] == 1
    assert summary["images_excluded_overlap"] == 1 and summary["images_too_small"] == 1
    assert (summary["instances_small"], summary["instances_truncated"], summary["instances_crowd"]) == (1, 1, 1)
    assert summary["images_missing"] == 1
    bank = ObjectBank(out)
    assert [e.id for e in bank.entries] == sorted(want)
    source = np.asarray(Image.open(tmp_path / "coco" / "train2017" / "000000000001.png"))
    for e in bank.entries:
        full = want[e.id]
        ys, xs = np.nonzero(full)
        box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
        np.testing.assert_array_equal(np.asarray(Image.open(e.mask_path)) > 0, full[box])
        np.testing.assert_array_equal(np.asarray(Image.open(e.image_path)), source[box])
        assert e.meta["source"] == "coco" and e.meta["kind"] in ("dog", "elephant") and e.meta["coco_image_id"] == 1
    assert len(TrainingBank(out)) == 2  # the training loader takes the same folder
    # resumable: a second run writes nothing new
    assert main(_argv(tmp_path / "coco", out)) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["written"] == 0 and again["skipped_existing"] == 2
    # the filters can be relaxed: truncated instances kept, nothing excluded, then a limit
    assert main(_argv(tmp_path / "coco", tmp_path / "all", "--keep-truncated", "--exclude", "stop sign")) == 0
    relaxed = json.loads(capsys.readouterr().out)
    assert relaxed["written"] == 4 and relaxed["images_excluded_overlap"] == 0
    assert main(_argv(tmp_path / "coco", tmp_path / "one", "--limit", "1")) == 0
    assert json.loads(capsys.readouterr().out)["written"] == 1


def test_excluded_classes_are_those_of_meta_ood() -> None:
    assert COCO_EXCLUDED_CLASSES == (
        "person",
        "bicycle",
        "car",
        "motorcycle",
        "bus",
        "truck",
        "traffic light",
        "stop sign",
    )


def test_bank_from_coco_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "coco"
    write_coco(root)
    ann = root / "annotations" / "instances_train2017.json"
    assert (
        main(
            [
                "bank-from-coco",
                "--images",
                str(root / "train2017"),
                "--annotations",
                str(tmp_path / "no.json"),
                "--out",
                str(tmp_path / "b"),
                "--no-progress",
            ]
        )
        == 4
    )
    assert "no file" in capsys.readouterr().err
    assert main(_argv(root, tmp_path / "b", "--exclude", "unicorn")) == 2
    assert "unicorn" in capsys.readouterr().err
    data = json.loads(ann.read_text())
    ann.write_text("{not json")
    assert main(_argv(root, tmp_path / "b")) == 3
    assert "invalid JSON" in capsys.readouterr().err
    ann.write_text(json.dumps({"images": []}))
    assert main(_argv(root, tmp_path / "b")) == 3
    assert "'annotations'" in capsys.readouterr().err
    data["annotations"][0]["segmentation"] = {"size": [H, W], "counts": "\x7f\x7f"}
    ann.write_text(json.dumps(data))
    assert main(_argv(root, tmp_path / "b")) == 3
    err = capsys.readouterr().err
    assert "annotation 11" in err and "Traceback" not in err
    assert not any((tmp_path / "b" / "images").glob("*.png"))  # nothing written from a bad file


def test_compose_with_rpl_placement_from_a_coco_bank(tmp_path: Path, inliers, capsys) -> None:
    write_coco(tmp_path / "coco")
    assert main(_argv(tmp_path / "coco", tmp_path / "bank")) == 0
    capsys.readouterr()
    out = tmp_path / "synth"
    assert (
        main(
            [
                "compose",
                "--inliers",
                "sample",
                "--objects",
                str(tmp_path / "bank"),
                "--out",
                str(out),
                "--count",
                "3",
                "--seed",
                "1",
                "--mode",
                "copy-paste",
                "--placement",
                "rpl",
                "--no-progress",
            ]
        )
        == 0
    )
    recs = [json.loads(x) for x in (out / "provenance.jsonl").read_text().splitlines()]
    assert len(recs) == 3 and all(o["horizon"] == -1 and o["pixels"] > 0 for r in recs for o in r["objects"])
