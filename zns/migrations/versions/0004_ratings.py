"""Ratings recipients gave a campaign's ZNS (ZNS/GetRating), pulled by the reconcile flow.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("feedbacks_json", sa.JSON(), nullable=True),
        sa.Column("msg_id", sa.String(64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "phone", name="pk_ratings"),
    )


def downgrade() -> None:
    op.drop_table("ratings")
