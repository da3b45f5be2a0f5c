"""``evaluate_archive``: validate a prediction archive against a dataset, then score it in worker processes."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from comsamy.errors import ArchiveError, ComsamyError, UsageError
from comsamy.evaluation.dataset import DatasetView, load_view
from comsamy.evaluation.pool import WarmPool
from comsamy.evaluation.report import EvaluationReport, EvaluationSettings
from comsamy.evaluation.worker import Outcome, Task, run_batch, run_task
from comsamy.metrics.definitions import AUPRC_DEFINITIONS, FPR95_DEFINITIONS, PRECISIONS
from comsamy.submission import ArchiveIndex, open_container, validate_archive

__all__ = ["evaluate_archive", "validate_predictions"]

log = logging.getLogger(__name__)
_PRECISIONS = PRECISIONS
_FPR95 = FPR95_DEFINITIONS
_AUPRC = AUPRC_DEFINITIONS


def _check(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UsageError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")


def resolve_workers(workers: int | None, num_images: int) -> int:
    """Worker processes to use: ``workers`` (default: every core), never more than there are images."""
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers: expected a positive integer, got {workers!r}")
    return max(1, min(workers, num_images))


def _batches(tasks: list[Task], workers: int) -> list[list[Task]]:
    size = max(1, min(8, math.ceil(len(tasks) / (workers * 4))))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def _early_pool(archive_path: str, precision: str, workers: int | None) -> WarmPool | None:
    """Worker processes started before the dataset is loaded (None when scoring in this process)."""
    requested = resolve_workers(workers, 1 << 30)
    if requested <= 1:
        return None
    from comsamy.evaluation.pool import start_pool

    return start_pool(archive_path, precision, requested)


def run_tasks(
    archive_path: str,
    tasks: list[Task],
    *,
    precision: str,
    workers: int,
    progress: bool,
    desc: str,
    pool: WarmPool | None = None,
) -> Iterator[Outcome]:
    """Run tasks in ``workers`` processes (in this process when 1); yields outcomes as they complete.

    Args:
        pool: processes already started for this archive (:func:`~comsamy.evaluation.pool.start_pool`); it is
            used instead of starting new ones and shut down at the end.
    """
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc=desc, unit="img", disable=not progress, file=sys.stderr, leave=False)
    try:
        if pool is not None:
            yield from _run_in(pool, archive_path, tasks, bar)
            return
        if workers <= 1:
            with open_container(archive_path) as container:
                for task in tasks:
                    yield run_task(container, task, precision)
                    bar.update(1)
            return
        from comsamy.evaluation.pool import start_pool

        yield from _run_in(start_pool(archive_path, precision, workers), archive_path, tasks, bar)
    finally:
        bar.close()


def _run_in(pool: WarmPool, archive_path: str, tasks: list[Task], bar: Any) -> Iterator[Outcome]:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    try:
        futures = [pool.executor.submit(run_batch, batch) for batch in _batches(tasks, pool.workers)]
        for fut in as_completed(futures):
            outcomes = fut.result()
            yield from outcomes
            bar.update(len(outcomes))
    except BrokenProcessPool as exc:
        raise ComsamyError(_broken(pool.workers, archive_path)) from exc
    finally:
        pool.close()


def _broken(workers: int, archive_path: str) -> str:
    return (
        f"expected {workers} worker processes to score {archive_path}, got a worker that died: out of memory,"
        " or a script that calls evaluate_archive without the `if __name__ == '__main__':` guard that"
        " multiprocessing's spawn and forkserver start methods need; pass workers=1 (--workers 1) to score in"
        " one process"
    )


def _sha256_in_background(archive_path: str) -> Callable[[], str]:
    digest = hashlib.sha256()
    box: dict[str, BaseException] = {}

    def work() -> None:
        try:
            with open_container(archive_path) as container:
                for chunk in container.iter_chunks():
                    digest.update(chunk)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="comsamy-sha256", daemon=True)
    thread.start()

    def result() -> str:
        thread.join()
        if "error" in box:
            raise box["error"]
        return digest.hexdigest()

    return result


def _raise_problems(index: ArchiveIndex, outcomes: Iterable[Outcome]) -> None:
    problems = [p for o in outcomes for p in o.problems]
    if problems:
        raise ArchiveError(
            f"{index.path}: expected a valid prediction archive, got {len(problems)} problem(s) found while reading the score maps",
            problems,
        )


def _prepare(
    preds: str | os.PathLike[str],
    data: Any,
    config: str | None,
    split: str | None,
    *,
    polarity: str | None = None,
    precision: str = "float16",
) -> tuple[DatasetView, ArchiveIndex]:
    if not os.path.exists(preds):
        raise UsageError(f"--preds {preds}: expected an existing zip file or folder, got no such path")
    view = load_view(data, config=config, split=split)
    subset = config not in (None, "all")  # a subset config: ids of the other images are noted, not refused
    index = validate_archive(
        preds,
        view.shapes,
        polarity=polarity,  # type: ignore[arg-type]
        extra_ids="note" if subset else "refuse",
        precision=precision,
    )
    return view, index


def validate_predictions(
    preds: str | os.PathLike[str],
    data: Any = "comsamy",
    *,
    config: str | None = "all",
    split: str | None = "test",
    precision: str = "float16",
    workers: int | None = None,
    progress: bool = True,
    polarity: str | None = None,
) -> ArchiveIndex:
    """Run every check of the archive spec (structure, then every member's values) without scoring.

    Returns:
        The validated :class:`~comsamy.submission.ArchiveIndex`.

    Raises:
        ArchiveError: with every problem, each naming its member.
        DataNotAvailableError: the dataset cannot be loaded.
    """
    _check("precision", precision, _PRECISIONS)
    _view, index = _prepare(preds, data, config, split, polarity=polarity, precision=precision)
    tasks = [Task(i, b"", m, index.member_caps[i]) for i, m in index.members.items()]
    n = resolve_workers(workers, len(tasks))
    outcomes = list(run_tasks(index.path, tasks, precision=precision, workers=n, progress=progress, desc="checking"))
    position = {image_id: k for k, image_id in enumerate(index.members)}
    _raise_problems(index, sorted(outcomes, key=lambda o: position[o.image_id]))
    return index


def evaluate_archive(
    preds: str | os.PathLike[str],
    data: Any = "comsamy",
    *,
    config: str | None = "all",
    split: str | None = "test",
    precision: str = "float16",
    fpr95: str = "first",
    auprc: str = "step",
    workers: int | None = None,
    progress: bool = True,
    components: bool = False,
    component_threshold: float | str = "best-f1",
    min_pred_size: int = 500,
    min_gt_size: int = 100,
    polarity: str | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    ci_level: float = 0.95,
) -> EvaluationReport:
    """Score a prediction archive on a dataset split: validate it completely, then pool every image's histogram.

    Args:
        preds: a zip file or a folder of score maps (``spec/submission.md``).
        data: what :func:`comsamy.load_dataset` takes (``"comsamy"``, ``"sample"``, a folder) or a loaded
            ``datasets.Dataset``.
        config: dataset config (``"all"``: every image).
        split: dataset split (``"test"``).
        precision: ranking precision of float scores, ``"float16"`` (canonical) or ``"float32"``.
        fpr95: ``"first"`` (default), ``"closest"``, ``"strict"`` or ``"interp"``.
        auprc: ``"step"`` (default) or ``"trapezoid"``.
        workers: worker processes (default: every core); results are identical for any number.
        progress: show a progress bar on stderr.
        polarity: ``"anomaly"`` (higher = more anomalous) or ``"confidence"`` (higher = less anomalous, e.g.
            BRAVO's ``_conf`` maps); None: the manifest's ``polarity`` or the file naming decides.
        bootstrap: resamples of the percentile bootstrap over images (0: none); every metrics object then
            carries ``ci``.
        seed: bootstrap seed (the same seed gives the same intervals for any number of workers).
        ci_level: bootstrap interval coverage (0.95).
        components: also compute SMIYC's component-level metrics (sIoU, PPV, mean F1; needs cv2 or scipy).
        component_threshold: ``"best-f1"`` (the pooled pixel-F1-optimal threshold) or a score threshold.
        min_pred_size: predicted components under this many pixels are dropped (SMIYC anomaly track: 500).
        min_gt_size: ground-truth components under this many pixels are turned void (SMIYC anomaly track: 100).

    With more than one worker, images are scored in processes started with ``forkserver`` (``spawn`` where the
    platform lacks it) as soon as the archive path is known, so their start-up, the archive's SHA-256, the dataset
    load and the validation overlap; a script that calls this function must do so under
    ``if __name__ == "__main__":``.

    Returns:
        The :class:`EvaluationReport` (``to_dict()`` is the ``comsamy-eval --out`` JSON).

    Raises:
        ArchiveError: the archive is invalid; every problem is listed, before any result.
        DataNotAvailableError: the dataset cannot be loaded (the message says how to get it).
        UsageError: a bad option.
    """
    from comsamy import __version__
    from comsamy.metrics import MetricAccumulator

    _check("precision", precision, _PRECISIONS)
    _check("fpr95", fpr95, _FPR95)
    _check("auprc", auprc, _AUPRC)
    if bootstrap:
        from comsamy.metrics.bootstrap import check_options

        check_options(bootstrap, ci_level)
    if not os.path.exists(preds):
        raise UsageError(f"--preds {preds}: expected an existing zip file or folder, got no such path")
    # the fixed costs run beside the dataset load and the validation: the archive's SHA-256 and the workers' start
    sha256 = _sha256_in_background(str(preds))
    pool = _early_pool(str(preds), precision, workers)
    try:
        view, index = _prepare(preds, data, config, split, polarity=polarity, precision=precision)
        records = {r.image_id: r for r in view.records}
        comp = None
        if components:
            from comsamy.evaluation.component_pass import ComponentRun

            comp = ComponentRun(threshold=component_threshold, min_pred_size=min_pred_size, min_gt_size=min_gt_size)
        comp_options = comp.options if comp is not None else None
        tasks = [Task(i, records[i].label_png, m, index.member_caps[i], comp_options) for i, m in index.members.items()]
    except BaseException:
        if pool is not None:
            pool.close()
        raise
    n = resolve_workers(workers, len(tasks))
    log.info("scoring %d images of %s with %d worker(s)", len(tasks), index.path, n)
    outcomes = {
        o.image_id: o
        for o in run_tasks(
            index.path, tasks, precision=precision, workers=n, progress=progress, desc="scoring", pool=pool
        )
    }
    ordered = [outcomes[t.image_id] for t in tasks]
    _raise_problems(index, ordered)
    acc = MetricAccumulator(precision=precision, fpr95=fpr95, auprc=auprc)  # type: ignore[arg-type]
    for outcome in ordered:
        acc.add_histogram(outcome.image_id, outcome.histogram, records[outcome.image_id].metadata)
    summary = comp.finish(ordered, acc.histogram, workers=n) if comp is not None else None
    del outcomes, ordered
    result = acc.compute()
    if bootstrap:
        result = acc.with_intervals(result, n=bootstrap, seed=seed, level=ci_level)
    settings = EvaluationSettings(
        precision, fpr95, auprc, index.score_kind, bootstrap=bootstrap, seed=seed, ci_level=ci_level, polarity=polarity
    )
    return EvaluationReport(
        result, view.to_dict(), sha256(), index.manifest, settings, __version__, acc, components=summary
    )
