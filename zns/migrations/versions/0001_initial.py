"""Initial ledger: campaigns, recipients, messages, blocklist.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("oa_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("template_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("message_type", sa.String(16), nullable=False, server_default="normal"),
        sa.Column("params_json", sa.JSON(), nullable=False),
        sa.Column("fallback_json", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="running"),
        sa.Column("stats_json", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name="pk_campaigns"),
    )
    op.create_table(
        "recipients",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("phone", sa.String(255), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("invalid_code", sa.String(64), nullable=True),
        sa.Column("invalid_reason_vi", sa.Text(), nullable=True),
        sa.Column("values_json", sa.JSON(), nullable=False),
        sa.Column("final_state", sa.String(16), nullable=True),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("reason_vi", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.campaign_id"],
            name="fk_recipients_campaign_id_campaigns",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "row_no", name="pk_recipients"),
    )
    op.create_index(
        "uq_recipients_valid_phone",
        "recipients",
        ["campaign_id", "phone"],
        unique=True,
        sqlite_where=sa.text("valid"),
        postgresql_where=sa.text("valid"),
    )
    op.create_table(
        "messages",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("request_id", sa.String(50), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=True),
        sa.Column("error_info", sa.String(32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("result_class", sa.String(16), nullable=True),
        sa.Column("duplicate", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sms_id", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("claimed_by", sa.String(255), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("final_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.campaign_id"],
            name="fk_messages_campaign_id_campaigns",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "phone", "channel", name="pk_messages"),
        sa.UniqueConstraint("request_id", name="uq_messages_request_id"),
    )
    op.create_index("ix_messages_sms_id", "messages", ["sms_id"])
    op.create_index("ix_messages_state_claimed_at", "messages", ["state", "claimed_at"])
    op.create_table(
        "blocklist",
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("phone", name="pk_blocklist"),
    )


def downgrade() -> None:
    op.drop_table("blocklist")
    op.drop_index("ix_messages_state_claimed_at", table_name="messages")
    op.drop_index("ix_messages_sms_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("uq_recipients_valid_phone", table_name="recipients")
    op.drop_table("recipients")
    op.drop_table("campaigns")
