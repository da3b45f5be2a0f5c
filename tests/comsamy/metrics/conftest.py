"""Fixtures of the metric tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator (explicit seed: the tests are reproducible)."""
    return np.random.default_rng(20261125)
