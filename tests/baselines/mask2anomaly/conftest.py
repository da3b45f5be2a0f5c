"""Fixtures of the Mask2Anomaly tests (helpers live in helpers.py; one torch thread comes from tests/baselines/conftest.py)."""

from __future__ import annotations

import pytest

from tests.baselines.mask2anomaly.helpers import make_batch, make_tiny


@pytest.fixture
def tiny():
    return make_tiny()


@pytest.fixture
def batch():
    return make_batch()
