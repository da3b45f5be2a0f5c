"""Our U-Net harmonisation network, in the style of DoveNet's generator: (composite RGB, mask) -> harmonised RGB.

This is not DoveNet (Cong et al., CVPR 2020) and the official DoveNet checkpoint does not load into it: it is a
pix2pix-like U-Net of ``depth`` levels with ``base`` channels, DoveNet's generator without its attention and
domain-verification parts, for weights you train yourself. :func:`load_unet_harmonizer` builds it with the
width / depth inferred from the state dict and loads the weights. The output replaces the composite only under the
object mask.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from comsamy.errors import ConfigError

__all__ = ["UNetHarmonizer", "load_unet_harmonizer"]


class UNetHarmonizer(nn.Module):
    """U-Net harmoniser. Input (N, 4, S, S): RGB in [-1, 1] and the mask in {0, 1}; output (N, 3, S, S) in [-1, 1]."""

    def __init__(self, base: int = 64, depth: int = 5) -> None:
        super().__init__()
        if depth < 1 or base < 1:
            raise ConfigError(f"expected base >= 1 and depth >= 1, got base={base}, depth={depth}")
        self.base, self.depth = base, depth
        chans = [min(base * 2**i, base * 8) for i in range(depth)]
        self.down = nn.ModuleList()
        cin = 4
        for i, c in enumerate(chans):
            layers: list[nn.Module] = [nn.Conv2d(cin, c, 4, stride=2, padding=1)]
            if i > 0:
                layers.append(nn.InstanceNorm2d(c, affine=True))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            self.down.append(nn.Sequential(*layers))
            cin = c
        self.up = nn.ModuleList()
        for i in range(depth - 1, -1, -1):
            cin_up = chans[i] if i == depth - 1 else chans[i] * 2
            cout = chans[i - 1] if i > 0 else base
            self.up.append(
                nn.Sequential(
                    nn.ConvTranspose2d(cin_up, cout, 4, stride=2, padding=1),
                    nn.InstanceNorm2d(cout, affine=True),
                    nn.ReLU(inplace=True),
                )
            )
        self.head = nn.Conv2d(base, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        h = x
        for d in self.down:
            h = d(h)
            skips.append(h)
        for i, u in enumerate(self.up):
            if i > 0:
                h = torch.cat([h, skips[self.depth - 1 - i]], dim=1)
            h = u(h)
        return torch.tanh(self.head(h))


def load_unet_harmonizer(path: str | Path, *, device: str = "cpu") -> UNetHarmonizer:
    """Build a :class:`UNetHarmonizer` sized from the state dict at ``path`` and load it."""
    from baselines.synthesis.u2net import load_state_dict_file, load_strict

    state = load_state_dict_file(path, what="U-Net harmonizer")
    w = state.get("down.0.0.weight")
    if w is None or w.ndim != 4 or w.shape[1] != 4:
        raise ConfigError(
            f"U-Net harmonizer weights {path}: expected 'down.0.0.weight' of shape (base, 4, 4, 4), "
            f"got {None if w is None else tuple(w.shape)}"
        )
    depth = len({k.split(".")[1] for k in state if k.startswith("down.")})
    model = UNetHarmonizer(base=int(w.shape[0]), depth=depth)
    return load_strict(model, state, f"U-Net harmonizer weights {path}: expected a UNetHarmonizer state dict").to(
        device
    )
