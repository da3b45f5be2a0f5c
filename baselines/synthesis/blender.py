"""Harmonisation blender: colour/illumination matching, soft edges, a contact shadow, then Eq. 1.

Classical path (no weights): Reinhard colour transfer in Lab toward the object's surroundings (a, b channels),
brightness/contrast matching on L, a blur match so a sharp object does not stand out in a soft scene, feathered
alpha inside the mask (or Poisson cloning with ``cv2.seamlessClone``), and a soft shadow on the ground under the
object. Learned path: our DoveNet-style U-Net (:mod:`baselines.synthesis.unet_harmonizer`, weights given) harmonises the composite instead of the colour
transfer. The label marks exactly the object's (resized, binary) mask with the anomaly id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from baselines.synthesis.copy_paste import apply_label, check_anomaly_id, full_mask, resize_object
from baselines.synthesis.placement import Placement
from comsamy.constants import ANOMALY_TRAIN_ID
from comsamy.errors import ConfigError, UsageError

EDGE_MODES = ("feather", "poisson", "hard")


@dataclass(frozen=True)
class BlendConfig:
    """Harmonisation settings.

    Attributes:
        color_strength: 0..1, how far the object's a/b mean and spread move to the surroundings'.
        light_strength: 0..1, how far its L (brightness) mean and spread move to the surroundings'.
        std_ratio_clip: Bounds on the spread ratio, so a flat background does not erase the object's texture.
        edges: ``"feather"`` (alpha ramp inside the mask), ``"poisson"`` (seamless cloning) or ``"hard"``.
        feather_px: Width of the alpha ramp.
        match_blur: Blur the object down to the surroundings' sharpness.
        shadow_strength: Darkening of the ground under the object (0 disables the shadow).
        context: Surroundings = the box grown by this fraction of its size on each side, minus the object.
    """

    color_strength: float = 0.35
    light_strength: float = 0.6
    std_ratio_clip: tuple[float, float] = (0.75, 1.25)
    edges: str = "feather"
    feather_px: float = 2.0
    match_blur: bool = True
    shadow_strength: float = 0.35
    context: float = 0.75

    def __post_init__(self) -> None:
        if self.edges not in EDGE_MODES:
            raise ConfigError(f"expected edges in {EDGE_MODES}, got {self.edges!r}")
        for name in ("color_strength", "light_strength", "shadow_strength"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"expected {name} in [0, 1], got {v}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def _to_rgb(lab: np.ndarray) -> np.ndarray:
    import cv2

    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def lab_stats(rgb_pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per Lab channel of (N, 3) uint8 RGB pixels."""
    lab = _to_lab(rgb_pixels.reshape(-1, 1, 3)).reshape(-1, 3)
    return lab.mean(axis=0), lab.std(axis=0)


def reinhard_transfer(
    obj: np.ndarray,
    mask: np.ndarray,
    reference: np.ndarray,
    *,
    color_strength: float = 1.0,
    light_strength: float = 1.0,
    std_ratio_clip: tuple[float, float] = (0.0, np.inf),
) -> np.ndarray:
    """Reinhard et al. colour transfer in Lab, partial.

    Each Lab channel of the object's masked pixels is standardised and re-coloured with the reference's
    statistics: ``out = mu_r + (x - mu_o) * clip(sd_r / sd_o)``, then mixed with the original by the channel's
    strength (``light_strength`` for L, ``color_strength`` for a and b).

    Args:
        obj: (h, w, 3) uint8 RGB; only ``mask`` pixels are used and changed.
        mask: (h, w) bool.
        reference: (N, 3) uint8 RGB pixels of the surroundings.
    """
    if not mask.any() or len(reference) == 0:
        return obj.copy()
    lab = _to_lab(obj)
    px = lab[mask]
    mu_o, sd_o = px.mean(axis=0), px.std(axis=0)
    mu_r, sd_r = lab_stats(reference)
    ratio = np.clip(sd_r / np.maximum(sd_o, 1e-3), *std_ratio_clip)
    moved = mu_r + (px - mu_o) * ratio
    strength = np.array([light_strength, color_strength, color_strength], np.float32)
    lab[mask] = px + strength * (moved - px)
    out = obj.copy()
    out[mask] = _to_rgb(lab)[mask]
    return out


def _sharpness(gray: np.ndarray, mask: np.ndarray) -> float:
    import cv2

    lap = cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F)
    return float(lap[mask].std()) if mask.any() else 0.0


def feather_alpha(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """Alpha in (0, 1] inside ``mask`` ramping up over ``feather_px`` from the boundary, 0 outside."""
    import cv2

    if feather_px <= 0:
        return mask.astype(np.float32)
    dist = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    return np.clip(dist / (feather_px + 1.0), 0.0, 1.0).astype(np.float32) * mask


@dataclass(frozen=True, eq=False)
class BlendResult:
    """A composed sample: image (H, W, 3) uint8, label (H, W) uint8, mask (H, W) bool, and what was done."""

    image: np.ndarray
    label: np.ndarray
    mask: np.ndarray
    info: dict[str, Any]


class HarmonizationBlender:
    """Blend an object into an inlier image at a placement (classical, or the U-Net harmonizer when given)."""

    def __init__(
        self, config: BlendConfig | None = None, *, harmonizer_net: Any = None, harmonizer_size: int = 256
    ) -> None:
        self.config = config or BlendConfig()
        self.harmonizer_net = harmonizer_net
        self.harmonizer_size = harmonizer_size

    def _surroundings(self, image: np.ndarray, full: np.ndarray, placement: Placement) -> np.ndarray:
        h, w = full.shape
        x0, y0, x1, y1 = placement.box
        gx, gy = int(self.config.context * placement.width), int(self.config.context * placement.height)
        ys, ye, xs, xe = max(0, y0 - gy), min(h, y1 + gy), max(0, x0 - gx), min(w, x1 + gx)
        region = ~full[ys:ye, xs:xe]
        return image[ys:ye, xs:xe][region]

    def _shadow(self, image: np.ndarray, m: np.ndarray, placement: Placement) -> np.ndarray:
        """Darken a soft ellipse of ground centred under the object's base (a contact shadow)."""
        import cv2

        h, w = image.shape[:2]
        rows = np.nonzero(m.any(axis=1))[0]
        cols = np.nonzero(m[rows[-1]])[0]
        cx, cy = placement.x0 + (cols[0] + cols[-1]) / 2.0, placement.y0 + rows[-1]
        ax, ay = max(1.5, 0.45 * m.shape[1]), max(1.0, 0.06 * m.shape[0])
        xs, xe = max(0, int(cx - 3 * ax)), min(w, int(cx + 3 * ax) + 1)
        ys, ye = max(0, int(cy - 3 * ay)), min(h, int(cy + 3 * ay) + 1)
        yy, xx = np.mgrid[ys:ye, xs:xe].astype(np.float32)
        g = np.exp(-(((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2))
        g = cv2.GaussianBlur(g, (0, 0), sigmaX=1.0)
        g[g < 0.05] = 0.0
        out = image.copy()
        win = out[ys:ye, xs:xe].astype(np.float32) * (1.0 - self.config.shadow_strength * g)[..., None]
        out[ys:ye, xs:xe] = np.clip(win + 0.5, 0, 255).astype(np.uint8)
        return out

    def _harmonize_net(self, comp: np.ndarray, full: np.ndarray, placement: Placement) -> np.ndarray:
        import cv2
        import torch

        h, w = full.shape
        x0, y0, x1, y1 = placement.box
        pad = max(placement.width, placement.height) // 2
        ys, ye, xs, xe = max(0, y0 - pad), min(h, y1 + pad), max(0, x0 - pad), min(w, x1 + pad)
        crop, cm = comp[ys:ye, xs:xe], full[ys:ye, xs:xe]
        s = self.harmonizer_size
        x = cv2.resize(crop, (s, s), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1.0
        mk = cv2.resize(cm.astype(np.float32), (s, s), interpolation=cv2.INTER_LINEAR)
        dev = next(self.harmonizer_net.parameters()).device
        inp = torch.from_numpy(np.concatenate([x, mk[..., None]], axis=2)).permute(2, 0, 1)[None].to(dev)
        with torch.inference_mode():
            y = self.harmonizer_net(inp)[0].permute(1, 2, 0).float().cpu().numpy()
        y = cv2.resize(
            ((y + 1.0) * 127.5).clip(0, 255).astype(np.uint8), (xe - xs, ye - ys), interpolation=cv2.INTER_LINEAR
        )
        out = comp.copy()
        out[ys:ye, xs:xe][cm] = y[cm]
        return out

    def blend(
        self,
        image: np.ndarray,
        label: np.ndarray,
        obj_image: np.ndarray,
        obj_mask: np.ndarray,
        placement: Placement,
        *,
        anomaly_id: int = ANOMALY_TRAIN_ID,
    ) -> BlendResult:
        """Harmonise and paste one object.

        Image pixels change only inside the object mask and, with a shadow, on the ground below it; the label
        changes exactly on the mask (to ``anomaly_id``).
        """
        import cv2

        cfg = self.config
        if image.shape[:2] != label.shape or image.ndim != 3:
            raise UsageError(f"expected an (H, W, 3) image and an (H, W) label, got {image.shape} and {label.shape}")
        check_anomaly_id(anomaly_id)
        obj, m = resize_object(obj_image, obj_mask, placement.width, placement.height)
        full = full_mask(label.shape, m, placement)
        x0, y0, x1, y1 = placement.box
        ref = self._surroundings(image, full, placement)
        info: dict[str, Any] = {
            "harmonizer": "unet" if self.harmonizer_net is not None else "reinhard",
            "edges": cfg.edges,
        }
        if cfg.match_blur and m.sum() >= 16 and len(ref):
            ring = ~full[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4]
            g_bg = cv2.cvtColor(image[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4], cv2.COLOR_RGB2GRAY)
            s_bg, s_obj = _sharpness(g_bg, ring), _sharpness(cv2.cvtColor(obj, cv2.COLOR_RGB2GRAY), m)
            if s_bg > 0 and s_obj > 1.5 * s_bg:
                # never blur away a small object: at most 4 % of its smaller side, and 1 px
                cap = min(1.0, 0.04 * min(m.shape))
                sigma = float(np.clip(0.5 * np.log2(s_obj / s_bg), 0.0, cap))
                obj = cv2.GaussianBlur(obj, (0, 0), sigmaX=sigma)
                info["blur_sigma"] = round(sigma, 3)
        if self.harmonizer_net is None:
            obj = reinhard_transfer(
                obj,
                m,
                ref,
                color_strength=cfg.color_strength,
                light_strength=cfg.light_strength,
                std_ratio_clip=cfg.std_ratio_clip,
            )
        base = self._shadow(image, m, placement) if cfg.shadow_strength > 0 else image
        out = base.copy()
        region = out[y0:y1, x0:x1]
        if cfg.edges == "poisson" and m.sum() >= 9:
            out = self._poisson(base, obj, m, full, placement)
        else:
            alpha = feather_alpha(m, cfg.feather_px if cfg.edges == "feather" else 0.0)[..., None]
            region[:] = np.clip(alpha * obj + (1 - alpha) * region.astype(np.float32) + 0.5, 0, 255).astype(np.uint8)
        if self.harmonizer_net is not None:
            out = self._harmonize_net(out, full, placement)
        return BlendResult(image=out, label=apply_label(label, full, anomaly_id), mask=full, info=info)

    @staticmethod
    def _poisson(
        base: np.ndarray, obj: np.ndarray, m: np.ndarray, full: np.ndarray, placement: Placement
    ) -> np.ndarray:
        import cv2

        pad = 2
        x0, y0, x1, y1 = placement.box
        dst = cv2.copyMakeBorder(base, pad, pad, pad, pad, cv2.BORDER_REFLECT)
        src = dst.copy()
        src[y0 + pad : y1 + pad, x0 + pad : x1 + pad][m] = obj[m]
        mk = np.zeros(dst.shape[:2], np.uint8)
        mk[y0 + pad : y1 + pad, x0 + pad : x1 + pad][m] = 255
        # the guidance field's fixed boundary sits 1 px outside the object, so its own edge pixels blend too
        mk = cv2.dilate(mk, np.ones((3, 3), np.uint8))
        bx, by, bw, bh = cv2.boundingRect(mk)
        # seamlessClone places the mask's bounding box centred on `center` (integer division)
        center = (bx + bw // 2, by + bh // 2)
        try:
            cloned = cv2.seamlessClone(src, dst, mk, center, cv2.NORMAL_CLONE)[pad:-pad, pad:-pad]
        except cv2.error:
            cloned = src[pad:-pad, pad:-pad]
        out = base.copy()
        out[full] = cloned[full]
        return out
