"""Object banks: reading any images/ + masks/ folder, clear errors, resumable writer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from baselines.synthesis.bank import BankWriter, ObjectBank, open_banks
from comsamy.errors import DataValidationError, UsageError


def test_reads_bank_with_provenance_and_crops_tightly(bank: Path):
    b = ObjectBank(bank)
    assert len(b) == 5 and b.entries[0].id == "obj_00000" and b.entries[0].meta["kind"] == "blob"
    img, mask = b.load(1)
    assert img.shape[:2] == mask.shape and mask.dtype == bool
    assert mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()


def test_coco_style_folder_without_provenance_and_01_masks(tmp_path: Path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    Image.fromarray(np.full((10, 8, 3), 200, np.uint8)).save(tmp_path / "images" / "000123.jpg")
    m = np.zeros((10, 8), np.uint8)
    m[2:8, 1:6] = 1  # instance mask stored as 0/1
    Image.fromarray(m, "L").save(tmp_path / "masks" / "000123.png")
    b = ObjectBank(tmp_path)
    _img, mask = b.load(0)
    assert mask.shape == (6, 5) and mask.all() and b.entries[0].meta == {}


def test_missing_folder_and_empty_bank(tmp_path: Path):
    with pytest.raises(UsageError, match="expected a bank folder with images/ and masks/"):
        ObjectBank(tmp_path / "nope")
    (tmp_path / "images").mkdir()
    with pytest.raises(UsageError, match="masks"):
        ObjectBank(tmp_path)
    (tmp_path / "masks").mkdir()
    with pytest.raises(UsageError, match="at least one image"):
        ObjectBank(tmp_path)
    with pytest.raises(UsageError, match="at least one"):
        open_banks([])


def test_mask_size_mismatch_and_missing_mask_are_all_listed(bank: Path, tmp_path: Path):
    bad = tmp_path / "bad"
    shutil.copytree(bank, bad)
    Image.fromarray(np.zeros((7, 7), np.uint8), "L").save(bad / "masks" / "obj_00001.png")
    (bad / "masks" / "obj_00003.png").unlink()
    with pytest.raises(DataValidationError) as err:
        ObjectBank(bad)
    report = err.value.report()
    assert "obj_00001.png: expected size 40x40 like obj_00001.png, got 7x7" in report
    assert "obj_00003.png: expected mask" in report and len(err.value.problems) == 2


def test_empty_mask_is_reported_on_load(bank: Path, tmp_path: Path):
    bad = tmp_path / "empty"
    shutil.copytree(bank, bad)
    Image.fromarray(np.zeros((40, 40), np.uint8), "L").save(bad / "masks" / "obj_00002.png")
    with pytest.raises(DataValidationError, match=r"obj_00002\.png: expected a non-empty object mask"):
        ObjectBank(bad).load(2)


def test_writer_is_resumable_and_ignores_torn_lines(tmp_path: Path):
    w = BankWriter(tmp_path / "b")
    img = np.zeros((4, 4, 3), np.uint8)
    mask = np.ones((4, 4), bool)
    w.write("obj_00000", img, mask, {"kind": "x"})
    w.write("obj_00001", img, mask, {"kind": "y"})
    with open(w.provenance, "a") as f:
        f.write('{"id": "obj_000')  # a crash mid-line
    (tmp_path / "b" / "images" / "obj_00001.png").unlink()  # and a lost image
    assert w.existing_ids() == {"obj_00000"}
    saved = np.asarray(Image.open(tmp_path / "b" / "masks" / "obj_00000.png"))
    assert saved.dtype == np.uint8 and set(np.unique(saved)) == {255}
    assert json.loads(w.provenance.read_text().splitlines()[0]) == {"id": "obj_00000", "kind": "x"}
