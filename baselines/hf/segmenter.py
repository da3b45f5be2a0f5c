"""Any ``transformers`` semantic-segmentation model as a zero-shot anomaly scorer.

Pixel-wise heads (whatever ``AutoModelForSemanticSegmentation`` loads: SegFormer, UperNet, DPT, BEiT, ...) give
logits ``y`` (N, C, h, w); they are resized to the output size (bilinear) and scored. Mask-classification heads
(Mask2Former, MaskFormer) give per-query class logits (N, Q, C + 1) and mask logits (N, Q, h, w); as in the official
mask-based anomaly code (Mask2Former's ``semantic_inference``, used by Mask2Anomaly), the mask logits are resized
to the output size first and the per-pixel class scores are ``y = softmax(cls)[..., :C]^T . sigmoid(masks)``; MSP is
then ``1 - max_c y_c`` (Eq. 3) and the other scores are applied to ``y`` (:func:`~baselines.mask2anomaly.inference.
maskwise_score`).

Images are normalised with the checkpoint's image processor (``image_mean`` / ``image_std``; ImageNet's when it
has none), run at their own size (or ``input_size``), zero-padded at the bottom / right to a multiple of 32; the
padding is cut off the outputs before they are resized.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from baselines.base import IMAGE_MEAN, IMAGE_STD, SCORE_NAMES
from comsamy.constants import NUM_INLIER_CLASSES
from comsamy.errors import ConfigError, UsageError

__all__ = ["MASK_MODEL_TYPES", "PAD_MULTIPLE", "HFSegmenter", "load_hf_segmenter"]

logger = logging.getLogger(__name__)

MASK_MODEL_TYPES = ("mask2former", "maskformer")
"""``model_type`` values scored with the mask-wise formulas."""
PAD_MULTIPLE = 32
_QUERY_CHUNK = 16  # queries resized at once (memory: chunk x H x W floats)


@dataclass(frozen=True)
class HFModelInfo:
    """What the manifest says about a ``transformers`` model."""

    source: str
    model_type: str
    architecture: str
    num_labels: int
    maskwise: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "model_type": self.model_type,
            "architecture": self.architecture,
            "num_labels": self.num_labels,
            "maskwise": self.maskwise,
        }


def _normalisation(source: str) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """(mean, std, rescale factor) of the checkpoint's image processor, ImageNet's without one."""
    try:
        from transformers import AutoImageProcessor

        proc = AutoImageProcessor.from_pretrained(source)
    except Exception as exc:
        logger.info("no image processor in %s (%s): ImageNet mean / std", source, type(exc).__name__)
        return IMAGE_MEAN, IMAGE_STD, 1.0 / 255.0
    mean = tuple(float(v) for v in getattr(proc, "image_mean", IMAGE_MEAN))
    std = tuple(float(v) for v in getattr(proc, "image_std", IMAGE_STD))
    if not getattr(proc, "do_normalize", True):
        mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    rescale = float(getattr(proc, "rescale_factor", 1.0 / 255.0)) if getattr(proc, "do_rescale", True) else 1.0
    return mean, std, rescale


class HFSegmenter:
    """A loaded ``transformers`` segmentation model that maps uint8 images to class scores and anomaly scores.

    Args:
        model: the ``transformers`` model (in eval mode, on its device and dtype).
        info: what it is (:class:`HFModelInfo`).
        mean, std, rescale: input normalisation ``(x * rescale - mean) / std``.
    """

    def __init__(
        self, model: Any, info: HFModelInfo, *, mean: tuple[float, ...], std: tuple[float, ...], rescale: float
    ) -> None:
        self.model = model
        self.info = info
        self.mean = mean
        self.std = std
        self.rescale = rescale

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N, H, W, 3) -> normalised (N, 3, H', W') in the model's dtype, padded to a multiple of 32."""
        if images.dim() != 4 or images.shape[-1] != 3:
            raise UsageError(f"expected uint8 images (N, H, W, 3), got shape {tuple(images.shape)}")
        x = images.to(self.device).permute(0, 3, 1, 2).float() * self.rescale
        mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
        x = (x - mean) / std
        h, w = x.shape[-2:]
        pad_h, pad_w = (-h) % PAD_MULTIPLE, (-w) % PAD_MULTIPLE
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return x.to(self.dtype)

    @torch.no_grad()
    def class_scores(self, images: torch.Tensor, out_size: tuple[int, int]) -> torch.Tensor:
        """Per-pixel class scores ``y`` (N, C, *out_size), float32: logits, or the mask-wise ``y`` of Eq. 3.

        Args:
            images: uint8 (N, H, W, 3), all of one size.
            out_size: (height, width) of the score maps (the label's size).
        """
        h, w = int(images.shape[1]), int(images.shape[2])
        x = self.preprocess(images)
        padded = (int(x.shape[-2]), int(x.shape[-1]))
        out = self.model(pixel_values=x)
        if not self.info.maskwise:
            logits = out.logits.float()
            return _resize_unpadded(logits, (h, w), padded, out_size)
        cls = out.class_queries_logits.float()
        masks = out.masks_queries_logits
        probs = torch.softmax(cls, dim=-1)[..., :-1]  # (N, Q, C): "no object" dropped after the softmax
        y = torch.zeros(cls.shape[0], probs.shape[-1], *out_size, device=cls.device)
        for start in range(0, masks.shape[1], _QUERY_CHUNK):
            chunk = _resize_unpadded(masks[:, start : start + _QUERY_CHUNK].float(), (h, w), padded, out_size)
            y += torch.einsum("nqc,nqhw->nchw", probs[:, start : start + _QUERY_CHUNK], torch.sigmoid(chunk))
        return y

    @torch.no_grad()
    def anomaly_scores(
        self, images: torch.Tensor, score: str, out_size: tuple[int, int], *, alpha: float = 1.0
    ) -> torch.Tensor:
        """(N, *out_size) float32 anomaly scores, higher = more anomalous (``score`` in SCORE_NAMES)."""
        from baselines.mask2anomaly.inference import maskwise_score
        from baselines.scores import score_by_name

        if score not in SCORE_NAMES:
            raise UsageError(f"expected score in {SCORE_NAMES}, got {score!r}")
        y = self.class_scores(images, out_size)
        if self.info.maskwise:
            return maskwise_score(y, score, alpha=alpha)
        return score_by_name(score, y, alpha=alpha)


def _resize_unpadded(
    t: torch.Tensor, size: tuple[int, int], padded: tuple[int, int], out_size: tuple[int, int]
) -> torch.Tensor:
    """Cut the padding off (N, K, h, w) outputs of a padded input, then resize them bilinearly to ``out_size``."""
    h, w = size
    ph, pw = padded
    th, tw = t.shape[-2:]
    keep_h, keep_w = max(1, round(th * h / ph)), max(1, round(tw * w / pw))
    if (th, tw) == (ph, pw):
        keep_h, keep_w = h, w
    t = t[..., :keep_h, :keep_w]
    if tuple(t.shape[-2:]) != tuple(out_size):
        t = F.interpolate(t, size=tuple(out_size), mode="bilinear", align_corners=False)
    return t


def _model_class(model_type: str) -> Any:
    import transformers

    if model_type == "mask2former":
        return transformers.Mask2FormerForUniversalSegmentation
    if model_type == "maskformer":
        return transformers.MaskFormerForInstanceSegmentation
    return transformers.AutoModelForSemanticSegmentation


def load_hf_segmenter(
    source: str, *, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> HFSegmenter:
    """Load a ``transformers`` segmentation checkpoint (Hub id or ``save_pretrained`` folder) for scoring.

    Raises:
        ConfigError: not a ``transformers`` checkpoint, or one without a semantic-segmentation head.
    """
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(source)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ConfigError(
            f"expected --model to be a transformers checkpoint (Hub id or folder), a save_pretrained "
            f"baseline folder or a .pt / .pth file, got {source!r} ({type(exc).__name__}: {first})"
        ) from exc
    cls = _model_class(config.model_type)
    try:
        model = cls.from_pretrained(source, dtype=dtype)
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"expected a transformers model with a semantic-segmentation head (SegFormer, UperNet, DPT, "
            f"BEiT, Mask2Former, MaskFormer, ...) in {source!r}, got model_type {config.model_type!r} "
            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from exc
    model = model.to(device=device, dtype=dtype).eval()
    num_labels = int(getattr(model.config, "num_labels", 0))
    if num_labels != NUM_INLIER_CLASSES:
        logger.warning(
            "%s predicts %d classes, not Cityscapes' %d: the scores use all of them",
            source,
            num_labels,
            NUM_INLIER_CLASSES,
        )
    info = HFModelInfo(
        source=str(source),
        model_type=str(config.model_type),
        architecture=type(model).__name__,
        num_labels=num_labels,
        maskwise=config.model_type in MASK_MODEL_TYPES,
    )
    mean, std, rescale = _normalisation(source)
    return HFSegmenter(model, info, mean=mean, std=std, rescale=rescale)
