"""Diffusion object generator: a ``diffusers`` Stable Diffusion pipeline plus object-token cross-attention.

>>> gen = ObjectGenerator.from_pretrained("path/to/sd", device="cuda")          # doctest: +SKIP
>>> objs = gen.generate(sample_prompts(4, seed=0), seeds=[0, 1, 2, 3])         # doctest: +SKIP
>>> objs[0].image.shape, objs[0].attention.shape                               # doctest: +SKIP
((512, 512, 3), (512, 512))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.synthesis.prompts import PromptSpec
from comsamy.errors import ConfigError, DataNotAvailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings of :meth:`ObjectGenerator.generate`."""

    steps: int = 25
    guidance_scale: float = 7.5
    height: int = 512
    width: int = 512
    attention_resolution: int = 64

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"expected steps >= 1, got {self.steps}")
        if self.height % 8 or self.width % 8 or self.height < 8 or self.width < 8:
            raise ConfigError(f"expected height and width multiples of 8, got {self.height}x{self.width}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "height": self.height,
            "width": self.width,
            "attention_resolution": self.attention_resolution,
        }


@dataclass(frozen=True, eq=False)
class GeneratedObject:
    """One generated image and the cross-attention map of its object tokens.

    Attributes:
        image: (H, W, 3) uint8 RGB.
        attention: (H, W) float32 in [0, 1], aggregated over layers and steps, upsampled to the image.
        prompt: The prompt it was generated from.
        seed: The seed of its own ``torch.Generator``.
    """

    image: np.ndarray
    attention: np.ndarray
    prompt: PromptSpec
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            **self.prompt.to_dict(),
            "height": int(self.image.shape[0]),
            "width": int(self.image.shape[1]),
        }


class ObjectGenerator:
    """Wraps a ``StableDiffusionPipeline``; use :meth:`from_pretrained`."""

    def __init__(self, pipeline: Any, *, source: str = "<in-memory>") -> None:
        self.pipeline = pipeline
        self.source = source

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | Path,
        *,
        device: str = "cpu",
        dtype: str | None = None,
        local_files_only: bool | None = None,
    ) -> ObjectGenerator:
        """Load a Stable Diffusion pipeline from a local folder or a Hub id (``diffusers`` layout).

        Args:
            path_or_id: A folder written by ``save_pretrained`` or a Hub repository id.
            device: Torch device to run on.
            dtype: ``"float16"``, ``"bfloat16"`` or ``"float32"`` (default: float32 on CPU, float16 on CUDA).
            local_files_only: Do not try the Hub (default: True when ``path_or_id`` is an existing folder).
        """
        path = Path(path_or_id)
        is_dir = path.is_dir()
        if is_dir and not (path / "model_index.json").is_file():
            raise ConfigError(
                f"--generator {path}: expected a diffusers pipeline folder with model_index.json, "
                "got a folder without it"
            )
        import torch
        from diffusers import StableDiffusionPipeline

        if dtype is None:
            dtype = "float16" if str(device).startswith("cuda") else "float32"
        if dtype not in ("float16", "bfloat16", "float32"):
            raise ConfigError(f"expected dtype float16, bfloat16 or float32, got {dtype!r}")
        try:
            pipe = StableDiffusionPipeline.from_pretrained(
                str(path_or_id),
                dtype=getattr(torch, dtype),
                safety_checker=None,
                requires_safety_checker=False,
                local_files_only=is_dir if local_files_only is None else local_files_only,
            )
        except (OSError, ValueError) as exc:
            raise DataNotAvailableError(
                f"--generator {path_or_id}: expected a local Stable Diffusion folder or a reachable Hub id, "
                f"got an error while loading it: {exc}"
            ) from exc
        pipe = pipe.to(device)
        pipe.set_progress_bar_config(disable=True)
        return cls(pipe, source=str(path_or_id))

    @property
    def device(self) -> Any:
        return self.pipeline.device

    def object_token_indices(self, spec: PromptSpec) -> list[int]:
        """Positions of the object's tokens in the encoded prompt (BOS included at position 0)."""
        tok = self.pipeline.tokenizer
        ids = list(tok(spec.prompt, truncation=True, max_length=tok.model_max_length).input_ids)
        sub = list(tok(spec.object, add_special_tokens=False).input_ids)
        for start in range(1, len(ids) - len(sub) + 1):
            if sub and ids[start : start + len(sub)] == sub:
                return list(range(start, start + len(sub)))
        log.warning("object %r not found among the tokens of %r; using every word token", spec.object, spec.prompt)
        return list(range(1, max(2, len(ids) - 1)))

    def generate(
        self, prompts: Sequence[PromptSpec], seeds: Sequence[int], config: GenerationConfig | None = None
    ) -> list[GeneratedObject]:
        """Generate one image per prompt, each from its own seeded ``torch.Generator``.

        Sample ``i`` depends only on ``(prompts[i], seeds[i], config)``: batching does not change what is drawn.
        """
        import torch
        import torch.nn.functional as F

        from baselines.synthesis.attention import AttentionStore, install_capture

        cfg = config or GenerationConfig()
        if len(prompts) != len(seeds):
            raise ConfigError(f"expected one seed per prompt, got {len(prompts)} prompts and {len(seeds)} seeds")
        if not prompts:
            return []
        pipe = self.pipeline
        scale = pipe.vae_scale_factor
        store = AttentionStore(
            [self.object_token_indices(p) for p in prompts],
            (cfg.height // scale, cfg.width // scale),
            cfg.attention_resolution,
        )
        previous = install_capture(pipe.unet, store)
        gen_device = "cpu" if str(self.device).startswith("mps") else self.device
        generators = [torch.Generator(device=gen_device).manual_seed(int(s)) for s in seeds]
        try:
            with torch.inference_mode():
                out = pipe(
                    prompt=[p.prompt for p in prompts],
                    num_inference_steps=cfg.steps,
                    guidance_scale=cfg.guidance_scale,
                    height=cfg.height,
                    width=cfg.width,
                    generator=generators,
                    output_type="np",
                )
        finally:
            pipe.unet.set_attn_processor(previous)
        images = (np.clip(np.asarray(out.images), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        maps = (
            F.interpolate(
                store.normalized()[:, None], size=(cfg.height, cfg.width), mode="bilinear", align_corners=False
            )[:, 0]
            .cpu()
            .numpy()
            .astype(np.float32)
        )
        maps -= maps.min(axis=(1, 2), keepdims=True)
        maps /= np.maximum(maps.max(axis=(1, 2), keepdims=True), 1e-12)
        return [
            GeneratedObject(image=images[i], attention=maps[i], prompt=p, seed=int(seeds[i]))
            for i, p in enumerate(prompts)
        ]
