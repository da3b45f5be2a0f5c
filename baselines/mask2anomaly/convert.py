"""Convert the official Mask2Anomaly checkpoint (detectron2 layout) into a :class:`Mask2Anomaly` folder.

The official code (Mask2Former on detectron2, decoder ``MultiScaleMaskedTransformerDecoder_GMA``) saves
``{"model": state_dict, ...}`` with these names; each maps to ``transformers``' Mask2Former (the renames its own
conversion script uses) plus our global masked attention:

=====================================================================  ===============================================
official                                                               ours (under ``mask2former.``)
=====================================================================  ===============================================
``backbone.stem.conv1`` (+ ``.norm``)                                  ``model.pixel_level_module.encoder.embedder.embedder.convolution`` (``normalization``)
``backbone.res{s}.{b}.conv{k}`` / ``.shortcut`` (+ ``.norm``)          ``...encoder.encoder.stages.{s-2}.layers.{b}.layer.{k-1}`` / ``.shortcut``
``sem_seg_head.pixel_decoder.input_proj.{i}.{j}``                      ``model.pixel_level_module.decoder.input_projections.{i}.{j}``
``...pixel_decoder.transformer.level_embed``                           ``...decoder.level_embed``
``...transformer.encoder.layers.{i}.{linear1,linear2,norm1,norm2}``    ``...decoder.encoder.layers.{i}.{fc1,fc2,self_attn_layer_norm,final_layer_norm}``
``...pixel_decoder.{mask_features,adapter_1,layer_1}``                 ``...decoder.{mask_projection,adapter_1.0 / .1,layer_1.0 / .1}``
``sem_seg_head.predictor.transformer_self_attention_layers.{i}``       ``model.transformer_module.decoder.layers.{i}.self_attn`` (``in_proj`` split into q / k / v)
``...transformer_cross_attention_layers.{i}.multihead_attn_foreground``  ``...layers.{i}.cross_attn``
``...transformer_cross_attention_layers.{i}.multihead_attn_background``  ``...layers.{i}.cross_attn.background``
``...transformer_ffn_layers.{i}.{linear1,linear2,norm}``               ``...layers.{i}.{fc1,fc2,final_layer_norm}``
``...predictor.{decoder_norm,query_feat,query_embed,level_embed}``     ``...decoder.layernorm``, ``transformer_module.{queries_features,queries_embedder,level_embed}``
``...predictor.mask_embed.layers.{i}`` / ``class_embed``               ``...decoder.mask_predictor.mask_embedder.{i}.0`` / ``class_predictor``
=====================================================================  ===============================================

The official cross-attention layer also holds a ``fusion_layer`` (1x1 convolution) that its forward never uses: it
is dropped. The ResNet architecture (depths, widths) is read from the tensor shapes.

Command::

    python -m baselines.mask2anomaly.convert mask2anomaly_official.pth m2a_folder
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from comsamy.errors import ConfigError

__all__ = [
    "UNUSED_OFFICIAL_KEYS",
    "convert_official_checkpoint",
    "convert_official_state_dict",
    "infer_resnet_fields",
    "main",
]

UNUSED_OFFICIAL_KEYS = (
    re.compile(r"\.fusion_layer\."),
    re.compile(r"^criterion\."),
    re.compile(r"pixel_mean|pixel_std"),
)
"""Official tensors with no counterpart: the unused fusion convolution, loss buffers, normalisation constants."""

_PIX = "mask2former.model.pixel_level_module"
_DEC = "mask2former.model.transformer_module"
_RULES: tuple[tuple[str, str], ...] = (
    (r"^backbone\.stem\.conv1\.norm\.", f"{_PIX}.encoder.embedder.embedder.normalization."),
    (r"^backbone\.stem\.conv1\.", f"{_PIX}.encoder.embedder.embedder.convolution."),
    (r"^backbone\.res(\d)\.(\d+)\.shortcut\.norm\.", r"STAGE\1.layers.\2.shortcut.normalization."),
    (r"^backbone\.res(\d)\.(\d+)\.shortcut\.", r"STAGE\1.layers.\2.shortcut.convolution."),
    (r"^backbone\.res(\d)\.(\d+)\.conv(\d)\.norm\.", r"STAGE\1.layers.\2.layer.CONV\3.normalization."),
    (r"^backbone\.res(\d)\.(\d+)\.conv(\d)\.", r"STAGE\1.layers.\2.layer.CONV\3.convolution."),
    (r"^sem_seg_head\.pixel_decoder\.input_proj\.", f"{_PIX}.decoder.input_projections."),
    (r"^sem_seg_head\.pixel_decoder\.transformer\.level_embed$", f"{_PIX}.decoder.level_embed"),
    (
        r"^sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.linear1\.",
        rf"{_PIX}.decoder.encoder.layers.\1.fc1.",
    ),
    (
        r"^sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.linear2\.",
        rf"{_PIX}.decoder.encoder.layers.\1.fc2.",
    ),
    (
        r"^sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.norm1\.",
        rf"{_PIX}.decoder.encoder.layers.\1.self_attn_layer_norm.",
    ),
    (
        r"^sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.norm2\.",
        rf"{_PIX}.decoder.encoder.layers.\1.final_layer_norm.",
    ),
    (
        r"^sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.self_attn\.",
        rf"{_PIX}.decoder.encoder.layers.\1.self_attn.",
    ),
    (r"^sem_seg_head\.pixel_decoder\.mask_features\.", f"{_PIX}.decoder.mask_projection."),
    (r"^sem_seg_head\.pixel_decoder\.(adapter_1|layer_1)\.norm\.", rf"{_PIX}.decoder.\1.1."),
    (r"^sem_seg_head\.pixel_decoder\.(adapter_1|layer_1)\.", rf"{_PIX}.decoder.\1.0."),
    (
        r"^sem_seg_head\.predictor\.transformer_self_attention_layers\.(\d+)\.self_attn\.out_proj\.",
        rf"{_DEC}.decoder.layers.\1.self_attn.out_proj.",
    ),
    (
        r"^sem_seg_head\.predictor\.transformer_self_attention_layers\.(\d+)\.norm\.",
        rf"{_DEC}.decoder.layers.\1.self_attn_layer_norm.",
    ),
    (
        r"^sem_seg_head\.predictor\.transformer_cross_attention_layers\.(\d+)\.multihead_attn(?:_foreground)?\.",
        rf"{_DEC}.decoder.layers.\1.cross_attn.",
    ),
    (
        r"^sem_seg_head\.predictor\.transformer_cross_attention_layers\.(\d+)\.multihead_attn_background\.",
        rf"{_DEC}.decoder.layers.\1.cross_attn.background.",
    ),
    (
        r"^sem_seg_head\.predictor\.transformer_cross_attention_layers\.(\d+)\.norm\.",
        rf"{_DEC}.decoder.layers.\1.cross_attn_layer_norm.",
    ),
    (r"^sem_seg_head\.predictor\.transformer_ffn_layers\.(\d+)\.linear1\.", rf"{_DEC}.decoder.layers.\1.fc1."),
    (r"^sem_seg_head\.predictor\.transformer_ffn_layers\.(\d+)\.linear2\.", rf"{_DEC}.decoder.layers.\1.fc2."),
    (
        r"^sem_seg_head\.predictor\.transformer_ffn_layers\.(\d+)\.norm\.",
        rf"{_DEC}.decoder.layers.\1.final_layer_norm.",
    ),
    (r"^sem_seg_head\.predictor\.decoder_norm\.", f"{_DEC}.decoder.layernorm."),
    (r"^sem_seg_head\.predictor\.query_feat\.", f"{_DEC}.queries_features."),
    (r"^sem_seg_head\.predictor\.query_embed\.", f"{_DEC}.queries_embedder."),
    (r"^sem_seg_head\.predictor\.level_embed\.", f"{_DEC}.level_embed."),
    (r"^sem_seg_head\.predictor\.input_proj\.", f"{_DEC}.input_projections."),
    (r"^sem_seg_head\.predictor\.mask_embed\.layers\.(\d+)\.", rf"{_DEC}.decoder.mask_predictor.mask_embedder.\1.0."),
    (r"^sem_seg_head\.predictor\.class_embed\.", "mask2former.class_predictor."),
)
_SELF_QKV = re.compile(
    r"^sem_seg_head\.predictor\.transformer_self_attention_layers\.(\d+)\.self_attn\.in_proj_(weight|bias)$"
)
_STAGE = re.compile(r"^STAGE(\d)\.(.*)$")
_CONV = re.compile(r"\.CONV(\d)\.")


def _rename(key: str) -> str | None:
    for pattern, target in _RULES:
        new, count = re.subn(pattern, target, key)
        if count:
            new = _CONV.sub(lambda m: f".{int(m.group(1)) - 1}.", new)
            stage = _STAGE.match(new)
            if stage:
                new = f"{_PIX}.encoder.encoder.stages.{int(stage.group(1)) - 2}.{stage.group(2)}"
            return new
    return None


def infer_resnet_fields(state: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """``backbone_*`` fields of :class:`Mask2AnomalyConfig` from an official ResNet state dict's shapes."""
    stem = state.get("backbone.stem.conv1.weight")
    if stem is None:
        raise ConfigError(
            "expected an official ResNet backbone (backbone.stem.conv1.weight) in the checkpoint, got "
            f"keys {sorted(k for k in state if k.startswith('backbone'))[:4]}"
        )
    depths, hidden = [], []
    for stage in range(2, 6):
        blocks = {int(m.group(1)) for k in state if (m := re.match(rf"^backbone\.res{stage}\.(\d+)\.", k))}
        if not blocks:
            raise ConfigError(f"expected backbone.res{stage} blocks in the checkpoint, got none")
        depths.append(max(blocks) + 1)
        last = "conv3" if f"backbone.res{stage}.0.conv3.weight" in state else "conv2"
        hidden.append(int(state[f"backbone.res{stage}.0.{last}.weight"].shape[0]))
    layer_type = "bottleneck" if "backbone.res2.0.conv3.weight" in state else "basic"
    return {
        "backbone_layer_type": layer_type,
        "backbone_embedding_size": int(stem.shape[0]),
        "backbone_hidden_sizes": tuple(hidden),
        "backbone_depths": tuple(depths),
    }


def _decoder_fields(state: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Sizes of the pixel decoder and transformer decoder read from the shapes (the number of heads is not in them)."""
    pix, pred = "sem_seg_head.pixel_decoder", "sem_seg_head.predictor"
    found: dict[str, Any] = {}
    shapes = {
        "num_queries": (f"{pred}.query_feat.weight", 0),
        "hidden_dim": (f"{pred}.query_feat.weight", 1),
        "feature_size": (f"{pix}.transformer.level_embed", 1),
        "mask_feature_size": (f"{pix}.mask_features.weight", 0),
        "encoder_feedforward_dim": (f"{pix}.transformer.encoder.layers.0.linear1.weight", 0),
        "dim_feedforward": (f"{pred}.transformer_ffn_layers.0.linear1.weight", 0),
    }
    for name, (key, dim) in shapes.items():
        if key in state:
            found[name] = int(state[key].shape[dim])
    layers = {
        int(m.group(1))
        for k in state
        if (m := re.match(rf"^{re.escape(pix)}\.transformer\.encoder\.layers\.(\d+)\.", k))
    }
    if layers:
        found["encoder_layers"] = max(layers) + 1
    return found


def convert_official_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an official state dict to :class:`Mask2Anomaly` names (self-attention ``in_proj`` split in three).

    Raises:
        ConfigError: a key that is neither mapped nor known to be unused.
    """
    out: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for key, value in state.items():
        key = key.removeprefix("module.")
        qkv = _SELF_QKV.match(key)
        if qkv:
            layer, kind = qkv.groups()
            for name, part in zip(("q_proj", "k_proj", "v_proj"), value.chunk(3, dim=0), strict=True):
                out[f"{_DEC}.decoder.layers.{layer}.self_attn.{name}.{kind}"] = part.clone()
            continue
        new = _rename(key)
        if new is not None:
            out[new] = value
        elif not any(p.search(key) for p in UNUSED_OFFICIAL_KEYS):
            unknown.append(key)
    if unknown:
        raise ConfigError(f"expected official Mask2Anomaly keys, got {len(unknown)} unknown: {', '.join(unknown[:5])}")
    return out


def convert_official_checkpoint(
    checkpoint: str | Path, folder: str | Path, *, variant: str = "mask2anomaly", **config: Any
) -> Path:
    """Read the official checkpoint (safely), build the matching :class:`Mask2Anomaly`, load every weight, save it.

    Args:
        checkpoint: the official ``.pth`` (``{"model": state_dict, ...}`` as detectron2 saves it).
        folder: where to write the ``save_pretrained`` folder.
        variant: ``mask2anomaly`` or ``mask2anomaly_diffeel`` (the loss used if training continues).
        **config: other :class:`Mask2AnomalyConfig` fields (``num_attention_heads``, which the shapes do not
            tell, 8 in the paper); the ResNet and decoder sizes are read from the checkpoint.

    Raises:
        ConfigError: an unreadable or unsafe file, unknown keys, or weights that do not cover the model.
    """
    from baselines.mask2anomaly.config import Mask2AnomalyConfig
    from baselines.mask2anomaly.model import Mask2Anomaly
    from baselines.rpl.weights import read_state_dict

    state = read_state_dict(checkpoint, what="Mask2Anomaly checkpoint")
    fields = {**infer_resnet_fields(state), "freeze_backbone": True, **config}
    layers = {
        int(m.group(1))
        for k in state
        if (m := re.match(r"^sem_seg_head\.predictor\.transformer_ffn_layers\.(\d+)\.", k))
    }
    fields.setdefault("decoder_layers", max(layers) + 1 if layers else 9)
    for name, value in _decoder_fields(state).items():
        fields.setdefault(name, value)
    model = Mask2Anomaly(Mask2AnomalyConfig.from_dict({"variant": variant, **fields}))
    ours = convert_official_state_dict(state)
    own = model.state_dict()
    bad = [
        f"{k}: expected {tuple(own[k].shape)}, got {tuple(v.shape)}"
        for k, v in ours.items()
        if k in own and own[k].shape != v.shape
    ]
    extra = sorted(set(ours) - set(own))
    missing = sorted(
        k
        for k in set(own) - set(ours)
        if not k.endswith("num_batches_tracked") and k != "mask2former.criterion.empty_weight"
    )
    if bad or extra or missing:
        raise ConfigError(
            f"expected the official weights in {checkpoint} to fill the model, got shape mismatches "
            f"{bad[:3]}, unexpected {extra[:3]} and missing {missing[:3]}"
        )
    model.load_state_dict(ours, strict=False)
    return model.save_pretrained(folder)  # type: ignore[no-any-return]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m baselines.mask2anomaly.convert",
        description="Convert the official Mask2Anomaly checkpoint into a save_pretrained folder",
    )
    p.add_argument("checkpoint", help="the official .pth (detectron2 layout)")
    p.add_argument("folder", help="output folder (config.json, model.safetensors)")
    p.add_argument("--variant", default="mask2anomaly", choices=["mask2anomaly", "mask2anomaly_diffeel"])
    p.add_argument("--heads", type=int, default=8, help="attention heads (not stored in the weights; official: 8)")
    return p


def _run(args: argparse.Namespace) -> int:
    import json
    import sys

    folder = convert_official_checkpoint(
        args.checkpoint, args.folder, variant=args.variant, num_attention_heads=args.heads
    )
    sys.stdout.write(json.dumps({"folder": str(folder)}) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from comsamy.cli.common import run_cli

    return run_cli("mask2anomaly-convert", _parser(), _run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
