"""Score an archive in a child process with a memory and a time budget.

A hostile archive must not take the worker down: the child gets ``RLIMIT_AS`` (its address space when it
starts plus ``memory_mb``) and the parent kills it after ``timeout_s``. The child is forked, so the ground
truth the worker loaded once is shared copy-on-write, not loaded again. Whatever happens in the child comes
back as a :class:`ScoreOutcome`, an :class:`~comsamy.errors.ArchiveError` (the archive's fault), a
:class:`BudgetExceededError` (over budget: the archive's fault too) or a ``RuntimeError`` (the server's).
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import traceback
from pathlib import Path
from typing import Any

from comsamy.errors import ArchiveError, ComsamyError

__all__ = ["BudgetExceededError", "score_with_budget"]
log = logging.getLogger(__name__)


class BudgetExceededError(ComsamyError):
    """The scoring needed more memory or time than the operator allows for one job."""

    exit_code = 3


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(scorer: Any, archive: str, memory_mb: int, conn: Any) -> None:
    try:
        if memory_mb > 0:
            limit = _address_space_bytes() + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        outcome = scorer.score(Path(archive))
        conn.send(("ok", outcome))
    except ArchiveError as exc:
        conn.send(("archive", (str(exc), list(exc.problems))))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException:  # reported to the parent, which logs it for the operator
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def score_with_budget(scorer: Any, archive: Path, *, memory_mb: int, timeout_s: float) -> Any:
    """``scorer.score(archive)`` in a forked child limited to ``memory_mb`` more memory and ``timeout_s`` seconds.

    Raises:
        ArchiveError: the scorer found the archive invalid.
        BudgetExceededError: out of memory, out of time, or the child was killed (e.g. by the OOM killer).
        RuntimeError: the scorer failed for another reason (the traceback is logged, not shown to users).
    """
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(scorer, str(archive), memory_mb, send), daemon=True, name="comsamy-score")
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout_s):
            raise BudgetExceededError(
                f"scoring: expected it to finish within {timeout_s:g} s, got no result in time (the job was stopped)"
            )
        try:
            kind, payload = receive.recv()
        except EOFError:
            proc.join(5)
            raise BudgetExceededError(
                f"scoring: expected it to finish within {memory_mb} MB of memory, got the scoring process "
                f"stopped (exit {proc.exitcode})"
            ) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        receive.close()
    if kind == "ok":
        return payload
    if kind == "archive":
        message, problems = payload
        raise ArchiveError(message, problems)
    if kind == "memory":
        raise BudgetExceededError(
            f"scoring: expected it to need at most {memory_mb} MB of memory, got more (the job was stopped)"
        )
    log.error("scoring process failed:\n%s", payload)
    raise RuntimeError("the scoring process failed (see the worker log)")
