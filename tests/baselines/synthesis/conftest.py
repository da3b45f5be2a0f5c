"""Shared fixtures: a tiny offline Stable Diffusion pipeline, inlier scenes and object banks."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_sd_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from baselines.study.tiny_diffusion import build_tiny_pipeline

    return build_tiny_pipeline(tmp_path_factory.mktemp("sd") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_generator(tiny_sd_path: Path):
    from baselines.synthesis.generator import ObjectGenerator

    return ObjectGenerator.from_pretrained(tiny_sd_path)


@pytest.fixture(scope="session")
def inliers():
    from tests.baselines.synthesis.scenes import inlier_dataset

    return inlier_dataset(4, seed=0)


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.baselines.synthesis.scenes import write_bank

    return write_bank(tmp_path_factory.mktemp("bank") / "blobs", n=5, seed=0)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models run fastest on one thread; on a shared 2-core box more threads only contend."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
