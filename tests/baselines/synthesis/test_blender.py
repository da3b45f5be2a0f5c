"""Harmonisation blender and plain copy-paste: Eq. 1 labels, what pixels change, colour statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from baselines.synthesis.blender import BlendConfig, HarmonizationBlender, feather_alpha, lab_stats, reinhard_transfer
from baselines.synthesis.copy_paste import paste_object
from baselines.synthesis.placement import Placement, placement_at, resize_mask
from comsamy.errors import ConfigError, UsageError
from tests.baselines.synthesis.scenes import road_scene


def _object(h: int = 24, w: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    img = np.clip(rng.normal((240, 40, 200), 10, (h, w, 3)), 0, 255).astype(np.uint8)  # bright magenta
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((yy - h / 2) / (h / 2)) ** 2 + ((xx - w / 2) / (w / 2)) ** 2 <= 1.0
    return img, mask


def _scene() -> tuple[np.ndarray, np.ndarray, Placement]:
    img, lab = road_scene(np.random.default_rng(3), 96, 128, dark=True)
    lab = lab.copy()
    lab[70:80, 60:64] = 255  # void under the object: Eq. 1 gives it the anomaly id
    p = placement_at((96, 128), (24, 16), center_x=62, bottom_row=85, horizon=32, relative_height=0.5)
    return img, lab, p


def _full(p: Placement, m: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, bool)
    x0, y0, x1, y1 = p.box
    out[y0:y1, x0:x1] = resize_mask(m, p.width, p.height)
    return out


def test_copy_paste_is_eq1():
    img, lab, _ = _scene()
    obj, m = _object()
    p = Placement(x0=50, y0=60, width=16, height=24, bottom_row=83, horizon=32, relative_height=0.5, scale=1.0)
    out, olab, full = paste_object(img, lab, obj, m, p, anomaly_id=20)
    expected_img = img.copy()
    expected_img[60:84, 50:66][m] = obj[m]
    np.testing.assert_array_equal(out, expected_img)
    expected_lab = lab.copy()
    expected_lab[60:84, 50:66][m] = 20
    np.testing.assert_array_equal(olab, expected_lab)
    assert full.sum() == m.sum()
    assert (olab == 255).sum() == (lab == 255).sum() - (full & (lab == 255)).sum()  # void kept outside


@pytest.mark.parametrize("edges", ["feather", "poisson", "hard"])
def test_label_marks_exactly_the_blended_object(edges: str):
    img, lab, p = _scene()
    obj, m = _object()
    res = HarmonizationBlender(BlendConfig(edges=edges, shadow_strength=0.0)).blend(img, lab, obj, m, p)
    full = _full(p, m, lab.shape)
    np.testing.assert_array_equal(res.mask, full)
    np.testing.assert_array_equal(res.label[full], 254)
    np.testing.assert_array_equal(res.label[~full], lab[~full])  # nothing else changed in the label
    changed = (res.image != img).any(axis=2)
    assert not (changed & ~full).any()  # without a shadow, image pixels change only under the object
    assert changed[full].mean() > 0.9


def test_shadow_darkens_only_the_ground_below_and_leaves_labels():
    img, lab, p = _scene()
    obj, m = _object()
    res = HarmonizationBlender(BlendConfig(shadow_strength=0.5)).blend(img, lab, obj, m, p)
    full = _full(p, m, lab.shape)
    changed = (res.image != img).any(axis=2) & ~full
    assert changed.any()
    assert (res.image[changed].astype(int) <= img[changed]).all()  # only darker
    ys = np.nonzero(changed)[0]
    assert ys.min() >= p.bottom_row - 0.2 * p.height  # around the base, not the whole box
    np.testing.assert_array_equal(res.label[~full], lab[~full])


def test_reinhard_moves_lab_mean_toward_the_surroundings():
    obj, m = _object()
    ref = np.clip(np.random.default_rng(0).normal((40, 60, 45), 5, (500, 3)), 0, 255).astype(np.uint8)
    before, _ = lab_stats(obj[m])
    target, _ = lab_stats(ref)
    full = reinhard_transfer(obj, m, ref)
    np.testing.assert_allclose(lab_stats(full[m])[0], target, atol=2.5)  # full transfer reaches the mean
    half = reinhard_transfer(obj, m, ref, color_strength=0.5, light_strength=0.5)
    after, _ = lab_stats(half[m])
    assert np.linalg.norm(after - target) < 0.6 * np.linalg.norm(before - target)
    np.testing.assert_array_equal(half[~m], obj[~m])


def test_blended_object_is_closer_in_colour_than_copy_paste():
    img, lab, p = _scene()
    obj, m = _object()
    cp, _, full = paste_object(img, lab, obj, m, p)
    hb = HarmonizationBlender(BlendConfig(shadow_strength=0.0)).blend(img, lab, obj, m, p).image
    ring = np.zeros_like(full)
    x0, y0, x1, y1 = p.box
    ring[max(0, y0 - 10) : y1 + 10, max(0, x0 - 10) : x1 + 10] = True
    ring &= ~full
    target = lab_stats(img[ring])[0]
    d_cp = np.linalg.norm(lab_stats(cp[full])[0] - target)
    d_hb = np.linalg.norm(lab_stats(hb[full])[0] - target)
    assert d_hb < 0.75 * d_cp  # partial transfer by default (light 0.6, colour 0.35)


def test_feather_alpha_is_inside_the_mask():
    m = np.zeros((20, 20), bool)
    m[4:16, 4:16] = True
    a = feather_alpha(m, 3.0)
    assert (a[~m] == 0).all() and (a[m] > 0).all() and a[10, 10] == 1.0 and a[4, 10] < 0.5


def test_unet_harmonizer_weights_load_and_harmonise_only_inside_the_mask(tmp_path: Path):
    import torch

    from baselines.synthesis.unet_harmonizer import UNetHarmonizer, load_unet_harmonizer

    torch.manual_seed(0)
    net = UNetHarmonizer(base=4, depth=3)
    torch.save(net.state_dict(), tmp_path / "harmonizer.pth")
    loaded = load_unet_harmonizer(tmp_path / "harmonizer.pth")
    assert (loaded.base, loaded.depth) == (4, 3)
    img, lab, p = _scene()
    obj, m = _object()
    res = HarmonizationBlender(BlendConfig(shadow_strength=0.0), harmonizer_net=loaded, harmonizer_size=32).blend(
        img, lab, obj, m, p
    )
    assert res.info["harmonizer"] == "unet"
    changed = (res.image != img).any(axis=2)
    assert not (changed & ~res.mask).any()
    torch.save({"x": torch.zeros(2)}, tmp_path / "bad.pth")
    with pytest.raises(ConfigError, match=r"down\.0\.0\.weight"):
        load_unet_harmonizer(tmp_path / "bad.pth")


def test_blend_bad_inputs():
    img, lab, p = _scene()
    obj, m = _object()
    b = HarmonizationBlender()
    with pytest.raises(ConfigError, match="anomaly-id"):
        b.blend(img, lab, obj, m, p, anomaly_id=5)
    with pytest.raises(UsageError, match="same size"):
        b.blend(img, lab, obj, m[:-1], p)
    with pytest.raises(UsageError):
        b.blend(img, lab[:-1], obj, m, p)
    with pytest.raises(ConfigError, match="edges"):
        BlendConfig(edges="blurry")
