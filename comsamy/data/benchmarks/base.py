"""What every benchmark importer shares: one image/label pair, a discovery result, the benchmark's description.

An importer only *finds* files: it walks the release exactly as its authors distribute it and returns
:class:`Pair` s (plus notes on files it ignored and problems such as missing labels). Decoding, checking,
remapping and writing are done once for all of them by :mod:`comsamy.data.benchmarks.writer`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from comsamy.data.benchmarks.labelmap import LabelMap

__all__ = ["Benchmark", "Discovery", "ImportOptions", "Pair", "listed_files"]


@dataclass(frozen=True)
class Pair:
    """One image and its label map, as found in a release.

    Attributes:
        id: the id written to the dataset (prediction files are named after it).
        image: the image file (its bytes are published unchanged unless ``overlay`` is set).
        label: the label file.
        subset: the shard / config this pair goes to (e.g. Lost & Found's ``train`` / ``test``).
        metadata: string metadata columns (``sequence``, ``time_of_day``, ...).
        overlay: a Fishyscapes Static ``*_rgb.npz`` overlay added to ``image`` (then the image is re-encoded).
    """

    id: str
    image: Path
    label: Path
    subset: str = "test"
    metadata: Mapping[str, str] = field(default_factory=dict)
    overlay: Path | None = None


@dataclass(frozen=True)
class Discovery:
    """What an importer found.

    Attributes:
        pairs: every pair to import, in order.
        notes: files that were ignored on purpose (held-out test images without labels, extra files).
        problems: files that make the release invalid (a missing label, an unmatched file), each named.
    """

    pairs: tuple[Pair, ...]
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportOptions:
    """Options some importers take.

    Attributes:
        base: a second release the labels refer to (Fishyscapes: the Lost & Found or Cityscapes root).
        label_map: overrides the benchmark's own value map (``generic`` requires one).
        images: image folder, relative to the release (``generic``).
        labels: label folder, relative to the release (``generic``).
        label_suffix: what a label's file name adds to its image's stem (``generic``; e.g. ``_labels``).
    """

    base: Path | None = None
    label_map: LabelMap | None = None
    images: str = "images"
    labels: str = "labels"
    label_suffix: str = ""


@dataclass(frozen=True)
class Benchmark:
    """A benchmark the importer knows.

    Attributes:
        name: the registry name (``roadanomaly21``), also written to the card as ``benchmark``.
        title: the card's title.
        summary: one paragraph for the card: what the benchmark is and which release layout was read.
        homepage: where the release comes from.
        label_map: the benchmark's label encoding -> 0 / 1 / 255.
        columns: the string metadata columns its pairs carry, in order.
        discover: ``discover(raw, options) -> Discovery``.
    """

    name: str
    title: str
    summary: str
    homepage: str
    label_map: LabelMap
    columns: tuple[str, ...]
    discover: Callable[[Path, ImportOptions], Discovery]


def listed_files(root: Path) -> list[Path]:
    """Every regular file under ``root``, sorted, hidden files (``.DS_Store``, ``._*``) left out."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
