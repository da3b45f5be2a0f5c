"""apply_weather: contract (shape, identity, determinism), each weather's signature, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from comsamy.constants import ADVERSE_WEATHERS, WEATHERS
from comsamy.errors import ComsamyError, UsageError
from comsamy.synthetic import apply_weather


def _photo(h: int = 90, w: int = 160, seed: int = 0) -> np.ndarray:
    """A test picture that is not a scene from our generator: gradients plus random coloured blocks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 255 / w, yy * 255 / h, np.full((h, w), 120.0)], axis=-1)
    for _ in range(12):
        y, x = rng.integers(0, h - 10), rng.integers(0, w - 10)
        img[y : y + rng.integers(4, 20), x : x + rng.integers(4, 30)] = rng.integers(0, 256, 3)
    return img.astype(np.uint8)


def _arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64)


def _luma(a: np.ndarray) -> np.ndarray:
    return a @ np.array([0.299, 0.587, 0.114])


@pytest.mark.parametrize("weather", WEATHERS)
def test_shape_mode_and_determinism(weather: str) -> None:
    src = _photo()
    a = apply_weather(src, weather, severity=0.7, seed=3)
    b = apply_weather(Image.fromarray(src), weather, severity=0.7, seed=3)
    assert isinstance(a, Image.Image) and a.mode == "RGB" and a.size == (160, 90)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("weather", ADVERSE_WEATHERS)
def test_severity_zero_is_identity_and_positive_changes(weather: str) -> None:
    src = _photo()
    assert np.array_equal(np.asarray(apply_weather(src, weather, severity=0.0, seed=1)), src)
    changed = np.abs(_arr(apply_weather(src, weather, severity=0.6, seed=1)) - src).mean()
    assert changed > 5.0


@pytest.mark.parametrize("weather", ["rain", "frost", "blizzard", "sandstorm", "night", "fog"])
def test_seed_changes_random_parts(weather: str) -> None:
    src = _photo()
    a = apply_weather(src, weather, severity=0.8, seed=1)
    b = apply_weather(src, weather, severity=0.8, seed=2)
    assert a.tobytes() != b.tobytes()


def test_clear_is_identity_and_input_untouched() -> None:
    src = _photo()
    before = src.copy()
    out = apply_weather(src, "clear", severity=1.0, seed=5)
    assert np.array_equal(np.asarray(out), src)
    apply_weather(src, "fog", severity=1.0, seed=5)
    assert np.array_equal(src, before)


def test_night_darkens_more_with_severity() -> None:
    src = _photo()
    m0 = src.mean()
    m3 = _arr(apply_weather(src, "night", severity=0.3, seed=0)).mean()
    m9 = _arr(apply_weather(src, "night", severity=0.9, seed=0)).mean()
    assert m9 < m3 < m0
    assert m9 < 0.5 * m0
    # blue cast: a neutral grey comes out bluish away from the lights (the darker quarter)
    grey = _arr(apply_weather(np.full((90, 160, 3), 128, np.uint8), "night", severity=0.9, seed=0))
    assert np.percentile(grey[..., 2], 25) > 1.2 * np.percentile(grey[..., 0], 25)


def test_fog_lowers_contrast_most_near_the_horizon() -> None:
    src = _photo(180, 320)
    out = _arr(apply_weather(src, "fog", severity=0.8, seed=0))
    assert _luma(out).std() < 0.6 * _luma(src.astype(float)).std()
    band = slice(int(0.4 * 180), int(0.5 * 180))
    bottom = slice(int(0.9 * 180), 180)
    ratio_band = _luma(out[band]).std() / _luma(src[band].astype(float)).std()
    ratio_bottom = _luma(out[bottom]).std() / _luma(src[bottom].astype(float)).std()
    assert ratio_band < ratio_bottom


def test_sandstorm_raises_red_blue_ratio() -> None:
    src = _photo()
    out = _arr(apply_weather(src, "sandstorm", severity=0.7, seed=0))
    assert out[..., 0].mean() / out[..., 2].mean() > 1.3 * src[..., 0].mean() / src[..., 2].mean()


def test_rain_darkens_and_draws_near_vertical_streaks() -> None:
    flat = np.full((180, 320, 3), 100, np.uint8)
    out = _luma(_arr(apply_weather(flat, "rain", severity=0.8, seed=0)))
    dx = np.abs(np.diff(out, axis=1)).mean()
    dy = np.abs(np.diff(out, axis=0)).mean()
    assert dx > 1.5 * dy  # streaks run up-down, so intensity changes across columns
    src = _photo()
    assert _arr(apply_weather(src, "rain", severity=0.8, seed=0)).mean() < src.mean()


def test_frost_desaturates_and_grows_from_the_edges() -> None:
    src = _photo(180, 320)
    out = _arr(apply_weather(src, "frost", severity=0.7, seed=0))
    sat_in = (src.max(-1).astype(float) - src.min(-1)).mean()
    sat_out = (out.max(-1) - out.min(-1)).mean()
    assert sat_out < 0.7 * sat_in
    diff = np.abs(out - src).mean(-1)
    border = np.concatenate([diff[:15].ravel(), diff[-15:].ravel(), diff[:, :15].ravel(), diff[:, -15:].ravel()])
    centre = diff[70:110, 120:200]
    assert border.mean() > centre.mean()


def test_blizzard_whitens_with_flakes() -> None:
    dark = np.full((180, 320, 3), 40, np.uint8)
    out = _luma(_arr(apply_weather(dark, "blizzard", severity=0.8, seed=0)))
    assert out.mean() > 100
    # flakes: many isolated pixels much brighter than their neighbourhood
    local = out[1:-1, 1:-1] - (out[:-2, 1:-1] + out[2:, 1:-1] + out[1:-1, :-2] + out[1:-1, 2:]) / 4
    assert (local > 10).sum() > 50


def test_any_pil_mode_is_converted() -> None:
    gray = Image.fromarray(_photo()[..., 0], mode="L")
    out = apply_weather(gray, "fog", severity=0.5, seed=0)
    assert out.mode == "RGB" and out.size == gray.size


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"weather": "hail"}, "weather"),
        ({"weather": None}, "weather"),
        ({"weather": "fog", "severity": 1.5}, "severity"),
        ({"weather": "fog", "severity": -0.1}, "severity"),
        ({"weather": "fog", "severity": "high"}, "severity"),
        ({"weather": "fog", "severity": True}, "severity"),
        ({"weather": "fog", "seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict, needle: str) -> None:
    with pytest.raises(UsageError, match=needle) as info:
        apply_weather(_photo(), **kwargs)
    assert "expected" in str(info.value)


@pytest.mark.parametrize(
    ("image", "needle"),
    [
        (np.zeros((10, 10), np.uint8), "shape"),
        (np.zeros((10, 10, 4), np.uint8), "shape"),
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        ([[0, 0, 0]], "PIL image"),
        (np.zeros((1, 5, 3), np.uint8), "2 x 2"),
    ],
)
def test_bad_images(image: object, needle: str) -> None:
    with pytest.raises(ComsamyError, match=needle) as info:
        apply_weather(image, "rain")
    assert "image" in str(info.value) and "expected" in str(info.value)
