"""Placement: drivable footprint, perspective scaling, horizon estimate, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.synthesis.errors import PlacementError
from baselines.synthesis.placement import (
    PlacementConfig,
    drivable_mask,
    estimate_horizon,
    placement_at,
    resize_mask,
    sample_placement,
)
from comsamy.errors import ConfigError
from tests.baselines.synthesis.scenes import road_scene


def test_drivable_mask_uses_road_sidewalk_terrain():
    lab = np.array([[0, 1, 2, 8, 9, 10, 255, 13]], np.uint8)
    np.testing.assert_array_equal(drivable_mask(lab)[0], [True, True, False, False, True, False, False, False])


def test_horizon_is_top_of_drivable_area():
    _, lab = road_scene(np.random.default_rng(0), 96, 128)
    assert estimate_horizon(lab, quantile=0.0) == 32
    with pytest.raises(PlacementError, match="expected drivable pixels"):
        estimate_horizon(np.full((8, 8), 10, np.uint8))


def test_placements_stand_on_drivable_pixels():
    _, lab = road_scene(np.random.default_rng(0), 96, 128)
    lab = lab.copy()
    lab[60:90, 40:60] = 13  # a car on the road: no object may stand on it
    drive = drivable_mask(lab)
    obj = np.zeros((30, 20), bool)
    obj[2:, 3:17] = True
    for seed in range(40):
        p = sample_placement(lab, obj, np.random.default_rng(seed))
        m = resize_mask(obj, p.width, p.height)
        rows = np.nonzero(m.any(axis=1))[0]
        foot_cols = np.nonzero(m[rows[-1]])[0] + p.x0
        assert drive[p.y0 + rows[-1], foot_cols].all()
        x0, y0, x1, y1 = p.box
        assert x0 >= 0 and y0 >= 0 and x1 <= 128 and y1 <= 96
        assert p.bottom_row == y1 - 1 > p.horizon


def test_lower_in_frame_means_larger():
    heights = [
        placement_at((96, 128), (30, 20), center_x=64, bottom_row=r, horizon=32, relative_height=0.5).height
        for r in (40, 50, 60, 70, 80, 90)
    ]
    assert heights == sorted(heights) and heights[0] < heights[-1]
    assert heights == [round((r - 32) * 0.5) for r in (40, 50, 60, 70, 80, 90)]  # pinhole ground plane
    # and over random placements with a fixed relative height, height grows with the bottom row
    _, lab = road_scene(np.random.default_rng(1), 96, 128)
    obj = np.ones((20, 10), bool)
    cfg = PlacementConfig(relative_height=(0.5, 0.5), candidates=1)
    ps = [sample_placement(lab, obj, np.random.default_rng(s), cfg) for s in range(30)]
    rows, hs = np.array([p.bottom_row for p in ps]), np.array([p.height for p in ps])
    assert np.all(np.diff(hs[np.argsort(rows)]) >= 0) and hs.max() > hs.min()


def test_placement_errors_are_clear():
    obj = np.ones((10, 10), bool)
    with pytest.raises(PlacementError, match="expected drivable pixels"):
        sample_placement(np.full((50, 50), 2, np.uint8), obj, np.random.default_rng(0))
    with pytest.raises(PlacementError, match="non-empty"):
        sample_placement(np.zeros((50, 50), np.uint8), np.zeros((5, 5), bool), np.random.default_rng(0))
    strip = np.full((50, 50), 10, np.uint8)
    strip[49] = 0  # one drivable row right at the horizon: no room for an object
    with pytest.raises(PlacementError):
        sample_placement(strip, obj, np.random.default_rng(0))
    with pytest.raises(ConfigError):
        PlacementConfig(relative_height=(0.5, 0.1))
