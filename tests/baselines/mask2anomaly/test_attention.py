"""Global masked attention: the background mask, the summed attentions against an explicit formula, and the model."""

from __future__ import annotations

import math

import pytest
import torch

from baselines.mask2anomaly.attention import GlobalMaskedCrossAttention, background_mask
from comsamy.errors import UsageError
from tests.baselines.mask2anomaly.helpers import make_tiny


def test_background_mask_is_the_complement_with_full_rows_opened():
    fg = torch.tensor([[[True, False, True], [False, False, False], [True, True, True]]])
    # row 0: complement; row 1: complement would block everything -> opened; row 2 (fg reset upstream never
    # arrives all-True, but if it did) complement is all False
    assert background_mask(fg).tolist() == [[[False, True, False], [False, False, False], [False, False, False]]]


def test_background_mask_rejects_float_masks():
    with pytest.raises(UsageError, match="boolean"):
        background_mask(torch.zeros(1, 2, 3))


def _explicit_mha(mha: torch.nn.MultiheadAttention, q, k, v, block):
    """Multi-head attention written out: per head softmax(QK^T / sqrt(d) with -inf where blocked) V, then out_proj."""
    length, batch, dim = q.shape
    heads = mha.num_heads
    d = dim // heads
    w_q, w_k, w_v = mha.in_proj_weight.split(dim)
    b_q, b_k, b_v = mha.in_proj_bias.split(dim)
    out = torch.zeros(length, batch, dim, dtype=torch.float64)
    for n in range(batch):
        head_outs = []
        for h in range(heads):
            sl = slice(h * d, (h + 1) * d)
            qh = (q[:, n] @ w_q.T + b_q)[:, sl].double()
            kh = (k[:, n] @ w_k.T + b_k)[:, sl].double()
            vh = (v[:, n] @ w_v.T + b_v)[:, sl].double()
            scores = qh @ kh.T / math.sqrt(d)
            if block is not None:
                scores = scores.masked_fill(block[n * heads + h], float("-inf"))
            head_outs.append(torch.softmax(scores, dim=-1) @ vh)
        cat = torch.cat(head_outs, dim=-1)
        out[:, n] = cat @ mha.out_proj.weight.double().T + mha.out_proj.bias.double()
    return out


def test_global_attention_equals_the_two_masked_attentions_summed():
    torch.manual_seed(0)
    dim, heads, queries, pixels, batch = 8, 2, 3, 5, 2
    attn = GlobalMaskedCrossAttention(dim, heads)
    with torch.no_grad():
        for p in attn.parameters():
            p.normal_(0, 0.5)  # non-zero biases too
    q = torch.randn(queries, batch, dim)
    k = torch.randn(pixels, batch, dim)
    v = torch.randn(pixels, batch, dim)
    fg_block = torch.rand(batch * heads, queries, pixels) < 0.5
    fg_block[:, :, 0] = False  # keep every row open for the foreground
    fg_block[0, 1] = False  # a query whose mask covers everything: its background row is opened
    out, weights = attn(query=q, key=k, value=v, attn_mask=fg_block, key_padding_mask=None)
    assert weights is None

    bg_block = ~fg_block
    bg_block[bg_block.all(dim=-1)] = False
    expected = _explicit_mha(attn, q, k, v, fg_block) + _explicit_mha(attn.background, q, k, v, bg_block)
    torch.testing.assert_close(out.double(), expected, atol=1e-5, rtol=1e-5)

    # and it is not the plain masked attention
    plain = _explicit_mha(attn, q, k, v, fg_block)
    assert (out.double() - plain).abs().max() > 1e-2


def test_global_attention_without_mask_is_two_unmasked_attentions():
    torch.manual_seed(1)
    attn = GlobalMaskedCrossAttention(8, 2)
    q, k = torch.randn(3, 1, 8), torch.randn(4, 1, 8)
    out, _ = attn(q, k, k)
    expected = _explicit_mha(attn, q, k, k, None) + _explicit_mha(attn.background, q, k, k, None)
    torch.testing.assert_close(out.double(), expected, atol=1e-5, rtol=1e-5)


def test_every_decoder_layer_uses_global_attention_and_plain_option_does_not():
    from transformers.models.mask2former.modeling_mask2former import Mask2FormerMaskedAttentionDecoderLayer

    model = make_tiny()
    layers = [m for m in model.modules() if isinstance(m, Mask2FormerMaskedAttentionDecoderLayer)]
    assert len(layers) == model.config.decoder_layers == 2
    assert all(isinstance(layer.cross_attn, GlobalMaskedCrossAttention) for layer in layers)
    plain = make_tiny(global_masked_attention=False)
    assert not any(isinstance(m, GlobalMaskedCrossAttention) for m in plain.modules())


def test_zero_background_branch_reduces_to_transformers_mask2former_and_global_differs():
    torch.manual_seed(0)
    images = torch.randn(1, 3, 64, 64)
    global_model = make_tiny(seed=3)
    plain = make_tiny(seed=4, global_masked_attention=False)
    result = plain.load_state_dict(global_model.state_dict(), strict=False)
    assert result.missing_keys == []
    assert result.unexpected_keys and all(".cross_attn.background." in k for k in result.unexpected_keys)
    with torch.no_grad():
        out_global = global_model(images)["logits"]
        out_plain = plain(images)["logits"]
    assert (out_global - out_plain).abs().max() > 1e-4  # the background attention changes the prediction

    with torch.no_grad():
        for module in global_model.modules():
            if isinstance(module, GlobalMaskedCrossAttention):
                module.background.out_proj.weight.zero_()
                module.background.out_proj.bias.zero_()
        out_zeroed = global_model(images)["logits"]
    torch.testing.assert_close(out_zeroed, out_plain, atol=1e-6, rtol=1e-5)
