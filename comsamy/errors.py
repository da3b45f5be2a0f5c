"""The one exception tree of ComsAmy, with every warning class beside it.

Every error raised on purpose is a :class:`ComsamyError`; messages follow "expected X, got Y" and name the file,
member, field or argument at fault. The CLIs (one runner, :func:`comsamy.cli.common.run_cli`) turn each class into
its exit code and print ``exc.report()``::

    Exception
    └── ComsamyError                        exit 1   base of every deliberate error
        ├── UsageError (ValueError)          exit 2   a bad argument or option
        │   ├── leaderboard.tokens.TokenError           an invalid, unknown or revoked team token
        │   ├── leaderboard.storage.UploadTooLargeError  an upload over the configured cap
        │   ├── leaderboard.storage.NotAZipError         an empty or non-zip upload
        │   ├── leaderboard.storage.CorruptedArchiveError a stored archive whose SHA-256 no longer matches
        │   └── leaderboard.quotas.QuotaExceededError    a team over its scoring / failure quota
        ├── ConfigError (ValueError)         exit 2   a bad training / synthesis / leaderboard setting
        │   └── baselines.safe_load.UnsafeFileError      a checkpoint that asks for more than plain tensors
        ├── MetricInputError (ValueError)    exit 3   a score or label map that cannot be scored
        ├── ArchiveError                     exit 3   a prediction archive failed validation (.problems: all)
        ├── DataValidationError              exit 3   a raw release or dataset folder is invalid (.problems: all)
        ├── DataNotAvailableError            exit 4   the dataset cannot be found; the message says how to get it
        ├── MissingDependencyError (ImportError) exit 5 an optional package is missing or too old: one pip line
        ├── baselines.synthesis.errors.SynthesisError   the anomaly synthesizer could not do its job
        │   ├── PlacementError                           no drivable ground to place an object on
        │   └── ExtractionError                          no salient object in a generated image
        └── leaderboard.budget.BudgetExceededError exit 3 a scoring job over its memory or time budget

    UserWarning
    └── ComsamyWarning                       printed by the CLIs as ``prog: warning: ...``
        ├── UndefinedMetricWarning                    a condition without anomaly or inlier pixels: NaN, never 0
        └── ArchiveNote                               accepted but worth a word (ignored README, squeezed axes, ...)

Ctrl-C is exit 130 in every command; any other exception is an internal error (exit 1, traceback with --debug).
"""

from __future__ import annotations

from collections.abc import Sequence


class ComsamyError(Exception):
    """Base class of every deliberate ComsAmy error."""

    exit_code: int = 1

    def report(self) -> str:
        """What a CLI prints for this error: the message (subclasses that carry problems add one line each)."""
        return str(self)


class UsageError(ComsamyError, ValueError):
    """A bad argument or option (exit code 2)."""

    exit_code = 2


class MetricInputError(ComsamyError, ValueError):
    """A score or label map that cannot be scored (bad values, shape mismatch, NaN)."""

    exit_code = 3


class _ReportsProblems(ComsamyError):
    """An error that carries every finding of a validation pass, so that all are reported at once."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems)

    def report(self) -> str:
        """The full human-readable report: the message, then one line per problem."""
        return "\n".join([str(self), *(f"  - {p}" for p in self.problems)])


class ArchiveError(_ReportsProblems):
    """A prediction archive failed validation; ``problems`` lists every finding (exit code 3)."""

    exit_code = 3


class DataNotAvailableError(ComsamyError):
    """The dataset cannot be found locally or reached on the Hub; the message says how to get it (exit 4)."""

    exit_code = 4


class DataValidationError(_ReportsProblems):
    """A raw release or dataset folder is invalid; ``problems`` names every bad file (nothing was written)."""

    exit_code = 3


class ConfigError(ComsamyError, ValueError):
    """A bad training / synthesis / leaderboard configuration value."""

    exit_code = 2


#: Top-level import name of an optional package → the extra that provides it (for the ``pip install`` hint).
EXTRA_OF_MODULE: dict[str, str] = {
    "torch": "baselines",
    "transformers": "baselines",
    "diffusers": "baselines",
    "safetensors": "baselines",
    "cv2": "baselines",
    "h5py": "hdf5",
    "scipy": "components",
    "matplotlib": "plots",
    "streamlit": "leaderboard",
    "sqlalchemy": "leaderboard",
    "alembic": "leaderboard",
    "pandas": "leaderboard",
    "altair": "leaderboard",
    "psycopg": "postgres",
}


class MissingDependencyError(ComsamyError, ImportError):
    """An optional package (an extra) is missing or too old; the message is the one ``pip install`` line (exit 5)."""

    exit_code = 5

    def __init__(self, package: str, extra: str | None = None, *, detail: str = "") -> None:
        self.package = package
        self.extra = extra
        hint = f"pip install 'comsamy[{extra}]'" if extra else f"pip install --upgrade {package}"
        tail = f" ({detail})" if detail else ""
        super().__init__(f"expected the package {package!r} to be installed{tail}; install it with: {hint}")

    @classmethod
    def from_import_error(cls, exc: ImportError) -> MissingDependencyError | None:
        """The error for an ``ImportError`` of a third-party package, or None when ComsAmy's own code failed.

        >>> MissingDependencyError.from_import_error(ModuleNotFoundError("no", name="h5py")).extra
        'hdf5'
        """
        if isinstance(exc, MissingDependencyError):
            return exc
        name = (getattr(exc, "name", None) or "").split(".")[0]
        if not name or name in ("comsamy", "baselines", "leaderboard"):
            return None
        detail = "" if isinstance(exc, ModuleNotFoundError) else f"it is too old or broken: {exc}"
        return cls(name, EXTRA_OF_MODULE.get(name), detail=detail)


class ComsamyWarning(UserWarning):
    """Base class of every ComsAmy warning (the CLIs print each caught one as ``prog: warning: ...``)."""


class UndefinedMetricWarning(ComsamyWarning):
    """A condition has no anomaly or no inlier pixel: its metrics are NaN (never 0, 1 or -1)."""


class ArchiveNote(ComsamyWarning):
    """Something in a prediction archive that was accepted but deserves a word: an ignored README, squeezed
    singleton axes, extra ids outside the evaluated subset, confidence-like names without a declared polarity."""


__all__ = [
    "EXTRA_OF_MODULE",
    "ArchiveError",
    "ArchiveNote",
    "ComsamyError",
    "ComsamyWarning",
    "ConfigError",
    "DataNotAvailableError",
    "DataValidationError",
    "MetricInputError",
    "MissingDependencyError",
    "UndefinedMetricWarning",
    "UsageError",
]
