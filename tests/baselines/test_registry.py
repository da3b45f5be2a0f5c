"""The baseline registry: names, fixed settings, config validation, lazy external builders."""

from __future__ import annotations

import sys
import types

import pytest

from baselines.registry import BASELINES, available_baselines, create_baseline
from baselines.rpl import InlierSegmenter, RPLSegmenter
from comsamy.errors import ConfigError
from tests.baselines.blfixtures import TINY


def test_names() -> None:
    assert set(available_baselines()) == {
        "inlier_segmenter",
        "rpl_energy",
        "rpl_eel",
        "mask2anomaly",
        "mask2anomaly_diffeel",
    }
    assert BASELINES["mask2anomaly"][0] == "baselines.mask2anomaly.model:build_mask2anomaly"


def test_builds_each_pixelwise_variant() -> None:
    assert isinstance(create_baseline("inlier_segmenter", **TINY), InlierSegmenter)
    energy = create_baseline("rpl_energy", **TINY)
    eel = create_baseline("rpl_diffeel", **TINY)
    assert isinstance(energy, RPLSegmenter) and energy.config.anomaly_loss == "energy"
    assert isinstance(eel, RPLSegmenter) and eel.config.anomaly_loss == "eel" and eel.config.lam == 0.05
    assert eel.config.to_dict()["width"] == TINY["width"]


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="baseline name"):
        create_baseline("rpl_xyz")
    with pytest.raises(ConfigError, match="unknown"):
        create_baseline("rpl_eel", widht=0.5)
    with pytest.raises(ConfigError, match="fixes them"):
        create_baseline("rpl_eel", anomaly_loss="energy")


def test_external_builder_is_imported_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fake = types.ModuleType("baselines.mask2anomaly.model")
    fake.build_mask2anomaly = lambda **kw: calls.append(kw) or "model"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "baselines.mask2anomaly.model", fake)
    assert create_baseline("mask2anomaly_diffeel", queries=7) == "model"
    assert calls == [{"diffeel": True, "queries": 7}]
