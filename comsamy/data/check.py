"""Validation of a published dataset folder (README card + parquet shards), e.g. a fetched Hub snapshot.

Reads the shards with pyarrow row group by row group and checks what the loader and the evaluator rely
on: the card's configs and features, every listed shard present with the exact schema, unique ids, each
row's weather matching its shard, decodable images and labels of equal size, label values in range, and
the split sizes the card declares.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from comsamy.constants import VALID_LABEL_VALUES, WEATHERS
from comsamy.data.images import inspect_image, inspect_label
from comsamy.data.layout import INLIER_CONFIG, INLIER_SHARD, weather_shard
from comsamy.data.raw import INLIER_LABEL_VALUES
from comsamy.errors import DataValidationError


@dataclass(frozen=True)
class FolderSummary:
    """Counts found in a valid dataset folder."""

    path: Path
    num_test: int
    num_inliers: int
    per_weather: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "num_test": self.num_test,
            "num_inliers": self.num_inliers,
            "per_weather": dict(self.per_weather),
        }


def _card(path: Path, problems: list[str]) -> dict:
    import yaml

    readme = path / "README.md"
    if not readme.is_file():
        problems.append("README.md: expected a dataset card with YAML front matter, got no file")
        return {}
    text = readme.read_text(encoding="utf-8")
    parts = text.split("---", 2)
    if not text.startswith("---") or len(parts) < 3:
        problems.append("README.md: expected YAML front matter between '---' lines, got none")
        return {}
    try:
        data = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as exc:
        problems.append(f"README.md: expected valid YAML front matter, got {exc}")
        return {}
    return data if isinstance(data, dict) else {}


def _check_shard(path: Path, shard: str, expected_weather: str | None, problems: list[str], ids: Counter[str]) -> int:
    import pyarrow.parquet as pq
    from datasets import Features

    from comsamy.data.features import benchmark_features, inlier_features

    inliers = expected_weather is None
    expected = inlier_features() if inliers else benchmark_features()
    file = path / shard
    if not file.is_file():
        problems.append(f"{shard}: expected a parquet shard listed in the card, got no file")
        return 0
    try:
        pf = pq.ParquetFile(file)
        found = Features.from_arrow_schema(pf.schema_arrow)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        problems.append(f"{shard}: expected a readable parquet file, got {type(exc).__name__}: {exc}")
        return 0
    if found != expected:
        problems.append(f"{shard}: expected features {expected}, got {found}")
        return 0
    allowed = INLIER_LABEL_VALUES if inliers else VALID_LABEL_VALUES
    rows = 0
    for group in range(pf.num_row_groups):
        for row in pf.read_row_group(group).to_pylist():
            rows += 1
            rid = row["id"]
            ids[rid] += 1
            where = f"{shard} id {rid!r}"
            if not inliers and WEATHERS[row["weather"]] != expected_weather:
                problems.append(f"{where}: expected weather {expected_weather}, got {WEATHERS[row['weather']]}")
            image, image_problems = inspect_image(row["image"]["bytes"] or b"", f"{where} image")
            label, label_problems = inspect_label(row["label"]["bytes"] or b"", f"{where} label", allowed=allowed)
            problems += image_problems + label_problems
            if image and label and image.orientation == 1 and image.size != label.size:
                problems.append(f"{where} label: expected the image size {image.size}, got {label.size}")
    return rows


def validate_dataset_folder(path: str | Path) -> FolderSummary:
    """Check a published dataset folder completely.

    Raises:
        DataValidationError: listing every problem with its file (and id).
    """
    path = Path(path)
    problems: list[str] = []
    card = _card(path, problems)
    if not card:  # without the card nothing says which shards and configs to expect
        problems = problems or ["README.md: expected YAML front matter with configs, got none"]
        raise DataValidationError(
            f"expected a valid ComsAmy dataset folder in {path}, got {len(problems)} problem(s)", problems=problems
        )
    if card.get("benchmark") not in (None, "comsamy"):  # an imported or corrupted benchmark
        from comsamy.data.benchmarks.check import validate_benchmark_folder

        num, _ = validate_benchmark_folder(path, card)
        return FolderSummary(path, num, 0, ())
    configs = {c.get("config_name") for c in card.get("configs", []) if isinstance(c, dict)}
    missing = [c for c in ("default", "all") if c not in configs]
    if card and missing:
        problems.append(f"README.md: expected the configs default and all, got none for {missing}")
    ids: Counter[str] = Counter()
    present = [w for w in WEATHERS if w in configs]
    per_weather = {w: _check_shard(path, weather_shard(w), w, problems, ids) for w in present}
    stray = sorted(
        p.name
        for p in (path / "data").glob("*.parquet")
        if p.relative_to(path).as_posix() not in {weather_shard(w) for w in present} | {INLIER_SHARD}
    )
    if stray:
        problems.append(f"data/: expected only the shards the card lists, got also {stray}")
    duplicates = sorted(i for i, n in ids.items() if n > 1)
    if duplicates:
        problems.append(f"data/: expected unique ids, got duplicates {duplicates[:10]}")
    num_inliers = 0
    if INLIER_CONFIG in configs:
        num_inliers = _check_shard(path, INLIER_SHARD, None, problems, Counter())
    declared = {
        (info.get("config_name"), s.get("name")): s.get("num_examples")
        for info in card.get("dataset_info", [])
        if isinstance(info, dict)
        for s in info.get("splits", [])
        if isinstance(s, dict)
    }
    actual = {("all", "test"): sum(per_weather.values()), (INLIER_CONFIG, "train"): num_inliers}
    actual |= {(w, "test"): n for w, n in per_weather.items()}
    for key, n in declared.items():
        if key in actual and n != actual[key]:
            problems.append(f"README.md: expected {key[0]}/{key[1]} to declare {actual[key]} examples, got {n}")
    if problems:
        raise DataValidationError(
            f"expected a valid ComsAmy dataset folder in {path}, got {len(problems)} problem(s)", problems=problems
        )
    return FolderSummary(path, sum(per_weather.values()), num_inliers, tuple(per_weather.items()))


__all__ = ["FolderSummary", "validate_dataset_folder"]
