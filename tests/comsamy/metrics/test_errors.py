"""Every bad input raises the right error, naming the image and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from comsamy.errors import MetricInputError, UsageError
from comsamy.metrics import (
    MetricAccumulator,
    SparseHistogram,
    anomaly_metrics,
    compute_metrics,
    image_histogram,
    image_histogram_from_bits,
    sum_histograms,
)

Y = np.array([[0, 1, 255], [1, 0, 0]], np.uint8)
S = np.array([[0.1, 0.9, 0.5], [0.8, 0.2, 0.3]], np.float32)


def _hist(scores: object, labels: object = Y, **kwargs: object) -> SparseHistogram:
    return image_histogram(scores, labels, image_id="fog_07", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [2, 7, 254])
def test_bad_label_value_named(value: int) -> None:
    y = Y.copy()
    y[1, 2] = value
    with pytest.raises(
        MetricInputError, match=rf"image 'fog_07': expected label values 0, 1 or 255, got {value} \(1 px\)"
    ):
        _hist(S, y)
    with pytest.raises(MetricInputError, match=f"fog_07.*got {value}"):
        _hist(S, y, precision="float32")


def test_bad_label_value_in_wider_dtype() -> None:
    with pytest.raises(MetricInputError, match="fog_07.*got -1"):
        _hist(S, Y.astype(np.int16) * 0 - 1)


def test_float_labels_rejected() -> None:
    with pytest.raises(MetricInputError, match="fog_07.*expected a uint8 label map.*float64"):
        _hist(S, Y.astype(np.float64))


@pytest.mark.parametrize("shape", [(3, 2), (2, 4), (6,), (1, 2, 3)])
def test_shape_mismatch(shape: tuple[int, ...]) -> None:
    with pytest.raises(
        MetricInputError, match="image 'fog_07': expected scores of shape 2x3 .*got " + "x".join(map(str, shape))
    ):
        _hist(np.zeros(shape, np.float16))


def test_three_dimensional_labels() -> None:
    with pytest.raises(MetricInputError, match="fog_07.*expected a 2-D"):
        _hist(np.zeros((1, 2, 3)), np.zeros((1, 2, 3), np.uint8))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_counted(dtype: type, bad: float) -> None:
    s = S.astype(dtype)
    s[0, 0] = s[1, 1] = bad
    s[0, 2] = bad  # a void pixel counts too: the map itself is invalid
    with pytest.raises(MetricInputError, match="image 'fog_07': expected finite scores, got 3 NaN or inf pixel"):
        _hist(s)
    with pytest.raises(MetricInputError, match="got 3 NaN or inf"):
        _hist(s, precision="float32")


def test_nonfinite_through_bits() -> None:
    s = S.astype(np.float16)
    s[0, 1] = np.nan
    with pytest.raises(MetricInputError, match="fog_07.*got 1 NaN or inf"):
        image_histogram_from_bits(s.view(np.uint16), Y, image_id="fog_07")


@pytest.mark.parametrize("value", [65505.0, 70000.0, -1e6, 1e30])
def test_out_of_float16_range_suggests_rescaling(value: float) -> None:
    s = S.astype(np.float64)
    s[1, 0] = value
    with pytest.raises(MetricInputError, match="fog_07.*float16's finite range.*rescale"):
        _hist(s)


def test_float32_mode_range() -> None:
    s = S.astype(np.float64)
    s[1, 0] = 1e300
    with pytest.raises(MetricInputError, match="fog_07.*float32's finite range.*rescale"):
        _hist(s, precision="float32")
    assert _hist(s.clip(max=1e30), precision="float32").num_anomaly_pixels == 2  # float32 range is fine


def test_float16_extremes_accepted() -> None:
    s = S.astype(np.float64)
    s[1, 0], s[1, 1] = -65504.0, 65504.0  # an anomaly at the bottom, an inlier at the top
    assert anomaly_metrics(s, Y).auroc == pytest.approx(2 / 6, abs=1e-15)


@pytest.mark.parametrize("scores", [S > 0.5, S.astype(np.complex64), S.astype(object)])
def test_unsupported_score_dtypes(scores: np.ndarray) -> None:
    with pytest.raises(MetricInputError, match="fog_07.*expected float or unsigned integer"):
        _hist(scores)


@pytest.mark.parametrize("scores", [np.full((2, 3), -1, np.int32), np.full((2, 3), 70000, np.int64)])
def test_integer_scores_out_of_range(scores: np.ndarray) -> None:
    with pytest.raises(MetricInputError, match=r"fog_07.*integer scores in \[0, 65535\]"):
        _hist(scores)


def test_bits_need_uint16() -> None:
    with pytest.raises(MetricInputError, match="fog_07.*expected uint16 float16 bit patterns, got dtype float16"):
        image_histogram_from_bits(S.astype(np.float16), Y, image_id="fog_07")


def test_mixing_float_and_integer_names_both_images() -> None:
    acc = MetricAccumulator()
    acc.update("a_float", S, Y)
    with pytest.raises(
        MetricInputError, match="image 'b_int'.*integer scores here and float scores in image 'a_float'"
    ):
        acc.update("b_int", (S * 100).astype(np.uint8), Y)
    acc2 = MetricAccumulator()
    acc2.update("c_int", (S * 100).astype(np.uint8), Y)
    with pytest.raises(MetricInputError, match="'d_float'.*float scores here and integer scores in image 'c_int'"):
        acc2.update("d_float", S, Y)
    assert len(acc) == 1 and len(acc2) == 1  # the failed image was not added
    with pytest.raises(MetricInputError, match="one kind of scores"):
        sum_histograms([image_histogram(S, Y), image_histogram((S * 100).astype(np.uint8), Y)])


def test_duplicate_image() -> None:
    acc = MetricAccumulator()
    acc.update("x", S, Y)
    with pytest.raises(MetricInputError, match="image 'x': expected each image once"):
        acc.update("x", S, Y)


def test_wrong_precision_histogram() -> None:
    acc = MetricAccumulator()
    with pytest.raises(MetricInputError, match="image 'x'.*float16 or integer histogram.*got kind 'float32'"):
        acc.add_histogram("x", image_histogram(S, Y, precision="float32"))
    with pytest.raises(MetricInputError, match="image 'y': expected a SparseHistogram, got dict"):
        acc.add_histogram("y", {"keys": []})  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"fpr95": "last"}, {"auprc": "trapz"}, {"precision": "float64"}])
def test_bad_definition_names(kwargs: dict[str, str]) -> None:
    key, value = next(iter(kwargs.items()))
    with pytest.raises(UsageError, match=f"{key}: expected one of .*got '{value}'"):
        MetricAccumulator(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=f"{key}: expected one of"):
        anomaly_metrics(S, Y, **kwargs)  # type: ignore[arg-type]


def test_bad_definition_in_compute_metrics() -> None:
    with pytest.raises(UsageError, match="fpr95"):
        compute_metrics(image_histogram(S, Y), fpr95="median")  # type: ignore[arg-type]


def test_merge_needs_same_settings() -> None:
    with pytest.raises(UsageError, match="merge: expected an accumulator with precision='float16'.*'interp'"):
        MetricAccumulator().merge(MetricAccumulator(fpr95="interp"))


def test_merge_with_overlap() -> None:
    a, b = MetricAccumulator(), MetricAccumulator()
    a.update("x", S, Y)
    b.update("x", S, Y)
    with pytest.raises(MetricInputError, match="image 'x'"):
        a.merge(b)


def test_subset_unknown_id() -> None:
    acc = MetricAccumulator()
    acc.update("x", S, Y)
    with pytest.raises(MetricInputError, match="unknown 'nope'"):
        acc.subset(["x", "nope"])


def test_bad_weather_metadata() -> None:
    acc = MetricAccumulator()
    with pytest.raises(MetricInputError, match="image 'x': expected weather in clear, .*got 'hail'"):
        acc.update("x", S, Y, {"weather": "hail"})
    with pytest.raises(MetricInputError, match=r"image 'y': expected weather index in \[0, 6\], got 42"):
        acc.update("y", S, Y, {"weather": 42})
    with pytest.raises(MetricInputError, match=r"image 'z': expected landform index in \[0, 6\], got -1"):
        acc.add_histogram("z", image_histogram(S, Y), {"landform": -1})
    assert len(acc) == 0  # nothing half-added
    acc.update("w", S, Y, {"weather": 4, "landform": 3})  # ClassLabel indices are names
    result = acc.compute()
    assert list(result.by_condition["weather"]) == ["fog"] and list(result.by_condition["landform"]) == ["forest"]


def test_keep_images_false_refuses_image_level_calls() -> None:
    acc = MetricAccumulator(keep_images=False)
    acc.update("x", S, Y)
    for call in (
        lambda: acc.subset(["x"]),
        acc.per_image,
        lambda: acc.image_histogram("x"),
        lambda: MetricAccumulator().merge(acc),
        lambda: acc.histogram(["x"]),
    ):
        with pytest.raises(UsageError, match="expected an accumulator with keep_images=True"):
            call()


def test_list_lengths_must_match() -> None:
    with pytest.raises(MetricInputError, match="one score map per label map, got 2 score maps and 1 label maps"):
        anomaly_metrics([S, S], [Y])


def test_sparse_histogram_lengths() -> None:
    with pytest.raises(MetricInputError, match="expected keys, pos, neg of one length"):
        SparseHistogram(np.arange(3), np.ones(3), np.ones(2))
