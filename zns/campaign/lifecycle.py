"""The campaign's status machine: the one place a campaign's status is written or compared.

Every run of a campaign (first run, re-run, continuation, shard parent) goes through `start`;
the flows, the approval gate, reconcile and the cancellation hook end it through `finish`,
`postpone`, `cancel` or `reject`. Each use case is one unit of work on the ledger (read the
status, check the transition, write), so two processes cannot interleave between the check
and the write. An illegal transition raises `LifecycleError` with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zns.ledger import CampaignRecord, CampaignStatus, Ledger

__all__ = ["CampaignStats", "CampaignStatus", "LifecycleError", "approve", "await_approval", "cancel", "finish",
           "is_final", "postpone", "postponed_line", "reject", "republish", "start", "status_of"]

S = CampaignStatus
ENDED = frozenset({S.COMPLETED, S.FAILED, S.CONFIG_ERROR, S.POSTPONED, S.REJECTED, S.CANCELLED})
ACTIVE = frozenset({S.RUNNING, S.PENDING_APPROVAL})

# from → what it may become. Any ended campaign may run again (re-run, continuation); a running
# one may be started again too (two runs of one campaign at once: the ledger's claims keep one send).
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.RUNNING: frozenset({S.RUNNING, S.PENDING_APPROVAL, *ENDED} - {S.REJECTED}),
    S.PENDING_APPROVAL: frozenset({S.RUNNING, S.PENDING_APPROVAL, S.REJECTED, S.CANCELLED, S.FAILED,
                                   S.CONFIG_ERROR}),
    S.COMPLETED: frozenset({S.RUNNING, S.COMPLETED, S.POSTPONED}),  # a late refusal for now postpones it
    **{ended: frozenset({S.RUNNING, ended}) for ended in ENDED - {S.COMPLETED}},
}

_STATS_FIELDS = ("started_at", "finished_at", "postponed", "cancelled")


class LifecycleError(RuntimeError):
    """A status change the machine does not allow (a bug or a hand-edited ledger)."""


@dataclass(frozen=True, slots=True)
class CampaignStats:
    """What the ledger keeps about a campaign's last run: the report's one-line summary and times."""

    summary: dict[str, Any] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    postponed: str | None = None  # why the rest waits and until when (status postponed only)
    cancelled: str | None = None  # the cancellation's message

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> CampaignStats:
        data = dict(raw or {})
        extra = {k: (str(data.pop(k)) if data.get(k) is not None else data.pop(k, None)) for k in _STATS_FIELDS}
        return cls(summary=data, **extra)

    def to_json(self) -> dict[str, Any]:
        extra = {k: getattr(self, k) for k in _STATS_FIELDS if getattr(self, k) is not None}
        return {**self.summary, **extra}

    def times(self) -> dict[str, datetime]:
        return {k: datetime.fromisoformat(v) for k in ("started_at", "finished_at") if (v := getattr(self, k))}


def status_of(record: CampaignRecord | None) -> CampaignStatus | None:
    """The record's status as the enum (None before the campaign was registered)."""
    return CampaignStatus(record.status) if record is not None else None


def is_final(record: CampaignRecord | None) -> bool:
    """The campaign's last run has ended (the page stops polling)."""
    return record is not None and CampaignStatus(record.status) in ENDED


def postponed_line(record: CampaignRecord | None) -> str | None:
    """Why the rest of a postponed campaign waits, and until when."""
    if record is None or CampaignStatus(record.status) is not S.POSTPONED:
        return None
    return CampaignStats.from_json(record.stats).postponed


def _move(ledger: Ledger, campaign_id: str, to: CampaignStatus, stats: CampaignStats | None = None, *,
          only_from: frozenset[CampaignStatus] | None = None) -> bool:
    """Check and write in one transaction; False when `only_from` does not hold (nothing written)."""
    with ledger.uow() as uow:
        record = uow.repo.get_campaign(campaign_id)
        if record is None:
            raise LifecycleError(f"campaign {campaign_id!r} is not registered: it cannot become {to.value}")
        current = CampaignStatus(record.status)
        if only_from is not None and current not in only_from:
            return False
        if to not in TRANSITIONS[current]:
            raise LifecycleError(f"campaign {campaign_id!r} is {current.value}: it cannot become {to.value}")
        uow.repo.set_campaign_status(campaign_id, to.value, stats.to_json() if stats is not None else None)
        uow.commit()
    return True


def start(ledger: Ledger, campaign_id: str) -> None:
    """A run of the campaign begins: running, whatever its last run ended as."""
    _move(ledger, campaign_id, S.RUNNING)


def await_approval(ledger: Ledger, campaign_id: str) -> None:
    _move(ledger, campaign_id, S.PENDING_APPROVAL)


def approve(ledger: Ledger, campaign_id: str) -> None:
    _move(ledger, campaign_id, S.RUNNING)


def finish(ledger: Ledger, campaign_id: str, status: CampaignStatus, summary: Mapping[str, Any], *,
           started_at: datetime | None, finished_at: datetime | None, postponed: str | None = None) -> None:
    """The one "finish with report" path: the published report's summary, the run's times, the status."""
    if status not in ENDED:
        raise LifecycleError(f"{status.value} does not end a run")
    stats = CampaignStats(dict(summary), started_at.isoformat() if started_at else None,
                          finished_at.isoformat() if finished_at else None,
                          postponed if status is S.POSTPONED else None)
    _move(ledger, campaign_id, status, stats)


def reject(ledger: Ledger, campaign_id: str, summary: Mapping[str, Any], *, started_at: datetime | None,
           finished_at: datetime | None) -> None:
    finish(ledger, campaign_id, S.REJECTED, summary, started_at=started_at, finished_at=finished_at)


def cancel(ledger: Ledger, campaign_id: str, message: str) -> bool:
    """A run cancelled mid-way leaves a resumable campaign; an ended campaign is left as it is."""
    record = ledger.campaign(campaign_id)
    if record is None:
        return False
    stats = CampaignStats.from_json(record.stats)
    cancelled = CampaignStats(stats.summary, stats.started_at, stats.finished_at, None, message)
    return _move(ledger, campaign_id, S.CANCELLED, cancelled, only_from=ACTIVE)


def postpone(ledger: Ledger, campaign_id: str, line: str) -> None:
    """A completed campaign whose refusals for now were settled late: the rest waits (reconcile)."""
    record = ledger.campaign(campaign_id)
    stats = CampaignStats.from_json(record.stats if record else None)
    _move(ledger, campaign_id, S.POSTPONED,
          CampaignStats(stats.summary, stats.started_at, stats.finished_at, line))


def republish(ledger: Ledger, campaign_id: str, summary: Mapping[str, Any]) -> None:
    """A report rebuilt later (reconcile) replaces the summary; status, times and the postponed line stay."""
    with ledger.uow() as uow:
        record = uow.repo.get_campaign(campaign_id)
        if record is None:
            return
        old = CampaignStats.from_json(record.stats)
        new = CampaignStats(dict(summary), old.started_at, old.finished_at, old.postponed, old.cancelled)
        uow.repo.set_campaign_status(campaign_id, record.status, new.to_json())
        uow.commit()
