"""Object banks: folders of ``images/<id>.<ext>`` + ``masks/<id>.png`` (+ optional ``provenance.jsonl``).

The same layout serves the diffusion generator's output, :func:`comsamy.synthetic.write_object_bank` and
COCO-style cut-outs (one image and one binary instance mask per object). Masks are single-channel; values
above 127 (or above 0 for 0/1 masks) are the object.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from comsamy.errors import DataValidationError, UsageError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class BankEntry:
    """One object of a bank (paths and its provenance record, if any)."""

    bank: str
    id: str
    image_path: Path
    mask_path: Path
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "id": self.id,
            "image": str(self.image_path),
            "mask": str(self.mask_path),
            "meta": dict(self.meta),
        }


def read_mask(path: Path) -> np.ndarray:
    """Read a single-channel mask file as bool."""
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im.convert("L"))
    return arr > (127 if arr.max(initial=0) > 1 else 0)


class ObjectBank:
    """A validated object bank folder.

    Args:
        root: The bank folder.
        validate: Check that every image has a mask of the same size (reads only file headers).

    Raises:
        UsageError: The folder or its ``images/`` / ``masks/`` subfolders are missing or empty.
        DataValidationError: Masks missing or of another size than their image (every problem listed).
    """

    def __init__(self, root: str | Path, *, validate: bool = True) -> None:
        from PIL import Image

        self.root = Path(root)
        for sub in ("", "images", "masks"):
            if not (self.root / sub).is_dir():
                raise UsageError(
                    f"object bank {self.root}: expected a bank folder with images/ and masks/, "
                    f"got no folder {self.root / sub}"
                )
        meta: dict[str, dict[str, Any]] = {}
        prov = self.root / "provenance.jsonl"
        if prov.is_file():
            for n, line in enumerate(prov.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataValidationError(
                            f"{prov}:{n}: expected a JSON object per line, got {line[:60]!r}"
                        ) from exc
                    meta[str(rec.get("id"))] = rec
        problems: list[str] = []
        entries = []
        for img in sorted(p for p in (self.root / "images").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS):
            mpath = self.root / "masks" / f"{img.stem}.png"
            if not mpath.is_file():
                problems.append(f"{img}: expected mask {mpath}, got no such file")
                continue
            if validate:
                with Image.open(img) as a, Image.open(mpath) as b:
                    if a.size != b.size:
                        problems.append(
                            f"{mpath}: expected size {a.size[0]}x{a.size[1]} like {img.name}, "
                            f"got {b.size[0]}x{b.size[1]}"
                        )
                        continue
            entries.append(
                BankEntry(
                    bank=str(self.root), id=img.stem, image_path=img, mask_path=mpath, meta=meta.get(img.stem, {})
                )
            )
        if problems:
            raise DataValidationError(f"object bank {self.root}: {len(problems)} invalid object(s)", problems)
        if not entries:
            raise UsageError(
                f"object bank {self.root}: expected at least one image in {self.root / 'images'}, got none"
            )
        self.entries: tuple[BankEntry, ...] = tuple(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Object ``index`` as ((h, w, 3) uint8 RGB, (h, w) bool mask), cropped tightly to the mask."""
        from PIL import Image

        from baselines.synthesis.extractor import tight_crop

        e = self.entries[index]
        with Image.open(e.image_path) as im:
            rgb = np.asarray(im.convert("RGB"))
        mask = read_mask(e.mask_path)
        if mask.shape != rgb.shape[:2]:
            raise DataValidationError(
                f"{e.mask_path}: expected size {rgb.shape[1]}x{rgb.shape[0]}, got {mask.shape[1]}x{mask.shape[0]}"
            )
        if not mask.any():
            raise DataValidationError(f"{e.mask_path}: expected a non-empty object mask, got an empty one")
        crop, cmask, _ = tight_crop(rgb, mask)
        return crop, cmask


def open_banks(paths: Iterable[str | Path], *, validate: bool = True) -> list[ObjectBank]:
    """Open several banks; at least one is required."""
    banks = [ObjectBank(p, validate=validate) for p in paths]
    if not banks:
        raise UsageError("--objects: expected at least one object bank folder, got none")
    return banks


class BankWriter:
    """Write objects into a bank folder, atomically per object, appending to ``provenance.jsonl``.

    Resumable: :meth:`existing_ids` lists objects already written (image, mask and provenance all present).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        (self.root / "images").mkdir(parents=True, exist_ok=True)
        (self.root / "masks").mkdir(parents=True, exist_ok=True)
        self.provenance = self.root / "provenance.jsonl"

    def existing_ids(self) -> set[str]:
        if not self.provenance.is_file():
            return set()
        ids = set()
        for line in self.provenance.read_text(encoding="utf-8").splitlines():
            try:
                oid = str(json.loads(line)["id"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line torn by a crash: its object is redone
            if (self.root / "images" / f"{oid}.png").is_file() and (self.root / "masks" / f"{oid}.png").is_file():
                ids.add(oid)
        return ids

    def write(self, oid: str, image: np.ndarray, mask: np.ndarray, meta: Mapping[str, Any]) -> None:
        """Write ``images/<oid>.png``, ``masks/<oid>.png`` (L 0/255) then the provenance line."""
        from PIL import Image

        for sub, arr, mode in (("images", image, "RGB"), ("masks", mask.astype(np.uint8) * 255, "L")):
            final = self.root / sub / f"{oid}.png"
            tmp = final.with_name(f".{oid}.{os.getpid()}.tmp.png")
            Image.fromarray(arr, mode).save(tmp)
            os.replace(tmp, final)
        with open(self.provenance, "a", encoding="utf-8") as f:
            f.write(json.dumps({"id": oid, **meta}, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
