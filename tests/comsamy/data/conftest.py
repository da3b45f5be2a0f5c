"""Fixtures of the data tests: tiny raw releases drawn with PIL, their exports, isolated caches."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.comsamy.data.rawfactory import make_raw_release


@pytest.fixture(scope="session")
def _session_hf_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One datasets cache for the session (safe: comsamy.load_dataset keys local folders by content)."""
    return tmp_path_factory.mktemp("hf-datasets-cache")


@pytest.fixture(autouse=True)
def _isolated_hf_caches(_session_hf_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep datasets' cache out of the user's home and fail fast on any Hub access."""
    import datasets
    import huggingface_hub.constants

    cache = _session_hf_cache
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("COMSAMY_DATA", raising=False)
    monkeypatch.delenv("COMSAMY_HUB_REPO", raising=False)
    return cache


@pytest.fixture
def raw_release(tmp_path: Path) -> Path:
    """9 benchmark examples (every weather, several landforms, JPEG and PNG) + 3 inlier examples."""
    return make_raw_release(tmp_path / "raw", n=9, seed=0, inliers=3)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(raw, out)``: a raw release of 16 examples and its export (built once per module)."""
    from comsamy.data import export_release

    root = tmp_path_factory.mktemp("exported")
    raw = make_raw_release(root / "raw", n=16, seed=3, inliers=4)
    export_release(raw, root / "out", synthetic=True)
    return raw, root / "out"
