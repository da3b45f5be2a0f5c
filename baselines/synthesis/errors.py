"""Errors of the synthesizer (subclasses of the ComsAmy tree, so the CLI maps them to exit codes)."""

from __future__ import annotations

from comsamy.errors import ComsamyError


class SynthesisError(ComsamyError):
    """A sample could not be synthesized (exit code 1)."""


class PlacementError(SynthesisError):
    """No valid placement exists in an inlier image (e.g. it has no drivable pixel)."""


class ExtractionError(SynthesisError):
    """No object could be extracted from an image (empty mask)."""


__all__ = ["ExtractionError", "PlacementError", "SynthesisError"]
