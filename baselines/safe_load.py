"""Read ``.pth`` / ``.pt`` files without running their pickles: ``torch.load(weights_only=True)`` plus numpy scalars.

Released checkpoints often keep numbers beside the weights that training code took from numpy, e.g. NVIDIA's
DeepLabV3+ / WiderResNet38 Cityscapes checkpoint that RPL starts from (``{"state_dict", "optimizer", "epoch",
"mean_iu": numpy.float64, "command"}``). ``torch.load(weights_only=True)`` refuses those, and plain ``pickle`` would
run whatever the file asks. :func:`load_torch_file` allows exactly three more names, each through a checking
wrapper: ``numpy.dtype`` for numeric dtypes only, the numeric ``numpy.dtypes.*DType`` classes (so that the dtype's
byte-order state can be set), and ``numpy(._)core.multiarray.scalar`` for a numeric dtype and its raw bytes. Any
other global (``os.system``, ``builtins.eval``, object dtypes, ...) is refused with a :class:`ConfigError` naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from comsamy.errors import ConfigError

__all__ = ["ALLOWED_NUMPY_DTYPES", "UnsafeFileError", "load_torch_file"]

ALLOWED_NUMPY_DTYPES = ("b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8")
"""numpy dtype codes a numpy scalar in a checkpoint may have (booleans, integers, floats)."""


class UnsafeFileError(ConfigError):
    """A file that asks the unpickler for code (a global outside the allow-list): refused, nothing run."""


def _numeric_dtype(code: Any, align: Any = False, copy: Any = True) -> Any:
    import numpy as np

    if not isinstance(code, str) or code.lstrip("<>=|") not in ALLOWED_NUMPY_DTYPES:
        raise ConfigError(f"expected a numeric numpy dtype code in {ALLOWED_NUMPY_DTYPES}, got {code!r}")
    return np.dtype(code, bool(align), bool(copy))


def _canonical_dtype(dtype: Any) -> Any:
    """A fresh numeric dtype equal to ``dtype``; raises ConfigError for anything a pickle's BUILD grafted onto it.

    numpy's ``dtype.__setstate__`` accepts a subarray, fields, metadata or flags on a plain ``float64`` while its
    ``str`` still reads ``"<f8"``: such a dtype views memory beyond the bytes given (a read out of bounds).
    """
    import numpy as np

    if not isinstance(dtype, np.dtype) or dtype.str.lstrip("<>=|") not in ALLOWED_NUMPY_DTYPES:
        raise ConfigError(f"expected a numpy scalar of a numeric dtype, got dtype {dtype!r}")
    canonical = np.dtype(dtype.str)
    grafted = [
        what
        for what, bad in (
            ("a subarray", dtype.subdtype is not None),
            ("fields", dtype.fields is not None or dtype.names is not None),
            ("metadata", dtype.metadata is not None),
            ("object flags", dtype.hasobject or dtype.flags != canonical.flags),
            ("another item size", dtype.itemsize != canonical.itemsize),
        )
        if bad
    ]
    if grafted:
        raise ConfigError(
            f"expected a plain numeric numpy dtype {dtype.str}, got one whose pickled state adds "
            f"{' and '.join(grafted)}"
        )
    return canonical


def _numeric_scalar(dtype: Any, data: Any = None) -> Any:
    import numpy as np

    canonical = _canonical_dtype(dtype)
    if not isinstance(data, bytes) or len(data) != canonical.itemsize:
        raise ConfigError(
            f"expected {canonical.itemsize} bytes for a numpy {canonical} scalar, got {type(data).__name__}"
        )
    return np.frombuffer(data, dtype=canonical)[0]


def _check_loaded_dtypes(obj: Any) -> None:
    """Every numpy dtype left in a loaded object must be plain (see :func:`_canonical_dtype`); walks containers."""
    import numpy as np

    stack, seen = [obj], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.dtype):
            _canonical_dtype(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)


def _safe_globals() -> list[Any]:
    import numpy as np

    dtype_classes = sorted({type(np.dtype(code)) for code in ALLOWED_NUMPY_DTYPES}, key=lambda c: c.__name__)
    return [
        (_numeric_dtype, "numpy.dtype"),
        (_numeric_scalar, "numpy.core.multiarray.scalar"),  # files written with numpy 1.x
        (_numeric_scalar, "numpy._core.multiarray.scalar"),  # numpy 2.x
        *dtype_classes,
    ]


_GLOBAL = re.compile(
    r"(?:Unsupported global: GLOBAL|unsupported GLOBAL|Trying to call reduce for|Unsupported class) ([\w.]+)"
)


def load_torch_file(path: str | Path, *, what: str = "checkpoint") -> Any:
    """``torch.load(path, weights_only=True)`` with numeric numpy scalars allowed; tensors land on the CPU.

    Args:
        path: a ``torch.save`` file (zip or legacy format).
        what: what the file should be, for messages (``"checkpoint"``, ``"weights file"``).

    Raises:
        ConfigError: no such file, or not a torch file.
        UnsafeFileError: the file's pickle references a global outside the allow-list (the global is named;
            nothing of the file is executed).
    """
    import pickle
    import warnings

    import torch

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"expected a {what} file at {str(p)!r}, got no such file")
    try:
        with torch.serialization.safe_globals(_safe_globals()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Detected pickle protocol")  # refused below if unreadable
            loaded = torch.load(p, map_location="cpu", weights_only=True)
        _check_loaded_dtypes(loaded)
        return loaded
    except (
        pickle.UnpicklingError,
        ConfigError,
        RuntimeError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
    ) as exc:
        text = str(exc)
        found = _GLOBAL.search(text)
        if found:
            raise UnsafeFileError(
                f"expected a {what} of tensors, numbers and strings in {str(p)!r}, got a pickle that asks for "
                f"{found.group(1)}: refused without running it (only tensors, plain values and numeric numpy scalars "
                "are read; if you trust the file, re-save its weights elsewhere with "
                "torch.save(torch.load(f, weights_only=False)['state_dict'], 'weights.pth'))"
            ) from None
        if isinstance(exc, ConfigError):
            raise UnsafeFileError(f"expected a {what} of tensors and plain values in {str(p)!r}, got {exc}") from None
        if "Weights only load failed" in text:
            op = re.search(r"Unsupported operand (\d+)", text)
            detail = f" (unsupported pickle operand {op.group(1)})" if op else ""
            raise UnsafeFileError(
                f"expected a torch.save {what} in {str(p)!r}, got an unreadable file{detail}: "
                "refused without running it"
            ) from None
        raise ConfigError(f"expected a torch {what} in {str(p)!r}, got an unreadable file ({text[:300]})") from exc
