"""A U²-Net salient-object network (nested residual U-blocks), defined here so that user weights load.

The module and parameter names follow the published architecture (``stage1`` ... ``stage6``, ``stage5d`` ...
``stage1d``, ``side1`` ... ``side6``, ``outconv``; inside a block ``rebnconvin``, ``rebnconv1`` ...,
``rebnconv1d`` with ``conv_s1`` / ``bn_s1``), so the released full (``"u2net"``) and lite (``"u2netp"``)
checkpoints load with :func:`load_u2net`. ``"tiny"`` is for tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from comsamy.errors import ConfigError

M = TypeVar("M", bound=nn.Module)

# (in, mid, out) per stage: stage1..stage6 then stage5d..stage1d
PRESETS: dict[str, list[tuple[int, int, int]]] = {
    "u2net": [
        (3, 32, 64),
        (64, 32, 128),
        (128, 64, 256),
        (256, 128, 512),
        (512, 256, 512),
        (512, 256, 512),
        (1024, 256, 512),
        (1024, 128, 256),
        (512, 64, 128),
        (256, 32, 64),
        (128, 16, 64),
    ],
    "u2netp": [(3, 16, 64)] + [(64, 16, 64)] * 5 + [(128, 16, 64)] * 5,
    "tiny": [(3, 4, 8)] + [(8, 4, 8)] * 5 + [(16, 4, 8)] * 5,
}
_HEIGHTS = (7, 6, 5, 4, 4, 4, 4, 4, 5, 6, 7)  # RSU height per stage; stages 5, 6 and 5d are the dilated RSU-4F


class REBNCONV(nn.Module):
    """3x3 convolution (dilated), batch norm, ReLU."""

    def __init__(self, cin: int, cout: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv_s1 = nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation)
        self.bn_s1 = nn.BatchNorm2d(cout)
        self.relu_s1 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu_s1(self.bn_s1(self.conv_s1(x)))


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=False)


class RSU(nn.Module):
    """Residual U-block of height ``h``: a small U-Net whose output is added to its input projection.

    With ``dilated=True`` (RSU-4F) the block keeps its resolution and grows the dilation instead of pooling.
    """

    def __init__(self, height: int, cin: int, mid: int, cout: int, *, dilated: bool = False) -> None:
        super().__init__()
        self.height, self.dilated = height, dilated
        self.rebnconvin = REBNCONV(cin, cout)
        for i in range(1, height + 1):
            d = 2 ** (i - 1) if dilated else (2 if i == height else 1)
            setattr(self, f"rebnconv{i}", REBNCONV(cout if i == 1 else mid, mid, d))
        for i in range(height - 1, 0, -1):
            d = 2 ** (i - 1) if dilated else 1
            setattr(self, f"rebnconv{i}d", REBNCONV(2 * mid, cout if i == 1 else mid, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hxin = self.rebnconvin(x)
        feats = []
        h = hxin
        for i in range(1, self.height + 1):
            if i > 1 and not self.dilated and i < self.height:
                h = F.max_pool2d(h, 2, stride=2, ceil_mode=True)
            h = getattr(self, f"rebnconv{i}")(h)
            feats.append(h)
        d = feats[-1]
        for i in range(self.height - 1, 0, -1):
            skip = feats[i - 1]
            if not self.dilated and d.shape[2:] != skip.shape[2:]:
                d = _up(d, skip)
            d = getattr(self, f"rebnconv{i}d")(torch.cat([d, skip], dim=1))
        return d + hxin


class U2Net(nn.Module):
    """Two-level nested U-structure; ``forward`` returns (N, 1, H, W) saliency probabilities."""

    stage1: RSU
    stage2: RSU
    stage3: RSU
    stage4: RSU
    stage5: RSU
    stage6: RSU
    stage5d: RSU
    stage4d: RSU
    stage3d: RSU
    stage2d: RSU
    stage1d: RSU
    side1: nn.Conv2d

    def __init__(self, preset: str = "u2netp", out_ch: int = 1) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise ConfigError(f"expected a U2-Net preset in {sorted(PRESETS)}, got {preset!r}")
        self.preset = preset
        names = [
            "stage1",
            "stage2",
            "stage3",
            "stage4",
            "stage5",
            "stage6",
            "stage5d",
            "stage4d",
            "stage3d",
            "stage2d",
            "stage1d",
        ]
        for name, (cin, mid, cout), h in zip(names, PRESETS[preset], _HEIGHTS, strict=True):
            setattr(self, name, RSU(h, cin, mid, cout, dilated=name in ("stage5", "stage6", "stage5d")))
        side_in = [PRESETS[preset][i][2] for i in (10, 9, 8, 7, 6, 5)]  # stage1d, 2d, 3d, 4d, 5d, 6
        for i, c in enumerate(side_in, start=1):
            setattr(self, f"side{i}", nn.Conv2d(c, out_ch, 3, padding=1))
        self.outconv = nn.Conv2d(6 * out_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def pool(t):
            return F.max_pool2d(t, 2, stride=2, ceil_mode=True)

        hx1 = self.stage1(x)
        hx2 = self.stage2(pool(hx1))
        hx3 = self.stage3(pool(hx2))
        hx4 = self.stage4(pool(hx3))
        hx5 = self.stage5(pool(hx4))
        hx6 = self.stage6(pool(hx5))
        hx5d = self.stage5d(torch.cat([_up(hx6, hx5), hx5], 1))
        hx4d = self.stage4d(torch.cat([_up(hx5d, hx4), hx4], 1))
        hx3d = self.stage3d(torch.cat([_up(hx4d, hx3), hx3], 1))
        hx2d = self.stage2d(torch.cat([_up(hx3d, hx2), hx2], 1))
        hx1d = self.stage1d(torch.cat([_up(hx2d, hx1), hx1], 1))
        sides = [self.side1(hx1d)] + [
            _up(getattr(self, f"side{i}")(t), hx1d)
            for i, t in zip(range(2, 7), (hx2d, hx3d, hx4d, hx5d, hx6), strict=True)
        ]
        return torch.sigmoid(self.outconv(torch.cat(sides, 1)))


def load_state_dict_file(path: str | Path, *, what: str) -> dict[str, Any]:
    """Read a ``.pth``/``.pt`` (through :func:`baselines.safe_load.load_torch_file`) or ``.safetensors`` state dict,
    with a clear error."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{what} weights {p}: expected an existing state-dict file, got no such file")
    if p.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return dict(load_file(str(p)))
        except Exception as exc:
            raise ConfigError(
                f"{what} weights {p}: expected a safetensors file, got an unreadable file ({exc})"
            ) from exc
    from baselines.safe_load import load_torch_file

    state = load_torch_file(p, what=f"{what} weights file")
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ConfigError(f"{what} weights {p}: expected a dict of tensors, got {type(state).__name__}")
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_u2net(path: str | Path, *, preset: str | None = None, device: str = "cpu") -> U2Net:
    """Build a :class:`U2Net` and load weights; ``preset`` is inferred from the state dict when omitted."""
    state = load_state_dict_file(path, what="U2-Net")
    if preset is None:
        w = state.get("stage1.rebnconvin.conv_s1.weight")
        mid = state.get("stage1.rebnconv1.conv_s1.weight")
        if w is None or mid is None:
            raise ConfigError(
                f"U2-Net weights {path}: expected keys like 'stage1.rebnconvin.conv_s1.weight', "
                f"got {sorted(state)[:3]}..."
            )
        shape = (int(w.shape[1]), int(mid.shape[0]), int(w.shape[0]))
        preset = next((k for k, v in PRESETS.items() if v[0] == shape), None)
        if preset is None:
            raise ConfigError(
                f"U2-Net weights {path}: expected stage1 (in, mid, out) in "
                f"{ {k: v[0] for k, v in PRESETS.items()} }, got {shape}"
            )
    return load_strict(U2Net(preset), state, f"U2-Net weights {path}: expected a {preset!r} state dict").to(device)


def load_strict(model: M, state: dict[str, Any], expected: str) -> M:
    """``model.load_state_dict(state, strict=True)`` in eval mode; a mismatch is a ConfigError starting ``expected``."""
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ConfigError(f"{expected}, got mismatched keys or shapes ({str(exc).splitlines()[0]})") from exc
    return model.eval()
