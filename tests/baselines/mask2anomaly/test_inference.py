"""Mask2Anomaly inference: mask-wise scores, the confident-mask refinement and horizontal-flip averaging."""

from __future__ import annotations

import pytest
import torch

from baselines.base import SCORE_NAMES
from baselines.mask2anomaly.inference import (
    confident_non_road,
    fill_value_for,
    flip_average,
    maskwise_score,
    refine_scores,
)
from comsamy.errors import UsageError
from tests.baselines.mask2anomaly.helpers import make_batch, make_tiny


def test_maskwise_scores_against_the_formulas():
    torch.manual_seed(0)
    y = torch.rand(2, 19, 4, 4) * 2
    p = torch.softmax(y, dim=1)
    h = -(p * p.log()).sum(dim=1)
    e = torch.log(torch.exp(y).sum(dim=1))
    torch.testing.assert_close(maskwise_score(y, "msp"), 1 - y.max(dim=1).values)  # Eq. 3, no second softmax
    torch.testing.assert_close(maskwise_score(y, "eel"), h - e)  # Eq. 6, alpha = 1
    torch.testing.assert_close(maskwise_score(y, "eel", alpha=0.5), 0.5 * h - e)
    torch.testing.assert_close(maskwise_score(y, "energy"), -e)
    torch.testing.assert_close(maskwise_score(y, "entropy"), h)
    torch.testing.assert_close(maskwise_score(y, "max_logit"), -y.max(dim=1).values)
    with pytest.raises(UsageError, match="score"):
        maskwise_score(y, "odin")


def _three_queries():
    """C = 3 (road = 0), Q = 3 on a 2x4 image: a confident car (class 2), a confident road, an unsure car."""
    big = 10.0
    cls = torch.full((1, 3, 4), -big)
    cls[0, 0, 2] = big  # query 0: class 2 with probability ~1
    cls[0, 1, 0] = big  # query 1: road with probability ~1
    cls[0, 2, 2], cls[0, 2, 3] = 1.0, 0.0  # query 2: class 2 with probability ~0.5 (rest to no-object)
    masks = torch.full((1, 3, 2, 4), -big)
    masks[0, 0, :, 0] = big  # car mask: column 0
    masks[0, 1, :, 1] = big  # road mask: column 1
    masks[0, 2, :, 2] = big  # unsure mask: column 2
    return cls, masks


def test_confident_non_road_region_hand_case():
    cls, masks = _three_queries()
    region = confident_non_road(cls, masks, threshold=0.95, road_id=0)
    assert region.tolist() == [[[True, False, False, False], [True, False, False, False]]]
    # a lower threshold lets the unsure query in; declaring class 2 the road swaps the car for class 0's mask
    assert confident_non_road(cls, masks, threshold=0.3)[0, 0].tolist() == [True, False, True, False]
    assert confident_non_road(cls, masks, road_id=2)[0, 0].tolist() == [False, True, False, False]


def test_refinement_zeroes_scores_under_confident_non_road_masks():
    cls, masks = _three_queries()
    scores = torch.tensor([[[0.9, 0.8, 0.7, 0.6], [0.5, 0.4, 0.3, 0.2]]])
    refined = refine_scores(scores, cls, masks)
    torch.testing.assert_close(refined, torch.tensor([[[0.0, 0.8, 0.7, 0.6], [0.0, 0.4, 0.3, 0.2]]]))
    # unbounded scores get the image's minimum instead of 0
    energy_like = scores - 5.0
    floor = refine_scores(energy_like, cls, masks, fill_value=None)
    assert floor[0, :, 0].tolist() == pytest.approx([-4.8, -4.8])
    assert torch.equal(floor[0, :, 1:], energy_like[0, :, 1:])
    assert fill_value_for("msp") == 0.0 and fill_value_for("entropy") == 0.0 and fill_value_for("eel") is None


def test_refinement_rejects_masks_at_another_resolution():
    cls, masks = _three_queries()
    with pytest.raises(UsageError, match="resolution"):
        refine_scores(torch.zeros(1, 4, 4), cls, masks)


def test_flip_average_is_flip_equivariant_and_a_plain_pass_is_not():
    model = make_tiny()
    images, _ = make_batch(n=1)
    flipped = images.flip(dims=[-1])
    with torch.no_grad():
        a = model.anomaly_scores(images, "eel", flip=True)
        b = model.anomaly_scores(flipped, "eel", flip=True)
        torch.testing.assert_close(b, a.flip(dims=[-1]), atol=1e-5, rtol=1e-5)
        c = model.anomaly_scores(images, "eel", flip=False)
        d = model.anomaly_scores(flipped, "eel", flip=False)
    assert (d - c.flip(dims=[-1])).abs().max() > 1e-4  # the network itself is not mirror-symmetric
    # and the average is exactly the mean of the two passes
    torch.testing.assert_close(a, (c + d.flip(dims=[-1])) / 2)


def test_flip_average_on_a_function():
    def f(x):
        return x[:, 0] * torch.arange(x.shape[-1], dtype=x.dtype)

    x = torch.rand(1, 3, 2, 5)
    expected = (f(x) + f(x.flip(dims=[-1])).flip(dims=[-1])) / 2
    torch.testing.assert_close(flip_average(f, x), expected)


@pytest.mark.parametrize("score", SCORE_NAMES)
def test_anomaly_scores_every_name(score):
    model = make_tiny()
    images, _ = make_batch(n=2)
    s = model.anomaly_scores(images, score)
    assert s.shape == (2, 64, 64) and torch.isfinite(s).all()
    plain = model.anomaly_scores(images, score, refine=False, flip=False)
    expected = maskwise_score(model(images)["logits"], score)
    torch.testing.assert_close(plain, expected)


def test_anomaly_scores_apply_the_refinement():
    model = make_tiny()
    images, _ = make_batch(n=1)
    with torch.no_grad():  # make query 0 a confident "building" (class 2) whatever the image
        bias = model.mask2former.class_predictor.bias
        bias.zero_()
        bias[2] = 50.0
        model.mask2former.class_predictor.weight.zero_()
        out = model(images)
    region = confident_non_road(
        out["class_logits"], torch.nn.functional.interpolate(out["mask_logits"], size=(64, 64), mode="bilinear")
    )
    assert region.any() and not region.all()
    refined = model.anomaly_scores(images, "msp", flip=False)
    raw = model.anomaly_scores(images, "msp", flip=False, refine=False)
    assert torch.equal(refined[region], torch.zeros_like(refined[region]))
    assert torch.equal(refined[~region], raw[~region])


def test_unknown_score_fails_before_running_the_model():
    with pytest.raises(UsageError, match="score"):
        make_tiny().anomaly_scores(torch.zeros(1, 3, 64, 64), "odin")
