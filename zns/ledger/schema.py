"""Ledger tables (SQLAlchemy Core). Migrations in zns/migrations mirror this file exactly.

Timestamps are stored as naive UTC (portable across SQLite and PostgreSQL) and read back as
aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Naive-UTC storage, aware-UTC in Python: SQLite has no time zones, so store none."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, server_default=""),
    sa.Column("oa_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("template_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("message_type", sa.String(16), nullable=False, server_default="normal"),
    sa.Column("params_json", sa.JSON, nullable=False),
    sa.Column("fallback_json", sa.JSON, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="running"),
    sa.Column("stats_json", sa.JSON, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

recipients = sa.Table(
    "recipients",
    metadata,
    sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.campaign_id"), primary_key=True),
    sa.Column("row_no", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("phone", sa.String(255), nullable=False),  # normalised, or raw for invalid rows
    sa.Column("valid", sa.Boolean, nullable=False),
    sa.Column("invalid_code", sa.String(64), nullable=True),
    sa.Column("invalid_reason_vi", sa.Text, nullable=True),
    sa.Column("values_json", sa.JSON, nullable=False),
    sa.Column("final_state", sa.String(16), nullable=True),
    sa.Column("reason_code", sa.String(64), nullable=True),
    sa.Column("reason_vi", sa.Text, nullable=True),
    # One valid row per phone and campaign; invalid rows (duplicates among them) may repeat.
    sa.Index(
        "uq_recipients_valid_phone",
        "campaign_id",
        "phone",
        unique=True,
        sqlite_where=sa.text("valid"),
        postgresql_where=sa.text("valid"),
    ),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.campaign_id"), primary_key=True),
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("channel", sa.String(8), primary_key=True),
    sa.Column("request_id", sa.String(50), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("code", sa.String(32), nullable=True),  # eSMS CodeResult (or TIMEOUT, HTTP_5XX)
    sa.Column("error_info", sa.String(32), nullable=True),  # Zalo / eSMS delivery code
    sa.Column("error_message", sa.Text, nullable=True),
    sa.Column("result_class", sa.String(16), nullable=True),
    sa.Column("duplicate", sa.Boolean, nullable=False, server_default=sa.false()),  # got 124
    sa.Column("sms_id", sa.String(64), nullable=True, index=True),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("price", sa.Float, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("wait_rounds", sa.Integer, nullable=False, server_default="0"),  # migration 0005: resends after -133/-144
    sa.Column("claimed_by", sa.String(255), nullable=True),
    sa.Column("claimed_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("final_at", UTCDateTime, nullable=True),
    sa.Index("ix_messages_state_claimed_at", "state", "claimed_at"),
)

suppression_clears = sa.Table(  # migration 0003; suppressions are derived from the messages
    "suppression_clears",
    metadata,
    sa.Column("oa_id", sa.String(64), primary_key=True),
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("cleared_at", UTCDateTime, nullable=False),
)

ratings = sa.Table(  # migration 0004: what recipients answered a campaign's ZNS (ZNS/GetRating)
    "ratings",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("rate", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("feedbacks_json", sa.JSON, nullable=True),
    sa.Column("msg_id", sa.String(64), nullable=True),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
)

blocklist = sa.Table(
    "blocklist",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
)
