"""Exact label-value remapping: a benchmark's own label encoding to ComsAmy's 0 / 1 / 255.

A :class:`LabelMap` sends every source value to 0 (non-anomaly), 1 (anomaly) or 255 (void). Values may be
single ids (``2=1``), inclusive ranges (``2-200=1``) and a default (``*=255``); without a default, a value the
map does not name is an error (never guessed). Source maps may be 8-bit (mode ``L`` or palette indices) or
16-bit; the result is always an 8-bit array.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from comsamy.constants import VALID_LABEL_VALUES
from comsamy.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["LabelMap", "parse_label_map"]

_MAX_SOURCE_VALUE = 65535


@dataclass(frozen=True)
class LabelMap:
    """Source label value -> 0 / 1 / 255.

    Attributes:
        values: single source values and their targets.
        ranges: ``((low, high, target), ...)``, inclusive; single values take precedence.
        default: the target of every other value, or None (then other values are errors).
    """

    values: Mapping[int, int] = field(default_factory=dict)
    ranges: tuple[tuple[int, int, int], ...] = ()
    default: int | None = None

    def __post_init__(self) -> None:
        targets = [*self.values.values(), *(t for _, _, t in self.ranges)]
        if self.default is not None:
            targets.append(self.default)
        bad = sorted({t for t in targets if t not in VALID_LABEL_VALUES})
        if bad:
            raise UsageError(f"label map: expected targets in {{0, 1, 255}}, got {bad}")

    def target(self, value: int) -> int | None:
        """The target of one source value, or None when the map does not cover it.

        >>> parse_label_map("0=255,1=0,2-200=1").target(17)
        1
        """
        if value in self.values:
            return self.values[value]
        for low, high, target in self.ranges:
            if low <= value <= high:
                return target
        return self.default

    def lut(self, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(table, covered)``: uint8 targets and a bool mask of the covered values, for values ``0..size-1``."""
        import numpy as np

        table = np.zeros(size, np.uint8)
        covered = np.zeros(size, bool)
        if self.default is not None:
            table[:] = self.default
            covered[:] = True
        for low, high, target in self.ranges:
            lo, hi = max(0, low), min(size - 1, high)
            if lo <= hi:
                table[lo : hi + 1] = target
                covered[lo : hi + 1] = True
        for value, target in self.values.items():
            if 0 <= value < size:
                table[value] = target
                covered[value] = True
        return table, covered

    def is_identity_on(self, present: np.ndarray) -> bool:
        """True when every present value maps to itself (the source bytes can then be kept unchanged)."""
        return all(self.target(int(v)) == int(v) for v in present)

    def apply(
        self, values: np.ndarray, *, hist: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[int], Counter[int]]:
        """Remap a label array (``hist``: its 256-bin histogram when already known, e.g. from PIL).

        Returns:
            ``(mapped, present, unmapped, counts)``: the uint8 result, the sorted source values present, those
            the map does not cover (empty when the map is complete for this array) and the pixel count of each
            target value.
        """
        import numpy as np

        if values.dtype == np.uint8:
            hist = np.bincount(values.ravel(), minlength=256) if hist is None else np.asarray(hist)
            present = np.flatnonzero(hist)
            table, covered = self.lut(256)
        else:
            flat = values.astype(np.int64, copy=False)
            present, hist_present = np.unique(flat, return_counts=True)
            if present.size and (present[0] < 0 or present[-1] > _MAX_SOURCE_VALUE):
                raise UsageError(
                    f"label map: expected source values in [0, {_MAX_SOURCE_VALUE}], got {present[[0, -1]]}"
                )
            table, covered = self.lut(int(present[-1]) + 1 if present.size else 1)
            hist = np.zeros(table.size, np.int64)
            hist[present] = hist_present
            values = flat
        counts: Counter[int] = Counter()
        for v in present:
            counts[int(table[v])] += int(hist[v])
        unmapped = [int(v) for v in present if not covered[v]]
        if values.dtype == np.uint8 and all(table[v] == v for v in present):
            return values, present, unmapped, counts  # the map leaves this array unchanged: no copy
        return np.take(table, values), present, unmapped, counts

    def describe(self) -> str:
        """The map in ``--map`` syntax (``0=0,2=1,*=255``)."""
        parts = [f"{v}={t}" for v, t in sorted(self.values.items())]
        parts += [f"{lo}-{hi}={t}" for lo, hi, t in self.ranges]
        if self.default is not None:
            parts.append(f"*={self.default}")
        return ",".join(parts)


def _int(text: str, spec: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--map: expected integers in {spec!r}, got {text!r}") from None
    if not 0 <= value <= _MAX_SOURCE_VALUE:
        raise UsageError(f"--map: expected values in [0, {_MAX_SOURCE_VALUE}], got {value} in {spec!r}")
    return value


def parse_label_map(spec: str) -> LabelMap:
    """Parse ``SRC=DST`` entries separated by commas: ``2=1``, ``2-200=1`` (inclusive range), ``*=255``.

    >>> parse_label_map("2=1,0=0,*=255").describe()
    '0=0,2=1,*=255'

    Raises:
        UsageError: a malformed entry, a target outside {0, 1, 255}, or a value given twice.
    """
    values: dict[int, int] = {}
    ranges: list[tuple[int, int, int]] = []
    default: int | None = None
    entries = [e.strip() for e in spec.split(",") if e.strip()]
    if not entries:
        raise UsageError(f"--map: expected entries such as 2=1,0=0,*=255, got {spec!r}")
    for entry in entries:
        src, sep, dst = entry.partition("=")
        if not sep:
            raise UsageError(f"--map: expected SRC=DST entries such as 2=1, got {entry!r}")
        target = _int(dst.strip(), entry)
        src = src.strip()
        if src == "*":
            if default is not None:
                raise UsageError(f"--map: expected one default (*=...), got two in {spec!r}")
            default = target
        elif "-" in src:
            low, _, high = src.partition("-")
            lo, hi = _int(low, entry), _int(high, entry)
            if lo > hi:
                raise UsageError(f"--map: expected a range LOW-HIGH with LOW <= HIGH, got {entry!r}")
            ranges.append((lo, hi, target))
        else:
            value = _int(src, entry)
            if value in values:
                raise UsageError(f"--map: expected each source value once, got {value} twice in {spec!r}")
            values[value] = target
    return LabelMap(values, tuple(ranges), default)
