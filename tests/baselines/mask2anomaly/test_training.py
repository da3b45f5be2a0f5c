"""A few AdamW steps of each Mask2Anomaly variant on CPU reduce its Eq. 10 loss."""

from __future__ import annotations

import pytest
import torch

from tests.baselines.mask2anomaly.helpers import ANOMALY_ID, make_batch, make_tiny


def _loss_at(model, images, labels, seed=0):
    torch.manual_seed(seed)  # the Mask2Former loss samples points at random: compare on the same points
    loss, parts = model.training_loss(images, labels, anomaly_id=ANOMALY_ID)
    return loss, parts


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["mask2anomaly", "mask2anomaly_diffeel"])
def test_adamw_steps_reduce_the_loss(variant):
    model = make_tiny(seed=0, variant=variant).train()
    images, labels = make_batch(n=2)
    optimizer = torch.optim.AdamW(model.param_groups(3e-3))
    with torch.no_grad():
        start, start_parts = _loss_at(model, images, labels)
    for step in range(6):
        loss, _ = _loss_at(model, images, labels, seed=step + 1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        end, end_parts = _loss_at(model, images, labels)
    anomaly_key = "loss_eel" if variant == "mask2anomaly_diffeel" else "loss_contrastive"
    assert anomaly_key in start_parts
    assert end.item() < 0.9 * start.item(), (start_parts, end_parts)
    for key in ("loss_masks", "loss_ce", anomaly_key):
        assert end_parts[key] < start_parts[key], key
