"""The diffusion generator runs the real StableDiffusionPipeline code on a tiny random pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baselines.synthesis.generator import GenerationConfig, ObjectGenerator
from baselines.synthesis.prompts import OBJECT_VOCABULARY, make_prompt, sample_prompts
from comsamy.errors import ConfigError, DataNotAvailableError

CFG = GenerationConfig(steps=2, guidance_scale=3.0, height=64, width=64, attention_resolution=16)


def test_prompts_follow_template_cover_paper_kinds_and_are_seeded():
    assert {"animal", "static_obstacle", "debris", "unusual_vehicle"} <= set(OBJECT_VOCABULARY)
    a, b = sample_prompts(50, seed=3), sample_prompts(50, seed=3)
    assert a == b and a != sample_prompts(50, seed=4)
    assert sample_prompts(60, seed=3)[:50] == a  # prompt i depends on (seed, i) only
    for p in a:
        assert p.prompt == f"one {p.object} in {p.background}"
        assert p.object in OBJECT_VOCABULARY[p.kind]
    assert {p.kind for p in a} == set(OBJECT_VOCABULARY)


def test_object_token_indices_point_at_the_object_words(tiny_generator):
    tok = tiny_generator.pipeline.tokenizer
    spec = make_prompt("traffic cone", "the wild")
    idx = tiny_generator.object_token_indices(spec)
    ids = tok(spec.prompt).input_ids
    assert tok.convert_ids_to_tokens([ids[i] for i in idx]) == ["traffic</w>", "cone</w>"]


def test_generation_is_seeded_batch_independent_and_captures_attention(tiny_generator):
    prompts = [make_prompt("dog", "the wild"), make_prompt("rock", "a desert")]
    out = tiny_generator.generate(prompts, [11, 12], CFG)
    assert [o.image.shape for o in out] == [(64, 64, 3)] * 2 and out[0].image.dtype == np.uint8
    again = tiny_generator.generate(prompts[1:], [12], CFG)  # alone, not in a batch
    np.testing.assert_array_equal(again[0].image, out[1].image)
    np.testing.assert_allclose(again[0].attention, out[1].attention, atol=1e-5)
    other = tiny_generator.generate(prompts[1:], [13], CFG)
    assert not np.array_equal(other[0].image, out[1].image)
    for o in out:
        assert o.attention.shape == (64, 64) and o.attention.dtype == np.float32
        assert o.attention.min() == pytest.approx(0.0, abs=1e-6) and o.attention.max() == pytest.approx(1.0)
    # the two prompts attend differently (the map follows the object token, not a constant)
    assert np.abs(out[0].attention - out[1].attention).max() > 1e-3


def test_capture_processor_does_not_change_the_images(tiny_generator):
    """Oracle: the pipeline with diffusers' own processors gives the same image as with the capture installed."""
    import torch

    pipe = tiny_generator.pipeline
    prompt = make_prompt("dog", "the wild")
    ours = tiny_generator.generate([prompt], [5], CFG)[0].image
    ref = pipe(
        prompt=[prompt.prompt],
        num_inference_steps=2,
        guidance_scale=3.0,
        height=64,
        width=64,
        generator=[torch.Generator().manual_seed(5)],
        output_type="np",
    ).images[0]
    np.testing.assert_array_equal(ours, (np.clip(ref, 0, 1) * 255 + 0.5).astype(np.uint8))


def test_attention_store_sums_every_cross_attention_call(tiny_generator):
    from baselines.synthesis.attention import AttentionStore, install_capture

    pipe = tiny_generator.pipeline
    store = AttentionStore([[2]], (32, 32), 8)
    prev = install_capture(pipe.unet, store)
    try:
        import torch

        pipe(
            prompt=["one dog in the wild"],
            num_inference_steps=3,
            guidance_scale=1.0,
            height=64,
            width=64,
            generator=[torch.Generator().manual_seed(0)],
            output_type="np",
        )
    finally:
        pipe.unet.set_attn_processor(prev)
    n_cross = sum(name.endswith("attn2.processor") for name in pipe.unet.attn_processors)
    assert n_cross > 0 and store.calls == 3 * n_cross
    # after removal the default processors are back
    assert all(type(p).__name__ != "CrossAttentionCapture" for p in pipe.unet.attn_processors.values())


def test_from_pretrained_errors(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"model_index\.json"):
        ObjectGenerator.from_pretrained(tmp_path / "empty")
    with pytest.raises(DataNotAvailableError, match="--generator"):
        ObjectGenerator.from_pretrained("no-such-org/no-such-model", local_files_only=True)
    with pytest.raises(ConfigError, match="multiples of 8"):
        GenerationConfig(height=30)


@pytest.mark.slow
def test_end_to_end_objects_cli_then_compose(tiny_sd_path: Path, inliers, tmp_path: Path):
    """Generation -> extraction -> bank -> placement -> blending -> labels, through the CLI."""
    import datasets

    from baselines.synthesis.cli import main
    from baselines.synthesis.compose import ComposeConfig, compose_dataset

    bank = tmp_path / "bank"
    rc = main(
        [
            "objects",
            "--generator",
            str(tiny_sd_path),
            "--out",
            str(bank),
            "--count",
            "3",
            "--seed",
            "1",
            "--batch-size",
            "2",
            "--steps",
            "2",
            "--size",
            "64",
            "--device",
            "cpu",
            "--no-progress",
        ]
    )
    assert rc == 0
    prov = [json.loads(line) for line in (bank / "provenance.jsonl").read_text().splitlines()]
    assert sorted(p["id"] for p in prov) == ["obj_00000", "obj_00001", "obj_00002"]
    for p in prov:
        assert p["source"] == "diffusion" and p["prompt"].startswith("one ") and "grabcut" in p["extractor"]
        from PIL import Image

        img, mask = Image.open(bank / "images" / f"{p['id']}.png"), Image.open(bank / "masks" / f"{p['id']}.png")
        assert img.mode == "RGB" and mask.mode == "L" and img.size == mask.size
        m = np.asarray(mask)
        assert set(np.unique(m)) <= {0, 255} and m.any()
    # rerun: nothing regenerated, nothing duplicated
    assert (
        main(
            [
                "objects",
                "--generator",
                str(tiny_sd_path),
                "--out",
                str(bank),
                "--count",
                "3",
                "--seed",
                "1",
                "--steps",
                "2",
                "--size",
                "64",
                "--device",
                "cpu",
                "--no-progress",
            ]
        )
        == 0
    )
    assert len((bank / "provenance.jsonl").read_text().splitlines()) == 3

    out = tmp_path / "set"
    compose_dataset(inliers, [bank], out, ComposeConfig(count=4, seed=0, chunk_size=2), progress=False)
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert ds.column_names == ["id", "image", "label", "provenance"] and len(ds) == 4
    for row in ds:
        lab = np.asarray(row["label"])
        rec = json.loads(row["provenance"])
        assert (lab == 254).sum() == sum(o["pixels"] for o in rec["objects"]) > 0
        assert rec["objects"][0]["object_id"].startswith("obj_")
