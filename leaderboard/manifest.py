"""Submission metadata: the form's fields, their checks, and pre-filling them from an archive's manifest."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, fields, replace
from typing import IO, Any

from comsamy.errors import UsageError
from leaderboard.safetext import clean_text, safe_url
from leaderboard.vocab import Visibility

MAX_MANIFEST_BYTES = 64 * 1024
URL_RE = re.compile(r"^https?://[^\s]+$")
ALIASES = {
    "method": ("method", "method_name", "name"),
    "description": ("description",),
    "paper_url": ("paper_url", "paper", "paper_link"),
    "code_url": ("code_url", "code", "code_link"),
    "backbone": ("backbone",),
    "extra_data": ("extra_data", "uses_extra_data"),
    "outlier_data": ("outlier_data", "uses_outlier_data", "ood_data"),
}


@dataclass(frozen=True)
class SubmissionInfo:
    """What the submitter tells about a method (mirrors the archive manifest)."""

    method: str = ""
    description: str = ""
    paper_url: str = ""
    code_url: str = ""
    backbone: str = ""
    extra_data: bool = False
    outlier_data: bool = False
    visibility: str = "public"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def checked(self) -> SubmissionInfo:
        """Return a cleaned copy (stripped, no bidi / zero-width / control characters), or raise
        :class:`UsageError` naming the bad field."""
        stripped: dict[str, Any] = {
            k: clean_text(v, multiline=k == "description").strip()
            for k, v in self.to_dict().items()
            if isinstance(v, str)
        }
        info = replace(self, **stripped)
        if not info.method or len(info.method) > 200:
            raise UsageError(f"method: expected a name of 1-200 characters, got {info.method!r}")
        if len(info.description) > 5000:
            raise UsageError(f"description: expected at most 5000 characters, got {len(info.description)}")
        if len(info.backbone) > 200:
            raise UsageError(f"backbone: expected at most 200 characters, got {len(info.backbone)}")
        for name in ("paper_url", "code_url"):
            value = getattr(info, name)
            if value and (not URL_RE.match(value) or safe_url(value) is None):
                raise UsageError(f"{name}: expected an http(s):// link of at most 500 characters, got {value!r}")
            if value:
                info = replace(info, **{name: safe_url(value)})
        if info.visibility not in tuple(Visibility):
            raise UsageError(f"visibility: expected one of {', '.join(Visibility)}, got {info.visibility!r}")
        return info


def read_manifest(fileobj: IO[bytes]) -> dict[str, Any]:
    """Form values found in the archive's ``manifest.json`` (top level or one folder down); {} if none.

    Never raises for a bad archive or manifest: pre-filling is a convenience, the worker validates.
    """
    try:
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as zf:
            names = [
                i
                for i in zf.infolist()
                if i.filename.rsplit("/", 1)[-1] == "manifest.json" and i.filename.count("/") <= 1
            ]
            if not names or names[0].file_size > MAX_MANIFEST_BYTES:
                return {}
            raw = json.loads(zf.read(names[0]).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, KeyError):
        return {}
    finally:
        fileobj.seek(0)
    if not isinstance(raw, dict):
        return {}
    values: dict[str, Any] = {}
    for field, keys in ALIASES.items():
        for key in keys:
            if key in raw and raw[key] is not None:
                value = raw[key]
                if field in ("extra_data", "outlier_data"):
                    values[field] = value is True or str(value).lower() in ("true", "yes", "1")
                else:
                    values[field] = str(value)[:5000]
                break
    return values
