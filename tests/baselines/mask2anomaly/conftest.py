"""Fixtures of the Mask2Anomaly tests (helpers live in m2a_helpers.py)."""

from __future__ import annotations

import pytest
from m2a_helpers import make_batch, make_tiny


@pytest.fixture
def tiny():
    return make_tiny()


@pytest.fixture
def batch():
    return make_batch()
