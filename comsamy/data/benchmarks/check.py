"""Validation of an imported or corrupted dataset folder (any ``benchmark`` other than ComsAmy's own layout).

Checks what the loader and the evaluator rely on: every shard a config lists is present and no other; each
shard has ``id``, ``image`` and ``label`` Image columns and the same features; ids are unique in ``all``;
every image decodes as RGB and its label is an 8-bit ``L`` PNG of the same size with values in {0, 1, 255};
the split sizes the card declares are the row counts.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from comsamy.constants import VALID_LABEL_VALUES
from comsamy.data.images import inspect_label
from comsamy.errors import DataValidationError

__all__ = ["validate_benchmark_folder"]


def _image_problem(data: bytes, where: str) -> tuple[tuple[int, int] | None, str | None]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode != "RGB":
                return None, f"{where} image: expected an RGB image, got mode {im.mode}"
            return im.size, None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        return None, f"{where} image: expected a readable image, got {exc}"


def _check_shard(file: Path, shard: str, problems: list[str], ids: Counter[str], features: list[Any]) -> int:
    import pyarrow.parquet as pq
    from datasets import Features

    try:
        pf = pq.ParquetFile(file)
        found = Features.from_arrow_schema(pf.schema_arrow)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        problems.append(f"{shard}: expected a readable parquet file, got {type(exc).__name__}: {exc}")
        return 0
    kinds = {c: type(found[c]).__name__ if c in found else None for c in ("id", "image", "label")}
    if kinds != {"id": "Value", "image": "Image", "label": "Image"}:
        problems.append(f"{shard}: expected columns id (string), image and label (Image), got {kinds}")
        return 0
    if features and found != features[0]:
        problems.append(f"{shard}: expected the features of the other shards {features[0]}, got {found}")
    features.append(found)
    rows = 0
    for group in range(pf.num_row_groups):
        for row in pf.read_row_group(group, columns=["id", "image", "label"]).to_pylist():
            rows += 1
            ids[row["id"]] += 1
            where = f"{shard} id {row['id']!r}"
            size, problem = _image_problem(row["image"]["bytes"] or b"", where)
            label, label_problems = inspect_label(
                row["label"]["bytes"] or b"", f"{where} label", allowed=VALID_LABEL_VALUES
            )
            problems += [problem] if problem else []
            problems += label_problems
            if size and label and size != label.size:
                problems.append(f"{where} label: expected the image size {size}, got {label.size}")
    return rows


def validate_benchmark_folder(path: str | Path, card: dict[str, Any]) -> tuple[int, str]:
    """Check an imported / corrupted folder whose card is ``card``; returns ``(images in all/test, benchmark)``.

    Raises:
        DataValidationError: listing every problem with its shard (and id).
    """
    path = Path(path)
    problems: list[str] = []
    configs = {c["config_name"]: c for c in card.get("configs", []) if isinstance(c, dict) and "config_name" in c}
    if "all" not in configs:
        problems.append("README.md: expected a config 'all' (split test), got none")
    listed = [
        p for c in configs.values() for e in c.get("data_files", []) if isinstance(e, dict) for p in e.get("path", [])
    ]
    rows: dict[str, int] = {}
    ids: Counter[str] = Counter()
    features: list[Any] = []
    for shard in dict.fromkeys(listed):
        if not (path / shard).is_file():
            problems.append(f"{shard}: expected a parquet shard listed in the card, got no file")
            continue
        rows[shard] = _check_shard(path / shard, shard, problems, ids, features)
    stray = sorted(
        p.relative_to(path).as_posix()
        for p in (path / "data").glob("*.parquet")
        if p.relative_to(path).as_posix() not in listed
    )
    if stray:
        problems.append(f"data/: expected only the shards the card lists, got also {stray}")
    duplicates = sorted(i for i, n in ids.items() if n > 1)
    if duplicates:
        problems.append(f"data/: expected unique ids, got duplicates {duplicates[:10]}")
    actual: Counter[tuple[str, str]] = Counter()
    for config, c in configs.items():
        for entry in c.get("data_files", []):
            if isinstance(entry, dict):
                actual[(str(config), str(entry.get("split")))] += sum(rows.get(p, 0) for p in entry.get("path", []))
    infos = card.get("dataset_info")
    for info in infos if isinstance(infos, list) else [infos]:
        if not isinstance(info, dict):
            continue
        for s in info.get("splits", []):
            key = (str(info.get("config_name", "default")), str(s.get("name")))
            if key in actual and s.get("num_examples") != actual[key]:
                problems.append(
                    f"README.md: expected {key[0]}/{key[1]} to declare {actual[key]} examples, got "
                    f"{s.get('num_examples')}"
                )
    name = str(card.get("benchmark"))
    if problems:
        raise DataValidationError(
            f"expected a valid {name} dataset folder in {path}, got {len(problems)} problem(s)", problems=problems
        )
    return actual[("all", "test")], name
