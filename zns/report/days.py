"""Per-day progress of one campaign: a campaign the quota or the night splits over several days
shows, per Vietnam day of sending, how many ZNS and SMS went out and how many arrived."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from zns.outcomes import Channel, MessageState
from zns.policy import SENT_STATES


@dataclass(frozen=True, slots=True)
class DayProgress:
    day: date
    zns_sent: int = 0  # eSMS took them (accepted, delivered, failed or still unknown)
    zns_delivered: int = 0
    zns_refused: int = 0  # refused at send time (including refused for now: night, quota)
    sms_sent: int = 0
    sms_delivered: int = 0


def day_progress(rows: Iterable[tuple[date, str, str, int]]) -> tuple[DayProgress, ...]:
    """(day, channel, state, messages) rows of the ledger → one line per day, oldest first."""
    days: dict[date, dict[str, int]] = {}
    for day, channel, state, count in rows:
        line = days.setdefault(day, {})
        prefix = "zns" if channel == Channel.ZNS.value else "sms"
        message_state = MessageState(state)
        if message_state in SENT_STATES:
            line[f"{prefix}_sent"] = line.get(f"{prefix}_sent", 0) + count
        if message_state is MessageState.DELIVERED:
            line[f"{prefix}_delivered"] = line.get(f"{prefix}_delivered", 0) + count
        if prefix == "zns" and message_state is MessageState.REJECTED:
            line["zns_refused"] = line.get("zns_refused", 0) + count
    return tuple(DayProgress(day, **values) for day, values in sorted(days.items()))
