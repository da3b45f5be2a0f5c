"""The label-oracle attack: a tile-coded archive must not read the hidden labels back from what the site sends.

One test image is cut into 190 tiles of 2 x 2 pixels, each tile gets its own distinct score, every other image
scores 0. With PR points at the submitter's thresholds, recall and precision at each tile's score give the exact
anomaly count of every tile. Everything the pages send (every element of every page, decoded chart data, data
frames, the CSV export) goes to the attack, which is also told the true total of anomaly pixels; it must not do
better than guessing, for a visitor nor for the submission's owner (who sees its full private breakdown).
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import leaderboard
from leaderboard.manifest import SubmissionInfo
from leaderboard.publish import FPR_LEVELS, RECALL_LEVELS
from leaderboard.scoring import ComsamyScorer
from leaderboard.store.repo import public_entries
from leaderboard.submit import submit_archive
from leaderboard.table import build_table, to_csv
from leaderboard.tokens import create_token
from leaderboard.worker import Worker
from tests.leaderboard.fakes import npy_zip, tiny_dataset
from tests.leaderboard.sent import numbers_in, sent_by_app

APP = str(Path(leaderboard.__file__).parent / "app.py")
SHAPE = (20, 38)
TILE = 2
TILES = (SHAPE[0] // TILE) * (SHAPE[1] // TILE)  # 190
TARGET = "img_00"
K = 5


def coded_labels(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """8 label maps; the target's tiles hold 0-4 anomaly pixels each (half of them none). Returns (labels, counts)."""
    rng = np.random.default_rng(seed)
    counts = np.where(rng.random(TILES) < 0.5, 0, rng.integers(1, 5, TILES))
    target = np.zeros(SHAPE, np.uint8)
    for t, n in enumerate(counts):
        r, c = divmod(t, SHAPE[1] // TILE)
        target[r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE].flat[:n] = 1
    labels = {TARGET: target}
    for i in range(1, 8):
        lab = np.zeros(SHAPE, np.uint8)
        r, c = rng.integers(0, SHAPE[0] - 5), rng.integers(0, SHAPE[1] - 6)
        lab[r : r + 4, c : c + 5] = 1
        lab[-1, :] = 255
        labels[f"img_{i:02d}"] = lab
    return labels, counts


def tile_score(t: int) -> float:
    """Tile ``t``'s own score: distinct in float16, above the 0 of every other pixel."""
    return 0.5 + t / 512


def coded_scores(labels: dict[str, np.ndarray], tiles: int = TILES) -> dict[str, np.ndarray]:
    """The probe: the target's tiles scored ``tile_score(t)`` (the first ``tiles`` of them), 0 elsewhere."""
    scores = {k: np.zeros(SHAPE, np.float32) for k in labels}
    for t in range(tiles):
        r, c = divmod(t, SHAPE[1] // TILE)
        scores[TARGET][r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE] = tile_score(t)
    return scores


def attack(points: list[tuple[float, float]], total_anomaly: int) -> np.ndarray:
    """Per-tile anomaly counts from (recall, precision) points, told the true anomaly total.

    A point whose predicted-positive count lands on a tile boundary (tiles above a threshold, highest score
    first) pins the cumulative anomaly count there; counts between pinned boundaries are spread evenly.
    """
    cum_pixels = np.arange(TILES + 1) * TILE * TILE
    pinned = {0: 0.0}
    for recall, precision in points:
        if not (0 < precision <= 1 and 0 < recall <= 1):
            continue
        tp = recall * total_anomaly
        k = int(np.argmin(np.abs(cum_pixels - tp / precision)))
        if abs(cum_pixels[k] - tp / precision) < 0.5:
            pinned[k] = tp
    ks = sorted(pinned)
    estimate_desc = np.zeros(TILES)
    for a, b in itertools.pairwise(ks):
        estimate_desc[a:b] = (pinned[b] - pinned[a]) / (b - a)
    return np.rint(estimate_desc[::-1])  # the highest score is the last tile


def candidate_curves(frames: list, strings: list[str], method: str) -> list[list[tuple[float, float]]]:
    """Every (x, y) series the attacker can find: chart data of the probe's rows, and number pairs in text."""
    out = []
    for df in frames:
        cols = set(df.columns)
        if {"x", "y"} <= cols:
            rows = df[df["method"].astype(str).str.contains(method)] if "method" in cols else df
            out.append(list(zip(rows["x"].astype(float), rows["y"].astype(float), strict=True)))
        for xc, yc in (("recall", "precision"), ("fpr", "tpr")):
            if {xc, yc} <= cols:
                out.append(list(zip(df[xc].astype(float), df[yc].astype(float), strict=True)))
    return out


def best_attack_accuracy(strings, frames, method: str, counts: np.ndarray, total: int) -> float:
    """Share of tiles whose count the best of the attacker's reconstructions gets exactly right.

    ``total`` is the true number of anomaly pixels of the whole set (given to the attacker for free).
    """
    best = 0.0
    for points in candidate_curves(frames, strings, method):
        estimate = attack(points, total)
        best = max(best, float(np.mean(estimate == counts)))
    return best


@pytest.fixture
def probe_site(monkeypatch, settings, engine, token):
    """A probe archive (public, by team-a), a private probe (by team-b, its owner) and an honest entry, scored."""
    settings = settings.replace(quota=10, min_condition_images=K)
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    labels, counts = coded_labels()
    scorer = ComsamyScorer(tiny_dataset(labels), workers=1)
    owner = create_token(engine, "team-b")
    ids = {}
    for name, tok, tiles, vis in (
        ("tile probe", token, TILES, "public"),
        ("small probe", token, 10, "anonymous"),
        ("private probe", owner, TILES, "private"),
    ):
        raw = npy_zip(coded_scores(labels, tiles))
        ids[name] = submit_archive(
            engine,
            settings,
            token=tok,
            fileobj=io.BytesIO(raw),
            info=SubmissionInfo(method=name, visibility=vis),
            filename=f"{name}.zip",
        ).submission_id
    assert Worker(engine, settings, scorer).run(once=True) == 3
    return {"labels": labels, "counts": counts, "ids": ids, "owner": owner, "engine": engine, "settings": settings}


def _page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = page
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _everything(site) -> tuple[list[str], list]:
    strings, frames = [], []
    for page, params in (
        ("leaderboard", {}),
        ("method", {"id": str(site["ids"]["tile probe"])}),
        ("method", {"id": str(site["ids"]["small probe"])}),
    ):
        s, f = sent_by_app(_page(page, **params))
        strings += s
        frames += f
    at = _page("status")
    at.text_input(key="status_token").input(site["owner"]).run()
    assert not at.exception, at.exception
    s, f = sent_by_app(at)
    strings += s
    frames += f
    import pandas as pd

    csv = to_csv(build_table(public_entries(site["engine"], min_images=K))).decode()
    strings.append(csv)
    frames.append(pd.read_csv(io.StringIO(csv)))
    return strings, frames


def _truths(labels: dict[str, np.ndarray]) -> set[int]:
    """Pixel counts of the hidden data an attacker would like: whole set, per image, anything over 40."""
    out = set()
    stacks = [np.concatenate([v.ravel() for v in labels.values()]), *(v.ravel() for v in labels.values())]
    for arr in stacks:
        out |= {int((arr == 1).sum()), int((arr == 0).sum()), int((arr == 255).sum())}
    return {n for n in out if n > 40}


def test_tile_coded_archive_reads_nothing_back(probe_site):
    site = probe_site
    strings, frames = _everything(site)
    counts = site["counts"]
    baseline = float(np.mean(counts == 0))  # guessing "no anomaly" everywhere
    total = int(sum((lab == 1).sum() for lab in site["labels"].values()))
    for method in ("tile probe", "private probe"):
        accuracy = best_attack_accuracy(strings, frames, method, counts, total)
        assert accuracy <= baseline + 0.1, (method, accuracy, baseline)
    # curves only at the scorer's fixed levels, a fixed number of points whatever the archive
    curves = [c for m in ("tile probe", "small probe", "private probe") for c in candidate_curves(frames, strings, m)]
    assert curves, "the method pages sent no curve at all"
    levels = set(RECALL_LEVELS) | set(FPR_LEVELS)
    for points in curves:
        assert len(points) <= max(len(RECALL_LEVELS), len(FPR_LEVELS)) * 3  # three methods per chart at most
        assert {round(x, 6) for x, _ in points} <= {round(v, 6) for v in levels}
    # no pixel counts of the hidden data, per condition or per image
    sent = {round(v) for v in numbers_in(strings, frames) if float(v).is_integer()}
    assert not (_truths(site["labels"]) & sent)
    # no condition with fewer than K images
    for df in frames:
        if "images" in df.columns:
            assert (df["images"].dropna().astype(int) >= K).all(), df


def test_numbers_published_do_not_grow_with_distinct_scores(probe_site):
    """The 190-score probe and the 10-score probe get exactly as many numbers (tables, chart data) on their pages."""
    site = probe_site
    sizes = []
    for name in ("tile probe", "small probe"):
        _, frames = sent_by_app(_page("method", id=str(site["ids"][name])))
        sizes.append(len(numbers_in([], frames)))
    assert sizes[0] == sizes[1] > 0


def test_owner_sees_private_breakdown_with_the_same_rules(probe_site):
    site = probe_site
    at = _page("status")
    at.text_input(key="status_token").input(site["owner"]).run()
    tables = [d.value for d in at.dataframe]
    assert tables, "the owner sees no per-condition table of the private submission"
    rows = tables[0]
    assert {"overall", "split"} <= set(rows["group"]) and (rows["images"] >= K).all()
    assert "weather" not in set(rows["group"])  # one image per weather here: never published
    assert not {"anomaly px", "inlier px", "void px"} & set(rows.columns)
    board = _page("leaderboard").dataframe[0].value
    assert "private probe" not in set(board["Method"])  # seeing it did not publish it
