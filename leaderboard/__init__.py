"""ComsAmy leaderboard: a Streamlit app, a scoring worker and a SQLAlchemy store.

Nothing is imported eagerly: ``import leaderboard`` needs neither streamlit nor SQLAlchemy.
The parts:

- :mod:`leaderboard.settings`: the operator's settings (database URL, data, storage, limits).
- :mod:`leaderboard.store`: models, engine / migrations, repository and queue functions.
- :mod:`leaderboard.submit`: the one submission function the form (and the load script) calls.
- :mod:`leaderboard.worker`: the scoring worker (claim, lease, heartbeat, score, write).
- :mod:`leaderboard.scoring`: the single adapter around :func:`comsamy.evaluation.evaluate_archive`.
- :mod:`leaderboard.app`: the Streamlit entry point; pages live in :mod:`leaderboard.pages`.
"""

from __future__ import annotations

__all__: list[str] = []
