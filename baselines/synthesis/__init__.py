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

from typing import TYPE_CHECKING

from comsamy.lazy import lazy_exports

if TYPE_CHECKING:  # for static tools; at run time the names load on first use (comsamy.lazy)
    from baselines.synthesis.bank import BankWriter, ObjectBank, open_banks
    from baselines.synthesis.blender import BlendConfig, HarmonizationBlender, reinhard_transfer
    from baselines.synthesis.coco import COCO_EXCLUDED_CLASSES, build_coco_bank
    from baselines.synthesis.compose import ComposeConfig, ComposeSummary, compose_dataset, sample_seed
    from baselines.synthesis.copy_paste import apply_label, paste_object
    from baselines.synthesis.errors import ExtractionError, PlacementError, SynthesisError
    from baselines.synthesis.extractor import (
        ExtractedObject,
        SalientExtractor,
        clean_mask,
        grabcut_refine,
        saliency_map,
    )
    from baselines.synthesis.generator import GeneratedObject, GenerationConfig, ObjectGenerator
    from baselines.synthesis.objects import generate_bank
    from baselines.synthesis.placement import (
        Placement,
        PlacementConfig,
        drivable_mask,
        estimate_horizon,
        random_placement,
        sample_placement,
    )
    from baselines.synthesis.prompts import BACKGROUNDS, OBJECT_VOCABULARY, PromptSpec, make_prompt, sample_prompts
    from baselines.synthesis.u2net import U2Net, load_u2net
    from baselines.synthesis.unet_harmonizer import UNetHarmonizer, load_unet_harmonizer

_EXPORTS = {
    "BankWriter": "baselines.synthesis.bank",
    "ObjectBank": "baselines.synthesis.bank",
    "open_banks": "baselines.synthesis.bank",
    "BlendConfig": "baselines.synthesis.blender",
    "HarmonizationBlender": "baselines.synthesis.blender",
    "reinhard_transfer": "baselines.synthesis.blender",
    "COCO_EXCLUDED_CLASSES": "baselines.synthesis.coco",
    "build_coco_bank": "baselines.synthesis.coco",
    "ComposeConfig": "baselines.synthesis.compose",
    "ComposeSummary": "baselines.synthesis.compose",
    "compose_dataset": "baselines.synthesis.compose",
    "sample_seed": "baselines.synthesis.compose",
    "apply_label": "baselines.synthesis.copy_paste",
    "paste_object": "baselines.synthesis.copy_paste",
    "ExtractionError": "baselines.synthesis.errors",
    "PlacementError": "baselines.synthesis.errors",
    "SynthesisError": "baselines.synthesis.errors",
    "ExtractedObject": "baselines.synthesis.extractor",
    "SalientExtractor": "baselines.synthesis.extractor",
    "clean_mask": "baselines.synthesis.extractor",
    "grabcut_refine": "baselines.synthesis.extractor",
    "saliency_map": "baselines.synthesis.extractor",
    "GeneratedObject": "baselines.synthesis.generator",
    "GenerationConfig": "baselines.synthesis.generator",
    "ObjectGenerator": "baselines.synthesis.generator",
    "generate_bank": "baselines.synthesis.objects",
    "Placement": "baselines.synthesis.placement",
    "PlacementConfig": "baselines.synthesis.placement",
    "drivable_mask": "baselines.synthesis.placement",
    "estimate_horizon": "baselines.synthesis.placement",
    "random_placement": "baselines.synthesis.placement",
    "sample_placement": "baselines.synthesis.placement",
    "BACKGROUNDS": "baselines.synthesis.prompts",
    "OBJECT_VOCABULARY": "baselines.synthesis.prompts",
    "PromptSpec": "baselines.synthesis.prompts",
    "make_prompt": "baselines.synthesis.prompts",
    "sample_prompts": "baselines.synthesis.prompts",
    "U2Net": "baselines.synthesis.u2net",
    "load_u2net": "baselines.synthesis.u2net",
    "UNetHarmonizer": "baselines.synthesis.unet_harmonizer",
    "load_unet_harmonizer": "baselines.synthesis.unet_harmonizer",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BACKGROUNDS",
    "COCO_EXCLUDED_CLASSES",
    "OBJECT_VOCABULARY",
    "BankWriter",
    "BlendConfig",
    "ComposeConfig",
    "ComposeSummary",
    "ExtractedObject",
    "ExtractionError",
    "GeneratedObject",
    "GenerationConfig",
    "HarmonizationBlender",
    "ObjectBank",
    "ObjectGenerator",
    "Placement",
    "PlacementConfig",
    "PlacementError",
    "PromptSpec",
    "SalientExtractor",
    "SynthesisError",
    "U2Net",
    "UNetHarmonizer",
    "apply_label",
    "build_coco_bank",
    "clean_mask",
    "compose_dataset",
    "drivable_mask",
    "estimate_horizon",
    "generate_bank",
    "grabcut_refine",
    "load_u2net",
    "load_unet_harmonizer",
    "make_prompt",
    "open_banks",
    "paste_object",
    "random_placement",
    "reinhard_transfer",
    "saliency_map",
    "sample_placement",
    "sample_prompts",
    "sample_seed",
]
