"""The bundled sample (comsamy/sample_data/comsamy-sample) loads offline with the right configs and counts."""

from __future__ import annotations

from collections import Counter

import numpy as np

from comsamy.constants import LANDFORMS, WEATHERS, split_of
from comsamy.data import benchmark_features, inlier_features, load_dataset, sample_path
from comsamy.data.check import validate_dataset_folder
from comsamy.data.loading import folder_configs


def test_sample_configs_counts_and_features() -> None:
    assert folder_configs(sample_path()) == ["default", "all", *WEATHERS, "inliers"]
    test = load_dataset("sample", config="all", split="test")
    assert test.features == benchmark_features()
    weathers = Counter(WEATHERS[w] for w in test["weather"])
    assert set(weathers) == set(WEATHERS)
    assert {LANDFORMS[lf] for lf in test["landform"]} == set(LANDFORMS)
    default = load_dataset("sample")
    assert len(default["clear"]) == weathers["clear"]
    assert len(default["adverse"]) == sum(n for w, n in weathers.items() if split_of(w) == "adverse")
    assert len(load_dataset("sample", config="fog", split="test")) == weathers["fog"]
    inliers = load_dataset("sample", config="inliers", split="train")
    assert inliers.features == inlier_features() and len(inliers) >= 10
    row = test[0]
    assert row["image"].size == row["label"].size and row["label"].mode == "L"


def test_sample_is_valid_small_and_says_it_is_synthetic() -> None:
    summary = validate_dataset_folder(sample_path())  # every row decoded and checked
    assert 40 <= summary.num_test <= 60
    card = (sample_path() / "README.md").read_text()
    assert "This copy is synthetic" in card and "tests" in card
    size = sum(p.stat().st_size for p in sample_path().rglob("*") if p.is_file())
    assert size < 12 * 2**20


def test_sample_labels_have_anomalies_and_only_valid_values() -> None:
    ds = load_dataset("sample", config="all", split="test")
    values = set()
    for label in ds["label"][:10]:
        values |= set(np.unique(np.asarray(label)).tolist())
    assert values <= {0, 1, 255} and 1 in values
