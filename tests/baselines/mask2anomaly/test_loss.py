"""Mask2Anomaly losses: targets from label maps, mask-wise logits, contrastive loss, Eq. 10 composition."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from baselines.losses import eel_loss
from baselines.mask2anomaly.config import Mask2AnomalyConfig
from baselines.mask2anomaly.loss import (
    check_labels,
    compose_loss,
    mask_contrastive_loss,
    pixel_logits,
    semantic_to_mask_targets,
)
from comsamy.errors import UsageError
from tests.baselines.mask2anomaly.helpers import ANOMALY_ID, make_batch, make_tiny


def test_targets_one_mask_per_present_inlier_class_anomaly_and_void_excluded():
    labels = torch.tensor([[[0, 0, 5], [254, 255, 5]], [[254, 254, 255], [255, 254, 254]]])
    masks, classes = semantic_to_mask_targets(labels, num_classes=19, anomaly_id=254, void_label=255)
    assert classes[0].tolist() == [0, 5]
    assert masks[0].tolist() == [[[1, 1, 0], [0, 0, 0]], [[0, 0, 1], [0, 0, 1]]]
    assert masks[0].dtype == torch.float32
    # an image with nothing but anomaly and void has no target at all
    assert classes[1].numel() == 0 and masks[1].shape == (0, 2, 3)


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (torch.full((1, 4, 4), 30), r"got \[30\]"),
        (torch.zeros(1, 4, 4), "integer"),
        (torch.zeros(4, 4, dtype=torch.long), "integer tensor"),
    ],
)
def test_bad_labels_are_named(labels, match):
    with pytest.raises(UsageError, match=match):
        check_labels(labels, num_classes=19, anomaly_id=254, void_label=255)


def test_pixel_logits_match_an_explicit_loop():
    torch.manual_seed(0)
    n, q, c = 2, 4, 5
    cls = torch.randn(n, q, c + 1) * 3
    masks = torch.randn(n, q, 4, 4) * 3
    y = pixel_logits(cls, masks, (8, 8))
    up = F.interpolate(masks, size=(8, 8), mode="bilinear", align_corners=False)
    expected = torch.zeros(n, c, 8, 8)
    for i in range(n):
        for j in range(c):
            for k in range(q):
                p = torch.exp(cls[i, k, j]) / torch.exp(cls[i, k]).sum()
                expected[i, j] += p * (1 / (1 + torch.exp(-up[i, k])))
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=1e-5)


def test_contrastive_loss_hand_computed():
    # one image, C = 2, three pixels: inlier with max y = 0.4, anomaly with max y = 0.5, void
    logits = torch.tensor([[[[0.4, 0.5, 9.0]], [[0.1, 0.2, 9.0]]]])
    mask = torch.tensor([[[0, 1, 255]]])
    # s = -max y: inlier s = -0.4 -> relu(-0.4 + 1)^2 = 0.36; anomaly s = -0.5 -> relu(-0.25 + 0.5)^2 = 0.0625
    value = mask_contrastive_loss(logits, mask, margin=0.75)
    assert value.item() == pytest.approx(0.36 + 0.0625)
    # satisfied hinges give 0: confident inlier (max y = 1.2), quiet anomaly (max y = 0.1)
    ok = torch.tensor([[[[1.2, 0.1]], [[0.0, 0.0]]]])
    assert mask_contrastive_loss(ok, torch.tensor([[[0, 1]]])).item() == 0.0
    # no anomaly pixel: only the inlier side, still in the graph
    y = torch.tensor([[[[0.5]]]], requires_grad=True)
    loss = mask_contrastive_loss(y, torch.tensor([[[0]]]))
    loss.backward()
    assert loss.item() == pytest.approx(0.25) and y.grad is not None


def test_contrastive_loss_rejects_mismatched_shapes():
    with pytest.raises(UsageError, match="anomaly_mask"):
        mask_contrastive_loss(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 4, dtype=torch.long))


def _fake_m2f_losses():
    return {
        "loss_mask": torch.tensor(1.0),
        "loss_dice": torch.tensor(2.0),
        "loss_cross_entropy": torch.tensor(3.0),
        "loss_mask_0": torch.tensor(0.5),
        "loss_dice_0": torch.tensor(0.25),
        "loss_cross_entropy_0": torch.tensor(4.0),
    }


@pytest.mark.parametrize("variant", ["mask2anomaly", "mask2anomaly_diffeel"])
def test_compose_loss_is_eq10(variant):
    torch.manual_seed(0)
    cfg = Mask2AnomalyConfig.preset("tiny", variant=variant, lambda_ce=0.5)
    logits = torch.rand(2, 19, 8, 8) * 3
    labels = torch.randint(0, 19, (2, 8, 8))
    labels[:, :2] = ANOMALY_ID
    labels[:, -1] = 255
    total, parts = compose_loss(_fake_m2f_losses(), logits, labels, anomaly_id=ANOMALY_ID, config=cfg)
    anomaly_mask = torch.where(labels == ANOMALY_ID, 1, torch.where(labels == 255, 255, 0))
    if variant == "mask2anomaly_diffeel":
        anomaly = eel_loss(logits, anomaly_mask)
        assert set(parts) == {"loss", "loss_masks", "loss_ce", "loss_eel"}
    else:
        anomaly = mask_contrastive_loss(logits, anomaly_mask)
        assert set(parts) == {"loss", "loss_masks", "loss_ce", "loss_contrastive"}
    expected = (1.0 + 2.0 + 0.5 + 0.25) + 0.5 * (3.0 + 4.0) + 0.05 * anomaly.item()
    assert total.item() == pytest.approx(expected, rel=1e-6)
    assert parts["loss"] == pytest.approx(expected, rel=1e-6)
    assert parts["loss_masks"] == pytest.approx(3.75) and parts["loss_ce"] == pytest.approx(7.0)


def test_compose_loss_rejects_a_foreign_loss_dict():
    cfg = Mask2AnomalyConfig.preset("tiny")
    with pytest.raises(UsageError, match="loss_cross_entropy"):
        compose_loss(
            {"loss_mask": torch.tensor(1.0)},
            torch.zeros(1, 19, 2, 2),
            torch.zeros(1, 2, 2, dtype=torch.long),
            anomaly_id=ANOMALY_ID,
            config=cfg,
        )


@pytest.mark.parametrize("variant", ["mask2anomaly", "mask2anomaly_diffeel"])
def test_loss_and_gradients_finite_with_extreme_logits(variant):
    torch.manual_seed(0)
    cls = (torch.randn(2, 6, 20) * 1e4).requires_grad_()
    masks = (torch.randn(2, 6, 16, 16) * 1e4).requires_grad_()
    labels = make_batch(n=2)[1]
    cfg = Mask2AnomalyConfig.preset("tiny", variant=variant)
    logits = pixel_logits(cls, masks, (64, 64))
    total, _ = compose_loss(_fake_m2f_losses(), logits, labels, anomaly_id=ANOMALY_ID, config=cfg)
    total.backward()
    assert torch.isfinite(total)
    assert torch.isfinite(cls.grad).all() and torch.isfinite(masks.grad).all()


@pytest.mark.parametrize("variant", ["mask2anomaly", "mask2anomaly_diffeel"])
def test_model_training_loss_finite_with_extreme_weights(variant):
    model = make_tiny(variant=variant).train()
    with torch.no_grad():  # class logits and mask embeddings of magnitude ~1e4
        model.mask2former.class_predictor.weight.mul_(1e5)
        model.mask2former.model.transformer_module.decoder.mask_predictor.mask_embedder.get_parameter(
            "2.0.weight"
        ).mul_(1e5)
    images, labels = make_batch()
    loss, parts = model.training_loss(images, labels, anomaly_id=ANOMALY_ID)
    out = model(images)
    assert out["class_logits"].abs().max() > 1e3 and out["mask_logits"].abs().max() > 1e3
    loss.backward()
    assert torch.isfinite(loss) and all(v == v and abs(v) < float("inf") for v in parts.values())
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
