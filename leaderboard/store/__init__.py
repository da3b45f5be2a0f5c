"""The leaderboard's store: models, engine and migrations, repository and queue functions."""

from __future__ import annotations

from leaderboard.store.db import make_engine, migrate
from leaderboard.store.models import Base, Result, Submission, Team, Token, Worker

__all__ = ["Base", "Result", "Submission", "Team", "Token", "Worker", "make_engine", "migrate"]
