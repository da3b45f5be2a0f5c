"""Per-file checks and conversions of released images and label masks (no ``datasets`` needed).

Every check returns a list of problem strings that name the file (relative to the release root);
callers collect them so that one validation run reports every bad file at once.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

EXIF_ORIENTATION_TAG = 0x0112
"""EXIF tag holding the orientation (1 = upright, 2..8 = flips and rotations)."""
IMAGE_FORMATS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}
"""Accepted image formats and the file extensions that go with them."""


@dataclass(frozen=True)
class ImageInfo:
    """What the exporter needs to know about one released image.

    Attributes:
        size: ``(width, height)`` after the EXIF orientation is applied.
        orientation: the EXIF orientation tag (1 when absent).
        format: ``"JPEG"`` or ``"PNG"``.
    """

    size: tuple[int, int]
    orientation: int
    format: str

    def to_dict(self) -> dict[str, object]:
        return {"size": list(self.size), "orientation": self.orientation, "format": self.format}


@dataclass(frozen=True)
class LabelInfo:
    """What the exporter needs to know about one label mask.

    Attributes:
        size: ``(width, height)``.
        mode: the PIL mode of the source file (``"L"``, or ``"P"`` when converted by index).
        counts: ``((value, pixel count), ...)`` for every value present, ascending.
    """

    size: tuple[int, int]
    mode: str
    counts: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"size": list(self.size), "mode": self.mode, "counts": {str(v): n for v, n in self.counts}}


def _fmt_values(values: Collection[int]) -> str:
    return "{" + ", ".join(str(v) for v in sorted(values)) + "}"


def _open(source: Path | bytes) -> Path | io.BytesIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source


def inspect_image(path: Path | bytes, rel: str) -> tuple[ImageInfo | None, list[str]]:
    """Decode an image fully and check it is an RGB JPEG or PNG whose extension matches its format.

    Args:
        path: the file, or its bytes (then the extension is not checked).
        rel: the name to use in messages (path relative to the release root).

    Returns:
        ``(info, problems)``; ``info`` is None when the file cannot be used at all.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(_open(path)) as im:
            fmt, mode, (width, height) = im.format or "?", im.mode, im.size
            orientation = int(im.getexif().get(EXIF_ORIENTATION_TAG, 1) or 1)
            if fmt == "JPEG":  # decode at 1/8 scale: still reads (and checks) the whole stream, 5-10x faster
                im.draft(mode, (max(1, width // 8), max(1, height // 8)))
            im.load()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        return None, [f"{rel}: expected a readable JPEG or PNG image, got an unreadable file ({exc})"]
    problems: list[str] = []
    if fmt not in IMAGE_FORMATS:
        return None, [f"{rel}: expected a JPEG or PNG image, got format {fmt}"]
    if isinstance(path, Path) and path.suffix.lower() not in IMAGE_FORMATS[fmt]:
        problems.append(f"{rel}: expected the extension to match the file's format {fmt}, got '{path.suffix}'")
    if mode != "RGB":
        problems.append(f"{rel}: expected an RGB image, got mode {mode}")
    if orientation not in range(1, 9):
        problems.append(f"{rel}: expected an EXIF orientation in 1..8, got {orientation}")
        orientation = 1
    if orientation >= 5:  # 5..8 transpose the axes
        width, height = height, width
    return ImageInfo((width, height), orientation, fmt), problems


def inspect_label(
    path: Path | bytes, rel: str, *, allowed: Collection[int], convert_palette: bool = False
) -> tuple[LabelInfo | None, list[str]]:
    """Check a label mask: an 8-bit single-channel (mode ``L``) PNG whose values are all in ``allowed``.

    A palette (mode ``P``) PNG is accepted only with ``convert_palette=True``; its values are then
    the palette indices (never luminance).

    Args:
        path: the file or its bytes.
        rel: the name to use in messages.
        allowed: the permitted pixel values.
        convert_palette: accept palette PNGs, read by index.

    Returns:
        ``(info, problems)``; ``info`` is None when the file cannot be used at all.
    """
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(_open(path)) as im:
            fmt, mode, size = im.format, im.mode, im.size
            im.load()
            hist = np.bincount(np.asarray(im, dtype=np.uint8).ravel(), minlength=256) if mode in ("L", "P") else None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        return None, [f"{rel}: expected a readable PNG label mask, got an unreadable file ({exc})"]
    if fmt != "PNG":
        return None, [f"{rel}: expected a PNG label mask (lossless), got format {fmt}"]
    if mode == "P" and not convert_palette:
        return None, [
            f"{rel}: expected an 8-bit single-channel (mode L) PNG, got a palette (mode P) PNG; "
            "pass --convert-palette (convert_palette=True) to convert it by palette index"
        ]
    if mode not in ("L", "P"):
        return None, [f"{rel}: expected an 8-bit single-channel (mode L) PNG, got mode {mode}"]
    present = np.flatnonzero(hist).tolist() if hist is not None else []
    bad = sorted(set(present) - set(allowed))
    if bad:
        shown = ", ".join(str(v) for v in bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
        return None, [f"{rel}: expected label values in {_fmt_values(allowed)}, got {shown}"]
    pairs = tuple((v, int(hist[v])) for v in present) if hist is not None else ()
    return LabelInfo(size, mode, pairs), []


def released_image_bytes(path: Path, info: ImageInfo) -> bytes:
    """The image bytes to publish: the file's bytes, re-encoded only when an EXIF rotation must be applied."""
    data = path.read_bytes()
    if info.orientation == 1:
        return data
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as im:
        upright = ImageOps.exif_transpose(im)
        buf = io.BytesIO()
        if info.format == "JPEG":
            upright.save(buf, format="JPEG", quality=95, subsampling=0)
        else:
            upright.save(buf, format="PNG")
    return buf.getvalue()


def released_label_bytes(path: Path, info: LabelInfo) -> bytes:
    """The label bytes to publish: the source PNG bytes, or a mode ``L`` PNG of the palette indices."""
    data = path.read_bytes()
    if info.mode == "L":
        return data
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        indices = np.asarray(im, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(indices).save(buf, format="PNG")
    return buf.getvalue()


__all__ = [
    "ImageInfo",
    "LabelInfo",
    "inspect_image",
    "inspect_label",
    "released_image_bytes",
    "released_label_bytes",
]
