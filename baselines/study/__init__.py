"""The synthetic study: does the paper's DiffEEL hold up under seeds, intervals, a validation split and unseen
anomaly kinds? (``scripts/synthetic_study.py``; protocol in ``docs/baselines.md``, "Synthetic study".)

Modules: :mod:`~baselines.study.config` (the protocol and its presets), :mod:`~baselines.study.data` (disjoint
object splits, composed training sets, validation / test images), :mod:`~baselines.study.runs` (training with
hash-checked reuse, evaluation into per-image histograms), :mod:`~baselines.study.stats` and
:mod:`~baselines.study.analysis` (intervals, selection on validation, paired differences, claims),
:mod:`~baselines.study.protocol` (the whole run), :mod:`~baselines.study.report` (Markdown tables),
:mod:`~baselines.study.tiny_diffusion` (an offline random Stable Diffusion for the smoke row).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRESETS", "StudyConfig", "run_study"]


def __getattr__(name: str) -> Any:
    if name in ("PRESETS", "StudyConfig"):
        from baselines.study import config

        return getattr(config, name)
    if name == "run_study":
        from baselines.study.protocol import run_study

        return run_study
    raise AttributeError(f"module 'baselines.study' has no attribute {name!r}")
