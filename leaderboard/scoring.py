"""The single place the leaderboard calls ComsAmy's scorer (:func:`comsamy.evaluation.evaluate_archive`).

Nothing here computes a metric: results are ``EvaluationReport.to_dict()`` verbatim, and curves are
:func:`comsamy.metrics.pr_curve` / :func:`comsamy.metrics.roc_curve` of the report's pooled histograms, sampled at
the fixed levels of :mod:`leaderboard.publish` (never at the submitter's thresholds).
Tests inject another scorer with the same two methods (``identity`` and ``score``); a worker process can
be pointed at one with the env var ``COMSAMY_LB_SCORER=module:factory`` (``factory(settings) -> scorer``).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from comsamy.errors import ConfigError
from leaderboard.settings import Settings

log = logging.getLogger(__name__)
ENV_SCORER = "COMSAMY_LB_SCORER"


@dataclass(frozen=True)
class ScoreOutcome:
    """What one scoring produced: the comsamy-eval JSON, curve points and what it was scored with."""

    results: dict[str, Any]
    curves: dict[str, Any]
    scorer_version: str
    data_revision: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


class Scorer(Protocol):
    """What the worker needs from a scorer."""

    def identity(self) -> tuple[str, str]:
        """``(scorer_version, data_revision)`` that results scored now would carry."""

    def score(self, archive: Path) -> ScoreOutcome:
        """Validate and score one archive; raise ``ArchiveError`` for an invalid one."""


def curves_from_report(report: Any) -> dict[str, Any]:
    """Precision / TPR at the fixed levels of the pooled histograms: ``overall``, ``clear`` and ``adverse``."""
    from leaderboard.publish import CURVE_GROUPS, sample_curves

    curves: dict[str, Any] = {}
    for key, condition in CURVE_GROUPS.items():
        try:
            ids = None if condition is None else report.condition_ids(*condition)
            if ids is not None and not ids:
                continue
            curves[key] = sample_curves(report.histogram(ids))
        except Exception:  # a degenerate condition (no anomaly pixels) has no curve
            log.debug("no curve for %s", key, exc_info=True)
    return curves


class ComsamyScorer:
    """Scores archives against one dataset, loaded once per worker process and reused for every job.

    Args:
        data: a name or folder for :func:`comsamy.load_dataset`, or an already loaded ``datasets.Dataset``.
        config, split: what to score against.
        workers: processes per scoring (``evaluate_archive(workers=...)``).
    """

    def __init__(self, data: Any, *, config: str = "all", split: str = "test", workers: int | None = 1) -> None:
        self.data, self.config, self.split, self.workers = data, config, split, workers
        self.isolate = True  # the worker scores in a child process with a memory and time budget
        self._dataset: Any = None
        self._revision: str | None = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._dataset is None and not isinstance(self.data, str | Path):
                self._dataset = self.data  # an already loaded datasets.Dataset
            if self._dataset is None:
                import comsamy

                self._dataset = comsamy.load_dataset(self.data, config=self.config, split=self.split)
            return self._dataset

    def identity(self) -> tuple[str, str]:
        """The comsamy version and the dataset revision (known from the dataset, else after one scoring)."""
        import comsamy

        if self._revision is None:
            from comsamy.evaluation import load_view

            view = load_view(self._load(), config=self.config, split=self.split)
            self._revision = str(view.revision)
        return comsamy.__version__, self._revision

    def score(self, archive: Path) -> ScoreOutcome:
        """Run :func:`comsamy.evaluation.evaluate_archive` on ``archive``."""
        from comsamy.evaluation import evaluate_archive

        report = evaluate_archive(
            str(archive),
            data=self._load(),
            config=self.config,
            split=self.split,
            workers=self.workers,
            progress=False,
        )
        results = report.to_dict()
        version = str(results.get("version") or self.identity()[0])
        revision = str((results.get("dataset") or {}).get("revision") or self.identity()[1])
        self._revision = revision
        return ScoreOutcome(results, curves_from_report(report), version, revision)


def make_scorer(settings: Settings) -> Scorer:
    """The scorer a worker uses: ``COMSAMY_LB_SCORER`` if set (tests), else :class:`ComsamyScorer`."""
    spec = os.environ.get(ENV_SCORER, "")
    if spec:
        module, _, attr = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{ENV_SCORER}: expected module:factory, got {spec!r} ({exc})") from exc
        return factory(settings)
    return ComsamyScorer(settings.data, config=settings.config, split=settings.split)
