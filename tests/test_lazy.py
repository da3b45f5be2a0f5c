"""The lazy-import mechanism (comsamy.lazy): static tools see what run time resolves, and nothing heavy loads early."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

LAZY_PACKAGES = ["comsamy", "baselines.synthesis", "baselines.mask2anomaly"]


def _type_checking_names(package: str) -> set[str]:
    """Names imported under ``if TYPE_CHECKING:`` in the package's ``__init__.py``."""
    path = Path(importlib.import_module(package).__file__ or "")
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in stmt.names)
    return names


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_static_imports_match_the_lazy_names(package: str) -> None:
    module = importlib.import_module(package)
    static = _type_checking_names(package)
    assert static, f"{package}: expected TYPE_CHECKING imports for its lazy names"
    assert static <= set(module.__all__), f"{package}: {sorted(static - set(module.__all__))} not in __all__"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name} does not resolve"
    assert set(module.__all__) <= set(dir(module)), f"{package}: dir() misses {set(module.__all__) - set(dir(module))}"
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018


def test_import_comsamy_loads_nothing_heavy() -> None:
    code = (
        "import sys, comsamy, comsamy.metrics, comsamy.submission, comsamy.errors;"
        "heavy = [m for m in ('torch', 'datasets', 'streamlit', 'matplotlib', 'pandas', 'h5py') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import comsamy loaded {out}"
