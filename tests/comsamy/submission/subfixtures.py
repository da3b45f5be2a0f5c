"""Loads the shared builders of tests/comsamy/evaluation/evalfixtures.py (test folders are not packages)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_evalfixtures() -> ModuleType:
    """The ``evalfixtures`` module, imported once by file path."""
    if "evalfixtures" in sys.modules:
        return sys.modules["evalfixtures"]
    path = Path(__file__).resolve().parents[1] / "evaluation" / "evalfixtures.py"
    spec = importlib.util.spec_from_file_location("evalfixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["evalfixtures"] = module
    spec.loader.exec_module(module)
    return module
