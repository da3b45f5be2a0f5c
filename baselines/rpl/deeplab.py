"""DeepLabV3+ on WiderResNet38 with RPL's residual anomaly block, under the official module names.

Official layout (the released Cityscapes / RPL checkpoints, once ``module.`` and ``branch1.`` are stripped)::

    mod1..mod7, pool2, pool3          trunk (see wideresnet.py)
    aspp.features.{0..3}.{0,1}        ASPP 1x1 + three dilated 3x3 branches (conv, BatchNorm)
    aspp.img_conv.{0,1}               ASPP image-pooling branch
    bot_fine, bot_aspp                decoder 1x1 reductions (48 and 256 channels)
    final.{0,1,3,4,6}                 classifier: 3x3 conv, BN, 3x3 conv, BN, 1x1 conv to the classes
    residual_block.atten_aspp.*       RPL: second ASPP on the trunk's last feature map
    residual_block.bot_atten_aspp     RPL: 1x1 to 256
    residual_block.atten_aspp_final   RPL: 1x1 to the decoder width (304), the "last residual convolution"

The residual block's output is added to the decoder feature (``bot_fine`` ++ upsampled ``bot_aspp``) before
the shared ``final`` classifier; ``forward`` returns the logits without and with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from baselines.rpl.wideresnet import OFFICIAL_STRUCTURE, WiderResNetTrunk, scaled

__all__ = ["ASPP", "DeepWV3Plus", "ResidualAnomalyBlock"]

ASPP_CHANNELS = 256
FINE_CHANNELS = 48


def _upsample(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=True)


def _conv_bn_relu(in_ch: int, out_ch: int, kernel: int, dilation: int = 1) -> nn.Sequential:
    pad = dilation if kernel == 3 else 0
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling at output stride 8 (rates 12, 24, 36) plus image pooling.

    Output: ``5 * out_channels`` channels, image-pooling branch first (as in the official code).
    """

    def __init__(self, in_channels: int, out_channels: int, rates: Sequence[int] = (12, 24, 36)) -> None:
        super().__init__()
        branches = [_conv_bn_relu(in_channels, out_channels, 1)]
        branches += [_conv_bn_relu(in_channels, out_channels, 3, r) for r in rates]
        self.features = nn.ModuleList(branches)
        self.img_pooling = nn.AdaptiveAvgPool2d(1)
        self.img_conv = _conv_bn_relu(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.img_conv(self.img_pooling(x))
        outs = [_upsample(pooled, x.shape[2:])] + [f(x) for f in self.features]
        return torch.cat(outs, dim=1)


class ResidualAnomalyBlock(nn.Module):
    """RPL's trainable residual: ASPP on the trunk output, 1x1 reduction, upsample, 1x1 to the decoder width."""

    def __init__(self, in_channels: int, aspp_channels: int, decoder_channels: int) -> None:
        super().__init__()
        self.atten_aspp = ASPP(in_channels, aspp_channels)
        self.bot_atten_aspp = nn.Conv2d(5 * aspp_channels, aspp_channels, 1, bias=False)
        self.atten_aspp_final = nn.Conv2d(aspp_channels, decoder_channels, 1, bias=False)

    def forward(self, x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        x = _upsample(self.bot_atten_aspp(self.atten_aspp(x)), size)
        return self.atten_aspp_final(x)


def _init_weights(module: nn.Module) -> None:
    for m in module.modules():
        if any(p.is_meta for p in m.parameters(recurse=False)):
            continue  # shape-only construction (device "meta"): nothing to initialise
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class DeepWV3Plus(WiderResNetTrunk):
    """DeepLabV3+ / WiderResNet38 segmenter with an optional RPL residual block.

    Args:
        num_classes: number of inlier classes (19 for Cityscapes).
        width: channel multiplier applied to the trunk and the decoder (1.0 = the official model).
        structure: blocks per trunk module (official: 3, 3, 6, 3, 1, 1).
        residual: build ``residual_block`` (RPL). Without it ``forward`` returns the plain logits twice.
    """

    def __init__(
        self,
        num_classes: int = 19,
        *,
        width: float = 1.0,
        structure: Sequence[int] = OFFICIAL_STRUCTURE,
        residual: bool = True,
    ) -> None:
        super().__init__(width=width, structure=structure)
        aspp_ch = scaled(ASPP_CHANNELS, width)
        fine_ch = scaled(FINE_CHANNELS, width)
        self.decoder_channels = aspp_ch + fine_ch
        self.num_classes = num_classes
        self.residual_block: ResidualAnomalyBlock | None = None
        if residual:
            self.residual_block = ResidualAnomalyBlock(self.out_channels, aspp_ch, self.decoder_channels)
        self.aspp = ASPP(self.out_channels, aspp_ch)
        self.bot_fine = nn.Conv2d(self.skip_channels, fine_ch, 1, bias=False)
        self.bot_aspp = nn.Conv2d(5 * aspp_ch, aspp_ch, 1, bias=False)
        self.final = nn.Sequential(
            nn.Conv2d(self.decoder_channels, aspp_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(aspp_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(aspp_ch, aspp_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(aspp_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(aspp_ch, num_classes, 1, bias=False),
        )
        _init_weights(self)

    def forward_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the decoder feature (N, decoder_channels, H/2, W/2) and the residual (or None)."""
        m2, x = WiderResNetTrunk.forward(self, images)
        residual = None
        if self.residual_block is not None:
            residual = self.residual_block(x, m2.shape[2:])
        up = _upsample(self.bot_aspp(self.aspp(x)), m2.shape[2:])
        return torch.cat([self.bot_fine(m2), up], dim=1), residual

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        """Return ``(frozen_logits, corrected_logits)``, both (N, num_classes, H, W) at input resolution."""
        dec0, residual = self.forward_features(images)
        size = images.shape[2:]
        plain = _upsample(self.final(dec0), size)
        if residual is None:
            return plain, plain
        return plain, _upsample(self.final(dec0 + residual), size)
