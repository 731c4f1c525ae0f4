"""Wait rounds: how many times a ZNS refused "for now" (-133 night, -144/-147 quota) was resent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Each resend at a later opening goes under a new RequestId derived from (campaign, phone,
channel, round), because eSMS already holds the refused attempt's RequestId for 24 hours.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("wait_rounds", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:  # plain ALTER (SQLite >= 3.35): a batch copy would break the volume views
    op.drop_column("messages", "wait_rounds")
