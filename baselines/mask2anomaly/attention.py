"""Mask2Anomaly's global masked attention, fitted into ``transformers``' Mask2Former decoder.

Mask2Former's masked attention lets each query attend only to the pixels of its own predicted mask (the
foreground). Mask2Anomaly adds a second cross-attention, with its own weights, masked to the background (the
pixels *outside* the predicted mask), and sums the two outputs before the residual connection and layer norm::

    X_l = LN(X_{l-1} + softmax(M_fg + Q K_fg^T) V_fg + softmax(M_bg + Q K_bg^T) V_bg)

``transformers``' decoder layer calls ``self.cross_attn(query=, key=, value=, attn_mask=, key_padding_mask=)``
with a boolean ``attn_mask`` of shape (N * heads, Q, HW) that is True where attention is *blocked* (the predicted
background), rows that would block every pixel having been reset to all False. :class:`GlobalMaskedCrossAttention`
is a drop-in ``nn.MultiheadAttention`` for that slot: its own parameters are the foreground attention (same names as
Mask2Former's, so its checkpoints load), a child ``background`` holds the background attention, whose mask is the
complement of the foreground mask with fully blocked rows reset the same way. Everything else (pixel decoder, mask
predictor, round-robin feature levels, the loss) stays ``transformers``' own code.
"""

from __future__ import annotations

import torch
from torch import nn

from comsamy.errors import UsageError

__all__ = ["GlobalMaskedCrossAttention", "background_mask", "install_global_masked_attention"]


def background_mask(foreground_block: torch.Tensor) -> torch.Tensor:
    """Blocking mask of the background attention from that of the foreground attention.

    Args:
        foreground_block: boolean (N * heads, Q, HW), True where the foreground attention may not look
            (predicted mask probability < 0.5).

    Returns:
        Boolean mask of the same shape, True where the background attention may not look (inside the predicted
        mask). A row that would block every pixel is reset to all False (attend everywhere), as Mask2Former does.
    """
    if foreground_block.dtype != torch.bool:
        raise UsageError(f"expected a boolean attention mask, got dtype {foreground_block.dtype}")
    block = ~foreground_block
    full = block.all(dim=-1, keepdim=True)
    return block & ~full


class GlobalMaskedCrossAttention(nn.MultiheadAttention):
    """Foreground-masked plus background-masked multi-head attention, outputs summed.

    Called exactly like ``nn.MultiheadAttention`` with sequence-first tensors; returns ``(output, None)``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__(embed_dim, num_heads, dropout=dropout)
        self.background = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout)

    def forward(  # type: ignore[override]
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = False,
        attn_mask: torch.Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[torch.Tensor, None]:
        """Sum of the foreground attention under ``attn_mask`` and the background one under its complement."""
        fg, _ = super().forward(
            query, key, value, key_padding_mask=key_padding_mask, need_weights=False, attn_mask=attn_mask
        )
        bg_mask = None if attn_mask is None else background_mask(attn_mask)
        bg, _ = self.background(
            query, key, value, key_padding_mask=key_padding_mask, need_weights=False, attn_mask=bg_mask
        )
        return fg + bg, None


def install_global_masked_attention(mask2former: nn.Module) -> int:
    """Replace the cross-attention of every decoder layer of a ``transformers`` Mask2Former by the global one.

    The foreground attention takes over the existing weights (so Mask2Former checkpoints still load); the
    background attention gets its own fresh initialisation (PyTorch's Xavier-uniform projections, zero biases), as
    the two branches have separate weights in Mask2Anomaly. Returns the number of layers replaced.
    """
    from transformers.models.mask2former.modeling_mask2former import Mask2FormerMaskedAttentionDecoderLayer

    count = 0
    for module in mask2former.modules():
        if not isinstance(module, Mask2FormerMaskedAttentionDecoderLayer):
            continue
        old = module.cross_attn
        new = GlobalMaskedCrossAttention(old.embed_dim, old.num_heads, dropout=old.dropout)
        result = new.load_state_dict(old.state_dict(), strict=False)
        if result.unexpected_keys or any(not k.startswith("background.") for k in result.missing_keys):
            raise UsageError(f"expected only background.* keys to be new, got {result}")
        module.cross_attn = new
        count += 1
    if count == 0:
        raise UsageError("expected a transformers Mask2Former with masked-attention decoder layers, got none")
    return count
