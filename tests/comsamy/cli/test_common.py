"""The one CLI runner: every outcome of a command becomes an exit code and one paragraph, never a traceback."""

from __future__ import annotations

import argparse
import importlib

import pytest

from comsamy.cli.common import run_cli
from comsamy.errors import ArchiveError, DataNotAvailableError, MissingDependencyError, UsageError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="demo")
    p.add_argument("--n", type=int, default=1)
    return p


def _run_raising(exc: BaseException):
    def run(args: argparse.Namespace) -> int:
        raise exc

    return run


def test_help_and_usage_errors_never_raise_system_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("demo", _parser(), lambda a: 0, ["--help"]) == 0
    assert run_cli("demo", _parser(), lambda a: 0, ["--n", "abc"]) == 2
    assert "invalid int value: 'abc'" in capsys.readouterr().err


def test_return_value_is_the_exit_code() -> None:
    assert run_cli("demo", _parser(), lambda a: a.n, ["--n", "7"]) == 7
    assert run_cli("demo", _parser(), lambda a: None, []) == 0


@pytest.mark.parametrize(
    ("exc", "code", "text"),
    [
        (UsageError("--n: expected a positive integer, got -1"), 2, "demo: error: --n: expected a positive"),
        (ArchiveError("preds.zip: 2 problems", ["a.npy: NaN", "b.npy: missing"]), 3, "  - b.npy: missing"),
        (DataNotAvailableError("dataset 'x': not found"), 4, "dataset 'x'"),
        (ModuleNotFoundError("No module named 'torch'", name="torch"), 5, "pip install 'comsamy[baselines]'"),
        (ImportError("cannot import name 'List' from 'datasets'", name="datasets"), 5, "too old or broken"),
        (KeyboardInterrupt(), 130, "demo: interrupted"),
        (SystemExit(3), 3, ""),
        (RuntimeError("boom"), 1, "internal error: RuntimeError: boom"),
    ],
)
def test_each_outcome_maps_to_its_exit_code(
    exc: BaseException, code: int, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("demo", _parser(), _run_raising(exc), []) == code
    err = capsys.readouterr().err
    assert text in err
    assert "Traceback" not in err


def test_debug_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("demo", _parser(), _run_raising(RuntimeError("boom")), ["--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_an_import_error_of_our_own_code_is_an_internal_error(capsys: pytest.CaptureFixture[str]) -> None:
    exc = ImportError("cannot import name 'nope' from 'comsamy.metrics'", name="comsamy.metrics")
    assert run_cli("demo", _parser(), _run_raising(exc), []) == 1
    assert "internal error" in capsys.readouterr().err


def test_missing_dependency_names_the_extra() -> None:
    err = MissingDependencyError.from_import_error(ModuleNotFoundError("x", name="h5py.h5f"))
    assert err is not None and err.exit_code == 5
    assert str(err) == "expected the package 'h5py' to be installed; install it with: pip install 'comsamy[hdf5]'"


CONSOLE_SCRIPTS = [
    "comsamy.cli.eval",
    "comsamy.cli.data",
    "baselines.cli.train",
    "baselines.cli.infer",
    "baselines.synthesis.cli",
    "leaderboard.cli",
]


@pytest.mark.parametrize("module", CONSOLE_SCRIPTS)
def test_every_console_script_goes_through_the_runner(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    main = importlib.import_module(module).main
    assert main(["--help"]) == 0
    assert main(["--no-such-option-anywhere"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    source = importlib.import_module(module).__dict__
    assert source.get("run_cli") is run_cli, f"{module}.main must call comsamy.cli.common.run_cli"


def test_a_missing_package_while_loading_data_is_not_data_not_available(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import comsamy
    from comsamy.cli.eval import main

    def no_datasets(*args: object, **kwargs: object) -> None:
        raise ModuleNotFoundError("No module named 'datasets'", name="datasets")

    monkeypatch.setattr(comsamy, "load_dataset", no_datasets)
    assert main(["--preds", "sample", "--data", "some/folder"]) == 5
    err = capsys.readouterr().err
    assert "expected the package 'datasets' to be installed" in err and "data not available" not in err
