from __future__ import annotations

import pytest

from leaderboard.settings import Settings
from leaderboard.store import make_engine, migrate
from leaderboard.tokens import create_token


@pytest.fixture
def settings(tmp_path):
    return Settings(
        storage=str(tmp_path / "storage"), quota=3, quota_window_h=1.0, lease_s=30.0, max_attempts=2, max_upload_mb=1
    )


@pytest.fixture
def engine(settings):
    eng = make_engine(settings.db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def token(engine):
    return create_token(engine, "team-a")
