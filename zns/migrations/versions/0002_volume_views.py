"""Volume report views ("báo cáo sản lượng"): volume_daily and volume_invalid_daily.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

`volume_daily`: one row per (day, oa_id, template_id, channel, state) of the messages table,
with `messages` (count), `phones` (distinct phones) and `cost` (sum of the messages' price, 0
when none is known). `day` is the message's sent time, else its claim time (a rejected or
unanswered message has no sent time), in Vietnam time.

`volume_invalid_daily`: invalid input rows per (day, oa_id, template_id). Recipients carry no
time of their own, so their day is the campaign's creation time (when the rows were recorded),
in Vietnam time; kept apart because those rows have no channel, state, phone or cost.

Timestamps are naive UTC on both engines; Vietnam is UTC+7 without DST, so "+7 hours" is exact.
SQLite's `date(..., '+7 hours')` gives ISO text 'YYYY-MM-DD' and PostgreSQL's cast gives a
DATE: both compare and sort the same way against a date parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _vn_day(column: str) -> str:
    """SQL for the Vietnam calendar day of a naive-UTC timestamp, on this connection's engine."""
    if op.get_bind().dialect.name == "sqlite":
        return f"date({column}, '+7 hours')"
    return f"CAST(({column} + INTERVAL '7 hours') AS DATE)"


def upgrade() -> None:
    day = _vn_day("COALESCE(m.sent_at, m.claimed_at)")
    op.execute(
        f"""
        CREATE VIEW volume_daily AS
        SELECT {day} AS day,
               c.oa_id AS oa_id,
               c.template_id AS template_id,
               m.channel AS channel,
               m.state AS state,
               COUNT(*) AS messages,
               COUNT(DISTINCT m.phone) AS phones,
               COALESCE(SUM(m.price), 0.0) AS cost
        FROM messages m
        JOIN campaigns c ON c.campaign_id = m.campaign_id
        GROUP BY {day}, c.oa_id, c.template_id, m.channel, m.state
        """
    )
    invalid_day = _vn_day("c.created_at")
    op.execute(
        f"""
        CREATE VIEW volume_invalid_daily AS
        SELECT {invalid_day} AS day,
               c.oa_id AS oa_id,
               c.template_id AS template_id,
               COUNT(*) AS invalid_rows
        FROM recipients r
        JOIN campaigns c ON c.campaign_id = r.campaign_id
        WHERE NOT r.valid
        GROUP BY {invalid_day}, c.oa_id, c.template_id
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS volume_invalid_daily")
    op.execute("DROP VIEW IF EXISTS volume_daily")
