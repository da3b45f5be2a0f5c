"""Render a contact sheet of the synthetic generator: 7 weathers x 7 landforms, label overlays, object sprites.

Usage::

    python scripts/contact_sheet.py --out docs/images/sample_contact_sheet.png

Rows 1-7: one weather per row (clear, rain, night, frost, fog, blizzard, sandstorm), one landform per column.
Row 8: the clear images with their benchmark labels overlaid (anomaly red, void yellow).
Row 9: the inlier train-id label maps of the clear scenes (Cityscapes palette).
Row 10: object-bank sprites (one per kind, cycling).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from comsamy.constants import LANDFORMS, WEATHERS
from comsamy.synthetic import OBJECT_KINDS, render_benchmark_image, render_object

# Cityscapes colours of the 19 train ids (public palette)
_PALETTE = np.zeros((256, 3), np.uint8)
_PALETTE[:19] = [
    (128, 64, 128),
    (244, 35, 232),
    (70, 70, 70),
    (102, 102, 156),
    (190, 153, 153),
    (153, 153, 153),
    (250, 170, 30),
    (220, 220, 0),
    (107, 142, 35),
    (152, 251, 152),
    (70, 130, 180),
    (220, 20, 60),
    (255, 0, 0),
    (0, 0, 142),
    (0, 0, 70),
    (0, 60, 100),
    (0, 80, 100),
    (0, 0, 230),
    (119, 11, 32),
]


def overlay(image: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Anomaly pixels tinted red, void pixels yellow."""
    out = image.astype(np.float32)
    out[label == 1] = out[label == 1] * 0.35 + np.array([255, 0, 0]) * 0.65
    out[label == 255] = out[label == 255] * 0.35 + np.array([255, 220, 0]) * 0.65
    return out.astype(np.uint8)


def build_sheet(tile: tuple[int, int], seed: int) -> Image.Image:
    tw, th = tile
    margin, head = 110, 26
    rows = len(WEATHERS) + 3
    sheet = Image.new("RGB", (margin + tw * len(LANDFORMS), head + th * rows), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=15)
    for c, landform in enumerate(LANDFORMS):
        draw.text((margin + c * tw + 6, 5), landform, fill=(0, 0, 0), font=font)
    clear: list = []
    for r, weather in enumerate(WEATHERS):
        draw.text((6, head + r * th + th // 2 - 8), weather, fill=(0, 0, 0), font=font)
        for c, landform in enumerate(LANDFORMS):
            ex = render_benchmark_image(landform, weather, np.random.default_rng([seed, r, c]), tile)
            sheet.paste(Image.fromarray(ex.image), (margin + c * tw, head + r * th))
            if weather == "clear":
                clear.append(ex)
    r = len(WEATHERS)
    draw.text((6, head + r * th + th // 2 - 8), "labels", fill=(0, 0, 0), font=font)
    draw.text((6, head + (r + 1) * th + th // 2 - 8), "train ids", fill=(0, 0, 0), font=font)
    for c, ex in enumerate(clear):
        sheet.paste(Image.fromarray(overlay(ex.image, ex.label)), (margin + c * tw, head + r * th))
        sheet.paste(Image.fromarray(_PALETTE[ex.scene.labels]), (margin + c * tw, head + (r + 1) * th))
    r += 2
    draw.text((6, head + r * th + th // 2 - 8), "objects", fill=(0, 0, 0), font=font)
    kinds = sorted(OBJECT_KINDS)
    cell = th // 2
    x, y, k = margin, head + r * th, 0
    while y + cell <= head + (r + 1) * th:
        rgb, mask = render_object(kinds[k % len(kinds)], np.random.default_rng([seed, k, 9]), cell - 6)
        k += 1
        if x + mask.shape[1] + 4 > sheet.width:
            x, y = margin, y + cell
            continue
        canvas = sheet.crop((x, y, x + mask.shape[1], y + mask.shape[0]))
        canvas.paste(Image.fromarray(rgb), (0, 0), Image.fromarray(mask.astype(np.uint8) * 255))
        sheet.paste(canvas, (x, y + 3))
        x += mask.shape[1] + 8
    return sheet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("contact_sheet.png"))
    ap.add_argument("--tile", default="256x144", help="tile size WxH (default 256x144)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--colors", type=int, default=0, help="quantize to this many colours (0: keep RGB)")
    args = ap.parse_args(argv)
    tw, th = (int(v) for v in args.tile.lower().split("x"))
    sheet = build_sheet((tw, th), args.seed)
    if args.colors:
        sheet = sheet.quantize(args.colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
