"""A small local HTTP server that serves a dataset folder as a Hugging Face Hub dataset repo.

It speaks the part of the Hub API that ``huggingface_hub`` (``hf_hub_download``, ``snapshot_download``,
``HfFileSystem``) and ``datasets`` (``load_dataset``, streaming) use:

- ``GET /api/datasets/{repo}`` and ``/api/datasets/{repo}/revision/{rev}``: repo info (``sha``, ``siblings``);
- ``GET /api/datasets/{repo}/tree/{rev}[/{path}]?recursive=&expand=``: tree listing;
- ``POST /api/datasets/{repo}/paths-info/{rev}``: info of given paths;
- ``HEAD``/``GET /datasets/{repo}/resolve/{rev}/{path}``: file download with ``ETag``, ``X-Repo-Commit``,
  ``Content-Length`` and HTTP range requests (streaming reads parquet footers and row groups by range).

Errors carry the ``X-Error-Code`` header (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) that
``huggingface_hub`` maps to its exceptions. Anything else is a 404. Point ``HF_ENDPOINT`` at :attr:`HubServer.url`
*before* ``huggingface_hub``/``datasets`` are imported (they read it at import time), e.g. in a subprocess.

Example::

    with HubServer("path/to/folder", repo_id="org/comsamy") as hub:
        subprocess.run([...], env={**os.environ, "HF_ENDPOINT": hub.url})
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

_API = re.compile(
    r"^/api/datasets/(?P<repo>[^/]+/[^/]+)(?:/(?P<op>revision|tree|paths-info)/(?P<rev>[^/]+)(?P<rest>/.*)?)?$"
)
_RESOLVE = re.compile(r"^/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class _File:
    path: str
    size: int
    sha256: str
    blob: str

    def entry(self) -> dict[str, object]:
        return {"type": "file", "path": self.path, "size": self.size, "oid": self.blob}


def _snapshot(folder: Path) -> dict[str, _File]:
    files: dict[str, _File] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in Path(rel).parts):
            continue
        data = path.read_bytes()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's blob id
        files[rel] = _File(rel, len(data), hashlib.sha256(data).hexdigest(), blob)
    return files


class HubServer:
    """Serve ``folder`` as the Hub dataset repo ``repo_id`` at revision ``main`` (and its commit sha).

    The folder's files are snapshotted (names, sizes, hashes) when the server starts; their bytes are read
    on each request. ``requests`` records ``(method, path)`` of every request, for assertions.
    """

    def __init__(self, folder: str | Path, repo_id: str = "comsamy/comsamy", *, host: str = "127.0.0.1") -> None:
        self.folder = Path(folder)
        self.repo_id = repo_id
        self.host = host
        self.requests: list[tuple[str, str]] = []
        self.files: dict[str, _File] = {}
        self.sha = ""
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint to put in ``HF_ENDPOINT`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("expected a started HubServer, got one that is not running; call start() first")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> HubServer:
        """Snapshot the folder and start serving in a daemon thread."""
        self.files = _snapshot(self.folder)
        self.sha = hashlib.sha1("".join(f.path + f.sha256 for f in self.files.values()).encode()).hexdigest()
        handler = type("_BoundHandler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer((self.host, 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="comsamy-hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- repo model -------------------------------------------------------------------------------
    def revision_ok(self, rev: str) -> bool:
        return unquote(rev) in ("main", self.sha)

    def info(self) -> dict[str, object]:
        return {
            "id": self.repo_id,
            "author": self.repo_id.split("/")[0],
            "sha": self.sha,
            "private": False,
            "gated": False,
            "disabled": False,
            "lastModified": "2026-01-01T00:00:00.000Z",
            "tags": [],
            "siblings": [{"rfilename": f.path, "size": f.size} for f in self.files.values()],
        }

    def folders(self) -> set[str]:
        out: set[str] = set()
        for path in self.files:
            parts = path.split("/")[:-1]
            out |= {"/".join(parts[: i + 1]) for i in range(len(parts))}
        return out

    def tree(self, prefix: str, recursive: bool) -> list[dict[str, object]] | None:
        prefix = prefix.strip("/")
        folders = self.folders()
        if prefix and prefix not in folders:
            return None
        base = prefix + "/" if prefix else ""
        entries: list[dict[str, object]] = []
        for folder in sorted(folders):
            if folder.startswith(base) and (recursive or "/" not in folder[len(base) :]):
                oid = hashlib.sha1(folder.encode()).hexdigest()
                entries.append({"type": "directory", "path": folder, "oid": oid})
        for f in self.files.values():
            if f.path.startswith(base) and (recursive or "/" not in f.path[len(base) :]):
                entries.append(f.entry())
        return entries

    def paths_info(self, paths: list[str]) -> list[dict[str, object]]:
        folders = self.folders()
        out: list[dict[str, object]] = []
        for path in paths:
            path = path.strip("/")
            if path in self.files:
                out.append(self.files[path].entry())
            elif path in folders:
                out.append({"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest()})
        return out


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("hub-server: " + format, *args)

    # --- helpers ----------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload: object, status: int = 200) -> None:
        self._send(status, json.dumps(payload).encode())

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, json.dumps({"error": message}).encode(), {"X-Error-Code": code, "X-Error-Message": message})

    def _check_repo(self, repo: str, rev: str | None) -> bool:
        if unquote(repo) != self.hub.repo_id:
            self._error(404, "RepoNotFound", f"Repository {unquote(repo)} not found")
            return False
        if rev is not None and not self.hub.revision_ok(rev):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {unquote(rev)}")
            return False
        return True

    # --- verbs --------------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self.hub.requests.append((self.command, self.path))
        url = urlsplit(self.path)
        if m := _RESOLVE.match(url.path):
            if self._check_repo(m["repo"], m["rev"]):
                self._file(unquote(m["path"]))
            return
        m = _API.match(url.path)
        if m is None or m["op"] == "paths-info":
            self._error(404, "NotFound", f"no such endpoint on the local hub: {url.path}")
            return
        if not self._check_repo(m["repo"], m["rev"]):
            return
        if m["op"] in (None, "revision"):
            self._json(self.hub.info())
            return
        query = parse_qs(url.query)
        recursive = query.get("recursive", ["False"])[0].lower() in ("1", "true")
        entries = self.hub.tree(unquote(m["rest"] or ""), recursive)
        if entries is None:
            self._error(404, "EntryNotFound", f"{m['rest']} does not exist on {m['rev']}")
        else:
            self._json(entries)

    def do_POST(self) -> None:
        self.hub.requests.append((self.command, self.path))
        url = urlsplit(self.path)
        m = _API.match(url.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if m is None or m["op"] != "paths-info":
            self._error(404, "NotFound", f"no such endpoint on the local hub: {url.path}")
            return
        if not self._check_repo(m["repo"], m["rev"]):
            return
        if "json" in (self.headers.get("Content-Type") or ""):
            paths = list(json.loads(body or "{}").get("paths", []))
        else:
            paths = parse_qs(body).get("paths", [])
        self._json(self.hub.paths_info(paths))

    def _file(self, path: str) -> None:
        f = self.hub.files.get(path)
        if f is None:
            self._error(404, "EntryNotFound", f"{path} does not exist on main")
            return
        headers = {
            "ETag": f'"{f.sha256}"',
            "X-Repo-Commit": self.hub.sha,
            "Accept-Ranges": "bytes",
        }
        start, end = 0, f.size - 1
        status = 200
        requested = self.headers.get("Range")
        if requested:
            m = _RANGE.match(requested.strip())
            if m is None or (not m[1] and not m[2]):
                self._send(416, b"", {"Content-Range": f"bytes */{f.size}"})
                return
            if m[1]:
                start, end = int(m[1]), min(int(m[2]) if m[2] else f.size - 1, f.size - 1)
            else:  # suffix range: the last N bytes
                start = max(0, f.size - int(m[2]))
            if start >= f.size or start > end:
                self._send(416, b"", {"Content-Range": f"bytes */{f.size}"})
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        if self.command == "HEAD" and status == 200:
            body = b""
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(f.size))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            return
        with open(self.hub.folder / path, "rb") as fh:
            fh.seek(start)
            body = fh.read(end - start + 1)
        self._send(status, body, headers, content_type="application/octet-stream")


__all__ = ["HubServer"]
