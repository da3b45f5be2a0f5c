"""Capture of the UNet's cross-attention to the object tokens during Stable Diffusion sampling.

A custom attention processor replaces the default one on every cross-attention layer (``attn2``) of the
UNet. It computes attention exactly like diffusers' classic processor, and on the way adds the attention
probabilities of the chosen text tokens (averaged over heads, summed over tokens) to a running per-sample map
at a fixed resolution, so memory does not grow with the number of layers or steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


class AttentionStore:
    """Running sum of cross-attention maps, one (res, res) map per batch item.

    Args:
        token_indices: For each prompt of the batch, the positions of its object tokens in the text encoding.
        latent_hw: Height and width of the latent (to recover each layer's spatial grid).
        resolution: Side of the stored maps.
    """

    def __init__(self, token_indices: Sequence[Sequence[int]], latent_hw: tuple[int, int], resolution: int = 64):
        self.token_indices = [list(t) for t in token_indices]
        self.latent_hw = latent_hw
        self.resolution = resolution
        self.maps: torch.Tensor | None = None
        self.calls = 0

    def add(self, probs: torch.Tensor, heads: int) -> None:
        """Accumulate attention probabilities of shape (batch*heads, HW, tokens)."""
        import torch
        import torch.nn.functional as F

        bh, hw, _ = probs.shape
        batch = bh // heads
        n = len(self.token_indices)
        # Under classifier-free guidance the batch is [uncond, cond]: keep the conditional half.
        cond = probs.reshape(batch, heads, hw, -1)[batch - n :].mean(dim=1).float()
        lh, lw = self.latent_hw
        factor = math.sqrt(lh * lw / hw)
        h, w = max(1, round(lh / factor)), max(1, round(lw / factor))
        if h * w != hw:  # odd shapes: fall back to a square grid
            h = w = round(math.sqrt(hw))
            if h * w != hw:
                return
        per = torch.stack([cond[i][:, idx].sum(dim=-1) for i, idx in enumerate(self.token_indices)])
        per = F.interpolate(
            per.reshape(n, 1, h, w), size=(self.resolution, self.resolution), mode="bilinear", align_corners=False
        )[:, 0]
        self.maps = per if self.maps is None else self.maps + per
        self.calls += 1

    def normalized(self) -> torch.Tensor:
        """(N, res, res) maps scaled to [0, 1] per sample (zeros if nothing was captured)."""
        import torch

        if self.maps is None:
            return torch.zeros(len(self.token_indices), self.resolution, self.resolution)
        m = self.maps - self.maps.amin(dim=(1, 2), keepdim=True)
        return m / m.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)


class CrossAttentionCapture:
    """Attention processor for ``attn2`` layers: standard attention plus a call to :class:`AttentionStore`."""

    def __init__(self, store: AttentionStore):
        self.store = store

    def __call__(
        self,
        attn: Any,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> torch.Tensor:
        import torch

        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch_size, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch_size, channel, height * width).transpose(1, 2)
        is_cross = encoder_hidden_states is not None
        batch_size, sequence_length, _ = (
            hidden_states if encoder_hidden_states is None else encoder_hidden_states
        ).shape
        attention_mask = attn.prepare_attention_mask(attention_mask, sequence_length, batch_size)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key = attn.head_to_batch_dim(attn.to_k(encoder_hidden_states))
        value = attn.head_to_batch_dim(attn.to_v(encoder_hidden_states))
        query = attn.head_to_batch_dim(query)
        probs = attn.get_attention_scores(query, key, attention_mask)
        if is_cross:
            self.store.add(probs.detach(), attn.heads)
        hidden_states = attn.batch_to_head_dim(torch.bmm(probs, value))
        hidden_states = attn.to_out[1](attn.to_out[0](hidden_states))
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(batch_size, channel, height, width)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def install_capture(unet: Any, store: AttentionStore) -> dict[str, Any]:
    """Put :class:`CrossAttentionCapture` on every cross-attention layer; return the previous processors."""
    previous = dict(unet.attn_processors)
    capture = CrossAttentionCapture(store)
    unet.set_attn_processor(
        {name: (capture if name.endswith("attn2.processor") else proc) for name, proc in previous.items()}
    )
    return previous
