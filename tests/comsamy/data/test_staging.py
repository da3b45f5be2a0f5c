"""staged_folder: an existing folder survives a failed write untouched; success replaces it; no temp folder stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from comsamy.data.staging import staged_folder
from comsamy.errors import UsageError


def test_a_failure_keeps_the_old_folder_and_leaves_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"), staged_folder(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_success_replaces_the_folder_and_a_non_empty_one_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(UsageError, match="--force"), staged_folder(out, force=False):
        pytest.fail("the body must not run without force")
    with staged_folder(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["new.txt"]
