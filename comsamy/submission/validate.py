"""Structural validation of a prediction archive against the dataset it claims to score.

Every check that needs no pixel data runs here, first and completely: names, flags, sizes, ids, formats, shapes,
dtypes, kinds. All findings are collected and raised together in one :class:`~comsamy.errors.ArchiveError`, each
naming its member. When there are structural problems, the members that passed are also decoded and their value
problems (NaN/inf, float16 range) join the same report, so one upload shows everything. On a valid structure the
value checks run while scoring (:mod:`comsamy.submission.reader`), reported the same way, before any result.

What is accepted but deserves a word (a stray README or LICENSE, squeezed ``(1, H, W)`` axes, ids outside an
evaluated subset, BRAVO-style ``_conf`` names without a declared polarity) becomes a note: an
:class:`~comsamy.errors.ArchiveNote` warning, also kept in :attr:`ArchiveIndex.notes`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import struct
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from comsamy.errors import ArchiveError, ArchiveNote, UsageError
from comsamy.submission import messages as msg
from comsamy.submission.container import Container, MemberEntry, MemberReadError, open_container
from comsamy.submission.formats import SCORE_EXTENSIONS, ArrayHeader, FormatProblem, probe_member, squeeze_singleton
from comsamy.submission.hdf5 import H5PY_MISSING, h5py_missing
from comsamy.submission.index import (
    MANIFEST_MAX_BYTES,
    POLARITIES,
    ArchiveIndex,
    ArchiveLimits,
    Polarity,
    ScoreMember,
)

__all__ = ["MANIFEST_NAME", "check_manifest", "open_checked", "resolve_polarity", "validate_archive"]

MANIFEST_NAME = "manifest.json"
CONFIDENCE_SUFFIX = "_conf"
_DOCUMENT = re.compile(r"^(readme|license|licence|copying|notice|authors|changelog)([._-].*)?$", re.IGNORECASE)
ExtraIds = Literal["refuse", "note"]
RECORD_SLACK = 1024
"""Zip entries allowed beyond twice the member cap: directory entries and ``__MACOSX/`` litter are not members."""


def open_checked(path: str | os.PathLike[str], *, max_records: int | None = None) -> Container:
    """Open an archive path, turning the unreadable cases into clear errors.

    Args:
        path: a zip file or a folder.
        max_records: refuse a zip with more entries than this before its listing is parsed.

    Raises:
        UsageError: the path does not exist.
        ArchiveError: the path is a file but not a zip archive.
    """
    p = Path(path)
    if not p.exists():
        raise UsageError(f"--preds {p}: expected an existing zip file or folder, got no such path")
    try:
        return open_container(p, max_records=max_records)
    except MemberReadError as exc:
        raise ArchiveError(msg.invalid_archive(p, 1), [str(exc)]) from exc
    except UnicodeDecodeError as exc:
        raise ArchiveError(
            f"{p}: expected UTF-8 member names, got a zip whose central directory has invalid UTF-8 names",
            [f"{p.name}: member names are flagged UTF-8 but are not valid UTF-8"],
        ) from exc
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        ValueError,
        NotImplementedError,
        OverflowError,
        struct.error,
        OSError,
    ) as exc:  # what zipfile raises on a broken central directory
        raise ArchiveError(
            f"{p}: expected a zip archive or a folder of score maps, got a file that is not a readable zip ({exc})",
            [f"{p.name}: not a zip archive"],
        ) from exc


def check_manifest(doc: Mapping[str, Any]) -> list[str]:
    """Problems of a manifest's known keys (only ``polarity`` is constrained; unknown keys are kept)."""
    polarity = doc.get("polarity")
    if polarity is not None and polarity not in POLARITIES:
        return [f"key 'polarity': expected one of {', '.join(POLARITIES)}, got {polarity!r}"]
    return []


def resolve_polarity(polarity: str | None, manifest: Mapping[str, Any] | None) -> Polarity:
    """The polarity to rank with: the argument, else the manifest's ``polarity``, else ``"anomaly"``."""
    if polarity is not None and polarity not in POLARITIES:
        raise UsageError(f"polarity: expected one of {', '.join(POLARITIES)} or None, got {polarity!r}")
    chosen = polarity or (manifest or {}).get("polarity") or "anomaly"
    return chosen if chosen in POLARITIES else "anomaly"  # type: ignore[return-value]


def _ext_and_stem(name: str) -> tuple[str, str]:
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0:
        return "", base
    return base[dot:].lower(), base[:dot]


def _image_id(stem: str, expected: Mapping[str, Any]) -> str:
    """The dataset id a file stem scores: the stem, or the stem without BRAVO's ``_conf`` suffix."""
    if stem not in expected and stem.endswith(CONFIDENCE_SUFFIX) and stem[: -len(CONFIDENCE_SUFFIX)] in expected:
        return stem[: -len(CONFIDENCE_SUFFIX)]
    return stem


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _read_manifest(container: Container, entry: MemberEntry, problems: list[str]) -> dict[str, Any] | None:
    try:
        raw = container.read(entry, MANIFEST_MAX_BYTES)
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except MemberReadError as exc:
        problems.append(msg.member_problem(entry.name, str(exc)))
        return None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        problems.append(msg.member_problem(entry.name, f"expected a JSON object, got invalid JSON ({exc})"))
        return None
    if not isinstance(doc, dict):
        problems.append(msg.member_problem(entry.name, f"expected a JSON object, got {type(doc).__name__}"))
        return None
    problems.extend(msg.member_problem(entry.name, p) for p in check_manifest(doc))
    return doc


@dataclass
class _Pass:
    """The state of one validation pass: what was found so far."""

    container: Container
    expected: Mapping[str, tuple[int, int]]
    limits: ArchiveLimits
    extra_ids: ExtraIds
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    by_id: dict[str, list[MemberEntry]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # ids of every score member, valid or not: not "missing"
    caps: dict[str, int] = field(default_factory=dict)  # image id -> member size cap

    def __post_init__(self) -> None:
        self.caps = {i: self.limits.member_cap(s) for i, s in self.expected.items()}


def _list_entries(run: _Pass) -> list[MemberEntry]:
    """Every file member (OS litter skipped); too many members fails at once, before anything else."""
    container, expected = run.container, run.expected
    try:
        entries = [e for e in container.entries() if not e.is_dir and not e.ignored]
    except OSError as exc:
        raise ArchiveError(f"{container.path}: expected a readable archive, got {exc}", [str(exc)]) from exc
    max_members = run.limits.max_members(len(expected), subset=run.extra_ids == "note")
    if len(entries) > max_members:
        raise ArchiveError(
            msg.invalid_archive(container.path, 1),
            [f"too many members: expected at most {max_members} for {len(expected)} images, got {len(entries)}"],
        )
    return entries


def _sort_entries(run: _Pass, entries: list[MemberEntry]) -> list[MemberEntry]:
    """Sort members into manifest, score members by id, unknown ids and ignored documents; returns what is read."""
    manifests = [e for e in entries if e.name.rsplit("/", 1)[-1] == MANIFEST_NAME]
    if len(manifests) > 1:
        run.problems.append(
            f"expected at most one {MANIFEST_NAME}, got {len(manifests)}: {msg.first_few([e.name for e in manifests])}"
        )
    read: list[MemberEntry] = []
    documents: list[str] = []
    for entry in entries:
        ext, stem = _ext_and_stem(entry.name)
        image_id = _image_id(stem, run.expected)
        if ext in SCORE_EXTENSIONS:
            run.present.add(image_id)
        if entry.problems:
            run.problems.extend(entry.problems)
        elif entry in manifests:
            if len(manifests) == 1:
                run.manifest = _read_manifest(run.container, entry, run.problems)
            read.append(entry)
        elif ext not in SCORE_EXTENSIONS and _DOCUMENT.match(entry.name.rsplit("/", 1)[-1]):
            documents.append(entry.name)
        elif ext not in SCORE_EXTENSIONS:
            run.problems.append(
                msg.member_problem(
                    entry.name, f"expected an extension in {', '.join(SCORE_EXTENSIONS)}, got {ext or 'none'!r}"
                )
            )
        elif image_id not in run.expected:
            run.unknown.append(entry.name)
        else:
            run.by_id.setdefault(image_id, []).append(entry)
            read.append(entry)
    if documents:
        run.notes.append(f"ignored {len(documents)} document(s) that carry no scores: {msg.first_few(documents)}")
    return read


def _size_problems(run: _Pass, read: list[MemberEntry]) -> None:
    """Member and total caps over the members that will be read (extra ids and documents are never inflated)."""
    caps = run.caps
    total_cap = run.limits.total_cap(run.expected)
    total = sum(e.size for e in read)
    if total > total_cap:
        run.problems.append(
            f"archive: expected at most {total_cap} uncompressed bytes in all in the members read (derived from the"
            f" dataset's image sizes), got {total} declared"
        )
    for image_id, group in list(run.by_id.items()):
        for entry in group:
            if entry.size > caps[image_id]:
                run.problems.append(
                    msg.member_problem(
                        entry.name,
                        f"expected at most {caps[image_id]} uncompressed bytes (8 bytes per pixel of the image"
                        f" plus headers), got {entry.size} declared",
                    )
                )
                group.remove(entry)
        if not group:
            del run.by_id[image_id]


def _unknown_ids(run: _Pass) -> None:
    if not run.unknown:
        return
    if run.extra_ids == "note":
        run.notes.append(
            f"{len(run.unknown)} member(s) score images outside the evaluated subset and are not read:"
            f" {msg.first_few(run.unknown)}"
        )
    else:
        run.problems.append(msg.unknown_ids(run.unknown))


def _probe_one(run: _Pass, image_id: str, entry: MemberEntry, polarity: Polarity) -> ScoreMember | None:
    ext, _ = _ext_and_stem(entry.name)
    cap = run.caps[image_id]
    try:
        hdr: ArrayHeader = probe_member(
            ext, entry.size, lambda n: run.container.read_head(entry, n), lambda: run.container.read(entry, cap), cap
        )
    except (FormatProblem, MemberReadError) as exc:
        run.problems.append(msg.member_problem(entry.name, str(exc)))
        return None
    want = run.expected[image_id]
    shape = squeeze_singleton(hdr.shape)
    if len(shape) != 2:
        run.problems.append(msg.not_2d(entry.name, tuple(want), hdr.shape))
        return None
    if shape != tuple(want):
        run.problems.append(msg.wrong_shape(entry.name, tuple(want), shape))
        return None
    if shape != hdr.shape:
        run.notes.append(f"member {entry.name!r}: squeezed shape {hdr.shape} to {shape} (H, W)")
        hdr = dataclasses.replace(hdr, shape=shape)
    return ScoreMember(image_id, entry.name, ext, entry.size, hdr, polarity)


def _probe_members(run: _Pass, polarity: Polarity) -> dict[str, ScoreMember]:
    """Headers of the score members: duplicates, formats, shapes; a missing h5py is one line for the archive."""
    members: dict[str, ScoreMember] = {}
    no_h5py = h5py_missing()
    h5_members = []
    for image_id, group in run.by_id.items():
        if len(group) > 1:
            run.problems.append(msg.duplicate_id(image_id, [e.name for e in group]))
            continue
        if no_h5py and _ext_and_stem(group[0].name)[0] in (".h5", ".hdf5"):
            h5_members.append(group[0].name)
            continue
        member = _probe_one(run, image_id, group[0], polarity)
        if member is not None:
            members[image_id] = member
    if h5_members:
        run.problems.append(f"{len(h5_members)} HDF5 member(s), e.g. {msg.first_few(h5_members, 3)}: {H5PY_MISSING}")
    return members


def _kind_problems(run: _Pass, members: Mapping[str, ScoreMember], polarity: Polarity) -> None:
    missing = [i for i in run.expected if i not in run.present]
    if missing:
        run.problems.append(msg.missing_ids(missing, len(run.expected)))
    floats = [m.name for m in members.values() if m.kind == "float"]
    ints = [m.name for m in members.values() if m.kind == "integer"]
    if floats and ints:
        run.problems.append(msg.mixed_kinds(floats, ints))
    conf = [m.name for m in members.values() if _ext_and_stem(m.name)[1].endswith(CONFIDENCE_SUFFIX)]
    if conf and polarity == "anomaly":
        run.notes.append(
            f"{len(conf)} member(s) named like BRAVO confidences (e.g. {msg.first_few(conf, 3)}) are"
            " ranked as given, higher = more anomalous: declare polarity 'confidence' (manifest key or"
            " --polarity confidence) if higher means less anomalous"
        )


def _value_problems(run: _Pass, members: Mapping[str, ScoreMember], precision: str) -> None:
    """Decode the structurally valid members so that their value problems join a failing report."""
    from comsamy.submission.reader import load_scores

    caps = run.caps
    for image_id, member in members.items():
        _, problems = load_scores(run.container, member, caps[image_id], precision=precision)
        run.problems.extend(problems)


def validate_archive(
    path: str | os.PathLike[str],
    expected: Mapping[str, tuple[int, int]],
    *,
    limits: ArchiveLimits | None = None,
    polarity: Polarity | None = None,
    extra_ids: ExtraIds = "refuse",
    precision: str = "float16",
) -> ArchiveIndex:
    """Run every structural check of the archive spec and return the index of score members.

    Args:
        path: a zip file or a folder.
        expected: dataset image id -> (H, W), in the dataset's order.
        limits: size and count caps (defaults derived from ``expected``).
        polarity: ``"anomaly"`` (higher = more anomalous) or ``"confidence"`` (higher = less anomalous, as
            BRAVO's ``_conf`` maps); None: the manifest's ``polarity``, else ``"anomaly"``.
        extra_ids: ``"refuse"`` members of ids outside ``expected`` (the default), or ``"note"`` them and never read
            them (``expected`` is a subset config, such as ``fog``, of the images the archive was made for).
        precision: the ranking precision, for the value checks that join a failing report.

    Returns:
        The validated :class:`ArchiveIndex`; its notes were also issued as :class:`~comsamy.errors.ArchiveNote`.

    Raises:
        ArchiveError: with every problem found (structure and, for members that passed it, values), each naming
            its member.
        UsageError: the path does not exist, or a bad ``polarity`` / ``extra_ids``.
    """
    if extra_ids not in ("refuse", "note"):
        raise UsageError(f"extra_ids: expected 'refuse' or 'note', got {extra_ids!r}")
    resolve_polarity(polarity, None)  # the argument's check, before opening anything
    limits = limits or ArchiveLimits()
    max_members = limits.max_members(len(expected), subset=extra_ids == "note")
    with open_checked(path, max_records=2 * max_members + RECORD_SLACK) as container:
        run = _Pass(container, expected, limits, extra_ids)
        read = _sort_entries(run, _list_entries(run))
        _size_problems(run, read)
        _unknown_ids(run)
        chosen = resolve_polarity(polarity, run.manifest)
        members = _probe_members(run, chosen)
        _kind_problems(run, members, chosen)
        if run.problems:
            _value_problems(run, members, precision)
            raise ArchiveError(msg.invalid_archive(container.path, len(run.problems)), run.problems)
    for note in run.notes:
        warnings.warn(f"{container.path}: {note}", ArchiveNote, stacklevel=2)
    ints = any(m.kind == "integer" for m in members.values())
    return ArchiveIndex(
        path=str(container.path),
        container=container.kind,
        members={i: members[i] for i in expected},
        manifest=run.manifest,
        score_kind="integer" if ints else "float",
        member_caps={i: run.caps[i] for i in expected},
        polarity=chosen,
        notes=tuple(run.notes),
    )
