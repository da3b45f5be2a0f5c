"""ComsAmy leaderboard: a Streamlit app, a scoring worker and a SQLAlchemy store.

Nothing is imported eagerly: ``import leaderboard`` needs neither streamlit nor SQLAlchemy.
The parts:

- :mod:`leaderboard.settings`: the operator's settings (typed, pydantic; database URL, data, storage, limits).
- :mod:`leaderboard.vocab`: job status, visibility and failure kind as ``StrEnum`` (the database checks them).
- :mod:`leaderboard.store`: models, engine / migrations, repository and queue functions.
- :mod:`leaderboard.submit`: the one submission function the form (and the load script) calls.
- :mod:`leaderboard.owner`: a team withdrawing its submissions or changing their visibility.
- :mod:`leaderboard.worker`: the scoring worker (claim, lease, heartbeat, score, write).
- :mod:`leaderboard.scoring`: the single adapter around :func:`comsamy.evaluation.evaluate_archive`;
  :mod:`leaderboard.budget` runs it in a child process with a memory and time budget.
- :mod:`leaderboard.publish`: what may be shown about a submission (the label-oracle rules);
  :mod:`leaderboard.safetext`: user text, links and CSV cells made safe.
- :mod:`leaderboard.app`: the Streamlit entry point; pages live in :mod:`leaderboard.views`.
"""

from __future__ import annotations

__all__: list[str] = []
