"""The features are exactly the spec's (spec/data.md "One example"), written out by hand here."""

from __future__ import annotations

from comsamy.data.features import benchmark_features, inlier_features


def test_benchmark_features_are_the_spec_table() -> None:
    assert benchmark_features().to_dict() == {
        "id": {"dtype": "string", "_type": "Value"},
        "image": {"_type": "Image"},
        "label": {"_type": "Image"},
        "weather": {
            "names": ["clear", "rain", "night", "frost", "fog", "blizzard", "sandstorm"],
            "_type": "ClassLabel",
        },
        "landform": {
            "names": ["highway", "urban_road", "country_road", "forest", "polar", "grassland", "desert"],
            "_type": "ClassLabel",
        },
        "anomaly_types": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
    }


def test_inlier_features_drop_only_anomaly_types() -> None:
    bench, inl = benchmark_features(), inlier_features()
    assert list(inl) == ["id", "image", "label", "weather", "landform"]
    assert all(inl[k] == bench[k] for k in inl)
