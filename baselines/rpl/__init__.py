"""RPL (residual pattern learning) on DeepLabV3+ / WiderResNet38, with the plain energy or the EEL loss."""

from baselines.rpl.model import InlierSegmenter, RPLConfig, RPLSegmenter, SegmenterConfig

__all__ = ["InlierSegmenter", "RPLConfig", "RPLSegmenter", "SegmenterConfig"]
