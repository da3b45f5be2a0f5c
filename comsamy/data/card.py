"""The generated dataset card (``README.md``) of a published folder: YAML front matter + Markdown body."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from comsamy.constants import LABEL_ANOMALY, LABEL_VOID, LANDFORMS, WEATHERS, split_of
from comsamy.data.layout import INLIER_CONFIG, INLIER_SPLIT, config_data_files
from comsamy.data.raw import RawItem

if TYPE_CHECKING:
    import datasets
    from datasets import DatasetInfo


@dataclass(frozen=True)
class CardOptions:
    """What the card says about provenance.

    Attributes:
        synthetic: the images are procedurally generated, not photographs.
        title: the card's heading and ``pretty_name``.
        purpose: an optional paragraph on what this copy is for.
    """

    synthetic: bool = False
    title: str = "ComsAmy"
    purpose: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"synthetic": self.synthetic, "title": self.title, "purpose": self.purpose}


def _split_sizes(test: Sequence[RawItem], inliers: Sequence[RawItem]) -> dict[str, dict[str, int]]:
    per_weather = Counter(item.weather for item in test)
    sizes: dict[str, dict[str, int]] = {}
    for config, splits in config_data_files(per_weather, with_inliers=bool(inliers)).items():
        sizes[config] = {}
        for split, shards in splits.items():
            if config == INLIER_CONFIG:
                sizes[config][split] = len(inliers)
            else:
                sizes[config][split] = sum(per_weather[s.split("/")[1].split("-")[0]] for s in shards)
    return sizes


def card_text(front: Mapping[str, Any], infos: Mapping[str, DatasetInfo], body: str) -> str:
    """A ``README.md`` built with the public card APIs: ``huggingface_hub.DatasetCardData`` for the front matter
    and ``datasets``' ``DatasetInfosDict.to_dataset_card_data`` for ``dataset_info`` (what ``push_to_hub`` writes).

    Args:
        front: the card's YAML keys other than ``dataset_info`` (``pretty_name``, ``configs``, ...), in order.
        infos: ``{config: DatasetInfo}`` (features and split sizes of each config).
        body: the Markdown below the front matter.
    """
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard, DatasetCardData

    data = DatasetCardData(**dict(front))
    DatasetInfosDict(dict(infos)).to_dataset_card_data(data)
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def dataset_info(features: datasets.Features, split_sizes: Mapping[str, int]) -> DatasetInfo:
    """A ``datasets.DatasetInfo`` with ``features`` and one ``SplitInfo`` per split."""
    from datasets import DatasetInfo, SplitDict, SplitInfo

    splits = SplitDict()
    for split, size in split_sizes.items():
        splits.add(SplitInfo(name=split, num_examples=size))
    return DatasetInfo(features=features, splits=splits)


def _front_and_infos(
    test: Sequence[RawItem], inliers: Sequence[RawItem], options: CardOptions
) -> tuple[dict[str, object], dict[str, DatasetInfo]]:
    from comsamy.data.features import benchmark_features, inlier_features

    sizes = _split_sizes(test, inliers)
    configs = []
    infos: dict[str, DatasetInfo] = {}
    weathers = {item.weather for item in test}
    for config, splits in config_data_files(weathers, with_inliers=bool(inliers)).items():
        entry: dict[str, object] = {"config_name": config}
        if config == "default":
            entry["default"] = True
        entry["data_files"] = [{"split": split, "path": list(paths)} for split, paths in splits.items()]
        configs.append(entry)
        features = inlier_features() if config == INLIER_CONFIG else benchmark_features()
        infos[config] = dataset_info(features, {split: sizes[config][split] for split in splits})
    tags = ["anomaly-segmentation", "road-scenes", "adverse-weather", "autonomous-driving"]
    if options.synthetic:
        tags.append("synthetic")
    front: dict[str, object] = {
        "pretty_name": options.title,
        "benchmark": "comsamy",
        "task_categories": ["image-segmentation"],
        "tags": tags,
        "size_categories": [size_category(len(test) + len(inliers))],
        "configs": configs,
    }
    return front, infos


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bucket of ``n`` examples.

    >>> size_category(468)
    'n<1K'
    """
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M"


def card_yaml(test: Sequence[RawItem], inliers: Sequence[RawItem], options: CardOptions) -> dict[str, object]:
    """The YAML front matter as a dict: ``configs`` (data files per config and split), ``dataset_info``."""
    import yaml

    text = render_card(test, inliers, options)
    return dict(yaml.safe_load(text.split("---", 2)[1]))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def card_body(test: Sequence[RawItem], inliers: Sequence[RawItem], options: CardOptions) -> str:
    """The Markdown body: provenance, counts, fields, label policy, evaluation protocol."""
    weather = Counter(item.weather for item in test)
    landform = Counter(item.landform for item in test)
    splits = Counter(split_of(item.weather) for item in test)
    types = Counter(t for item in test for t in item.anomaly_types)
    pixels: Counter[int] = Counter()
    for item in test:
        pixels.update(dict(item.label_info.counts))
    total = sum(pixels.values()) or 1
    type_rows: list[tuple[str, int]] = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
    if options.synthetic:
        provenance = (
            "**This copy is synthetic.** Its road scenes, weather effects and anomalies are drawn procedurally by "
            "`comsamy.synthetic`; none of it is a photograph, and no score measured on it says anything about "
            "performance on the real ComsAmy benchmark. It has the real benchmark's schema, configs and label "
            "policy, so that code written against it runs unchanged on the real data."
        )
    else:
        provenance = "The images are photographs of real road scenes, released with pixel-level anomaly labels."
    parts = [f"# {options.title}", "", provenance, ""]
    if options.purpose:
        parts += [options.purpose, ""]
    parts += [
        "ComsAmy is a benchmark for road-scene anomaly segmentation under complex open-set conditions: seven "
        "weathers (clear, rain, night, frost, fog, blizzard, sandstorm) and seven landforms.",
        "",
        "## Counts",
        "",
        f"{len(test)} test images: {splits['clear']} clear, {splits['adverse']} adverse"
        + (f"; {len(inliers)} inlier training images (config `{INLIER_CONFIG}`)." if inliers else "."),
        f"Anomaly pixels: {100 * pixels[LABEL_ANOMALY] / total:.2f} %, void pixels: "
        f"{100 * pixels[LABEL_VOID] / total:.2f} % of all label pixels; {len(types)} anomaly types.",
        "",
        _table(["weather", "split", "images"], [(w, split_of(w), weather[w]) for w in WEATHERS]),
        "",
        _table(["landform", "images"], [(lf, landform[lf]) for lf in LANDFORMS]),
        "",
        _table(["anomaly type", "images"], type_rows),
        "",
        "## Configs",
        "",
        "- `default`: splits `clear` and `adverse` (every weather but clear).",
        "- `all`: split `test`, every image.",
        "- one config per weather present (" + ", ".join(f"`{w}`" for w in WEATHERS if weather[w]) + "): split `test`.",
    ]
    if inliers:
        parts.append(
            f"- `{INLIER_CONFIG}`: split `{INLIER_SPLIT}`, anomaly-free scenes labelled with Cityscapes train ids "
            "(255 ignore), for training inlier segmenters."
        )
    parts += [
        "",
        "## Fields",
        "",
        "- `id` (string): stable image id; prediction files are named after it.",
        "- `image` (Image, RGB): the image bytes exactly as released (EXIF orientation applied).",
        "- `label` (Image, 8-bit PNG mode L): 0 non-anomaly, 1 anomaly, 255 void; same size as the image. "
        "The bytes are the source PNG bytes.",
        "- `weather` (ClassLabel): " + ", ".join(WEATHERS) + ".",
        "- `landform` (ClassLabel): " + ", ".join(LANDFORMS) + ".",
        "- `anomaly_types` (list of strings): the anomaly types present.",
        "",
        "## Label policy",
        "",
        "An object is an anomaly when it is outside the 19 Cityscapes classes, is in or could move into the "
        "driving area, and is big enough to matter in a collision. Objects that meet only the first rule are void "
        "(255) and are left out of every metric.",
        "",
        "## Evaluation protocol",
        "",
        "One score map per image (higher = more anomalous, same size as the label). Void pixels are removed, then "
        "every metric of a condition is computed over the pooled pixels of all its images: AUPRC (average "
        "precision, step rule, anomaly = positive), FPR at 95 % TPR and AUROC, with scores ranked at float16 "
        "precision; overall, per split (clear / adverse), weather, landform and anomaly type.",
        "",
        "## Loading and evaluating",
        "",
        "```python",
        "import comsamy",
        'ds = comsamy.load_dataset("/path/to/this/folder", config="all", split="test")',
        "```",
        "",
        '`datasets.load_dataset("/path/to/this/folder", "all", split="test")` works as well. Write one score '
        "map per image named after its `id` into a zip, then score it with:",
        "",
        "```",
        "comsamy-eval --preds preds.zip --data /path/to/this/folder",
        "```",
        "",
    ]
    return "\n".join(parts)


def render_card(test: Sequence[RawItem], inliers: Sequence[RawItem], options: CardOptions) -> str:
    """The full ``README.md`` text."""
    front, infos = _front_and_infos(test, inliers, options)
    return card_text(front, infos, card_body(test, inliers, options))


__all__ = ["CardOptions", "card_body", "card_text", "card_yaml", "dataset_info", "render_card", "size_category"]
