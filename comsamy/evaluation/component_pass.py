"""Component-level metrics in the evaluator (``--components``): per-image work and the threshold pass.

With a numeric threshold every worker computes its images' :class:`~comsamy.metrics.components.ComponentStats`
during the one pass over the archive. With ``best-f1`` the threshold is known only once every image's histogram
is pooled, so during that pass each worker appends its images' ranked score maps (float16 bit patterns: 2 bytes
per pixel; float32: 4; integer: 2) and label maps (1 byte per pixel) to its own file in a temporary folder; after
the threshold is known, a second, parallel pass reads them back (from the page cache, typically) and computes the
components. The archive is read once; no mask is kept in memory beyond its image.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from comsamy.errors import UsageError
from comsamy.metrics.components import (
    DEFAULT_MIN_GT_SIZE,
    DEFAULT_MIN_PRED_SIZE,
    ComponentResult,
    ComponentStats,
    binarize,
    binarize_bits,
    component_result,
    component_stats,
)

__all__ = [
    "CachedMap",
    "ComponentOptions",
    "ComponentRun",
    "ComponentSummary",
    "add_components",
    "condition_members",
    "image_components",
    "ranked_map",
    "run_threshold_pass",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComponentOptions:
    """What workers need for ``--components``.

    Attributes:
        threshold: the score threshold, or None for ``best-f1`` (then ``cache_dir`` is set).
        min_pred_size: predicted components under this many pixels are dropped.
        min_gt_size: ground-truth components under this many pixels are turned void.
        cache_dir: temporary folder for the ranked maps (``best-f1`` only).
    """

    threshold: float | None = None
    min_pred_size: int = DEFAULT_MIN_PRED_SIZE
    min_gt_size: int = DEFAULT_MIN_GT_SIZE
    cache_dir: str | None = None


@dataclass(frozen=True)
class CachedMap:
    """Where a worker stored one image's ranked scores and labels for the threshold pass."""

    path: str
    offset: int
    shape: tuple[int, int]
    dtype: str  # "float16-bits", "float32", "uint8" or "uint16"


def ranked_map(scores: np.ndarray, precision: str) -> tuple[np.ndarray, str]:
    """The scores as ranked by the histogram: ``(array, dtype name)`` (float16 bits, float32 or integers)."""
    if scores.dtype.kind in "iu":
        arr = scores if scores.dtype in (np.uint8, np.uint16) else scores.astype(np.uint16)
        return arr, arr.dtype.name
    if precision == "float32":
        return scores.astype(np.float32, copy=False), "float32"
    return scores.astype(np.float16, copy=False).view(np.uint16), "float16-bits"


def _binarize(ranked: np.ndarray, dtype: str, threshold: float) -> np.ndarray:
    return binarize_bits(ranked, threshold) if dtype == "float16-bits" else binarize(ranked, threshold)


def image_components(
    options: ComponentOptions, image_id: str, ranked: np.ndarray, dtype: str, labels: np.ndarray
) -> ComponentStats | CachedMap:
    """Worker side: the image's component stats now (numeric threshold) or its maps cached for later."""
    if options.threshold is not None:
        pred = _binarize(ranked, dtype, options.threshold)
        return component_stats(
            pred, labels, min_pred_size=options.min_pred_size, min_gt_size=options.min_gt_size, image_id=image_id
        )
    if options.cache_dir is None:
        raise UsageError("ComponentOptions: expected a cache_dir with threshold=None (best-f1), got None")
    path = os.path.join(options.cache_dir, f"maps-{os.getpid()}.bin")
    native = np.ascontiguousarray(ranked).astype(ranked.dtype.newbyteorder("="), copy=False)
    try:
        with open(path, "ab") as f:  # this process's own file: appends need no lock
            offset = f.tell()
            f.write(native.data)
            f.write(np.ascontiguousarray(labels, dtype=np.uint8).data)
    except OSError as exc:
        need = labels.size * (native.itemsize + 1)
        raise UsageError(
            f"--components: expected room for the best-F1 pass's temporary maps ({need} bytes for image "
            f"{image_id!r}) in {options.cache_dir}, got {exc.strerror or exc}; free space in $TMPDIR, point TMPDIR "
            "elsewhere, or pass --component-threshold NUMBER (no temporary files)"
        ) from exc
    return CachedMap(path, offset, (int(labels.shape[0]), int(labels.shape[1])), dtype)


_POOL_MIN_PIXELS_PER_WORKER = 50_000_000
"""Below this many pixels per worker (≈ 24 full-HD images) the threshold pass runs in the main process: a spawned
worker's start (≈ 0.5 s idle, seconds on a loaded machine) costs more than the ≈ 15 ns per pixel it would take over."""
_ITEM = {"float16-bits": np.uint16, "float32": np.float32, "uint8": np.uint8, "uint16": np.uint16}


def _from_cache(image_id: str, ref: CachedMap, threshold: float, min_pred: int, min_gt: int) -> ComponentStats:
    dtype = np.dtype(_ITEM[ref.dtype])
    n = ref.shape[0] * ref.shape[1]
    with open(ref.path, "rb") as f:
        f.seek(ref.offset)
        ranked = np.fromfile(f, dtype=dtype, count=n).reshape(ref.shape)
        labels = np.fromfile(f, dtype=np.uint8, count=n).reshape(ref.shape)
    pred = _binarize(ranked, ref.dtype, threshold)
    return component_stats(pred, labels, min_pred_size=min_pred, min_gt_size=min_gt, image_id=image_id)


def _batch(
    items: list[tuple[str, CachedMap]], threshold: float, min_pred: int, min_gt: int
) -> list[tuple[str, ComponentStats]]:
    return [(i, _from_cache(i, ref, threshold, min_pred, min_gt)) for i, ref in items]


def run_threshold_pass(
    refs: Mapping[str, CachedMap], options: ComponentOptions, threshold: float, *, workers: int
) -> dict[str, ComponentStats]:
    """Second pass of ``best-f1``: every cached image's component stats at ``threshold`` (parallel when > 1)."""
    items = list(refs.items())
    args = (threshold, options.min_pred_size, options.min_gt_size)
    pixels = sum(ref.shape[0] * ref.shape[1] for _, ref in items)
    if workers <= 1 or pixels < _POOL_MIN_PIXELS_PER_WORKER * workers:  # starting processes would cost more
        return dict(_batch(items, *args))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(8, -(-len(items) // (workers * 4))))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_batch, chunk, *args) for chunk in chunks]
        return {i: s for fut in futures for i, s in fut.result()}


@dataclass(frozen=True)
class ComponentSummary:
    """Per-image component stats of an evaluation and the threshold they were taken at.

    Attributes:
        threshold: the score threshold (NaN when ``best-f1`` had no anomaly pixel to optimise).
        per_image: ``{image id: ComponentStats}``.
        min_pred_size: the predicted-component size filter used.
        min_gt_size: the ground-truth-component size filter used.
        rule: ``"best-f1"`` or ``"fixed"``.
    """

    threshold: float
    per_image: Mapping[str, ComponentStats] = field(repr=False)
    min_pred_size: int = DEFAULT_MIN_PRED_SIZE
    min_gt_size: int = DEFAULT_MIN_GT_SIZE
    rule: str = "best-f1"

    def result(self, image_ids: Iterable[str] | None = None) -> ComponentResult:
        """Pooled component metrics of the given images (default: all)."""
        ids = self.per_image if image_ids is None else image_ids
        return component_result((self.per_image[i] for i in ids), threshold=self.threshold)

    def settings(self) -> dict[str, Any]:
        """The ``settings.components`` JSON object."""
        return {
            "threshold_rule": self.rule,
            "threshold": None if self.threshold != self.threshold else self.threshold,
            "min_pred_size": self.min_pred_size,
            "min_gt_size": self.min_gt_size,
            "prediction": "score >= threshold, 8-connected components inside the non-void region",
        }


class ComponentRun:
    """One evaluation's ``--components`` work: the options for the workers, then :meth:`finish`.

    For ``best-f1`` it owns a temporary folder for the cached maps, removed by :meth:`finish` (or, if scoring
    fails before, when this object is collected or the interpreter exits).
    """

    def __init__(self, *, threshold: object, min_pred_size: int, min_gt_size: int) -> None:
        import shutil
        import tempfile
        import weakref

        from comsamy.metrics.components import check_size, check_threshold, labeller

        labeller()  # no cv2 and no scipy: the ImportError comes now, before any image is read
        number = check_threshold(threshold)
        sizes = check_size("min_pred_size", min_pred_size), check_size("min_gt_size", min_gt_size)
        cache_dir = None
        if number is None:
            cache_dir = tempfile.mkdtemp(prefix="comsamy-components-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, cache_dir, ignore_errors=True)
        self.options = ComponentOptions(number, *sizes, cache_dir=cache_dir)

    def finish(self, outcomes: Iterable[Any], pooled_histogram: Any, *, workers: int) -> ComponentSummary:
        """Collect the workers' results; for ``best-f1``, find the threshold and run the second pass.

        Args:
            outcomes: the workers' outcomes (``image_id`` and ``components`` attributes), in report order.
            pooled_histogram: a callable returning the pooled histogram of every image (``acc.histogram``).
            workers: processes for the second pass.
        """
        from comsamy.metrics.components import best_f1_threshold

        found = {o.image_id: o.components for o in outcomes}
        opts = self.options
        if opts.threshold is not None:
            return ComponentSummary(opts.threshold, found, opts.min_pred_size, opts.min_gt_size, "fixed")
        try:
            threshold = best_f1_threshold(pooled_histogram())
            if threshold != threshold:  # no anomaly pixel anywhere: nothing to optimise; F1 is 0 at any threshold
                log.warning("components: no anomaly pixel, so no best-F1 threshold; component metrics undefined")
                empty = ComponentStats()
                return ComponentSummary(threshold, dict.fromkeys(found, empty), opts.min_pred_size, opts.min_gt_size)
            log.info("components: best-F1 threshold %.6g; second pass over %d cached maps", threshold, len(found))
            stats = run_threshold_pass(found, opts, threshold, workers=workers)
        finally:
            self._cleanup()
        ordered = {i: stats[i] for i in found}
        return ComponentSummary(threshold, ordered, opts.min_pred_size, opts.min_gt_size, "best-f1")


def condition_members(accumulator: Any) -> dict[tuple[str, str], list[str]]:
    """``{(group, value): [image ids]}`` of every condition of an accumulator's images, in insertion order."""
    from comsamy.metrics.conditions import conditions_of

    members: dict[tuple[str, str], list[str]] = {}
    for image_id in accumulator.image_ids:
        for condition in conditions_of(image_id, accumulator.metadata(image_id)):
            members.setdefault(condition, []).append(image_id)
    return members


def add_components(doc: dict[str, Any], summary: ComponentSummary, accumulator: Any) -> None:
    """Add ``components`` to ``doc["overall"]`` and to every metrics object of ``doc["by_condition"]``, and
    ``settings.components`` (in place)."""
    doc["overall"]["components"] = summary.result().to_dict()
    members = condition_members(accumulator)
    for group, values in doc["by_condition"].items():
        for value, metrics in values.items():
            metrics["components"] = summary.result(members.get((group, value), [])).to_dict()
    doc["settings"]["components"] = summary.settings()
