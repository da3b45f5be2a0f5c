"""Render copy-paste vs harmonised composed samples side by side (same inlier, object and placement).

    python scripts/synthesis_contact_sheet.py --out docs/images/synthesis_contact_sheet.png

Inliers: the bundled sample's inlier split; objects: the procedural object bank of ``comsamy.synthetic``
(no diffusion weights exist here). Columns: copy-paste, harmonised, zoom on each, and the label (anomaly id
in red). Rows: samples ``--first`` .. ``--first + --rows - 1`` of a run seeded ``--seed``.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _zoom(img: np.ndarray, box: list[int], size: int) -> Image.Image:
    x0, y0, x1, y1 = box
    h, w = img.shape[:2]
    side = int(max(x1 - x0, y1 - y0) * 2.2) + 8
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    xs, ys = max(0, min(w - side, cx - side // 2)), max(0, min(h - side, cy - side // 2))
    crop = Image.fromarray(img[ys : ys + side, xs : xs + side])
    return crop.resize((size, size), Image.NEAREST if side < size // 3 else Image.BICUBIC)


def _label_view(lab: np.ndarray, anomaly_id: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    pal = rng.integers(40, 200, (256, 3)).astype(np.uint8)
    pal[255] = 0
    pal[anomaly_id] = (255, 0, 0)
    return pal[lab]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/images/synthesis_contact_sheet.png")
    ap.add_argument("--rows", type=int, default=6)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--edges", default="feather", choices=("feather", "poisson", "hard"))
    ap.add_argument("--width", type=int, default=320, help="width of each full-image tile")
    args = ap.parse_args()

    import comsamy
    from baselines.synthesis.bank import ObjectBank
    from baselines.synthesis.blender import BlendConfig
    from baselines.synthesis.compose import ComposeConfig, Composer
    from comsamy.synthetic import write_object_bank

    inliers = comsamy.load_dataset("sample", config="inliers", split="train")
    with tempfile.TemporaryDirectory() as tmp:
        bank = ObjectBank(write_object_bank(Path(tmp) / "bank", count=42, seed=0))
        rows = []
        for mode in ("copy-paste", "harmonized"):
            cfg = ComposeConfig(
                count=args.first + args.rows, seed=args.seed, mode=mode, blend=BlendConfig(edges=args.edges)
            )
            comp = Composer(inliers, [bank], cfg)
            rows.append([comp.sample(i) for i in range(args.first, args.first + args.rows)])
    tw = args.width
    first = _decode(rows[0][0]["image"])
    th = round(first.shape[0] * tw / first.shape[1])
    zs = th
    cols = [
        ("copy-paste", tw),
        ("harmonised", tw),
        ("copy-paste (zoom)", zs),
        ("harmonised (zoom)", zs),
        ("label (anomaly in red)", tw),
    ]
    head = 22
    sheet = Image.new("RGB", (sum(c[1] for c in cols) + 4 * len(cols), head + args.rows * (th + 4)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    x = 0
    for name, w in cols:
        draw.text((x + 4, 5), name, fill=(0, 0, 0))
        x += w + 4
    for r, (cp, hb) in enumerate(zip(rows[0], rows[1], strict=True)):
        prov = json.loads(hb["provenance"])
        box = prov["objects"][0]["box"]
        tiles = []
        for s in (cp, hb):
            img = _decode(s["image"])
            t = Image.fromarray(img).resize((tw, th), Image.BILINEAR)
            sx, sy = tw / img.shape[1], th / img.shape[0]
            ImageDraw.Draw(t).rectangle(
                [box[0] * sx - 3, box[1] * sy - 3, box[2] * sx + 3, box[3] * sy + 3], outline=(255, 0, 0)
            )
            tiles.append(t)
        tiles += [_zoom(_decode(cp["image"]), box, zs), _zoom(_decode(hb["image"]), box, zs)]
        lab = _decode(hb["label"])
        tiles.append(Image.fromarray(_label_view(lab, prov["anomaly_id"])).resize((tw, th), Image.NEAREST))
        x, y = 0, head + r * (th + 4)
        for t in tiles:
            sheet.paste(t, (x, y))
            x += t.width + 4
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {sheet.width}x{sheet.height})")


if __name__ == "__main__":
    main()
