"""Copy-paste (Eq. 1), placement, the object bank and the training dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from baselines.anomaly_paste import choose_placement, paste_object, resize_object
from baselines.data import DataConfig, ObjectBank, SegmentationTrainSet
from comsamy.constants import DRIVABLE_TRAIN_IDS, TRAIN_ID
from comsamy.errors import ConfigError, DataValidationError, UsageError
from tests.baselines.blfixtures import inlier_rows, scene, write_bank


def test_paste_matches_eq1() -> None:
    rng = np.random.default_rng(0)
    x_in = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    y_in = rng.integers(0, 19, (10, 12), dtype=np.uint8)
    x_out = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    y_out = (rng.random((4, 5)) < 0.6).astype(np.uint8)
    top, left, p_id = 3, 6, 20
    # Eq. 1 written out: Pad() places the object in an H x W canvas of zeros
    pad_mask = np.zeros((10, 12), np.uint8)
    pad_mask[top : top + 4, left : left + 5] = y_out
    pad_obj = np.zeros((10, 12, 3), np.uint8)
    pad_obj[top : top + 4, left : left + 5] = x_out * y_out[..., None]
    want_x = (1 - pad_mask)[..., None] * x_in + pad_obj
    want_y = (1 - pad_mask) * y_in + pad_mask * p_id
    x_keep, y_keep = x_in.copy(), y_in.copy()
    got_x, got_y = paste_object(x_in, y_in, x_out, y_out, top, left, anomaly_id=p_id)
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)
    np.testing.assert_array_equal(x_in, x_keep)  # inputs untouched
    np.testing.assert_array_equal(y_in, y_keep)


def test_paste_clips_at_borders_and_outside() -> None:
    x_in = np.zeros((6, 6, 3), np.uint8)
    y_in = np.zeros((6, 6), np.uint8)
    obj = np.full((4, 4, 3), 200, np.uint8)
    mask = np.ones((4, 4), np.uint8)
    x, y = paste_object(x_in, y_in, obj, mask, -2, 4)
    assert (y == 254).sum() == 2 * 2 and (y[:2, 4:] == 254).all()
    x, y = paste_object(x_in, y_in, obj, mask, 10, 10)
    assert (y == 0).all() and (x == 0).all()
    with pytest.raises(UsageError, match="obj_mask"):
        paste_object(x_in, y_in, obj, mask[:2], 0, 0)


def test_placement_on_drivable_pixels_and_perspective() -> None:
    _, label = scene(0, 60, 80)
    rng = np.random.default_rng(1)
    heights = {}
    for _ in range(50):
        pl = choose_placement(label, (10, 10), rng)
        foot = pl.top + pl.height - 1
        cx = pl.left + pl.height // 2
        assert label[foot, min(max(cx, 0), 79)] in DRIVABLE_TRAIN_IDS
        heights.setdefault(foot, pl.height)
    feet = sorted(heights)
    assert heights[feet[-1]] > heights[feet[0]]  # lower rows (closer) get larger objects


def test_resize_object_keeps_aspect() -> None:
    img = np.zeros((10, 20, 3), np.uint8)
    mask = np.ones((10, 20), np.uint8)
    r_img, r_mask = resize_object(img, mask, 5)
    assert r_img.shape == (5, 10, 3) and r_mask.shape == (5, 10) and set(np.unique(r_mask)) == {1}


def test_object_bank_reads_and_validates(tmp_path: Path) -> None:
    bank = ObjectBank(write_bank(tmp_path / "bank"))
    assert len(bank) == 3 and bank.provenance["obj0"]["source"] == "test"
    img, mask = bank.load(0)
    assert img.shape[:2] == mask.shape and mask.any() and mask[0].any() and mask[:, 0].any()  # cropped to the mask
    (tmp_path / "bank" / "masks" / "obj1.png").unlink()
    with pytest.raises(DataValidationError, match="1 invalid object") as info:
        ObjectBank(tmp_path / "bank")
    assert any("masks/obj1.png" in p and "no such file" in p for p in info.value.problems)
    with pytest.raises(UsageError, match="images/"):
        ObjectBank(tmp_path / "nowhere")


def test_dataset_pastes_and_is_deterministic(tmp_path: Path) -> None:
    rows = inlier_rows(3)
    cfg = DataConfig(crop_size=32, object_bank=str(write_bank(tmp_path / "bank")), anomaly_id=254, seed=5)
    ds = SegmentationTrainSet(rows, cfg)
    img, lab = ds[0]
    assert img.shape == (3, 32, 32) and lab.shape == (32, 32) and str(lab.dtype) == "torch.int64"
    assert (lab == 254).any()
    again = SegmentationTrainSet(rows, cfg)
    for i in range(3):
        a, b = ds.sample(i), again.sample(i)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    ds.set_epoch(1)
    assert any(not np.array_equal(ds.sample(i)[1], again.sample(i)[1]) for i in range(3))
    # pasted pixels carry the object's colour (magenta discs)
    image, label = again.sample(0)
    assert (image[label == 254][:, 1] < 60).mean() > 0.9


def test_dataset_pass_through_without_bank() -> None:
    rows = inlier_rows(2)
    ds = SegmentationTrainSet(rows, DataConfig(crop_size=0, scale_range=(1.0, 1.0), flip=False))
    image, label = ds.sample(1)
    np.testing.assert_array_equal(label, np.asarray(rows[1]["label"]))
    np.testing.assert_array_equal(image, np.asarray(rows[1]["image"]))
    big = SegmentationTrainSet(rows, DataConfig(crop_size=80, scale_range=(1.0, 1.0)))
    _, lab = big.sample(0)
    assert lab.shape == (80, 80) and (lab == 255).any()  # padded with void
    sized = SegmentationTrainSet(rows, DataConfig(resize=(32, 24), crop_size=0, scale_range=(1.0, 1.0)))
    assert sized.sample(0)[1].shape == (24, 32)
    assert set(np.unique(sized.sample(0)[1])) <= {TRAIN_ID["road"], TRAIN_ID["sky"], TRAIN_ID["vegetation"]}


def test_data_config_errors() -> None:
    with pytest.raises(ConfigError, match="paste_prob"):
        DataConfig(paste_prob=2)
    with pytest.raises(ConfigError, match="anomaly_id"):
        DataConfig(anomaly_id=255)
    with pytest.raises(ConfigError, match="scale_range"):
        DataConfig(scale_range=(2.0, 1.0))


# --- Cityscapes, in the official layout ------------------------------------------------------------------------------

_CS_IDS = {"road": 7, "sky": 23, "vegetation": 21, "car": 26, "parking": 9, "ego": 1}


def write_cityscapes(root: Path, *, train_ids_for: tuple[str, ...] = ("aachen",)) -> dict[str, np.ndarray]:
    """A tiny Cityscapes: two cities of one image each, ``aachen`` with ``*_gtFine_labelTrainIds.png`` (as written by
    cityscapesScripts), ``bochum`` with only the shipped ``*_gtFine_labelIds.png``. Returns the label ids per stem."""
    ids = {}
    for n, city in enumerate(("aachen", "bochum")):
        stem = f"{city}_{n:06d}_000019"
        image, train = scene(n, 24, 32)
        label_ids = np.full(train.shape, _CS_IDS["road"], np.uint8)
        label_ids[train == TRAIN_ID["sky"]] = _CS_IDS["sky"]
        label_ids[train == TRAIN_ID["vegetation"]] = _CS_IDS["vegetation"]
        label_ids[-3:, :4] = _CS_IDS["ego"]  # void
        label_ids[-3:, 4:8] = _CS_IDS["parking"]  # void too
        label_ids[-6:-3, 10:14] = _CS_IDS["car"]
        for sub in ("leftImg8bit", "gtFine"):
            (root / sub / "train" / city).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / "leftImg8bit" / "train" / city / f"{stem}_leftImg8bit.png")
        Image.fromarray(label_ids).save(root / "gtFine" / "train" / city / f"{stem}_gtFine_labelIds.png")
        if city in train_ids_for:
            from baselines.cityscapes import label_ids_to_train_ids

            Image.fromarray(label_ids_to_train_ids(label_ids)).save(
                root / "gtFine" / "train" / city / f"{stem}_gtFine_labelTrainIds.png"
            )
        (root / "gtFine" / "train" / city / f"{stem}_gtFine_color.png").write_bytes(b"not read")
        ids[stem] = label_ids
    return ids


def test_cityscapes_reader_uses_train_ids_or_converts_label_ids(tmp_path: Path) -> None:
    from baselines.cityscapes import LABEL_ID_TO_TRAIN_ID, CityscapesRows

    ids = write_cityscapes(tmp_path / "cityscapes")
    rows = CityscapesRows(tmp_path / "cityscapes", "train")
    assert len(rows) == 2 and [rows[i]["id"] for i in range(2)] == sorted(ids)
    for i in range(2):
        row = rows[i]
        label, label_ids = np.asarray(row["label"]), ids[row["id"]]
        assert row["image"].size == (32, 24) and label.shape == (24, 32)
        want = np.vectorize(lambda v: LABEL_ID_TO_TRAIN_ID.get(int(v), 255))(label_ids)
        np.testing.assert_array_equal(label, want)
        assert label[-1, 0] == 255 and label[-1, 5] == 255 and label[-4, 11] == TRAIN_ID["car"]
    assert len(LABEL_ID_TO_TRAIN_ID) == 19 and sorted(LABEL_ID_TO_TRAIN_ID.values()) == list(range(19))


def test_cityscapes_selected_from_the_training_yaml(tmp_path: Path) -> None:
    from baselines.data import build_train_set
    from baselines.train_config import TrainConfig

    write_cityscapes(tmp_path / "cs")
    yaml_file = tmp_path / "cs.yaml"
    yaml_file.write_text(f"data:\n  inliers: cityscapes:{tmp_path / 'cs'}\n  crop_size: 16\n")
    cfg = TrainConfig.from_file(yaml_file)
    assert cfg.data.dataset == f"cityscapes:{tmp_path / 'cs'}"
    ds = build_train_set(cfg.data)
    image, label = ds[1]
    assert len(ds) == 2 and tuple(image.shape) == (3, 16, 16) and tuple(label.shape) == (16, 16)
    with pytest.raises(ConfigError, match="same key"):
        TrainConfig.from_mapping({"data": {"inliers": "cityscapes:/a", "dataset": "sample"}})


def test_cityscapes_errors_name_the_files(tmp_path: Path) -> None:
    from baselines.cityscapes import CityscapesRows
    from comsamy.errors import DataNotAvailableError

    with pytest.raises(DataNotAvailableError, match="leftImg8bit/train"):
        CityscapesRows(tmp_path / "nowhere")
    write_cityscapes(tmp_path / "cs")
    for p in (tmp_path / "cs" / "gtFine" / "train" / "bochum").glob("*_labelIds.png"):
        p.unlink()
    with pytest.raises(DataValidationError, match="without a label") as info:
        CityscapesRows(tmp_path / "cs")
    assert "bochum_000001_000019_gtFine_labelTrainIds.png" in info.value.report()
    (tmp_path / "empty" / "leftImg8bit" / "val").mkdir(parents=True)
    with pytest.raises(DataValidationError, match="got none"):
        CityscapesRows(tmp_path / "empty", "val")


# --- RPL's placement vs ours -----------------------------------------------------------------------------------------


def test_rpl_placement_is_uniform_inside_the_image_and_ignores_the_scene() -> None:
    from baselines.anomaly_paste import RPL_OOD_SCALES, rpl_placement

    rng = np.random.default_rng(0)
    tops, lefts, heights = [], [], set()
    for _ in range(400):
        p = rpl_placement((48, 64), (40, 20), rng)
        width = round(20 * p.height / 40)
        assert 0 <= p.top <= 48 - p.height and 0 <= p.left <= 64 - width
        tops.append(p.top)
        lefts.append(p.left)
        heights.add(p.height)
    assert heights == {max(2, round(40 * s)) for s in RPL_OOD_SCALES}
    assert min(tops) == 0 and max(tops) >= 40 and min(lefts) == 0 and max(lefts) >= 55  # the whole image
    big = rpl_placement((10, 10), (400, 400), np.random.default_rng(1), scales=(1.0,))
    assert big.height <= 10 and big.top == 0 and big.left == 0  # shrunk to fit


def test_data_placement_switch(tmp_path: Path) -> None:
    bank = str(write_bank(tmp_path / "bank"))
    rows = inlier_rows(3)
    road_top = int(np.nonzero(np.asarray(rows[0]["label"]) == TRAIN_ID["road"])[0].min())

    def anomaly_rows(placement: str) -> set[int]:
        cfg = DataConfig(
            crop_size=0, scale_range=(1.0, 1.0), flip=False, object_bank=bank, placement=placement, max_objects=1
        )
        ds = SegmentationTrainSet(rows, cfg)
        return {int(r) for e in range(12) for i in range(3) for r in np.nonzero(ds.sample(i, e)[1] == 254)[0]}

    ours, rpl = anomaly_rows("drivable"), anomaly_rows("rpl")
    assert rpl and min(rpl) < road_top // 2  # RPL puts objects anywhere, sky included
    assert ours and min(ours) > road_top // 2  # ours stands them on the road, sized by their row
    with pytest.raises(ConfigError, match="placement"):
        DataConfig(placement="sky")
