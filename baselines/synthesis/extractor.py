"""Salient object extractor: U²-Net when weights are given, else a prior map refined by OpenCV GrabCut.

The prior is the generator's cross-attention map of the object token; for images without one (objects from
a folder) a colour-contrast saliency map is used. The result is cleaned (largest component, holes filled) and
cropped tightly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.synthesis.errors import ExtractionError
from comsamy.errors import UsageError


@dataclass(frozen=True, eq=False)
class ExtractedObject:
    """A cut-out object.

    Attributes:
        image: (h, w, 3) uint8 RGB tight crop.
        mask: (h, w) bool, True on the object.
        box: (x0, y0, x1, y1) of the crop in the source image (x1, y1 exclusive).
        method: ``"u2net"``, ``"attention+grabcut"`` or ``"saliency+grabcut"`` (``+threshold`` when GrabCut
            gave nothing usable and the thresholded prior was kept).
    """

    image: np.ndarray
    mask: np.ndarray
    box: tuple[int, int, int, int]
    method: str

    @property
    def area_fraction(self) -> float:
        """Object pixels over the source image's pixels is not known here; this is over the crop."""
        return float(self.mask.mean())

    def to_dict(self) -> dict[str, Any]:
        return {"box": list(self.box), "method": self.method, "mask_pixels": int(self.mask.sum())}


def clean_mask(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected component and fill its holes. (H, W) bool -> (H, W) bool."""
    import cv2

    m = np.ascontiguousarray(mask.astype(np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return np.zeros(mask.shape, bool)
    keep = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    obj = lab == keep
    # holes = background components not connected to the border
    inv = (~obj).astype(np.uint8)
    _n2, lab2 = cv2.connectedComponents(inv, connectivity=4)
    border = set(np.unique(np.concatenate([lab2[0], lab2[-1], lab2[:, 0], lab2[:, -1]]))) - {0}
    holes = (lab2 > 0) & ~np.isin(lab2, list(border))
    return obj | holes


def tight_crop(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """Crop image and mask to the mask's bounding box."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        raise ExtractionError("expected a non-empty object mask to crop, got an empty mask")
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    return image[y0:y1, x0:x1].copy(), mask[y0:y1, x0:x1].copy(), (x0, y0, x1, y1)


def saliency_map(image: np.ndarray) -> np.ndarray:
    """Colour-contrast saliency: Lab distance to the image border's colour, with a mild centre prior.

    Args:
        image: (H, W, 3) uint8 RGB.

    Returns:
        (H, W) float32 in [0, 1].
    """
    import cv2

    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    b = max(1, min(h, w) // 16)
    border = np.concatenate(
        [lab[:b].reshape(-1, 3), lab[-b:].reshape(-1, 3), lab[:, :b].reshape(-1, 3), lab[:, -b:].reshape(-1, 3)]
    )
    dist = np.linalg.norm(lab - np.median(border, axis=0), axis=2)
    yy, xx = np.mgrid[0:h, 0:w]
    centre = np.exp(-(((yy - h / 2) / (0.6 * h)) ** 2 + ((xx - w / 2) / (0.6 * w)) ** 2))
    sal = cv2.GaussianBlur(dist * centre, (0, 0), sigmaX=max(1.0, min(h, w) / 64))
    sal -= sal.min()
    return (sal / max(float(sal.max()), 1e-6)).astype(np.float32)


def _otsu_threshold(prior: np.ndarray) -> float:
    import cv2

    u8 = np.clip(prior * 255.0, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t) / 255.0


def grabcut_refine(
    image: np.ndarray, prior: np.ndarray, *, threshold: float | None = None, iterations: int = 3, seed: int = 0
) -> np.ndarray:
    """Refine a soft prior into a binary mask with GrabCut.

    Pixels with ``prior >= threshold`` start as probable foreground (``GC_PR_FGD``), the rest as probable
    background (``GC_PR_BGD``); the top decile of the prior is sure foreground and a thin image border sure
    background. ``threshold`` defaults to Otsu's on the prior.
    """
    import cv2

    if prior.shape != image.shape[:2]:
        raise UsageError(f"expected a prior map of shape {image.shape[:2]}, got {prior.shape}")
    t = _otsu_threshold(prior) if threshold is None else threshold
    init = np.where(prior >= t, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    hi = prior >= max(t, float(np.quantile(prior, 0.97)))
    init[hi & (prior > 0)] = cv2.GC_FGD
    b = max(1, min(image.shape[:2]) // 64)
    init[:b], init[-b:], init[:, :b], init[:, -b:] = cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD
    if not (init == cv2.GC_PR_FGD).any() and not (init == cv2.GC_FGD).any():
        return np.zeros(prior.shape, bool)
    cv2.setRNGSeed(seed)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(
            np.ascontiguousarray(image[..., ::-1]), init, (0, 0, 1, 1), bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK
        )
    except cv2.error:
        return prior >= t
    return (init == cv2.GC_FGD) | (init == cv2.GC_PR_FGD)


class SalientExtractor:
    """Cut the salient object out of an image.

    Args:
        u2net: A loaded :class:`~baselines.synthesis.u2net.U2Net`, or None for the GrabCut path.
        u2net_size: Side the image is resized to for U²-Net.
        threshold: Binarisation threshold of U²-Net's output (and of the prior when given; default Otsu).
        grabcut_iterations: GrabCut iterations.
        min_fraction / max_fraction: Accepted object area as a fraction of the image; outside it
            :class:`ExtractionError` is raised (GrabCut first falls back to the thresholded prior).
    """

    def __init__(
        self,
        u2net: Any = None,
        *,
        u2net_size: int = 320,
        threshold: float | None = None,
        grabcut_iterations: int = 3,
        min_fraction: float = 0.002,
        max_fraction: float = 0.9,
    ) -> None:
        self.u2net = u2net
        self.u2net_size = u2net_size
        self.threshold = threshold
        self.grabcut_iterations = grabcut_iterations
        self.min_fraction, self.max_fraction = min_fraction, max_fraction

    @classmethod
    def from_weights(cls, u2net_path: str | Path | None, *, device: str = "cpu", **kwargs: Any) -> SalientExtractor:
        """U²-Net from a state-dict file when a path is given, else the classical extractor."""
        if u2net_path is None:
            return cls(None, **kwargs)
        from baselines.synthesis.u2net import load_u2net

        return cls(load_u2net(u2net_path, device=device), **kwargs)

    def _u2net_map(self, image: np.ndarray) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        from baselines.base import IMAGE_MEAN, IMAGE_STD

        dev = next(self.u2net.parameters()).device
        x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255.0).to(dev)
        x = F.interpolate(x, size=(self.u2net_size, self.u2net_size), mode="bilinear", align_corners=False)
        x = (x - torch.tensor(IMAGE_MEAN, device=dev)[:, None, None]) / torch.tensor(IMAGE_STD, device=dev)[
            :, None, None
        ]
        with torch.inference_mode():
            y = self.u2net(x)
        y = F.interpolate(y, size=image.shape[:2], mode="bilinear", align_corners=False)[0, 0]
        y = (y - y.min()) / (y.max() - y.min()).clamp_min(1e-8)
        return y.cpu().numpy()

    def extract(self, image: np.ndarray, attention: np.ndarray | None = None, *, seed: int = 0) -> ExtractedObject:
        """Extract the object from ``image`` ((H, W, 3) uint8 RGB); ``attention`` is an optional (H, W) prior."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise UsageError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
        area = image.shape[0] * image.shape[1]

        def ok(m):
            return self.min_fraction * area <= m.sum() <= self.max_fraction * area

        if self.u2net is not None:
            prob = self._u2net_map(image)
            mask = clean_mask(prob >= (0.5 if self.threshold is None else self.threshold))
            method = "u2net"
        else:
            name = "attention" if attention is not None else "saliency"
            prior = attention.astype(np.float32) if attention is not None else saliency_map(image)
            if prior.shape != image.shape[:2]:
                raise UsageError(f"expected an attention map of shape {image.shape[:2]}, got {prior.shape}")
            mask = clean_mask(
                grabcut_refine(image, prior, threshold=self.threshold, iterations=self.grabcut_iterations, seed=seed)
            )
            method = f"{name}+grabcut"
            if not ok(mask):
                t = _otsu_threshold(prior) if self.threshold is None else self.threshold
                mask = clean_mask(prior >= t)
                method += "+threshold"
        if not ok(mask):
            raise ExtractionError(
                f"expected an object covering {self.min_fraction:.1%}..{self.max_fraction:.0%} "
                f"of the image, got {mask.sum() / area:.1%} ({method})"
            )
        crop, cmask, box = tight_crop(image, mask)
        return ExtractedObject(image=crop, mask=cmask, box=box, method=method)
