"""Output layout of a synthesized training set: the benchmark's Hub layout, written chunk by chunk.

``OUT/README.md`` (card: YAML ``configs`` + ``dataset_info``), ``OUT/data/train-XXXXX-of-YYYYY.parquet``
(image and label bytes embedded), ``OUT/provenance.jsonl`` (one record per sample, in index order).
While a run is in progress, finished chunks live in ``OUT/.chunks/chunk-XXXXXX.parquet`` (each written to a
temporary name and renamed, so a chunk file is either complete or absent) next to ``OUT/.synth-state.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CHUNK_DIR = ".chunks"
STATE_FILE = ".synth-state.json"
MANIFEST = "provenance.jsonl"
CONFIG = "default"
SPLIT = "train"


def synth_features() -> Any:
    """``datasets.Features`` of a synthesized row: id, image, label (train ids + anomaly id), provenance."""
    from datasets import Features, Image, Value

    return Features({"id": Value("string"), "image": Image(), "label": Image(), "provenance": Value("string")})


def chunk_path(out: Path, k: int) -> Path:
    return out / CHUNK_DIR / f"chunk-{k:06d}.parquet"


def _atomic_parquet(table: Any, final: Path) -> None:
    import pyarrow.parquet as pq

    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="none")
    os.replace(tmp, final)


def write_chunk(out: Path, k: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write finished rows (``id``, ``image``/``label`` PNG bytes, ``provenance`` JSON) as chunk ``k``."""
    import pyarrow as pa

    schema = synth_features().arrow_schema
    table = pa.Table.from_pydict(
        {
            "id": [r["id"] for r in rows],
            "image": [{"bytes": r["image"], "path": f"{r['id']}.png"} for r in rows],
            "label": [{"bytes": r["label"], "path": f"{r['id']}.png"} for r in rows],
            "provenance": [r["provenance"] for r in rows],
        },
        schema=schema,
    )
    _atomic_parquet(table, chunk_path(out, k))


def read_state(out: Path) -> dict[str, Any] | None:
    p = out / STATE_FILE
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def write_state(out: Path, state: Mapping[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{STATE_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out / STATE_FILE)


def render_card(count: int, shards: int, settings: Mapping[str, Any]) -> str:
    """README.md with YAML front matter declaring config ``default``, split ``train``."""
    import yaml
    from datasets import DatasetInfo, SplitDict, SplitInfo

    splits = SplitDict()
    splits.add(SplitInfo(name=SPLIT, num_examples=count))
    info = DatasetInfo(features=synth_features(), splits=splits)._to_yaml_dict()
    front = {
        "pretty_name": "ComsAmy synthesized anomaly training set",
        "task_categories": ["image-segmentation"],
        "tags": ["anomaly-segmentation", "synthetic", "outlier-exposure"],
        "configs": [
            {
                "config_name": CONFIG,
                "default": True,
                "data_files": [{"split": SPLIT, "path": f"data/{SPLIT}-*.parquet"}],
            }
        ],
        "dataset_info": [{"config_name": CONFIG, **info}],
    }
    body = (
        "# Synthesized anomaly training set\n\n"
        f"{count} images written by `comsamy-synth compose` in {shards} parquet shard(s).\n\n"
        "Columns: `id`, `image` (RGB PNG), `label` (PNG, Cityscapes train ids, "
        f"anomaly id {settings.get('config', {}).get('anomaly_id')} on pasted objects, 255 void), `provenance` (JSON: inlier id, "
        "object ids and banks, placement boxes, scale, mode, seeds). `provenance.jsonl` repeats the provenance "
        "of every sample in index order.\n\n"
        "## Settings\n\n```json\n" + json.dumps(settings, indent=2, sort_keys=True) + "\n```\n"
    )
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n" + body


def assemble(
    out: Path,
    num_chunks: int,
    count: int,
    settings: Mapping[str, Any],
    *,
    shard_rows: int = 1000,
    keep_chunks: bool = False,
) -> list[Path]:
    """Concatenate chunks ``0..num_chunks-1`` into ``data/`` shards, the manifest and the card.

    Every file is written to a temporary name and renamed; the card goes last, so a folder with a card is
    complete. Rows are checked to be exactly indices ``0..count-1`` once each.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from baselines.synthesis.errors import SynthesisError

    tables = [pq.read_table(chunk_path(out, k)) for k in range(num_chunks)]
    table = pa.concat_tables(tables) if tables else synth_features().arrow_schema.empty_table()
    prov = table.column("provenance").to_pylist()
    indices = [json.loads(p)["index"] for p in prov]
    if indices != list(range(count)):
        raise SynthesisError(
            f"{out}: expected chunks holding samples 0..{count - 1} once each, got {len(indices)} "
            f"rows ({len(set(indices))} distinct)"
        )
    shards = max(1, -(-count // shard_rows))
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    for old in data.glob(f"{SPLIT}-*.parquet"):
        old.unlink()
    paths = []
    for s in range(shards):
        p = data / f"{SPLIT}-{s:05d}-of-{shards:05d}.parquet"
        _atomic_parquet(table.slice(s * shard_rows, shard_rows), p)
        paths.append(p)
    tmp = out / f".{MANIFEST}.tmp"
    tmp.write_text("".join(p + "\n" for p in prov), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)
    tmp = out / ".README.md.tmp"
    tmp.write_text(render_card(count, shards, settings), encoding="utf-8")
    os.replace(tmp, out / "README.md")
    if not keep_chunks:
        for k in range(num_chunks):
            chunk_path(out, k).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (out / CHUNK_DIR).rmdir()
    return paths
