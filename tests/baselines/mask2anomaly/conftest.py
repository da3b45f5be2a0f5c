"""Fixtures of the Mask2Anomaly tests (helpers live in m2a_helpers.py)."""

from __future__ import annotations

import pytest
import torch

from tests.baselines.mask2anomaly.helpers import make_batch, make_tiny


@pytest.fixture(autouse=True)
def one_thread():
    """The tiny model's operations are far too small to gain from threads, and lose a lot on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny():
    return make_tiny()


@pytest.fixture
def batch():
    return make_batch()
