"""Altair charts of the method page: per-weather bars and PR / ROC curves (published aggregates only).

Curves are the fixed-level samples of :mod:`leaderboard.publish` (precision at fixed recalls, TPR at fixed
FPRs), drawn as points joined by lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from comsamy.constants import WEATHERS
from comsamy.presentation import metric_heading, pct_value
from leaderboard.safetext import clean_text
from leaderboard.store.repo import Entry


def label_of(entry: Entry) -> str:
    """How a method is named in legends: ``method (team, #id)``."""
    return f"{clean_text(entry.method)} ({clean_text(entry.team)}, #{entry.submission_id})"


def weather_frame(entries: Sequence[Entry]) -> Any:
    """Long DataFrame: method, weather, metric (AUPRC / FPR95), value in percent."""
    import pandas as pd

    rows = []
    for entry in entries:
        by_weather = (entry.results.get("by_condition") or {}).get("weather") or {}
        for weather in WEATHERS:
            m = by_weather.get(weather)
            if not m:
                continue
            for metric, key in ((metric_heading("auprc"), "auprc"), (metric_heading("fpr95"), "fpr95")):
                if m.get(key) is not None:
                    rows.append(
                        {
                            "method": label_of(entry),
                            "weather": weather,
                            "metric": metric,
                            "value": pct_value(m[key]),
                            "images": m.get("num_images"),
                        }
                    )
    return pd.DataFrame(rows, columns=["method", "weather", "metric", "value", "images"])


def weather_bars(entries: Sequence[Entry]) -> Any:
    """Grouped bars per weather (one colour per method), AUPRC and FPR95 side by side."""
    import altair as alt

    df = weather_frame(entries)
    base = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("weather:N", sort=list(WEATHERS), title=None),
            xOffset=alt.XOffset("method:N"),
            y=alt.Y("value:Q", title="percent", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("method:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=400)),
            tooltip=["method", "weather", "metric", "value", "images"],
        )
        .properties(width=330, height=240)
    )
    return base.facet(
        column=alt.Column("metric:N", title=None, sort=[metric_heading("auprc"), metric_heading("fpr95")])
    )


def curve_frame(entries: Sequence[Entry], kind: str, condition: str = "overall") -> Any:
    """Long DataFrame of PR (``kind="pr"``: recall, precision) or ROC (``"roc"``: fpr, tpr) points."""
    import pandas as pd

    x_key, y_key = ("recall", "precision") if kind == "pr" else ("fpr", "tpr")
    rows = []
    for entry in entries:
        curve = (entry.curves or {}).get(condition) or {}
        for order, (x, y) in enumerate(zip(curve.get(x_key, []), curve.get(y_key, []), strict=False)):
            rows.append({"method": label_of(entry), "x": x, "y": y, "order": order})
    return pd.DataFrame(rows, columns=["method", "x", "y", "order"])


def curve_chart(entries: Sequence[Entry], kind: str, condition: str = "overall") -> Any:
    """Line chart of PR or ROC curves of the given entries."""
    import altair as alt

    df = curve_frame(entries, kind, condition)
    x_title, y_title = ("recall", "precision") if kind == "pr" else ("false positive rate", "true positive rate")
    title = ("Precision-recall" if kind == "pr" else "ROC") + f" ({condition})"
    return (
        alt.Chart(df, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("y:Q", title=y_title, scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("method:N", legend=alt.Legend(orient="bottom", columns=1, labelLimit=400)),
            order="order:Q",
        )
        .properties(width=380, height=300)
    )
