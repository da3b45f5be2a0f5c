"""Operator settings of the leaderboard: one typed, frozen record (pydantic), passed to the app and the worker
through ``COMSAMY_LB_*`` env vars.

A bad value, from the CLI, the environment or Python, is a :class:`~comsamy.errors.ConfigError` of one line that
names the key and says what was expected (``COMSAMY_LB_QUOTA: expected an integer >= 1, got 'abc'``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from comsamy.errors import ConfigError

__all__ = ["DEFAULT_STORAGE", "ENV_PREFIX", "Settings"]

ENV_PREFIX = "COMSAMY_LB_"
DEFAULT_STORAGE = Path("~/.cache/comsamy/leaderboard").expanduser()
_EXPECTED = {
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
}


class Settings(BaseModel):
    """Everything the app and the worker need to know.

    Attributes:
        db: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``); empty means
            ``sqlite:///<storage>/leaderboard.db``.
        data: ground truth, as :func:`comsamy.load_dataset` takes it (a name or a folder).
        storage: folder of the content-addressed archives (and of the default SQLite file).
        max_upload_mb: upload cap, enforced by the form and by ``server.maxUploadSize``.
        quota: successful scorings a team may have in ``quota_window_h`` hours.
        failure_quota: failed scorings (the archive's fault or over budget) a team may have in the same window;
            failing archives are not free probes.
        quota_window_h: length of the rolling quota window, in hours.
        lease_s: how long a claimed job stays leased without a heartbeat.
        max_attempts: claims of one job before it is failed for good.
        config / split: the benchmark config and split the archives are scored against.
        min_condition_images: conditions with fewer images are never published.
        score_memory_mb: address space a scoring child process may add (``RLIMIT_AS``); 0 for no limit.
        score_timeout_s: wall-clock budget of one scoring.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    db: str = ""
    data: str = "comsamy"
    storage: str = str(DEFAULT_STORAGE)
    max_upload_mb: int = Field(200, ge=1)
    quota: int = Field(5, ge=1)
    failure_quota: int = Field(10, ge=1)
    quota_window_h: float = Field(24.0, gt=0)
    lease_s: float = Field(60.0, gt=0)
    max_attempts: int = Field(3, ge=1)
    config: str = "all"
    split: str = "test"
    min_condition_images: int = Field(5, ge=1)
    score_memory_mb: int = Field(4096, ge=0)
    score_timeout_s: float = Field(900.0, gt=0)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _config_error(exc, values) from None

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the storage folder."""
        if self.db:
            return self.db
        return f"sqlite:///{Path(self.storage) / 'leaderboard.db'}"

    @property
    def max_upload_bytes(self) -> int:
        """The upload cap in bytes."""
        return self.max_upload_mb * 1024 * 1024

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view of every field."""
        return self.model_dump()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and validated)."""
        return Settings(**{**self.to_dict(), **changes})

    def to_env(self) -> dict[str, str]:
        """Env vars that :meth:`from_env` reads back to an equal :class:`Settings`."""
        return {ENV_PREFIX + k.upper(): str(v) for k, v in self.to_dict().items()}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``COMSAMY_LB_*`` env vars, then apply non-None ``overrides``.

        Raises:
            ConfigError: a value that does not convert or is out of range (one line naming the key).
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = raw
        env_keys = set(values)
        values.update({k: v for k, v in overrides.items() if v is not None})
        env_keys -= {k for k, v in overrides.items() if v is not None}
        try:
            return cls(**values)
        except ConfigError as exc:
            key = str(exc).split(":", 1)[0]
            if key in env_keys:
                raise ConfigError(f"{ENV_PREFIX}{key.upper()}{str(exc)[len(key) :]}") from None
            raise


def _config_error(exc: ValidationError, values: Mapping[str, Any]) -> ConfigError:
    """One line for the first problem: ``key: expected ..., got ...``."""
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "settings"
    ctx = err.get("ctx") or {}
    if err["type"] == "extra_forbidden":
        return ConfigError(f"{key}: expected one of {', '.join(Settings.model_fields)}, got an unknown setting")
    if "ge" in ctx:
        expected = f"a number >= {ctx['ge']}"
    elif "gt" in ctx:
        expected = f"a number > {ctx['gt']}"
    else:
        expected = _EXPECTED.get(err["type"], err["msg"].lower())
    if err["type"].startswith("int") or (
        key in Settings.model_fields and Settings.model_fields[key].annotation in (int, "int")
    ):
        expected = expected.replace("a number", "an integer")
    return ConfigError(f"{key}: expected {expected}, got {values.get(key, err.get('input'))!r}")
