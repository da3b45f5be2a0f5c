"""Everything a page sends to the browser, as an attacker would collect it: strings and decoded data frames.

Walks every element of an ``AppTest`` run and every field of its protobuf messages; bytes fields that hold Arrow
tables (data frames, chart datasets) are decoded, every string is kept (chart specs are JSON strings).
"""

from __future__ import annotations

import re
from typing import Any

NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _walk(message: Any, strings: list[str], frames: list[Any]) -> None:
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    for field, value in message.ListFields():
        repeated = getattr(field, "is_repeated", None)
        repeated = repeated if repeated is not None else field.label == field.LABEL_REPEATED
        values = list(value) if repeated else [value]
        for item in values:
            if hasattr(item, "ListFields"):
                _walk(item, strings, frames)
            elif isinstance(item, bytes) and item:
                try:
                    frames.append(convert_arrow_bytes_to_pandas_df(item))
                except Exception:  # not Arrow: keep the raw bytes as text
                    strings.append(item.decode("latin-1"))
            elif isinstance(item, str):
                strings.append(item)
            else:
                strings.append(str(item))


def sent_by_app(at: Any) -> tuple[list[str], list[Any]]:
    """``(strings, frames)`` of every element the app test's last run produced."""
    strings: list[str] = []
    frames: list[Any] = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            _walk(proto, strings, frames)
    return strings, frames


def numbers_in(strings: list[str], frames: list[Any]) -> list[float]:
    """Every number in the strings and in the numeric cells of the frames."""
    out = [float(m) for s in strings for m in NUMBER_RE.findall(s)]
    for df in frames:
        for col in df.columns:
            for v in df[col].tolist():
                if isinstance(v, int | float) and not isinstance(v, bool) and v == v:
                    out.append(float(v))
                elif isinstance(v, str):
                    out += [float(m) for m in NUMBER_RE.findall(v)]
    return out
