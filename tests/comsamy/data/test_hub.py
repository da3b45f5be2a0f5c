"""The Hub path without the internet: a local server speaking the Hub API (comsamy.testing.HubServer).

huggingface_hub and datasets read HF_ENDPOINT at import time, so the client side runs in a subprocess
with HF_ENDPOINT and every cache pointed at temporary folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import comsamy
from comsamy.testing import HubServer

CLIENT = r"""
import json, os, sys
import comsamy
from comsamy.cli.data import main
from datasets import Image

out = {}
ds = comsamy.load_dataset("org/comsamy", "all", split="test").cast_column("label", Image(decode=False))
out["ids"] = list(ds["id"])
out["labels"] = {r["id"]: r["label"]["bytes"].hex() for r in ds}
out["features"] = str(comsamy.load_dataset("org/comsamy", "all", split="test").features)
stream = comsamy.load_dataset("org/comsamy", "fog", split="test", streaming=True)
rows = list(stream)
out["stream"] = [r["id"] for r in rows]
out["stream_mode"] = [r["label"].mode for r in rows]
os.environ["COMSAMY_HUB_REPO"] = "org/comsamy"
out["inliers"] = len(comsamy.load_dataset("comsamy", "inliers", split="train"))
out["fetch_rc"] = main(["--quiet", "fetch", "--to", sys.argv[1]])
out["missing_rc"] = main(["--quiet", "fetch", "--repo", "org/missing"])
try:
    comsamy.load_dataset("org/missing")
except comsamy.DataNotAvailableError as exc:
    out["missing_error"] = str(exc)
print("RESULT" + json.dumps(out))
"""


@pytest.mark.slow
def test_load_stream_and_fetch_through_a_local_hub(
    exported: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, folder = exported
    with HubServer(folder, repo_id="org/comsamy") as hub:
        env = {
            **os.environ,
            "HF_ENDPOINT": hub.url,
            "HF_HOME": str(tmp_path / "hf-home"),
            "HF_HUB_CACHE": str(tmp_path / "hub-cache"),
            "HF_DATASETS_CACHE": str(tmp_path / "datasets-cache"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "0",
            "USE_TORCH": "0",  # datasets' streaming otherwise imports torch (seconds) for nothing used here
        }
        env.pop("COMSAMY_DATA", None)
        env.pop("COMSAMY_HUB_REPO", None)
        proc = subprocess.run(
            [sys.executable, "-c", CLIENT, str(tmp_path / "fetched")],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        requests = list(hub.requests)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    assert sorted(result["ids"]) == sorted(p.stem for p in (raw / "labels").iterdir())
    for rid, hexbytes in result["labels"].items():
        assert bytes.fromhex(hexbytes) == (raw / "labels" / f"{rid}.png").read_bytes()
    assert "ClassLabel(names=['clear', 'rain', 'night', 'frost', 'fog'" in result["features"]
    assert result["stream"] and all(m == "L" for m in result["stream_mode"])
    assert result["inliers"] == 4
    assert result["fetch_rc"] == 0
    fetched = tmp_path / "fetched"
    assert sorted(p.relative_to(fetched).as_posix() for p in fetched.rglob("*.parquet")) == sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")
    )
    assert (fetched / "README.md").read_bytes() == (folder / "README.md").read_bytes()
    monkeypatch.setenv("COMSAMY_DATA", str(fetched))  # the fetched snapshot is a usable local copy
    assert len(comsamy.load_dataset("comsamy", config="all", split="test")) == len(result["ids"])
    assert result["missing_rc"] == 4
    assert "comsamy-data fetch --to DIR" in result["missing_error"]
    # the client really went through the server's API
    paths = [p for _, p in requests]
    assert any(p.startswith("/api/datasets/org/comsamy/tree/") for p in paths)
    assert any("/resolve/" in p and p.endswith(".parquet") for p in paths)


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_server_range_requests_and_error_codes(exported: tuple[Path, Path]) -> None:
    _, folder = exported
    shard = "data/clear-00000-of-00001.parquet"
    data = (folder / shard).read_bytes()
    with HubServer(folder, repo_id="org/comsamy") as hub:
        base = f"{hub.url}/datasets/org/comsamy/resolve/main/"
        status, headers, body = _get(base + shard, {"Range": "bytes=4-103"})
        assert status == 206 and body == data[4:104]
        assert headers["Content-Range"] == f"bytes 4-103/{len(data)}"
        status, _, body = _get(base + shard, {"Range": "bytes=-8"})  # parquet footer: last 8 bytes
        assert status == 206 and body == data[-8:] and body.endswith(b"PAR1")
        status, headers, body = _get(base + shard, method="HEAD")
        assert status == 200 and int(headers["Content-Length"]) == len(data) and body == b""
        assert headers["X-Repo-Commit"] == hub.sha and headers["ETag"].strip('"')
        status, headers, _ = _get(base + "nope.parquet")
        assert status == 404 and headers["X-Error-Code"] == "EntryNotFound"
        status, headers, _ = _get(f"{hub.url}/api/datasets/org/other")
        assert status == 404 and headers["X-Error-Code"] == "RepoNotFound"
        status, headers, _ = _get(f"{hub.url}/api/datasets/org/comsamy/revision/v9")
        assert status == 404 and headers["X-Error-Code"] == "RevisionNotFound"
        status, _, body = _get(f"{hub.url}/api/datasets/org/comsamy/tree/main/data")
        listed = {e["path"]: e for e in json.loads(body)}
        assert status == 200 and listed[shard]["size"] == len(data)
        status, _, body = _get(f"{hub.url}/api/datasets/org/comsamy/tree/main")
        assert {e["path"] for e in json.loads(body)} == {"README.md", "data"}
        request = urllib.request.Request(
            f"{hub.url}/api/datasets/org/comsamy/paths-info/main",
            data=f"paths={shard}&paths=data&paths=missing".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            info = json.loads(response.read())
        assert [(e["type"], e["path"]) for e in info] == [("file", shard), ("directory", "data")]
