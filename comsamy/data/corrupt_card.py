"""The dataset card of an adverse-weather variant folder (:mod:`comsamy.data.corrupt`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comsamy.data.card import card_text, dataset_info, size_category

__all__ = ["corrupt_configs", "render_corrupt_card"]


def corrupt_configs(weathers: Sequence[str], levels: Sequence[int]) -> dict[str, list[str]]:
    """``{config: [shard, ...]}`` (split ``test``): ``all``, ``clean`` (severity 0) and one per weather.

    >>> corrupt_configs(["fog"], [1, 2])["fog"]
    ['data/fog-s1-00000-of-00001.parquet', 'data/fog-s2-00000-of-00001.parquet']
    """
    from comsamy.data.corrupt import CLEAN_SHARD, _shard

    per_weather = {w: [_shard(w, lv) for lv in levels] for w in weathers}
    return {
        "all": [CLEAN_SHARD, *(s for shards in per_weather.values() for s in shards)],
        "clean": [CLEAN_SHARD],
        **per_weather,
    }


def render_corrupt_card(
    source: Path, features: Any, num_source: int, weathers: Sequence[str], levels: Sequence[int], seed: int
) -> str:
    """The full ``README.md``."""
    from comsamy.data.benchmarks import benchmark_name

    configs = corrupt_configs(weathers, levels)
    base = benchmark_name(source) or source.name
    entries, infos = [], {}
    for config, shards in configs.items():
        entry: dict[str, object] = {"config_name": config}
        if config == "all":
            entry["default"] = True
        entry["data_files"] = [{"split": "test", "path": shards}]
        entries.append(entry)
        infos[config] = dataset_info(features, {"test": num_source * len(shards)})
    total = num_source * len(configs["all"])
    front = {
        "pretty_name": f"{base} under adverse weather",
        "benchmark": f"{base}-weather",
        "source_benchmark": base,
        "task_categories": ["image-segmentation"],
        "tags": ["anomaly-segmentation", "adverse-weather", "synthetic-corruptions"],
        "size_categories": [size_category(total)],
        "configs": entries,
    }
    body = "\n".join(
        [
            f"# {base} under adverse weather",
            "",
            f"Every one of the {num_source} images of `{base}` under {', '.join(weathers)} at severity levels "
            f"{', '.join(map(str, levels))} (of 5), drawn with `comsamy.synthetic.apply_weather` (seed {seed}), plus the "
            "unchanged images as severity 0 (weather `clear`). **The weather effects are synthetic**; the labels are the "
            "source labels, unchanged (void kept).",
            "",
            f"{total} images. Ids: the source id at severity 0, `<id>__<weather>-<level>` otherwise.",
            "",
            "## Configs",
            "",
            "- `all` (default): split `test`, every image.",
            "- `clean`: the unchanged images (severity 0).",
            "- one config per weather (" + ", ".join(f"`{w}`" for w in weathers) + "): its severities.",
            "",
            "## Fields",
            "",
            "The source's fields, plus `weather` (ClassLabel; `clear` at severity 0) and `severity` (int 0..5); a "
            "`weather` column of the source is kept as `source_weather`.",
            "",
            "```",
            "comsamy-eval --preds preds.zip --data /path/to/this/folder",
            "```",
            "",
        ]
    )
    return card_text(front, infos, body)
