"""Operator settings of the leaderboard, passed from the CLI to the app and worker through env vars."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comsamy.errors import ConfigError

ENV_PREFIX = "COMSAMY_LB_"
DEFAULT_STORAGE = Path("~/.cache/comsamy/leaderboard").expanduser()


@dataclass(frozen=True)
class Settings:
    """Everything the app and the worker need to know, in one frozen record.

    Attributes:
        db: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``); empty means
            ``sqlite:///<storage>/leaderboard.db``.
        data: ground truth, as :func:`comsamy.load_dataset` takes it (a name or a folder).
        storage: folder of the content-addressed archives (and of the default SQLite file).
        max_upload_mb: upload cap, enforced by the form and by ``server.maxUploadSize``.
        quota: successful scorings a team may have in ``quota_window_h`` hours.
        quota_window_h: length of the rolling quota window, in hours.
        lease_s: how long a claimed job stays leased without a heartbeat.
        max_attempts: claims of one job before it is failed for good.
        config / split: the benchmark config and split the archives are scored against.
    """

    db: str = ""
    data: str = "comsamy"
    storage: str = str(DEFAULT_STORAGE)
    max_upload_mb: int = 200
    quota: int = 5
    quota_window_h: float = 24.0
    lease_s: float = 60.0
    max_attempts: int = 3
    config: str = "all"
    split: str = "test"

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
        return dataclasses.asdict(self)

    def to_env(self) -> dict[str, str]:
        """Env vars that :meth:`from_env` reads back to an equal :class:`Settings`."""
        return {ENV_PREFIX + k.upper(): str(v) for k, v in self.to_dict().items()}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``COMSAMY_LB_*`` env vars, then apply non-None ``overrides``.

        Raises:
            ConfigError: a value that does not convert to the field's type.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is not None:
                values[field.name] = _convert(field.name, raw, type(getattr(cls, field.name)))
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`ConfigError` for a value out of range."""
        for name in ("max_upload_mb", "quota", "max_attempts"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected an integer >= 1, got {getattr(self, name)!r}")
        for name in ("quota_window_h", "lease_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}: expected a number > 0, got {getattr(self, name)!r}")


def _convert(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}: expected {kind.__name__}, got {raw!r}"
        ) from None
