"""Structural validation of a prediction archive against the dataset it claims to score.

Every check that needs no pixel data runs here, first and completely: names, flags, sizes, ids, formats, shapes,
dtypes, kinds. All findings are collected and raised together in one :class:`~comsamy.errors.ArchiveError`, each
naming its member. Checks that need the pixels (NaN/inf, float16 range, CRC of the full member) run while scoring
(:mod:`comsamy.submission.reader`) and are reported the same way, before any result.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comsamy.errors import ArchiveError, UsageError
from comsamy.submission.container import Container, MemberEntry, MemberReadError, open_container
from comsamy.submission.formats import SCORE_EXTENSIONS, ArrayHeader, FormatProblem, probe_member, score_kind

__all__ = ["ArchiveIndex", "ArchiveLimits", "ScoreMember", "open_checked", "validate_archive"]

MANIFEST_NAME = "manifest.json"
MANIFEST_MAX_BYTES = 1 << 20
FIRST_FEW = 5
LIST_AT_MOST = 20


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps derived from the dataset's image sizes (a zip bomb fails these before any byte is inflated).

    Attributes:
        member_slack: bytes allowed on top of ``H * W * 8`` per member (headers, PNG / HDF5 overhead).
        extra_members: members allowed beyond one per dataset image.
    """

    member_slack: int = 1 << 20
    extra_members: int = 64

    def member_cap(self, shape: tuple[int, int]) -> int:
        """Largest legitimate uncompressed member for an image of this (H, W): float64 plus slack."""
        return shape[0] * shape[1] * 8 + self.member_slack

    def total_cap(self, shapes: Mapping[str, tuple[int, int]]) -> int:
        """Largest legitimate uncompressed total: every image at its cap, plus a manifest."""
        return sum(self.member_cap(s) for s in shapes.values()) + MANIFEST_MAX_BYTES

    def max_members(self, num_images: int) -> int:
        """Largest legitimate number of members (one per image plus a few extras)."""
        return num_images + self.extra_members


@dataclass(frozen=True)
class ScoreMember:
    """One validated score map: which image it scores and how to decode it.

    Attributes:
        image_id: the dataset id (the member's file stem).
        name: the member name inside the archive.
        ext: lower-case extension with the dot.
        size: declared uncompressed size.
        header: shape, dtype and offsets read from the member's header.
    """

    image_id: str
    name: str
    ext: str
    size: int
    header: ArrayHeader

    @property
    def kind(self) -> str:
        """``"float"`` or ``"integer"``."""
        return score_kind(self.header.dtype)


@dataclass(frozen=True)
class ArchiveIndex:
    """A structurally valid archive: one score member per dataset image.

    Attributes:
        path: the archive path (zip file or folder).
        container: ``"zip"`` or ``"folder"``.
        members: image id -> member, in the dataset's order.
        manifest: the parsed ``manifest.json`` (unknown keys kept), or None.
        score_kind: ``"float"`` or ``"integer"``.
        member_caps: image id -> the largest size a read of that member may return.
    """

    path: str
    container: str
    members: Mapping[str, ScoreMember]
    manifest: Mapping[str, Any] | None
    score_kind: str
    member_caps: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no pixel data)."""
        return {
            "path": self.path,
            "container": self.container,
            "num_members": len(self.members),
            "score_kind": self.score_kind,
            "dtypes": sorted({m.header.dtype for m in self.members.values()}),
            "formats": sorted({m.ext for m in self.members.values()}),
            "manifest": dict(self.manifest) if self.manifest is not None else None,
        }


def open_checked(path: str | os.PathLike[str]) -> Container:
    """Open an archive path, turning the two unreadable cases into clear errors.

    Raises:
        UsageError: the path does not exist.
        ArchiveError: the path is a file but not a zip archive.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"--preds {p}: expected an existing zip file or folder, got no such path")
    try:
        return open_container(p)
    except UnicodeDecodeError as exc:
        raise ArchiveError(
            f"{p}: expected UTF-8 member names, got a zip whose central directory has invalid UTF-8 names",
            [f"{p.name}: member names are flagged UTF-8 but are not valid UTF-8"],
        ) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, OverflowError,
            struct.error, OSError) as exc:  # what zipfile raises on a broken central directory
        raise ArchiveError(
            f"{p}: expected a zip archive or a folder of score maps, got a file that is not a readable zip ({exc})",
            [f"{p.name}: not a zip archive"],
        ) from exc


def _ext_and_stem(name: str) -> tuple[str, str]:
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0:
        return "", base
    return base[dot:].lower(), base[:dot]


def _few(items: list[str], n: int = FIRST_FEW) -> str:
    shown = ", ".join(repr(i) for i in items[:n])
    return shown + (f", ... ({len(items) - n} more)" if len(items) > n else "")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _read_manifest(container: Container, entry: MemberEntry, problems: list[str]) -> dict[str, Any] | None:
    try:
        raw = container.read(entry, MANIFEST_MAX_BYTES)
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except MemberReadError as exc:
        problems.append(f"member {entry.name!r}: {exc}")
        return None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        problems.append(f"member {entry.name!r}: expected a JSON object, got invalid JSON ({exc})")
        return None
    if not isinstance(doc, dict):
        problems.append(f"member {entry.name!r}: expected a JSON object, got {type(doc).__name__}")
        return None
    return doc


def _probe(container: Container, entry: MemberEntry, ext: str, cap: int) -> ArrayHeader:
    return probe_member(
        ext, entry.size, lambda n: container.read_head(entry, n), lambda: container.read(entry, cap), cap
    )


def validate_archive(
    path: str | os.PathLike[str],
    expected: Mapping[str, tuple[int, int]],
    *,
    limits: ArchiveLimits | None = None,
) -> ArchiveIndex:
    """Run every structural check of the archive spec and return the index of score members.

    Args:
        path: a zip file or a folder.
        expected: dataset image id -> (H, W), in the dataset's order.
        limits: size and count caps (defaults derived from ``expected``).

    Returns:
        The validated :class:`ArchiveIndex`.

    Raises:
        ArchiveError: with every problem found, each naming its member.
        UsageError: the path does not exist.
    """
    limits = limits or ArchiveLimits()
    with open_checked(path) as container:
        return _validate(container, expected, limits)


def _validate(container: Container, expected: Mapping[str, tuple[int, int]], limits: ArchiveLimits) -> ArchiveIndex:
    problems: list[str] = []
    try:
        entries = [e for e in container.entries() if not e.is_dir and not e.ignored]
    except OSError as exc:
        raise ArchiveError(f"{container.path}: expected a readable archive, got {exc}", [str(exc)]) from exc
    max_members = limits.max_members(len(expected))
    if len(entries) > max_members:
        raise ArchiveError(
            f"{container.path}: expected a valid prediction archive, got 1 problem",
            [f"too many members: expected at most {max_members} for {len(expected)} images, got {len(entries)}"],
        )
    caps = {i: limits.member_cap(s) for i, s in expected.items()}
    default_cap = max(caps.values(), default=limits.member_slack)
    total_cap = limits.total_cap(expected)
    total = sum(e.size for e in entries)
    if total > total_cap:
        problems.append(
            f"archive: expected at most {total_cap} uncompressed bytes in all (derived from the dataset's image sizes),"
            f" got {total} declared"
        )

    manifest: dict[str, Any] | None = None
    manifests = [e for e in entries if e.name.rsplit("/", 1)[-1] == MANIFEST_NAME]
    if len(manifests) > 1:
        problems.append(f"expected at most one {MANIFEST_NAME}, got {len(manifests)}: {_few([e.name for e in manifests])}")
    by_id: dict[str, list[MemberEntry]] = {}
    unknown: list[str] = []
    present: set[str] = set()  # stems of every score member, valid or not: those ids are not "missing"
    for entry in entries:
        ext, stem = _ext_and_stem(entry.name)
        if ext in SCORE_EXTENSIONS:
            present.add(stem)
        if entry.problems:
            problems.extend(entry.problems)
            continue
        cap = caps.get(stem, default_cap)
        if entry.name.rsplit("/", 1)[-1] == MANIFEST_NAME:
            if len(manifests) == 1:
                manifest = _read_manifest(container, entry, problems)
            continue
        if entry.size > cap:
            problems.append(
                f"member {entry.name!r}: expected at most {cap} uncompressed bytes (8 bytes per pixel of the image"
                f" plus headers), got {entry.size} declared"
            )
            continue
        if ext not in SCORE_EXTENSIONS:
            problems.append(
                f"member {entry.name!r}: expected an extension in {', '.join(SCORE_EXTENSIONS)}, got {ext or 'none'!r}"
            )
            continue
        if stem not in expected:
            unknown.append(entry.name)
            continue
        by_id.setdefault(stem, []).append(entry)

    if unknown:
        shown = unknown[:LIST_AT_MOST]
        more = f" and {len(unknown) - len(shown)} more" if len(unknown) > len(shown) else ""
        problems.append(
            f"unknown ids: {len(unknown)} member(s) whose file stem is no image id of the dataset: "
            f"{', '.join(repr(n) for n in shown)}{more}"
        )

    members: dict[str, ScoreMember] = {}
    for image_id, group in by_id.items():
        if len(group) > 1:
            problems.append(f"duplicate id {image_id!r}: expected one member per image, got {_few([e.name for e in group])}")
            continue
        entry = group[0]
        ext, _ = _ext_and_stem(entry.name)
        try:
            hdr = _probe(container, entry, ext, caps[image_id])
        except (FormatProblem, MemberReadError) as exc:
            problems.append(f"member {entry.name!r}: {exc}")
            continue
        want = expected[image_id]
        if len(hdr.shape) != 2:
            problems.append(f"member {entry.name!r}: expected a 2-D array of shape {want} (H, W), got {len(hdr.shape)}-D"
                            f" shape {hdr.shape}")
            continue
        if hdr.shape != tuple(want):
            problems.append(f"member {entry.name!r}: expected shape {tuple(want)} (H, W) as the image, got {hdr.shape}")
            continue
        members[image_id] = ScoreMember(image_id, entry.name, ext, entry.size, hdr)

    missing = [i for i in expected if i not in present]
    if missing:
        problems.append(f"missing ids: no score map for {len(missing)} of {len(expected)} images, e.g. {_few(missing)}")

    floats = [m.name for m in members.values() if m.kind == "float"]
    ints = [m.name for m in members.values() if m.kind == "integer"]
    if floats and ints:
        problems.append(
            f"mixed score kinds: expected all float or all integer score maps, got {len(floats)} float (e.g."
            f" {_few(floats, 3)}) and {len(ints)} integer (e.g. {_few(ints, 3)})"
        )
    if problems:
        raise ArchiveError(
            f"{container.path}: expected a valid prediction archive, got {len(problems)} problem(s)", problems
        )
    ordered = {i: members[i] for i in expected}
    return ArchiveIndex(
        path=str(container.path),
        container=container.kind,
        members=ordered,
        manifest=manifest,
        score_kind="integer" if ints else "float",
        member_caps={i: caps[i] for i in expected},
    )
