"""Scores against the paper's formulas written out in float64 numpy (Eq. 2-6), mask-wise forms against a loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines import scores
from comsamy.errors import UsageError
from tests.baselines.blfixtures import np_entropy, np_logsumexp, np_softmax

ORACLES = {
    "msp": lambda y: 1.0 - np_softmax(y).max(axis=1),
    "max_logit": lambda y: -y.max(axis=1),
    "entropy": np_entropy,
    "energy": lambda y: -np_logsumexp(y),
    "eel": lambda y: 1.0 * np_entropy(y) - np_logsumexp(y),
}


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("name", sorted(ORACLES))
def test_score_matches_formula(name: str, scale: float) -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=(2, 19, 5, 6)) * scale
    got = scores.score_by_name(name, torch.tensor(y, dtype=torch.float32))
    want = ORACLES[name](y)
    assert got.shape == (2, 5, 6)
    assert torch.isfinite(got).all()
    # msp / entropy are bounded: absolute tolerance; the others grow with the logits (float32 relative error)
    atol = 1e-5 if name in ("msp", "entropy") else 1e-6 * scale * 19
    np.testing.assert_allclose(got.double().numpy(), want, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_score_gradients_finite_at_extreme_logits(name: str) -> None:
    y = (torch.randn(1, 19, 4, 4, generator=torch.Generator().manual_seed(1)) * 1e4).requires_grad_(True)
    scores.score_by_name(name, y).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()


def test_eel_alpha_weights_entropy() -> None:
    y = torch.randn(1, 19, 3, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    got = scores.eel_score(y, alpha=2.5)
    want = 2.5 * scores.entropy(y) - torch.logsumexp(y, dim=1)
    torch.testing.assert_close(got, want)


def test_hand_computed_uniform_logits() -> None:
    y = torch.zeros(1, 19, 1, 1)
    assert scores.msp(y).item() == pytest.approx(1 - 1 / 19)
    assert scores.entropy(y).item() == pytest.approx(np.log(19), rel=1e-6)
    assert scores.energy(y).item() == pytest.approx(-np.log(19), rel=1e-6)
    assert scores.eel_score(y).item() == pytest.approx(0.0, abs=1e-6)


def test_maskwise_logits_against_pixel_loop() -> None:
    g = torch.Generator().manual_seed(3)
    n, q, c, h, w = 2, 5, 19, 3, 4
    cls = torch.randn(n, q, c + 1, generator=g, dtype=torch.float64) * 3
    masks = torch.randn(n, q, h, w, generator=g, dtype=torch.float64) * 3
    got = scores.maskwise_logits(cls, masks)
    want = torch.zeros(n, c, h, w, dtype=torch.float64)
    for b in range(n):
        probs = torch.softmax(cls[b], dim=-1)[:, :c]
        for i in range(h):
            for j in range(w):
                for k in range(c):
                    want[b, k, i, j] = sum(probs[qq, k] * torch.sigmoid(masks[b, qq, i, j]) for qq in range(q))
    torch.testing.assert_close(got, want)
    msp = scores.maskwise_msp(cls, masks)
    torch.testing.assert_close(msp, 1 - want.amax(dim=1))


def test_maskwise_shape_errors_name_arguments() -> None:
    with pytest.raises(UsageError, match="class_logits"):
        scores.maskwise_logits(torch.zeros(1, 3, 20), torch.zeros(1, 4, 2, 2))
    with pytest.raises(UsageError, match="mask_logits"):
        scores.maskwise_logits(torch.zeros(1, 3), torch.zeros(1, 3, 2, 2))


def test_bad_inputs() -> None:
    with pytest.raises(UsageError, match=r"\(N, C, H, W\)"):
        scores.msp(torch.zeros(19, 4, 4))
    with pytest.raises(UsageError, match="floating-point"):
        scores.energy(torch.zeros(1, 19, 2, 2, dtype=torch.long))
    with pytest.raises(UsageError, match="expected score in"):
        scores.score_by_name("nope", torch.zeros(1, 19, 2, 2))


def test_gaussian_blur_against_explicit_sum() -> None:
    rng = np.random.default_rng(4)
    s = rng.normal(size=(1, 12, 13))
    got = scores.gaussian_blur(torch.tensor(s), kernel_size=7, sigma=1.0).numpy()
    k1 = np.exp(-((np.arange(7) - 3) ** 2) / 2.0)
    k = np.outer(k1, k1) / np.outer(k1, k1).sum()
    padded = np.pad(s[0], 3, mode="reflect")
    want = np.array([[np.sum(padded[i : i + 7, j : j + 7] * k) for j in range(13)] for i in range(12)])
    np.testing.assert_allclose(got[0], want, rtol=1e-10, atol=1e-12)
    const = torch.full((1, 9, 9), 3.0)
    torch.testing.assert_close(scores.gaussian_blur(const), const)
