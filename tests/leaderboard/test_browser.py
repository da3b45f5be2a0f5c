"""Real app + real worker as subprocesses, driven in Debian's Chromium through Playwright.

Follows the spec's recipe: poll /_stcore/health, upload inside expect_response for /_stcore/upload_file/,
and wait for the script to settle (running -> notRunning) after every input, upload and click.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard.manifest import SubmissionInfo
from leaderboard.settings import Settings
from leaderboard.store import Submission, make_engine, migrate
from leaderboard.submit import submit_archive
from leaderboard.tokens import create_token
from tests.leaderboard.fakes import noisy_scores, npy_zip, tiny_dataset_folder, tiny_labels
from tests.leaderboard.procs import (
    CHROMIUM,
    CHROMIUM_ARGS,
    child_env,
    common_args,
    free_port,
    start,
    stop,
    wait_for,
    wait_health,
)

REQUIRE_ENV = "COMSAMY_REQUIRE_CHROMIUM"  # CI sets it: a missing browser fails the tests instead of skipping them
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get(REQUIRE_ENV),
        reason="needs Debian's chromium (apt-get install chromium)",
    ),
]
SHOTS_ENV = "COMSAMY_LB_SAVE_SCREENSHOTS"  # set to a folder to keep the page screenshots (docs/images)


def settle(page, timeout: float = 30_000) -> None:
    """Wait for Streamlit to start and finish the re-run an input triggered."""
    with contextlib.suppress(Exception):  # the re-run may have been too quick to see
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="running"]', timeout=1500)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def upload(page, path: Path) -> None:
    with page.expect_response(lambda r: "/_stcore/upload_file/" in r.url, timeout=30_000):
        page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(path))
    settle(page)


def goto(page, port: int, slug: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/?page={slug}")
    page.wait_for_selector('[data-testid="stApp"]')
    settle(page)
    page.wait_for_selector("h1")


def csv_rows(page) -> list[dict[str, str]]:
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="Download CSV").click()
    return list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))


def comsamy_eval_auprc(archive: Path, data: Path, tmp: Path, capsys) -> float:
    """Run comsamy-eval's own main() on the archive; return the whole-set AUPRC it printed (CSV format)."""
    from comsamy.cli.eval import main

    capsys.readouterr()
    assert main(["--preds", str(archive), "--data", str(data), "--workers", "1", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    return printed["overall"]["auprc"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A tiny dataset folder, a database with a team token, the app and one worker."""
    tmp = tmp_path_factory.mktemp("lb-browser")
    labels = tiny_labels(n=36, shape=(24, 32), seed=11)  # 5-6 images per weather / landform: published
    data = tiny_dataset_folder(tmp / "data", labels)
    storage = tmp / "storage"
    db = f"sqlite:///{tmp / 'lb.db'}"
    engine = make_engine(db)
    migrate(engine)
    token = create_token(engine, "browser-team")
    others = create_token(engine, "other-team")
    settings = Settings(db=db, storage=str(storage), quota=10)
    for noise, vis in ((0.3, "public"), (1.5, "anonymous")):  # two more rows for the table and the charts
        raw = npy_zip(noisy_scores(labels, noise, seed=3))
        submit_archive(
            engine,
            settings,
            token=others,
            fileobj=io.BytesIO(raw),
            info=SubmissionInfo(method=f"Noisy oracle {noise}", visibility=vis, extra_data=noise < 1),
        )
    env = child_env(tmp)
    port = free_port()
    args = common_args(db, storage, str(data), max_upload_mb=1, quota=10)
    procs = {
        "app": start(["serve", "--port", str(port), *args], env, tmp / "app.log"),
        "worker": start(["worker", *args, "--poll", "0.3"], env, tmp / "worker.log"),
    }
    wait_health(port, procs["app"])
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        yield {
            "tmp": tmp,
            "labels": labels,
            "data": data,
            "engine": engine,
            "token": token,
            "port": port,
            "page": page,
            "procs": procs,
            "args": args,
            "env": env,
        }
    finally:
        browser.close()
        pw.stop()
        for proc in procs.values():
            stop(proc)
        engine.dispose()


def shot(page, tmp: Path, name: str, height: int | None = None) -> None:
    """A PNG of the page (``height``: a taller viewport first, since the app scrolls inside its own container)."""
    path = tmp / f"leaderboard_{name}.png"
    if height:
        page.set_viewport_size({"width": 1400, "height": height})
        settle(page)
    page.screenshot(path=str(path), full_page=True)
    if height:
        page.set_viewport_size({"width": 1400, "height": 1000})
    assert path.stat().st_size > 5_000
    keep = os.environ.get(SHOTS_ENV)
    if keep:
        shutil.copy(path, Path(keep) / path.name)


def test_submit_score_and_find_row(site, capsys):
    page, port, tmp = site["page"], site["port"], site["tmp"]
    archive = tmp / "preds.zip"
    archive.write_bytes(
        npy_zip(noisy_scores(site["labels"], 0.7, seed=2), manifest={"method": "Browser method", "backbone": "R50"})
    )
    expected = comsamy_eval_auprc(archive, site["data"], tmp, capsys)

    goto(page, port, "submit")
    page.get_by_role("textbox", name="Team token").fill(site["token"])
    page.get_by_role("textbox", name="Team token").press("Enter")
    settle(page)
    upload(page, archive)
    wait_for(
        lambda: page.get_by_role("textbox", name="Method name *").input_value() == "Browser method",
        15,
        "manifest pre-fill",
    )
    page.get_by_text("public", exact=True).click()
    shot(page, tmp, "submit", height=1300)
    page.get_by_role("button", name="Submit", exact=True).click()
    settle(page)
    page.wait_for_selector("text=queued for team browser-team", timeout=30_000)

    engine = site["engine"]

    def scored():
        with Session(engine) as s:
            return s.scalar(
                select(Submission).where(Submission.method == "Browser method", Submission.status == "scored")
            )

    wait_for(scored, 90, "the worker to score the submission")

    goto(page, port, "leaderboard")
    rows = [r for r in csv_rows(page) if r["Method"] == "Browser method"]
    assert len(rows) == 1
    shot(page, tmp, "table")
    assert float(rows[0]["Whole AUPRC ↑"]) == pytest.approx(round(100 * expected, 2), abs=1e-9)

    goto(page, port, "status")
    page.get_by_role("textbox", name="Team token").fill(site["token"])
    page.get_by_role("textbox", name="Team token").press("Enter")
    settle(page)
    page.wait_for_selector(f"text=/whole-set AUPRC {100 * expected:.2f}/", timeout=15_000)
    page.get_by_text("Per-condition results").first.click()
    settle(page)
    shot(page, tmp, "status", height=1600)

    sid = int(rows[0]["Submission"])
    goto(page, port, f"method&id={sid}")  # the permalink of the method page
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=30_000)
    assert page.get_by_role("heading", name="Browser method").count() == 1
    shot(page, tmp, "detail", height=2200)
    body = page.inner_text("body")
    assert "Traceback" not in body and str(site["tmp"]) not in body


def test_odd_permalinks_show_no_traceback(site):
    page, port = site["page"], site["port"]
    for slug in ("method&id=99999999999999999999999999", "method&id=-1", "nonsense"):
        goto(page, port, slug)
        body = page.inner_text("body")
        assert "Traceback" not in body and "Error" not in body and str(site["tmp"]) not in body


def test_oversized_upload_refused_in_browser(site):
    page, port, tmp = site["page"], site["port"], site["tmp"]
    big = tmp / "big.zip"
    big.write_bytes(os.urandom(1024 * 1024 + 4096))
    goto(page, port, "submit")
    page.set_input_files('[data-testid="stFileUploaderDropzoneInput"]', str(big))
    page.wait_for_selector("text=/File must be .* or smaller/", timeout=15_000)


def test_restart_keeps_everything(site):
    """Stop and start the app and the worker: every submission and result is still there."""
    page, port, tmp, engine = site["page"], site["port"], site["tmp"], site["engine"]
    with Session(engine) as s:
        before = [(r.id, r.status) for r in s.scalars(select(Submission).order_by(Submission.id))]
    assert before
    for name in ("app", "worker"):
        stop(site["procs"][name])
    site["procs"]["app"] = start(["serve", "--port", str(port), *site["args"]], site["env"], tmp / "app2.log")
    site["procs"]["worker"] = start(["worker", *site["args"], "--poll", "0.3"], site["env"], tmp / "worker2.log")
    wait_health(port, site["procs"]["app"])
    with Session(engine) as s:
        assert [(r.id, r.status) for r in s.scalars(select(Submission).order_by(Submission.id))] == before
    goto(page, port, "leaderboard")
    assert [r for r in csv_rows(page) if r["Method"] == "Browser method"]
