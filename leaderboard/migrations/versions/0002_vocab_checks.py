"""Status / visibility / failure-kind CHECK constraints, the uploaded file's name, the published view of each
result, and no leaky curves.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Curves stored by 0001-era workers were sampled at the submitter's own thresholds (a label oracle); they are
dropped here, and the worker now stores curves at the scorer's fixed levels only.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from leaderboard.publish import public_results
from leaderboard.store.models import SUBMISSION_CHECKS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("archive_name", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("failure_kind", sa.String(16), nullable=True))
        for name, sql in SUBMISSION_CHECKS.items():
            batch.create_check_constraint(name, sql)
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("public_json", sa.Text(), nullable=True))
    op.execute("UPDATE results SET curves_json = '{}'")
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, results_json FROM results")).all()
    for row_id, results_json in rows:
        public = json.dumps(public_results(json.loads(results_json), min_images=1))
        conn.execute(sa.text("UPDATE results SET public_json = :p WHERE id = :i"), {"p": public, "i": row_id})


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        for name in SUBMISSION_CHECKS:
            batch.drop_constraint(name, type_="check")
        batch.drop_column("failure_kind")
        batch.drop_column("archive_name")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("public_json")
