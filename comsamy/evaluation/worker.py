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

__all__ = ["Outcome", "Task", "init_worker", "run_batch", "run_task"]

_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class Task:
    """One image to score (or only to check, when ``label_png`` is empty)."""

    image_id: str
    label_png: bytes
    member: ScoreMember
    cap: int


@dataclass(frozen=True)
class Outcome:
    """What a worker returns for one image: a histogram, or the image's problems."""

    image_id: str
    histogram: Any = None
    problems: tuple[str, ...] = ()


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
        bits = np.frombuffer(data, dtype=hdr.descr.replace("f", "u"), count=hdr.shape[0] * hdr.shape[1],
                             offset=hdr.data_offset).reshape(hdr.shape)
        try:
            labels = decode_label(task.label_png)
            return Outcome(task.image_id, image_histogram_from_bits(bits, labels, image_id=task.image_id))
        except MetricInputError as exc:
            return Outcome(task.image_id, None, _member_problem(member, exc))
    scores, problems = load_scores(container, member, task.cap, precision=precision)
    if scores is None:
        return Outcome(task.image_id, None, tuple(problems))
    if not task.label_png:
        return Outcome(task.image_id)
    try:
        labels = decode_label(task.label_png)
        hist = image_histogram(scores, labels, precision="float32" if precision == "float32" else "float16",
                               image_id=task.image_id)
        return Outcome(task.image_id, hist)
    except MetricInputError as exc:
        return Outcome(task.image_id, None, _member_problem(member, exc))


def init_worker(archive_path: str, precision: str) -> None:
    """Process initializer: open the archive once per worker."""
    _STATE["container"] = open_container(archive_path)
    _STATE["precision"] = precision


def run_batch(tasks: list[Task]) -> list[Outcome]:
    """Score a batch of images in a worker initialised by :func:`init_worker`."""
    container = _STATE["container"]
    precision = _STATE["precision"]
    return [run_task(container, t, precision) for t in tasks]
