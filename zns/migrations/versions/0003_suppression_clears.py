"""Refusal suppression: when an operator cleared a phone's ZNS suppression for an OA.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Suppressions themselves are derived from the messages (ZNS failed with a refusal code for a
campaign of the OA); a clear only records the moment, so refusals after it suppress again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suppression_clears",
        sa.Column("oa_id", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("oa_id", "phone", name="pk_suppression_clears"),
    )


def downgrade() -> None:
    op.drop_table("suppression_clears")
