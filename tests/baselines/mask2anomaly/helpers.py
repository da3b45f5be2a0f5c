"""Helpers of the Mask2Anomaly tests: a seeded tiny model and a labelled 64x64 batch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

ANOMALY_ID = 254


def make_tiny(seed: int = 0, **config):
    """A tiny Mask2Anomaly built with a fixed seed (eval mode)."""
    from baselines.mask2anomaly import build_mask2anomaly

    torch.manual_seed(seed)
    config.setdefault("size", "tiny")
    return build_mask2anomaly(**config).eval()


def make_batch(seed: int = 0, n: int = 2, size: int = 64):
    """Images (n, 3, size, size) and labels: road bottom half, a few classes on top, a pasted anomaly, some void."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, size, size, generator=g)
    labels = torch.full((n, size, size), 10, dtype=torch.long)  # sky
    labels[:, size // 2 :] = 0  # road
    labels[:, size // 4 : size // 2, : size // 2] = 2  # building
    labels[:, size // 4 : size // 2, size // 2 :] = 8  # vegetation
    labels[:, size // 2 + 8 : size // 2 + 20, 20:36] = ANOMALY_ID
    labels[:, :, :2] = 255
    # make the anomaly visible in the image so that training can find it
    images[:, :, size // 2 + 8 : size // 2 + 20, 20:36] += 2.0
    return images, labels
