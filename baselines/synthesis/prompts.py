"""Prompt vocabulary of the diffusion object generator: "one {object} in {background}".

The object kinds cover the paper's anomaly families (animals, static obstacles, debris, unusual vehicles);
the backgrounds keep the object prominent and easy to extract (Section IV-A: "One dog in the wild").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

OBJECT_VOCABULARY: Mapping[str, tuple[str, ...]] = {
    "animal": (
        "dog",
        "cat",
        "deer",
        "cow",
        "horse",
        "sheep",
        "goat",
        "pig",
        "bear",
        "moose",
        "kangaroo",
        "camel",
        "elephant",
        "goose",
        "duck",
        "fox",
        "wild boar",
        "donkey",
    ),
    "static_obstacle": (
        "traffic cone",
        "concrete barrier",
        "wooden pallet",
        "oil barrel",
        "tire",
        "shopping cart",
        "suitcase",
        "cardboard box",
        "plastic crate",
        "trash bag",
        "wheelbarrow",
        "sofa",
        "armchair",
        "mattress",
        "ladder",
        "toy",
        "teddy bear",
        "traffic barrier",
    ),
    "debris": (
        "rock",
        "boulder",
        "tree stump",
        "fallen branch",
        "pile of bricks",
        "tree log",
        "pile of sand",
        "broken bumper",
        "scrap metal",
        "pile of gravel",
    ),
    "unusual_vehicle": (
        "tractor",
        "forklift",
        "horse carriage",
        "golf cart",
        "lawn mower",
        "snowmobile",
        "quad bike",
        "road roller",
        "excavator",
        "wheelchair",
        "rickshaw",
        "segway",
    ),
}
"""Object words grouped by anomaly kind (at least the paper's kinds)."""

BACKGROUNDS: tuple[str, ...] = (
    "the wild",
    "an empty street",
    "a grassland",
    "a desert",
    "a forest",
    "the snow",
    "a parking lot",
    "a country road",
    "a plain white studio",
    "a foggy field",
)
"""Background phrases; objects are later cut out, so simple backgrounds help the extractor."""

PROMPT_TEMPLATE = "one {object} in {background}"


@dataclass(frozen=True)
class PromptSpec:
    """One generation request.

    Attributes:
        kind: Anomaly family (a key of :data:`OBJECT_VOCABULARY`).
        object: The object phrase (its tokens are the ones whose cross-attention is captured).
        background: The background phrase.
        prompt: The full prompt text.
    """

    kind: str
    object: str
    background: str
    prompt: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_prompt(obj: str, background: str, *, kind: str = "custom") -> PromptSpec:
    """Build the prompt "one {object} in {background}".

    >>> make_prompt("dog", "the wild").prompt
    'one dog in the wild'
    """
    return PromptSpec(
        kind=kind, object=obj, background=background, prompt=PROMPT_TEMPLATE.format(object=obj, background=background)
    )


def sample_prompts(
    count: int,
    seed: int,
    *,
    vocabulary: Mapping[str, Sequence[str]] | None = None,
    backgrounds: Sequence[str] | None = None,
) -> list[PromptSpec]:
    """Draw ``count`` prompts: a kind uniformly, then an object of that kind and a background.

    Deterministic for a seed; prompt ``i`` depends only on ``(seed, i)`` so a resumed run draws the same ones.
    """
    import numpy as np

    vocab = dict(vocabulary if vocabulary is not None else OBJECT_VOCABULARY)
    bgs = tuple(backgrounds if backgrounds is not None else BACKGROUNDS)
    if not vocab or any(len(v) == 0 for v in vocab.values()) or not bgs:
        from comsamy.errors import ConfigError

        raise ConfigError(f"expected a non-empty object vocabulary and background list, got {vocab!r} / {bgs!r}")
    kinds = sorted(vocab)
    out = []
    for i in range(count):
        rng = np.random.default_rng([seed, i, 0x50])
        kind = kinds[int(rng.integers(len(kinds)))]
        words = vocab[kind]
        obj = words[int(rng.integers(len(words)))]
        bg = bgs[int(rng.integers(len(bgs)))]
        out.append(make_prompt(obj, bg, kind=kind))
    return out
