"""A tiny, randomly initialised Stable Diffusion pipeline built from configs, entirely offline.

No diffusion weights can be downloaded here, so the study's "diffusion objects" row (and the synthesizer's tests)
run the real ``diffusers`` pipeline code on a random network of a few hundred thousand parameters: the objects it
draws are noise blobs, which is why that row is marked as a smoke row. :func:`write_diffusion_bank` runs the whole
generator -> salient extractor -> object bank path of :mod:`baselines.synthesis` on it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

__all__ = ["build_tiny_pipeline", "write_diffusion_bank", "write_tokenizer_files"]

log = logging.getLogger(__name__)


def _bytes_to_unicode() -> dict[int, str]:
    """The GPT-2 / CLIP byte-to-character table (written out from its definition)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def write_tokenizer_files(folder: Path, words: list[str]) -> None:
    """vocab.json (bytes, bytes + </w>, a few whole words) and merges.txt building those words."""
    folder.mkdir(parents=True, exist_ok=True)
    chars = list(_bytes_to_unicode().values())
    vocab_list = chars + [c + "</w>" for c in chars]
    merges: list[str] = []
    for word in sorted(set(words)):
        parts = [*list(word[:-1]), word[-1] + "</w>"]
        while len(parts) > 1:
            a, b = parts[0], parts[1]
            merges.append(f"{a} {b}")
            parts = [a + b, *parts[2:]]
            if parts[0] not in vocab_list:
                vocab_list.append(parts[0])
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(vocab_list))}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    seen = list(dict.fromkeys(merges))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(seen) + "\n", encoding="utf-8")


def build_tiny_pipeline(folder: Path, *, seed: int = 0) -> Path:
    """Save a tiny random StableDiffusionPipeline to ``folder`` and return it."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    tok_dir = folder.parent / (folder.name + "-tokenizer")
    write_tokenizer_files(tok_dir, ["one", "in", "the", "a", "dog", "wild", "rock", "tire", "cone", "traffic"])
    tokenizer = CLIPTokenizer.from_pretrained(str(tok_dir), model_max_length=32)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=32,
            projection_dim=32,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        block_out_channels=(8, 16),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=32,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(str(folder))  # type: ignore[attr-defined]  # diffusers declares it dynamically
    return folder


def write_diffusion_bank(root: str | Path, *, count: int, seed: int = 0) -> tuple[Path, dict[str, Any]]:
    """Build the tiny pipeline under ``root`` and generate an object bank of ``count`` objects with it.

    Args:
        root: Folder for ``tiny-sd/`` (the pipeline) and ``bank/`` (the objects).
        count: Objects to generate (extraction failures are counted, not fatal).
        seed: Seed of the pipeline's weights and of the prompts / samples.

    Returns:
        ``(bank folder, summary dict)``; the summary names the generator and counts written / failed objects.
    """
    from baselines.synthesis.extractor import SalientExtractor
    from baselines.synthesis.generator import GenerationConfig, ObjectGenerator
    from baselines.synthesis.objects import generate_bank

    root = Path(root)
    pipe_dir = root / "tiny-sd"
    if not (pipe_dir / "model_index.json").is_file():
        build_tiny_pipeline(pipe_dir, seed=seed)
    generator = ObjectGenerator.from_pretrained(pipe_dir)
    config = GenerationConfig(steps=2, guidance_scale=3.0, height=64, width=64, attention_resolution=16)
    summary = generate_bank(
        generator, SalientExtractor(None), root / "bank", count=count, seed=seed, config=config, progress=False
    )
    log.info("tiny diffusion bank: %d written, %d failed", summary.written, summary.failed)
    return root / "bank", {
        "generator": "tiny random Stable Diffusion (smoke: objects are noise blobs)",
        "written": summary.written + summary.skipped,
        "failed": summary.failed,
    }
