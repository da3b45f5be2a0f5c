"""Argument types shared by the command-line tools."""

from __future__ import annotations

import argparse


def size_argument(text: str) -> tuple[int, int]:
    """Parse ``WIDTHxHEIGHT`` (e.g. ``480x270``) into a positive ``(width, height)`` for argparse.

    >>> size_argument("480x270")
    (480, 270)
    """
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 480x270, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive WIDTHxHEIGHT, got {text!r}")
    return w, h
