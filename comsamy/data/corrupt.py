"""Adverse-weather variants of any benchmark folder: every image under every weather x severity.

``corrupt_dataset(IN, OUT, weathers=("rain", "fog"), levels=(1, 2, 3, 4, 5), seed=0)`` writes a folder in the
same published layout: the unchanged images as severity 0 (weather ``clear``, same ids) plus, per weather and
level, one shard whose images carry :func:`comsamy.synthetic.weather.apply_weather` (ids
``<id>__<weather>-<level>``). Labels are the source bytes, unchanged (void kept); ``weather`` (ClassLabel) and
``severity`` (int) columns are added, and a ``weather`` column of the source becomes ``source_weather``.

* Deterministic: the seed of each image is a hash of (id, weather, level, seed), whatever the worker count.
* Parallel: ``workers`` processes (default: every core); one image per task, at most two tasks per worker in
  flight, so memory holds about one image per worker however large the benchmark (streaming).
* Resumable: each shard is written to a hidden file and renamed when complete; a second run with the same
  arguments skips finished shards. The card is written last, so an interrupted folder never loads.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comsamy.constants import WEATHERS
from comsamy.errors import DataValidationError, UsageError

logger = logging.getLogger(__name__)

__all__ = ["CorruptSummary", "corrupt_dataset", "corrupted_id", "image_seed"]

STATE_FILE = ".comsamy-corrupt.json"
CLEAN_SHARD = "data/clean-00000-of-00001.parquet"
ROW_GROUP_SIZE = 4
"""Rows per written row group (small: memory stays near one image)."""


@dataclass(frozen=True)
class CorruptSummary:
    """What :func:`corrupt_dataset` wrote and how fast."""

    out: Path
    num_source: int
    num_images: int
    shards_written: int
    shards_skipped: int
    seconds: float
    workers: int

    @property
    def images_per_second_per_core(self) -> float:
        """Corrupted images per second per worker process (0 when nothing was computed)."""
        done = self.num_source * self.shards_written
        return done / self.seconds / self.workers if self.seconds > 0 and done else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "num_source": self.num_source,
            "num_images": self.num_images,
            "shards_written": self.shards_written,
            "shards_skipped": self.shards_skipped,
            "seconds": self.seconds,
            "workers": self.workers,
            "images_per_second_per_core": self.images_per_second_per_core,
        }


def corrupted_id(image_id: str, weather: str, level: int) -> str:
    """The id of one corrupted copy (severity 0 keeps the source id).

    >>> corrupted_id("img001", "fog", 3)
    'img001__fog-3'
    """
    return image_id if level == 0 else f"{image_id}__{weather}-{level}"


def image_seed(image_id: str, weather: str, level: int, seed: int) -> int:
    """The effect seed of one (image, weather, level, seed): a stable 32-bit hash, the same on every machine."""
    digest = hashlib.sha256(f"{seed}\0{image_id}\0{weather}\0{level}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def _shard(weather: str, level: int) -> str:
    return CLEAN_SHARD if level == 0 else f"data/{weather}-s{level}-00000-of-00001.parquet"


def _source_shards(folder: Path) -> list[Path]:
    """The parquet files of the source's ``all`` config (every image once)."""
    import yaml

    text = (folder / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else {}
    for config in (front or {}).get("configs", []):
        if isinstance(config, dict) and config.get("config_name") == "all":
            paths = [p for entry in config.get("data_files", []) for p in entry.get("path", [])]
            return [folder / p for p in paths]
    raise DataValidationError(f"{folder}/README.md: expected a config 'all' listing every shard, got none")


def _check_levels(weathers: Sequence[str], levels: Sequence[int]) -> None:
    bad = [w for w in weathers if w not in WEATHERS or w == "clear"]
    if bad or not weathers:
        raise UsageError(
            f"--weathers: expected names among {', '.join(WEATHERS[1:])}, got {', '.join(weathers) or 'none'}"
        )
    if len(set(weathers)) != len(weathers):
        raise UsageError(f"--weathers: expected each weather once, got {', '.join(weathers)}")
    if (
        not levels
        or any(isinstance(v, bool) or not 1 <= int(v) <= 5 for v in levels)
        or len(set(levels)) != len(levels)
    ):
        raise UsageError(f"--severities: expected distinct levels in 1..5, got {', '.join(map(str, levels)) or 'none'}")


def _features(source: Any) -> Any:
    from datasets import ClassLabel, Features, Value

    cols = dict(source)
    if "weather" in cols:
        cols["source_weather"] = Value("string")
        del cols["weather"]
    return Features({**cols, "weather": ClassLabel(names=list(WEATHERS)), "severity": Value("int32")})


def _rows(shards: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """Every source row, one at a time (only the current row group is in memory)."""
    import pyarrow.parquet as pq

    for shard in shards:
        with pq.ParquetFile(shard) as pf:
            for batch in pf.iter_batches(batch_size=1):
                yield from batch.to_pylist()


def _corrupt_one(task: tuple[bytes, str, int, int]) -> bytes:
    """Worker: decode, apply the weather, encode (JPEG sources stay JPEG at quality 95, others PNG)."""
    from PIL import Image

    from comsamy.synthetic.weather import apply_weather

    data, weather, level, seed = task
    with Image.open(io.BytesIO(data)) as im:
        fmt = im.format
        out = apply_weather(im, weather, level=level, seed=seed)
    buf = io.BytesIO()
    if fmt == "JPEG":
        out.save(buf, format="JPEG", quality=95)
    else:
        out.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _ext(data: bytes) -> str:
    return ".jpg" if data[:3] == b"\xff\xd8\xff" else ".png"


class _Runner:
    """Runs tasks in order with at most ``2 * workers`` in flight (in-process when ``workers == 1``)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: Any = None
        if workers > 1:
            import multiprocessing

            self.pool = multiprocessing.get_context("spawn").Pool(workers)

    def map(self, tasks: Iterator[tuple[Any, tuple[bytes, str, int, int]]]) -> Iterator[tuple[Any, bytes]]:
        if self.pool is None:
            for key, task in tasks:
                yield key, _corrupt_one(task)
            return
        pending: deque[tuple[Any, Any]] = deque()
        for key, task in tasks:
            pending.append((key, self.pool.apply_async(_corrupt_one, (task,))))
            if len(pending) >= 2 * self.workers:
                k, res = pending.popleft()
                yield k, res.get()
        while pending:
            k, res = pending.popleft()
            yield k, res.get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def _write_shard(
    path: Path, shards: Sequence[Path], features: Any, weather: str, level: int, seed: int, runner: _Runner
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = features.arrow_schema
    label = WEATHERS.index(weather if level else "clear")
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    with pq.ParquetWriter(partial, schema, compression="none", write_statistics=["id"]) as writer:
        buffer: list[dict[str, Any]] = []

        def flush() -> None:
            if buffer:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema), row_group_size=ROW_GROUP_SIZE)
                buffer.clear()

        def tasks() -> Iterator[tuple[dict[str, Any], tuple[bytes, str, int, int]]]:
            for row in _rows(shards):
                yield row, (row["image"]["bytes"], weather, level, image_seed(str(row["id"]), weather, level, seed))

        results = ((row, task[0]) for row, task in tasks()) if level == 0 else runner.map(tasks())
        for row, data in results:
            out = {k: v for k, v in row.items() if k != "weather"}
            if "weather" in row:
                out["source_weather"] = WEATHERS[row["weather"]] if isinstance(row["weather"], int) else row["weather"]
            new_id = corrupted_id(str(row["id"]), weather, level)
            out.update(id=new_id, image={"bytes": data, "path": new_id + _ext(data)}, weather=label, severity=level)
            out["label"] = {"bytes": row["label"]["bytes"], "path": new_id + ".png"}
            buffer.append(out)
            count += 1
            if len(buffer) >= ROW_GROUP_SIZE:
                flush()
        flush()
    os.replace(partial, path)
    return count


def _state(source: Path, weathers: Sequence[str], levels: Sequence[int], seed: int) -> dict[str, object]:
    from comsamy.data.loading import folder_fingerprint

    return {
        "source": str(source.resolve()),
        "fingerprint": folder_fingerprint(source),
        "weathers": list(weathers),
        "levels": list(levels),
        "seed": seed,
    }


def _prepare_out(out: Path, state: dict[str, object], force: bool) -> None:
    import shutil

    state_path = out / STATE_FILE
    if out.exists() and not out.is_dir():
        raise UsageError(f"expected OUT to be a folder path, got an existing file {out}")
    if out.is_dir() and any(out.iterdir()):
        previous = json.loads(state_path.read_text()) if state_path.is_file() else None
        if previous != state:
            if not force:
                raise UsageError(
                    f"expected OUT to be new, empty or an interrupted run of the same command, got "
                    f"{out}, which holds something else; pass --force to replace it"
                )
            shutil.rmtree(out)
        elif (out / "README.md").is_file():
            logger.info("%s is complete; nothing to do", out)
    (out / "data").mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps(state, indent=1))


def corrupt_dataset(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    weathers: Sequence[str] = ("rain", "night", "frost", "fog", "blizzard", "sandstorm"),
    levels: Sequence[int] = (1, 2, 3, 4, 5),
    seed: int = 0,
    workers: int | None = None,
    force: bool = False,
    progress: bool = False,
) -> CorruptSummary:
    """Write the adverse-weather variants of a dataset folder (see the module docstring).

    Args:
        source: a dataset folder in the published layout (an export or an import).
        out: the folder to create, or an interrupted run of the same command to finish.
        weathers: adverse weathers of :data:`comsamy.constants.WEATHERS` (not ``clear``).
        levels: integer severities in 1..5 (the unchanged images are always added as severity 0).
        seed: the corruption seed.
        workers: processes (default: every core).
        force: replace an ``out`` that holds something else.
        progress: show a progress bar.

    Raises:
        UsageError: bad weathers, levels or ``out``.
        DataNotAvailableError: ``source`` is not a dataset folder.
    """
    from datasets import Features
    from tqdm.auto import tqdm

    from comsamy.data.loading import resolve

    weathers, levels = list(weathers), [int(v) for v in levels]
    _check_levels(weathers, levels)
    source_dir = Path(resolve(Path(source))[1])
    out = Path(out).absolute()
    shards = _source_shards(source_dir)
    import pyarrow.parquet as pq

    source_features = Features.from_arrow_schema(pq.read_schema(shards[0]))
    features = _features(source_features)
    num_source = sum(pq.ParquetFile(s).metadata.num_rows for s in shards)
    _prepare_out(out, _state(source_dir, weathers, levels, seed), force)
    plan = [("clear", 0)] + [(w, lv) for w in weathers for lv in levels]
    workers = max(1, workers or os.cpu_count() or 1)
    written = skipped = 0
    start = time.perf_counter()
    runner = _Runner(workers)
    try:
        with tqdm(total=len(plan), desc="Corrupting", unit="shard", disable=not progress) as bar:
            for weather, level in plan:
                path = out / _shard(weather, level)
                if path.is_file():
                    skipped += 1
                else:
                    _write_shard(path, shards, features, weather, level, seed, runner)
                    written += level > 0
                bar.update(1)
    finally:
        runner.close()
    seconds = time.perf_counter() - start
    from comsamy.data.corrupt_card import render_corrupt_card

    (out / "README.md").write_text(
        render_corrupt_card(source_dir, features, num_source, weathers, levels, seed), encoding="utf-8"
    )
    summary = CorruptSummary(out, num_source, num_source * len(plan), written, skipped, seconds, workers)
    logger.info(
        "corrupted %d images into %s (%.2f images/s per core)",
        summary.num_images,
        out,
        summary.images_per_second_per_core,
    )
    return summary
