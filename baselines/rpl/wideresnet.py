"""WiderResNet38-A2 trunk (pre-activation identity blocks, output stride 8) with the official module names.

Parameter names follow the released DeepLabV3+ / WiderResNet38 Cityscapes checkpoints used by RPL:
``mod1.conv1``, ``mod{2..7}.block{k}.bn1.0`` (BatchNorm inside a BN+ReLU pair), ``...convs.conv1``,
``...convs.bn2.0``, ``...convs.conv2`` (``bn3.0`` / ``conv3`` in the bottleneck blocks of ``mod6`` / ``mod7``),
``...proj_conv``; ``pool2`` / ``pool3`` are max-pools. ``width`` scales every channel count (1.0 = official),
``structure`` sets the number of blocks per module (official: 3, 3, 6, 3, 1, 1).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["OFFICIAL_CHANNELS", "OFFICIAL_STRUCTURE", "IdentityResidualBlock", "WiderResNetTrunk", "scaled"]

OFFICIAL_STRUCTURE = (3, 3, 6, 3, 1, 1)
OFFICIAL_CHANNELS: tuple[tuple[int, ...], ...] = (
    (128, 128),
    (256, 256),
    (512, 512),
    (512, 1024),
    (512, 1024, 2048),
    (1024, 2048, 4096),
)
STEM_CHANNELS = 64


def scaled(channels: int, width: float) -> int:
    """``channels * width`` rounded, at least 1."""
    return max(1, round(channels * width))


def bn_relu(channels: int) -> nn.Sequential:
    """BatchNorm followed by ReLU (index 0 holds the BatchNorm parameters, as in the checkpoints)."""
    return nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))


class IdentityResidualBlock(nn.Module):
    """Pre-activation residual block: two 3x3 convs, or 1x1-3x3-1x1 when ``channels`` has three entries."""

    def __init__(
        self,
        in_channels: int,
        channels: Sequence[int],
        *,
        stride: int = 1,
        dilation: int = 1,
        dropout: float | None = None,
    ) -> None:
        super().__init__()
        if len(channels) not in (2, 3):
            raise ValueError(f"expected 2 or 3 channel counts, got {tuple(channels)}")
        self.bn1 = bn_relu(in_channels)
        layers: list[tuple[str, nn.Module]]
        if len(channels) == 2:
            layers = [
                ("conv1", nn.Conv2d(in_channels, channels[0], 3, stride, dilation, dilation, bias=False)),
                ("bn2", bn_relu(channels[0])),
                ("conv2", nn.Conv2d(channels[0], channels[1], 3, 1, dilation, dilation, bias=False)),
            ]
        else:
            layers = [
                ("conv1", nn.Conv2d(in_channels, channels[0], 1, stride, 0, bias=False)),
                ("bn2", bn_relu(channels[0])),
                ("conv2", nn.Conv2d(channels[0], channels[1], 3, 1, dilation, dilation, bias=False)),
                ("bn3", bn_relu(channels[1])),
                ("conv3", nn.Conv2d(channels[1], channels[2], 1, 1, 0, bias=False)),
            ]
        if dropout is not None:
            layers.insert(len(layers) - 1, ("dropout", nn.Dropout2d(dropout)))
        self.convs = nn.Sequential(OrderedDict(layers))
        self.proj_conv: nn.Conv2d | None = None
        if stride != 1 or in_channels != channels[-1]:
            self.proj_conv = nn.Conv2d(in_channels, channels[-1], 1, stride, 0, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.bn1(x)
        shortcut = self.proj_conv(pre) if self.proj_conv is not None else x
        return self.convs(pre) + shortcut


class WiderResNetTrunk(nn.Module):
    """The dilated WiderResNet38-A2 trunk. ``forward`` returns ``(m2, out)``: the stride-2 feature after
    ``mod2`` (decoder skip, ``scaled(128)`` channels) and the stride-8 last feature (``scaled(4096)``)."""

    mod1: nn.Sequential
    mod2: nn.Sequential
    mod3: nn.Sequential
    mod4: nn.Sequential
    mod5: nn.Sequential
    mod6: nn.Sequential
    mod7: nn.Sequential
    pool2: nn.MaxPool2d
    pool3: nn.MaxPool2d

    def __init__(self, *, width: float = 1.0, structure: Sequence[int] = OFFICIAL_STRUCTURE) -> None:
        super().__init__()
        if len(structure) != 6 or any(int(n) < 1 for n in structure):
            raise ValueError(f"expected six positive block counts, got {tuple(structure)}")
        self.width = width
        stem = scaled(STEM_CHANNELS, width)
        self.mod1 = nn.Sequential(OrderedDict([("conv1", nn.Conv2d(3, stem, 3, 1, 1, bias=False))]))
        in_ch = stem
        for mod_id, num in enumerate(structure):
            chans = tuple(scaled(c, width) for c in OFFICIAL_CHANNELS[mod_id])
            dilation = 1 if mod_id < 3 else (2 if mod_id == 3 else 4)
            dropout = {4: 0.3, 5: 0.5}.get(mod_id)
            blocks = []
            for block_id in range(int(num)):
                stride = 2 if (block_id == 0 and mod_id == 2) else 1
                blocks.append(
                    (
                        f"block{block_id + 1}",
                        IdentityResidualBlock(in_ch, chans, stride=stride, dilation=dilation, dropout=dropout),
                    )
                )
                in_ch = chans[-1]
            if mod_id < 2:
                self.add_module(f"pool{mod_id + 2}", nn.MaxPool2d(3, stride=2, padding=1))
            self.add_module(f"mod{mod_id + 2}", nn.Sequential(OrderedDict(blocks)))
        self.skip_channels = scaled(OFFICIAL_CHANNELS[0][-1], width)
        self.out_channels = in_ch

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.mod1(x)
        m2 = self.mod2(self.pool2(x))
        x = self.mod3(self.pool3(m2))
        x = self.mod7(self.mod6(self.mod5(self.mod4(x))))
        return m2, x
