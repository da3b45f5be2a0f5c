"""Reading validated score members: full (CRC-checked) reads, decoding and the value checks that need pixels."""

from __future__ import annotations

import numpy as np

from comsamy.submission.container import Container, MemberEntry, MemberReadError
from comsamy.submission.formats import FormatProblem, decode_member
from comsamy.submission.index import ScoreMember

__all__ = ["FLOAT16_MAX", "apply_polarity", "entry_for", "load_scores", "value_problems"]

FLOAT16_MAX = float(np.finfo(np.float16).max)
_F16_EXP = 0x7C00


def value_problems(scores: np.ndarray, *, precision: str = "float16") -> list[str]:
    """Problems of a decoded score map's values (without the member name).

    Float maps may hold no NaN / ±inf; ranked at float16 (the default), finite values must also lie within
    float16's finite range (never clipped silently). Integer maps have no value constraints.

    Args:
        scores: (H, W) decoded score map.
        precision: ``"float16"`` or ``"float32"``.
    """
    if scores.dtype.kind != "f":
        return []
    out = []
    if scores.dtype == np.float16:  # bit test: exponent all ones means inf or NaN
        bad = int(np.count_nonzero((scores.view(np.uint16) & _F16_EXP) == _F16_EXP))
    else:
        bad = int(scores.size - np.count_nonzero(np.isfinite(scores)))
    if bad:
        out.append(f"expected finite scores, got {bad} NaN or infinite pixel(s)")
    if precision == "float16" and scores.dtype != np.float16:
        with np.errstate(invalid="ignore"):
            big = np.abs(scores) > FLOAT16_MAX
        over = int(np.count_nonzero(big & np.isfinite(scores))) if bad else int(np.count_nonzero(big))
        if over:
            peak = float(np.max(np.abs(np.where(np.isfinite(scores), scores, 0))))
            out.append(
                f"expected scores within float16's finite range (|x| <= {FLOAT16_MAX:g}), got {over} pixel(s) beyond"
                f" it (largest |x| = {peak:g}); scores are ranked at float16 and never clipped: rescale them"
            )
    return out


def apply_polarity(scores: np.ndarray, polarity: str) -> np.ndarray:
    """Scores ranked higher = more anomalous: unchanged for ``"anomaly"``; reversed exactly for ``"confidence"``.

    Integer confidences become ``max - value`` in the same dtype (``65535 - c`` for uint16), floats their negation:
    both reverse the order without ties being created or lost.
    """
    if polarity != "confidence":
        return scores
    if scores.dtype.kind == "u":
        return np.iinfo(scores.dtype).max - scores
    return -scores


def load_scores(
    container: Container, member: ScoreMember, cap: int, *, precision: str = "float16"
) -> tuple[np.ndarray | None, list[str]]:
    """Read, decode and check one member.

    Returns:
        ``(scores, [])`` when fine, else ``(None, problems)`` with each problem naming the member.
    """
    try:
        data = container.read(entry_for(container, member.name), cap)
        scores = decode_member(member.ext, data, member.header)
    except (MemberReadError, FormatProblem) as exc:
        return None, [f"member {member.name!r}: {exc}"]
    problems = value_problems(scores, precision=precision)
    if problems:
        return None, [f"member {member.name!r}: {p}" for p in problems]
    return apply_polarity(scores, member.polarity), []


def entry_for(container: Container, name: str) -> MemberEntry:
    """The listing entry of a member by name (:meth:`Container.entry`; kept for callers of the function)."""
    return container.entry(name)
