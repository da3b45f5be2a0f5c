"""Image ids from a dataset (a Hub dataset is someone else's data) never escape the map store's folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from baselines.map_store import MapStore
from comsamy.errors import UsageError


@pytest.mark.parametrize("image_id", ["../x", "..", ".", "a/b", "a\\b", "a\x00b", "/etc/x", "C:x", ""])
def test_ids_that_are_no_plain_member_names_are_refused_before_any_map_is_computed(
    tmp_path: Path, image_id: str
) -> None:
    """``C:x`` was accepted here and refused by ArchiveWriter only at ``finish()``, after every map was computed."""
    with pytest.raises(UsageError, match="expected image ids usable as file and archive member names"):
        MapStore(tmp_path / "out.zip", settings={"m": 1}, shapes={"ok": (2, 3), image_id: (2, 3)})
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, inside or outside


def test_odd_but_plain_ids_round_trip_inside_the_folder(tmp_path: Path) -> None:
    shapes = {"...": (2, 3), "a b": (2, 3), "x.npy": (2, 3), "caf\u00e9": (2, 3)}
    store = MapStore(tmp_path / "out", settings={"m": 1}, shapes=shapes)
    for image_id in shapes:
        store.put(image_id, np.full((2, 3), 0.5, np.float32))
    store.finish({"method": "m"})
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted([f"{i}.npy" for i in shapes] + ["manifest.json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
