"""validate_dataset_folder: a published folder is checked shard by shard, row by row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from comsamy.data.check import validate_dataset_folder
from comsamy.errors import DataValidationError


def test_exported_folder_is_valid(exported: tuple[Path, Path]) -> None:
    _, out = exported
    summary = validate_dataset_folder(out)
    assert summary.num_test == 16 and summary.num_inliers == 4
    assert sum(dict(summary.per_weather).values()) == 16


@pytest.fixture
def copy(exported: tuple[Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(exported[1], tmp_path / "copy"))


def test_missing_shard_and_wrong_counts_are_reported(copy: Path) -> None:
    (copy / "data" / "fog-00000-of-00001.parquet").unlink()
    card = (copy / "README.md").read_text().replace("num_examples: 4\n", "num_examples: 5\n", 1)
    (copy / "README.md").write_text(card)
    with pytest.raises(DataValidationError) as info:
        validate_dataset_folder(copy)
    report = info.value.report()
    assert "data/fog-00000-of-00001.parquet: expected a parquet shard" in report
    assert "examples, got 5" in report


def test_row_in_the_wrong_shard_and_bad_label_are_reported(copy: Path) -> None:
    shard = copy / "data" / "rain-00000-of-00001.parquet"
    table = pq.read_table(shard)
    rows = table.to_pylist()
    rows[0]["weather"] = 0  # clear, inside the rain shard
    rows[1]["label"] = rows[1]["image"]  # an RGB image as label
    pq.write_table(table.from_pylist(rows, schema=table.schema), shard)
    with pytest.raises(DataValidationError) as info:
        validate_dataset_folder(copy)
    report = info.value.report()
    assert f"id '{rows[0]['id']}': expected weather rain, got clear" in report
    assert f"id '{rows[1]['id']}' label: expected" in report


def test_no_card_is_reported(copy: Path) -> None:
    (copy / "README.md").unlink()
    with pytest.raises(DataValidationError, match="1 problem"):
        validate_dataset_folder(copy)
