"""The dataset card of an imported benchmark: configs ``all`` (default) plus one per subset, and a ``benchmark``
key that :func:`comsamy.data.benchmark_name` reads back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from comsamy.data.benchmarks.base import Benchmark
from comsamy.data.benchmarks.labelmap import LabelMap
from comsamy.data.card import card_text, dataset_info, size_category

if TYPE_CHECKING:
    import datasets

__all__ = ["benchmark_configs", "render_benchmark_card"]


def benchmark_configs(subsets: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """``{config: {split: [shard, ...]}}``: ``all`` (split ``test``) and, with several subsets, one per subset.

    >>> list(benchmark_configs(["train", "test"]))
    ['all', 'train', 'test']
    """
    from comsamy.data.benchmarks.writer import ALL_CONFIG, ALL_SPLIT, subset_shard

    configs = {ALL_CONFIG: {ALL_SPLIT: [subset_shard(s) for s in subsets]}}
    if len(subsets) > 1:
        configs.update({s: {ALL_SPLIT: [subset_shard(s)]} for s in subsets})
    return configs


def render_benchmark_card(
    bench: Benchmark,
    features: datasets.Features,
    sizes: Mapping[str, int],
    pixels: Counter[int],
    label_map: LabelMap,
    notes: Sequence[str],
) -> str:
    """The full ``README.md`` of an imported benchmark."""
    from comsamy.data.benchmarks.writer import ALL_CONFIG, anomaly_share

    configs = benchmark_configs(list(sizes))
    entries = []
    infos = {}
    for config, splits in configs.items():
        entry: dict[str, object] = {"config_name": config}
        if config == ALL_CONFIG:
            entry["default"] = True
        entry["data_files"] = [{"split": split, "path": paths} for split, paths in splits.items()]
        entries.append(entry)
        infos[config] = dataset_info(
            features,
            {split: sum(sizes[p.split("/")[1].rsplit("-", 3)[0]] for p in paths) for split, paths in splits.items()},
        )
    total = sum(sizes.values())
    front = {
        "pretty_name": bench.title,
        "benchmark": bench.name,
        "task_categories": ["image-segmentation"],
        "tags": ["anomaly-segmentation", "road-scenes", "autonomous-driving", f"benchmark-{bench.name}"],
        "size_categories": [size_category(total)],
        "configs": entries,
    }
    anomaly, void = anomaly_share(pixels)
    columns = ", ".join(f"`{c}`" for c in bench.columns) or "none"
    body = [
        f"# {bench.title}",
        "",
        bench.summary,
        "",
        f"Imported with `comsamy-data import {bench.name}` from the release as distributed ({bench.homepage}); "
        "the images are not ComsAmy's and keep their own licence.",
        "",
        "## Counts",
        "",
        f"{total} images; subsets: " + ", ".join(f"`{s}` {n}" for s, n in sizes.items()) + ".",
        f"Anomaly pixels: {anomaly:.2f} %, void pixels: {void:.2f} % of all label pixels.",
        "",
        "## Configs",
        "",
        f"- `{ALL_CONFIG}` (default): split `test`, every image.",
    ]
    if len(sizes) > 1:
        body.append("- one config per subset (" + ", ".join(f"`{s}`" for s in sizes) + "): split `test`.")
    body += [
        "",
        "## Fields",
        "",
        "- `id` (string): the image id; prediction files are named after it.",
        "- `image` (Image, RGB): the released image bytes.",
        "- `label` (Image, 8-bit PNG mode L): 0 non-anomaly, 1 anomaly, 255 void; same size as the image. "
        f"Source values were remapped exactly with `{label_map.describe()}` (source bytes kept where unchanged).",
        f"- metadata (strings): {columns}.",
        "",
    ]
    if notes:
        body += ["## Import notes", "", *(f"- {n}" for n in notes), ""]
    body += [
        "## Evaluating",
        "",
        "```",
        "comsamy-eval --preds preds.zip --data /path/to/this/folder",
        "```",
        "",
    ]
    return card_text(front, infos, "\n".join(body))
