"""DiffEEL anomaly data synthesizer (paper Section IV-A): generator, extractor, harmonisation blender, Eq. 1.

Heavy dependencies (torch, diffusers, cv2, datasets) load only when a component is used.

Public API::

    ObjectGenerator, GenerationConfig, sample_prompts, make_prompt       # diffusion object generator
    SalientExtractor, ExtractedObject                                      # U2-Net or attention + GrabCut
    PlacementConfig, Placement, sample_placement, estimate_horizon        # drivable placement, perspective
    random_placement                                                       # RPL's official uniform placement
    BlendConfig, HarmonizationBlender, reinhard_transfer, paste_object    # harmonised / plain copy-paste
    ObjectBank, BankWriter, generate_bank, build_coco_bank                 # object banks (diffusion, COCO)
    ComposeConfig, compose_dataset                                         # resumable dataset composition
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ObjectGenerator": "generator",
    "GenerationConfig": "generator",
    "GeneratedObject": "generator",
    "sample_prompts": "prompts",
    "make_prompt": "prompts",
    "PromptSpec": "prompts",
    "OBJECT_VOCABULARY": "prompts",
    "BACKGROUNDS": "prompts",
    "SalientExtractor": "extractor",
    "ExtractedObject": "extractor",
    "clean_mask": "extractor",
    "saliency_map": "extractor",
    "grabcut_refine": "extractor",
    "PlacementConfig": "placement",
    "Placement": "placement",
    "sample_placement": "placement",
    "estimate_horizon": "placement",
    "drivable_mask": "placement",
    "BlendConfig": "blender",
    "HarmonizationBlender": "blender",
    "reinhard_transfer": "blender",
    "paste_object": "copy_paste",
    "apply_label": "copy_paste",
    "ObjectBank": "bank",
    "BankWriter": "bank",
    "open_banks": "bank",
    "generate_bank": "objects",
    "ComposeConfig": "compose",
    "ComposeSummary": "compose",
    "compose_dataset": "compose",
    "sample_seed": "compose",
    "U2Net": "u2net",
    "load_u2net": "u2net",
    "UNetHarmonizer": "unet_harmonizer",
    "load_unet_harmonizer": "unet_harmonizer",
    "build_coco_bank": "coco",
    "COCO_EXCLUDED_CLASSES": "coco",
    "random_placement": "placement",
    "SynthesisError": "errors",
    "PlacementError": "errors",
    "ExtractionError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"baselines.synthesis.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'baselines.synthesis' has no attribute {name!r}")
