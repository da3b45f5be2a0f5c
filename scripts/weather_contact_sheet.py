"""Render one image under every adverse weather (rows) at every severity level 0..5 (columns).

Usage::

    python scripts/weather_contact_sheet.py --out docs/images/weather_severity_contact_sheet.png

The image is a clear-weather image (``--index``) of a dataset folder (default: the bundled sample); ``--image`` takes
any RGB file instead. Level ``k`` is ``apply_weather(image, weather, level=k, seed=0)`` (severity ``k / 5``), as
``comsamy-data corrupt`` applies it; each level must look stronger than the one to its left.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image, ImageDraw

from comsamy.constants import ADVERSE_WEATHERS
from comsamy.synthetic.weather import MAX_LEVEL, apply_weather

TILE_W = 240
LABEL_W = 90
HEADER_H = 22


def _clear_image(folder: Path, index: int) -> Image.Image:
    import pyarrow.parquet as pq

    shards = sorted(folder.glob("data/clear-*.parquet")) or sorted(folder.glob("data/*.parquet"))
    row = pq.read_table(shards[0], columns=["image"]).slice(index, 1).to_pylist()[0]
    return Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB")


def render(image: Image.Image) -> Image.Image:
    """The sheet: a header row of levels, one row per adverse weather."""
    tile_h = round(TILE_W * image.height / image.width)
    small = image.resize((TILE_W, tile_h), Image.Resampling.LANCZOS)
    cols = MAX_LEVEL + 1
    sheet = Image.new("RGB", (LABEL_W + cols * TILE_W, HEADER_H + len(ADVERSE_WEATHERS) * tile_h), "white")
    draw = ImageDraw.Draw(sheet)
    for level in range(cols):
        draw.text((LABEL_W + level * TILE_W + TILE_W // 2 - 20, 5), f"level {level}", fill="black")
    for row, weather in enumerate(ADVERSE_WEATHERS):
        y = HEADER_H + row * tile_h
        draw.text((8, y + tile_h // 2 - 6), weather, fill="black")
        for level in range(cols):
            sheet.paste(apply_weather(small, weather, level=level, seed=0), (LABEL_W + level * TILE_W, y))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images/weather_severity_contact_sheet.png"))
    parser.add_argument("--data", type=Path, default=None, help="dataset folder (default: the bundled sample)")
    parser.add_argument("--index", type=int, default=2, help="which clear image of --data (default 2, a green road)")
    parser.add_argument("--image", type=Path, default=None, help="an RGB image file instead of --data")
    args = parser.parse_args()
    if args.image is not None:
        image = Image.open(args.image).convert("RGB")
    else:
        from comsamy.data import sample_path

        image = _clear_image(args.data or sample_path(), args.index)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render(image).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
