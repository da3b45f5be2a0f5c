"""Copy-paste (Eq. 1), placement, the object bank and the training dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
    with pytest.raises(DataValidationError, match="missing") as info:
        ObjectBank(tmp_path / "bank")
    assert "masks/obj1.png" in info.value.problems
    with pytest.raises(DataValidationError, match="images/"):
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
