"""What validation returns: the caps it enforced and the index of score members (no pixel data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from comsamy.submission.formats import ArrayHeader, score_kind

__all__ = ["MANIFEST_MAX_BYTES", "POLARITIES", "ArchiveIndex", "ArchiveLimits", "Polarity", "ScoreMember"]

MANIFEST_MAX_BYTES = 1 << 20
Polarity = Literal["anomaly", "confidence"]
POLARITIES: tuple[str, ...] = ("anomaly", "confidence")
"""``anomaly``: higher = more anomalous (the default); ``confidence``: higher = less anomalous (BRAVO)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps derived from the dataset's image sizes (a zip bomb fails these before any byte is inflated).

    Attributes:
        member_slack: bytes allowed on top of ``H * W * 8`` per member (headers, PNG / HDF5 overhead).
        extra_members: members allowed beyond one per dataset image.
        subset_members: members allowed when the dataset is a subset of what the archive was made for (extra
            ids are listed, never read).
    """

    member_slack: int = 1 << 20
    extra_members: int = 64
    subset_members: int = 1 << 16

    def member_cap(self, shape: tuple[int, int]) -> int:
        """Largest legitimate uncompressed member for an image of this (H, W): float64 plus slack."""
        return shape[0] * shape[1] * 8 + self.member_slack

    def total_cap(self, shapes: Mapping[str, tuple[int, int]]) -> int:
        """Largest legitimate uncompressed total of the members that are read: every image at its cap, a manifest."""
        return sum(self.member_cap(s) for s in shapes.values()) + MANIFEST_MAX_BYTES

    def max_members(self, num_images: int, *, subset: bool = False) -> int:
        """Largest legitimate number of members (one per image plus a few extras; more for a subset)."""
        return max(num_images + self.extra_members, self.subset_members if subset else 0)


@dataclass(frozen=True)
class ScoreMember:
    """One validated score map: which image it scores and how to decode it.

    Attributes:
        image_id: the dataset id (the member's file stem, without a ``_conf`` suffix).
        name: the member name inside the archive.
        ext: lower-case extension with the dot.
        size: declared uncompressed size.
        header: shape (squeezed to (H, W)), dtype and offsets read from the member's header.
        polarity: ``"anomaly"`` (ranked as stored) or ``"confidence"`` (ranked reversed).
    """

    image_id: str
    name: str
    ext: str
    size: int
    header: ArrayHeader
    polarity: Polarity = "anomaly"

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
        polarity: how the scores are ranked (the argument, else the manifest's, else ``"anomaly"``).
        notes: what was accepted but deserves a word (ignored files, squeezed axes, extra ids); each is also
            issued as an :class:`~comsamy.errors.ArchiveNote` warning.
    """

    path: str
    container: str
    members: Mapping[str, ScoreMember]
    manifest: Mapping[str, Any] | None
    score_kind: str
    member_caps: Mapping[str, int] = field(default_factory=dict)
    polarity: Polarity = "anomaly"
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no pixel data)."""
        return {
            "path": self.path,
            "container": self.container,
            "num_members": len(self.members),
            "score_kind": self.score_kind,
            "polarity": self.polarity,
            "dtypes": sorted({m.header.dtype for m in self.members.values()}),
            "formats": sorted({m.ext for m in self.members.values()}),
            "manifest": dict(self.manifest) if self.manifest is not None else None,
            "notes": list(self.notes),
        }
