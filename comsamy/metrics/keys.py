"""Monotone integer keys for scores: the order of the keys is the order of the scores.

* float16: the 65,536 bit patterns are mapped by a fixed permutation to keys ``0 .. 65535`` so that a larger key
  means a larger score (positives: set the sign bit; negatives: flip every bit); ``-0`` and ``+0`` share one key.
* integer scores (uint8 / uint16 maps): the key is the value itself.
* float32 (opt-in exact mode): the same construction on 32-bit patterns.

The hot path never transforms pixels: it counts raw bit patterns and maps only the used ones to keys.
"""

from __future__ import annotations

import numpy as np

FLOAT16_MAX = 65504.0
"""Largest finite float16 value; float scores beyond ±this are an error (rescale them), never clipped."""

_SIGN16 = 0x8000
_NEG_ZERO_KEY16 = 0x7FFF  # key of the -0 bit pattern (0x8000); folded into +0
_POS_ZERO_KEY16 = 0x8000  # key of the +0 bit pattern (0x0000)


def float16_bits_to_keys(bits: np.ndarray) -> np.ndarray:
    """Map float16 bit patterns (uint16) to monotone uint16 keys, ``-0`` folded into ``+0``.

    Args:
        bits: uint16 array of raw float16 bit patterns, any shape.

    Returns:
        uint16 array of the same shape: ``key(a) < key(b)`` iff ``a < b`` for finite non-NaN values.

    >>> float16_bits_to_keys(np.array([0.5, -0.0, 0.0, -2.0], np.float16).view(np.uint16)).tolist()
    [47104, 32768, 32768, 16383]
    """
    bits = np.asarray(bits, dtype=np.uint16)
    mask = (bits.view(np.int16) >> 15).view(np.uint16)  # 0xFFFF for negatives, 0 for positives
    mask |= _SIGN16
    mask ^= bits
    mask[mask == _NEG_ZERO_KEY16] = _POS_ZERO_KEY16
    return mask


def float16_keys_to_values(keys: np.ndarray) -> np.ndarray:
    """Inverse of :func:`float16_bits_to_keys`: the float16 score of each key, as float64."""
    keys = np.asarray(keys, dtype=np.uint16)
    mask = np.where(keys < _SIGN16, np.uint16(0xFFFF), np.uint16(_SIGN16)).astype(np.uint16)
    return (keys ^ mask).view(np.float16).astype(np.float64)


def float32_to_keys(values: np.ndarray) -> np.ndarray:
    """Map float32 values to monotone uint32 keys, ``-0`` folded into ``+0`` (same shape)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    mask = (bits.view(np.int32) >> 31).view(np.uint32)
    mask |= np.uint32(0x80000000)
    mask ^= bits
    mask[mask == 0x7FFFFFFF] = 0x80000000
    return mask


def float32_keys_to_values(keys: np.ndarray) -> np.ndarray:
    """Inverse of :func:`float32_to_keys`: the float32 score of each key (float64)."""
    keys = np.asarray(keys, dtype=np.uint32)
    neg = keys < 0x80000000
    bits = np.where(neg, ~keys, keys ^ np.uint32(0x80000000)).astype(np.uint32)
    return bits.view(np.float32).astype(np.float64)


def keys_to_values(keys: np.ndarray, kind: str) -> np.ndarray:
    """The score value (float64) of each key of a histogram of the given kind."""
    if kind == "float16":
        return float16_keys_to_values(keys)
    if kind == "float32":
        return float32_keys_to_values(keys)
    return np.asarray(keys, dtype=np.float64)
