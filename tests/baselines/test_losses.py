"""EEL loss (Eq. 7, sign-corrected), RPL energy loss and consistency loss against float64 numpy formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines.losses import anomaly_mask_from_labels, eel_loss, energy_hinge_loss
from baselines.rpl.loss import consistency_loss, rpl_loss
from comsamy.errors import ConfigError, UsageError
from tests.baselines.blfixtures import np_entropy, np_logsumexp, np_softmax


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(x / 2))


def _eel_oracle(y: np.ndarray, m: np.ndarray, alpha: float) -> float:
    """Eq. 7 with the inlier entropy sign corrected: BCE on sigmoid(-E) written with -log, plus entropy."""
    e, h = np_logsumexp(y), np_entropy(y)
    # -log(sigmoid(-E)) and -log(1 - sigmoid(-E)) in a form that does not overflow for moderate E
    neg_log_sig = np.logaddexp(0.0, e)  # = -log sigmoid(-E)
    neg_log_one_minus = np.logaddexp(0.0, -e)  # = -log(1 - sigmoid(-E))
    if np.all(np.abs(e) < 30):  # where it is safe, check against the literal sigmoid form as well
        np.testing.assert_allclose(neg_log_sig, -np.log(_sigmoid(-e)), rtol=1e-9)
        np.testing.assert_allclose(neg_log_one_minus, -np.log(1 - _sigmoid(-e)), rtol=1e-9)
    out = (neg_log_sig - alpha * h)[m == 1].mean() if (m == 1).any() else 0.0
    inl = (neg_log_one_minus + alpha * h)[m == 0].mean() if (m == 0).any() else 0.0
    return float(out + inl)


def _random_case(seed: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(2, 19, 6, 7)) * scale
    m = rng.choice([0, 1, 255], size=(2, 6, 7), p=[0.6, 0.3, 0.1])
    return y, m


@pytest.mark.parametrize("scale", [1.0, 5.0, 1e4])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_eel_loss_matches_formula(scale: float, alpha: float) -> None:
    y, m = _random_case(int(scale) + int(alpha * 10), scale)
    got = eel_loss(torch.tensor(y), torch.tensor(m), alpha=alpha)
    assert got.dim() == 0
    np.testing.assert_allclose(float(got), _eel_oracle(y, m, alpha), rtol=1e-9, atol=1e-9 * scale)


def test_eel_loss_float32_finite_grads_at_1e4() -> None:
    y, m = _random_case(7, 1e4)
    yt = torch.tensor(y, dtype=torch.float32, requires_grad=True)
    loss = eel_loss(yt, torch.tensor(m))
    loss.backward()
    assert torch.isfinite(loss) and yt.grad is not None and torch.isfinite(yt.grad).all()
    np.testing.assert_allclose(float(loss.detach()), _eel_oracle(y, m, 1.0), rtol=1e-5)


def test_eel_void_pixels_change_nothing() -> None:
    y, m = _random_case(3, 2.0)
    base = eel_loss(torch.tensor(y), torch.tensor(m))
    y2 = y.copy()
    y2[:, :, m[0] == 255] = 1e3  # garbage under void pixels of image 0 (broadcast over the batch is fine)
    m2 = m.copy()
    m2[:, m[0] == 255] = 255
    again = eel_loss(torch.tensor(y2), torch.tensor(m2))
    ref = eel_loss(torch.tensor(y), torch.tensor(m2))
    torch.testing.assert_close(again, ref)
    assert torch.isfinite(base)


def test_eel_gradient_raises_anomaly_score_and_lowers_inlier_score() -> None:
    """The sign chosen over Eq. 7's typo: a descent step must raise S = H - E on anomalies, lower it on inliers."""
    from baselines.scores import eel_score

    y = torch.randn(1, 19, 1, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2
    m = torch.tensor([[[1, 0]]])
    y.requires_grad_(True)
    eel_loss(y, m).backward()
    with torch.no_grad():
        before = eel_score(y)
        after = eel_score(y - 0.1 * y.grad)
    assert after[0, 0, 0] > before[0, 0, 0]
    assert after[0, 0, 1] < before[0, 0, 1]


def test_eel_empty_side_is_zero_and_in_graph() -> None:
    y = torch.randn(1, 19, 2, 2, dtype=torch.float64, requires_grad=True)
    only_inliers = torch.zeros(1, 2, 2, dtype=torch.long)
    loss = eel_loss(y, only_inliers)
    yn = y.detach().numpy()
    np.testing.assert_allclose(float(loss.detach()), _eel_oracle(yn, only_inliers.numpy(), 1.0))
    all_void = torch.full((1, 2, 2), 255)
    assert float(eel_loss(y, all_void).detach()) == 0.0
    eel_loss(y, all_void).backward()
    assert y.grad is not None


def test_energy_hinge_loss_matches_formula() -> None:
    y, m = _random_case(11, 3.0)
    e = np_logsumexp(y)
    want = np.maximum(e - 0.5, 0)[m == 1].mean()
    got = energy_hinge_loss(torch.tensor(y), torch.tensor(m), margin=0.5)
    np.testing.assert_allclose(float(got), want, rtol=1e-10)


def test_loss_input_errors() -> None:
    with pytest.raises(UsageError, match="anomaly_mask of shape"):
        eel_loss(torch.zeros(1, 19, 2, 2), torch.zeros(1, 3, 2, dtype=torch.long))
    with pytest.raises(UsageError, match=r"values in \{0, 1, 255\}"):
        eel_loss(torch.zeros(1, 19, 2, 2), torch.full((1, 2, 2), 7))
    with pytest.raises(UsageError, match=r"\(N, C, H, W\)"):
        energy_hinge_loss(torch.zeros(19, 2, 2), torch.zeros(19, 2))


def test_anomaly_mask_from_labels() -> None:
    labels = torch.tensor([[[0, 254, 255, 13], [20, 254, 1, 255]]])
    got = anomaly_mask_from_labels(labels, anomaly_id=254)
    assert got.tolist() == [[[0, 1, 255, 0], [0, 1, 0, 255]]]
    assert anomaly_mask_from_labels(labels, anomaly_id=20).tolist() == [[[0, 0, 255, 0], [1, 0, 0, 255]]]


@pytest.mark.parametrize("use_kl", [True, False])
def test_consistency_loss_matches_formula(use_kl: bool) -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=(2, 19, 4, 5)) * 3
    f = rng.normal(size=(2, 19, 4, 5)) * 3
    inl = rng.random((2, 4, 5)) < 0.7
    p, q = np_softmax(y), np_softmax(f)
    tgt = f.argmax(axis=1)
    ce = -np.log(np.take_along_axis(p, tgt[:, None], axis=1)[:, 0])
    kl = (q * (np.log(q) - np.log(p))).sum(axis=1)
    mse = (np_entropy(y) - np_entropy(f)) ** 2
    want = ce[inl].mean() + (kl[inl].mean() if use_kl else 0.0) + mse[inl].mean()
    parts = consistency_loss(torch.tensor(y), torch.tensor(f), torch.tensor(inl), use_kl=use_kl)
    np.testing.assert_allclose(float(parts.total), want, rtol=1e-9)
    np.testing.assert_allclose(float(parts.ce), ce[inl].mean(), rtol=1e-9)


def test_rpl_loss_total_is_cons_plus_lambda_anomaly() -> None:
    rng = np.random.default_rng(6)
    y = torch.tensor(rng.normal(size=(1, 19, 4, 4)))
    f = torch.tensor(rng.normal(size=(1, 19, 4, 4)))
    labels = torch.tensor(rng.choice([0, 5, 254, 255], size=(1, 4, 4)))
    mask = anomaly_mask_from_labels(labels, anomaly_id=254)
    cons = consistency_loss(y, f, mask == 0).total
    total, parts = rpl_loss(y, f, labels, anomaly_id=254, anomaly_loss="eel", lam=0.05)
    torch.testing.assert_close(total, cons + 0.05 * eel_loss(y, mask))
    assert set(parts) == {"loss", "ce", "kl", "entropy_mse", "eel"}
    total_e, _ = rpl_loss(y, f, labels, anomaly_id=254, anomaly_loss="energy", lam=0.05)
    torch.testing.assert_close(total_e, cons + 0.05 * energy_hinge_loss(y, mask))
    with pytest.raises(ConfigError, match="anomaly_loss"):
        rpl_loss(y, f, labels, anomaly_id=254, anomaly_loss="hinge")
