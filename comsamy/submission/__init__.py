"""Prediction archives (``spec/submission.md``): read in memory, validated first and completely.

A zip file or a plain folder holds one score map per dataset image, named ``<id>.<ext>`` (``.npy``, ``.npz``,
``.png``, ``.h5`` / ``.hdf5``), plus an optional ``manifest.json``. :class:`ArchiveWriter` writes one from any
inference loop. :func:`validate_archive` runs every structural
check and raises one :class:`~comsamy.errors.ArchiveError` listing all problems; :func:`load_scores` reads one
member and runs the checks that need its pixels.

Example:
    >>> from comsamy.submission import validate_archive  # doctest: +SKIP
    >>> index = validate_archive("preds.zip", {"img_0": (1080, 1920)})  # doctest: +SKIP
"""

from __future__ import annotations

from comsamy.submission.container import (
    Container,
    FolderContainer,
    MemberEntry,
    MemberReadError,
    ZipContainer,
    open_container,
)
from comsamy.submission.formats import ACCEPTED_DTYPES, SCORE_EXTENSIONS, ArrayHeader
from comsamy.submission.index import POLARITIES, ArchiveIndex, ArchiveLimits, Polarity, ScoreMember
from comsamy.submission.reader import FLOAT16_MAX, apply_polarity, entry_for, load_scores, value_problems
from comsamy.submission.validate import open_checked, resolve_polarity, validate_archive
from comsamy.submission.writer import ArchiveWriter

__all__ = [
    "ACCEPTED_DTYPES",
    "FLOAT16_MAX",
    "POLARITIES",
    "SCORE_EXTENSIONS",
    "ArchiveIndex",
    "ArchiveLimits",
    "ArchiveWriter",
    "ArrayHeader",
    "Container",
    "FolderContainer",
    "MemberEntry",
    "MemberReadError",
    "Polarity",
    "ScoreMember",
    "ZipContainer",
    "apply_polarity",
    "entry_for",
    "load_scores",
    "open_checked",
    "open_container",
    "resolve_polarity",
    "validate_archive",
    "value_problems",
]
