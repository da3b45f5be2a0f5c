"""Alembic migrations of the leaderboard store, shipped as package data and run from code."""
