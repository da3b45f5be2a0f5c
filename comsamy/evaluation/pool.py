"""Worker processes started early, so their start-up overlaps the main process's dataset load and validation.

:func:`start_pool` starts the processes of a :class:`~concurrent.futures.ProcessPoolExecutor` at once (one warm-up
task each, which imports the scoring code) instead of on the first real task. Where the platform has it, the
``forkserver`` start method is used with :mod:`comsamy.evaluation.worker` preloaded in the server, so each worker
is a fork of an interpreter that has already imported numpy, Pillow and the metric engine; elsewhere ``spawn``.
Either way no worker is a fork of the (multi-threaded) main process.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

__all__ = ["WarmPool", "start_method", "start_pool"]

log = logging.getLogger(__name__)
_PRELOAD = ["comsamy.evaluation.worker"]


def start_method() -> str:
    """``forkserver`` where available (Linux, macOS), else ``spawn``."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


@dataclass
class WarmPool:
    """A started pool and its warm-up futures.

    Attributes:
        executor: the pool (initialised with :func:`~comsamy.evaluation.worker.init_worker`).
        workers: its number of processes.
        warm_ups: one future per process; done when that process has imported the scoring code.
    """

    executor: ProcessPoolExecutor
    workers: int
    warm_ups: list[Future[int]] = field(default_factory=list)

    def close(self) -> None:
        """Stop the processes (pending work is cancelled)."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def start_pool(archive_path: str, precision: str, workers: int) -> WarmPool:
    """Start ``workers`` processes now, each opening ``archive_path`` once (see module docstring)."""
    from comsamy.evaluation.worker import init_worker, warm_up

    method = start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(_PRELOAD)
    executor = ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker, initargs=(archive_path, precision))
    log.debug("starting %d worker process(es) with %s", workers, method)
    return WarmPool(executor, workers, [executor.submit(warm_up) for _ in range(workers)])
