"""Per-image work, run in worker processes (spawn-safe top-level functions) or in the main process.

The main process sends ``(image id, label PNG bytes, member, size cap)``; each worker opens the archive itself by
path once, reads and decodes its members, and returns a small sparse histogram per image or the image's problems.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from comsamy.errors import MetricInputError
from comsamy.submission import Container, MemberReadError, ScoreMember, entry_for, load_scores, open_container

__all__ = ["Outcome", "Task", "init_worker", "run_batch", "run_task", "warm_up"]

_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class Task:
    """One image to score (or only to check, when ``label_png`` is empty)."""

    image_id: str
    label_png: bytes
    member: ScoreMember
    cap: int
    components: Any = None  # ComponentOptions with --components (comsamy.evaluation.component_pass)


@dataclass(frozen=True)
class Outcome:
    """What a worker returns for one image: a histogram, or the image's problems."""

    image_id: str
    histogram: Any = None
    problems: tuple[str, ...] = ()
    components: Any = None  # ComponentStats, or the CachedMap of a best-f1 threshold pass


def decode_label(png: bytes) -> np.ndarray:
    """Decode a label PNG to a (H, W) uint8 array."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        img.load()
        return np.asarray(img)


def _member_problem(member: ScoreMember, exc: Exception) -> tuple[str, ...]:
    text = str(exc)
    prefix = f"image {member.image_id!r}: "
    return (f"member {member.name!r}: {text.removeprefix(prefix)}",)


def _is_raw_float16(member: ScoreMember) -> bool:
    hdr = member.header
    return member.ext == ".npy" and hdr.dtype == "float16" and not hdr.fortran_order and member.polarity == "anomaly"


def _components(task: Task, ranked: np.ndarray, dtype: str, labels: np.ndarray) -> Any:
    if task.components is None:
        return None
    from comsamy.evaluation.component_pass import image_components

    return image_components(task.components, task.image_id, ranked, dtype, labels)


def run_task(container: Container, task: Task, precision: str) -> Outcome:
    """Score (or, without labels, only check) one image against an open container."""
    from comsamy.metrics import image_histogram, image_histogram_from_bits

    member = task.member
    where = f"member {member.name!r}"
    if task.label_png and precision == "float16" and _is_raw_float16(member):
        try:  # hot path: the float16 bit patterns go straight from the member's bytes to the histogram
            data = container.read(entry_for(container, member.name), task.cap)
        except MemberReadError as exc:
            return Outcome(task.image_id, None, (f"{where}: {exc}",))
        hdr = member.header
        bits = np.frombuffer(
            data, dtype=hdr.descr.replace("f", "u"), count=hdr.shape[0] * hdr.shape[1], offset=hdr.data_offset
        ).reshape(hdr.shape)
        try:
            labels = decode_label(task.label_png)
            hist = image_histogram_from_bits(bits, labels, image_id=task.image_id)
            return Outcome(task.image_id, hist, components=_components(task, bits, "float16-bits", labels))
        except MetricInputError as exc:
            return Outcome(task.image_id, None, _member_problem(member, exc))
    scores, problems = load_scores(container, member, task.cap, precision=precision)
    if scores is None:
        return Outcome(task.image_id, None, tuple(problems))
    if not task.label_png:
        return Outcome(task.image_id)
    try:
        labels = decode_label(task.label_png)
        hist = image_histogram(
            scores, labels, precision="float32" if precision == "float32" else "float16", image_id=task.image_id
        )
        if task.components is None:
            return Outcome(task.image_id, hist)
        from comsamy.evaluation.component_pass import ranked_map

        return Outcome(task.image_id, hist, components=_components(task, *ranked_map(scores, precision), labels))
    except MetricInputError as exc:
        return Outcome(task.image_id, None, _member_problem(member, exc))


def init_worker(archive_path: str, precision: str) -> None:
    """Process initializer: open the archive once per worker.

    A pool may be started before the archive is validated (:mod:`comsamy.evaluation.pool`), so an archive that
    cannot be opened is remembered instead of killing the worker; the validation reports it, and no task runs.
    """
    _STATE["precision"] = precision
    try:
        _STATE["container"] = open_container(archive_path)
    except Exception as exc:
        _STATE["container"] = None
        _STATE["open_error"] = f"{type(exc).__name__}: {exc}"


def warm_up() -> int:
    """A no-op task that makes a freshly started worker import the scoring code; returns its process id."""
    import os

    from comsamy.metrics import image_histogram  # noqa: F401 - the import is the point

    return os.getpid()


def run_batch(tasks: list[Task]) -> list[Outcome]:
    """Score a batch of images in a worker initialised by :func:`init_worker`."""
    container = _STATE["container"]
    precision = _STATE["precision"]
    if container is None:
        problem = f"expected an archive the worker can open, got {_STATE.get('open_error')}"
        return [Outcome(t.image_id, None, (f"member {t.member.name!r}: {problem}",)) for t in tasks]
    return [run_task(container, t, precision) for t in tasks]
