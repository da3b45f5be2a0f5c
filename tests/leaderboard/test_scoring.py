"""Real scoring through comsamy.evaluation (tiny in-memory dataset), checked against scikit-learn."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve
from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard.manifest import SubmissionInfo
from leaderboard.publish import FPR_LEVELS, RECALL_LEVELS
from leaderboard.scoring import ComsamyScorer
from leaderboard.store import Result, Submission
from leaderboard.submit import submit_archive
from leaderboard.worker import Worker
from tests.leaderboard.fakes import noisy_scores, npy_zip, tiny_dataset, tiny_labels


@pytest.fixture(scope="module")
def labels():
    return tiny_labels(n=8, seed=3)


@pytest.fixture(scope="module")
def scorer(labels):
    return ComsamyScorer(tiny_dataset(labels), config="all", split="test", workers=1)


def _pooled(labels, scores, ids=None):
    ids = list(labels) if ids is None else ids
    y = np.concatenate([labels[i].ravel() for i in ids])
    s = np.concatenate([scores[i].astype(np.float16).astype(np.float64).ravel() for i in ids])
    keep = y != 255
    return y[keep], s[keep]


def _oracle(labels, scores, ids=None):
    y, s = _pooled(labels, scores, ids)
    return average_precision_score(y, s), roc_auc_score(y, s)


def test_worker_real_scoring_matches_sklearn(engine, settings, token, labels, scorer):
    scores = noisy_scores(labels, noise=0.8, seed=1)
    raw = npy_zip(scores, manifest={"method": "noisy"})
    sid = submit_archive(
        engine, settings, token=token, fileobj=io.BytesIO(raw), info=SubmissionInfo(method="noisy")
    ).submission_id
    assert Worker(engine, settings, scorer).run(once=True) == 1
    with Session(engine) as s:
        res = s.scalar(select(Result).where(Result.submission_id == sid))
        assert s.get(Submission, sid).status == "scored"
    results = json.loads(res.results_json)
    ap, auroc = _oracle(labels, scores)
    assert results["overall"]["auprc"] == pytest.approx(ap, abs=1e-12)
    assert results["overall"]["auroc"] == pytest.approx(auroc, abs=1e-12)
    clear_ids = [k for i, k in enumerate(labels) if i % 7 == 0]
    assert results["by_condition"]["split"]["clear"]["auprc"] == pytest.approx(_oracle(labels, scores, clear_ids)[0])
    assert results["archive"]["sha256"] == res.archive_sha256
    curves = json.loads(res.curves_json)
    assert set(curves) >= {"overall", "clear", "adverse"}
    # only the scorer's fixed levels are stored, checked against scikit-learn's full curves
    y, sc = _pooled(labels, scores)
    precision, recall, _ = precision_recall_curve(y, sc)
    fpr, tpr, _ = roc_curve(y, sc)
    overall = curves["overall"]
    assert overall["recall"] == list(RECALL_LEVELS) and overall["fpr"] == list(FPR_LEVELS)
    assert overall["precision"] == pytest.approx([precision[recall >= r].max() for r in RECALL_LEVELS], abs=6e-4)
    assert overall["tpr"] == pytest.approx([tpr[fpr <= f].max() for f in FPR_LEVELS], abs=6e-4)
    assert res.scorer_version == results["version"] and res.data_revision == results["dataset"]["revision"]


def test_real_bad_archive_reports_members_only(engine, settings, token, labels, scorer):
    scores = noisy_scores(labels, noise=0.5)
    first = next(iter(scores))
    scores[first] = scores[first][:5, :5]  # wrong shape
    del scores[list(scores)[-1]]  # a missing id
    sid = submit_archive(
        engine,
        settings,
        token=token,
        fileobj=io.BytesIO(npy_zip(scores)),
        info=SubmissionInfo(method="bad"),
        filename="my_preds.zip",
    ).submission_id
    Worker(engine, settings, scorer).run(once=True)
    with Session(engine) as s:
        sub = s.get(Submission, sid)
    assert sub.status == "failed"
    assert first in sub.error and "Traceback" not in sub.error
    assert settings.storage not in sub.error and sub.archive_sha256 not in sub.error  # no server path
    assert sub.failure_kind == "archive"
    # the report names members and shapes, never label content (no run of label-sized data)
    lab = labels[first]
    assert str(lab.tolist()) not in sub.error and len(sub.error) < 4000
