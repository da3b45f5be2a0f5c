"""Salient extractor: mask cleaning, GrabCut refinement of a prior, saliency fallback, U2-Net weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from baselines.synthesis.errors import ExtractionError
from baselines.synthesis.extractor import SalientExtractor, clean_mask, grabcut_refine, saliency_map, tight_crop
from comsamy.errors import ConfigError, UsageError


def _disc_image(rng: np.random.Generator, h: int = 64, w: int = 64) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (yy - 34) ** 2 + (xx - 30) ** 2 < 15**2
    img = np.empty((h, w, 3), np.float32)
    img[:] = (60, 140, 70)
    img[disc] = (220, 60, 40)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), disc


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_clean_mask_keeps_largest_component_and_fills_holes():
    m = np.zeros((12, 12), bool)
    m[2:9, 2:9] = True
    m[5, 5] = False  # a hole
    m[10, 10] = True  # a speck
    out = clean_mask(m)
    expected = np.zeros_like(m)
    expected[2:9, 2:9] = True
    np.testing.assert_array_equal(out, expected)
    assert not clean_mask(np.zeros((4, 4), bool)).any()


def test_tight_crop_is_the_bounding_box():
    img = np.arange(6 * 7 * 3, dtype=np.uint8).reshape(6, 7, 3)
    m = np.zeros((6, 7), bool)
    m[1, 2] = m[4, 5] = True
    crop, _cm, box = tight_crop(img, m)
    assert box == (2, 1, 6, 5) and crop.shape == (4, 4, 3)
    np.testing.assert_array_equal(crop, img[1:5, 2:6])
    with pytest.raises(ExtractionError):
        tight_crop(img, np.zeros((6, 7), bool))


def test_grabcut_recovers_object_from_a_coarse_attention_blob():
    img, disc = _disc_image(np.random.default_rng(0))
    yy, xx = np.mgrid[0:64, 0:64]
    prior = np.exp(-((yy - 30) ** 2 + (xx - 34) ** 2) / (2 * 12.0**2)).astype(np.float32)  # offset, blurry
    assert _iou(prior >= 0.5, disc) < 0.8
    refined = grabcut_refine(img, prior)
    assert _iou(refined, disc) > 0.9


@pytest.mark.parametrize("with_attention", [True, False])
def test_extractor_classical_path(with_attention: bool):
    img, disc = _disc_image(np.random.default_rng(1))
    yy, xx = np.mgrid[0:64, 0:64]
    att = np.exp(-((yy - 34) ** 2 + (xx - 30) ** 2) / (2 * 10.0**2)).astype(np.float32) if with_attention else None
    ex = SalientExtractor().extract(img, att)
    assert ex.method.startswith("attention" if with_attention else "saliency")
    full = np.zeros((64, 64), bool)
    x0, y0, x1, y1 = ex.box
    full[y0:y1, x0:x1] = ex.mask
    assert _iou(full, disc) > 0.85
    assert ex.image.shape[:2] == ex.mask.shape and ex.mask[0].any() and ex.mask[:, 0].any()  # tight


def test_saliency_map_is_high_on_the_object():
    img, disc = _disc_image(np.random.default_rng(2))
    s = saliency_map(img)
    assert s.shape == disc.shape and s.min() >= 0.0 and s.max() == pytest.approx(1.0)
    assert s[disc].mean() > 3 * s[~disc].mean()


def test_extractor_rejects_bad_inputs_and_empty_results():
    img, _ = _disc_image(np.random.default_rng(3))
    with pytest.raises(UsageError, match="attention map of shape"):
        SalientExtractor().extract(img, np.zeros((10, 10), np.float32))
    with pytest.raises(UsageError, match="uint8 RGB"):
        SalientExtractor().extract(img.astype(np.float32))
    flat = np.full((32, 32, 3), 128, np.uint8)
    with pytest.raises(ExtractionError, match="expected an object covering"):
        SalientExtractor().extract(flat, np.zeros((32, 32), np.float32))


def test_u2net_weights_save_load_and_extract(tmp_path: Path):
    import torch

    from baselines.synthesis.u2net import U2Net, load_u2net

    torch.manual_seed(0)
    net = U2Net("tiny").eval()
    path = tmp_path / "u2net.pth"
    torch.save(net.state_dict(), path)
    loaded = load_u2net(path)  # preset inferred from the weights
    assert loaded.preset == "tiny"
    x = torch.rand(1, 3, 40, 48)
    with torch.no_grad():
        np.testing.assert_allclose(loaded(x).numpy(), net(x).numpy(), atol=1e-6)
        assert net(x).shape == (1, 1, 40, 48)
    ext = SalientExtractor.from_weights(
        path,
        u2net_size=64,
        threshold=float(
            np.median(SalientExtractor(loaded, u2net_size=64)._u2net_map(_disc_image(np.random.default_rng(4))[0]))
        ),
        min_fraction=0.0,
        max_fraction=1.0,
    )
    ex = ext.extract(_disc_image(np.random.default_rng(4))[0])
    assert ex.method == "u2net" and ex.mask.any()


def test_u2net_parameter_counts_match_the_published_models():
    from baselines.synthesis.u2net import U2Net

    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert round(count(U2Net("u2net")) / 1e6, 1) == 44.0  # U2-Net paper: 44.0 M (176.3 MB)
    assert round(count(U2Net("u2netp")) / 1e6, 2) == 1.13  # U2-Net-lite: 1.13 M (4.7 MB)


def test_u2net_bad_weights_give_clear_errors(tmp_path: Path):
    import torch

    from baselines.synthesis.u2net import load_u2net

    with pytest.raises(ConfigError, match="no such file"):
        load_u2net(tmp_path / "missing.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="unreadable"):
        load_u2net(tmp_path / "junk.pth")
    torch.save({"foo.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ConfigError, match=r"stage1\.rebnconvin"):
        load_u2net(tmp_path / "other.pth")
