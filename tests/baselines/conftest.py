"""Shared settings of the baseline tests (tests/baselines/test_*.py, hf/, mask2anomaly/): one torch thread (tiny models
are overhead-bound, and oversubscribed OpenMP threads are ~10x slower on a shared 2-core machine), restored afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_ONE_THREAD_MODULES = ("tests.baselines.test_", "tests.baselines.hf.", "tests.baselines.mask2anomaly.")


@pytest.fixture(autouse=True)
def _bl_single_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    if not request.module.__name__.startswith(_ONE_THREAD_MODULES):
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
