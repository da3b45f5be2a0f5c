"""Team tokens: issued once, stored as a salted and peppered SHA-256 digest, checked in constant time.

A token reads ``clb_<id>_<secret>``: the id finds the row, the secret is never stored. The optional
pepper (env ``COMSAMY_LB_PEPPER``) lives outside the database, so a stolen database alone cannot be
used to test guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from comsamy.errors import UsageError
from leaderboard.store.models import Team, Token

ENV_PEPPER = "COMSAMY_LB_PEPPER"
TOKEN_RE = re.compile(r"^clb_([1-9]\d{0,17})_([A-Za-z0-9_-]{20,200})$")
"""``clb_<id>_<secret>``: the id fits a 64-bit column (a huge id is malformed, never a database error)."""
MAX_TOKEN_CHARS = 256
TEAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")


class TokenError(UsageError):
    """A token that is malformed, unknown or revoked (the message never says which, to the user)."""


@dataclass(frozen=True)
class TeamIdentity:
    """Who a valid token belongs to."""

    team_id: int
    team: str
    token_id: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return {"team_id": self.team_id, "team": self.team, "token_id": self.token_id}


def digest(secret: str, salt: str, pepper: str | None = None) -> str:
    """Hex SHA-256 of ``pepper + salt + secret``."""
    pepper = os.environ.get(ENV_PEPPER, "") if pepper is None else pepper
    return hashlib.sha256(f"{pepper}\x00{salt}\x00{secret}".encode()).hexdigest()


def check_team_name(name: str) -> str:
    """Return ``name`` stripped if it is a valid team name, else raise :class:`UsageError`."""
    name = name.strip()
    if not TEAM_RE.match(name):
        raise UsageError(
            f"team: expected 1-100 letters, digits, spaces, '.', '_' or '-' starting with a letter or digit, "
            f"got {name!r}"
        )
    return name


def create_token(engine: Engine, team: str) -> str:
    """Create ``team`` if needed and issue a new token for it; return the token (shown once, never stored)."""
    team = check_team_name(team)
    secret = secrets.token_urlsafe(24)
    salt = secrets.token_hex(16)
    now = time.time()
    with Session(engine) as session, session.begin():
        row = session.scalar(select(Team).where(Team.name == team))
        if row is None:
            row = Team(name=team, created_at=now)
            session.add(row)
            session.flush()
        token = Token(team_id=row.id, salt=salt, digest=digest(secret, salt), created_at=now)
        session.add(token)
        session.flush()
        return f"clb_{token.id}_{secret}"


def verify_token(engine: Engine, token: str) -> TeamIdentity:
    """Return the team of a valid, unrevoked token.

    Raises:
        TokenError: the token is malformed, unknown or revoked (one message for all three).
    """
    bad = TokenError(
        "token: expected a valid team token (clb_<n>_<secret>) issued by the operator, got an invalid or revoked token"
    )
    text = token.strip() if isinstance(token, str) else ""
    match = TOKEN_RE.match(text) if len(text) <= MAX_TOKEN_CHARS else None
    if match is None:
        raise bad
    token_id, secret = int(match.group(1)), match.group(2)
    with Session(engine) as session:
        row = session.get(Token, token_id)
        if row is None:
            digest(secret, "missing")  # same work either way
            raise bad
        ok = hmac.compare_digest(row.digest, digest(secret, row.salt))
        if not ok or row.revoked_at is not None:
            raise bad
        team = session.get(Team, row.team_id)
        assert team is not None  # foreign key
        return TeamIdentity(team_id=team.id, team=team.name, token_id=row.id)


def revoke(engine: Engine, token_or_team: str) -> int:
    """Revoke one token (given the token) or every token of a team (given its name); return how many.

    Raises:
        UsageError: neither a valid token nor a known team.
    """
    now = time.time()
    text = token_or_team.strip()
    if TOKEN_RE.match(text):
        ident = verify_token(engine, text)
        where = Token.id == ident.token_id
    else:
        with Session(engine) as session:
            team = session.scalar(select(Team).where(Team.name == text))
        if team is None:
            raise UsageError(f"revoke: expected a token or the name of a known team, got {text!r}")
        where = Token.team_id == team.id
    with Session(engine) as session, session.begin():
        res = session.execute(update(Token).where(where, Token.revoked_at.is_(None)).values(revoked_at=now))
        return int(res.rowcount or 0)  # type: ignore[attr-defined]
