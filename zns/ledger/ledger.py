"""The ledger facade the campaign and reconcile flows call: one short transaction per call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL

from zns import policy
from zns.ledger.engine import make_engine, resolve_url
from zns.ledger.migrate import upgrade
from zns.ledger.repository import Repository
from zns.ledger.schema import utcnow
from zns.ledger.types import (
    CampaignRecord,
    CampaignStatus,
    Claim,
    DeliveryUpdate,
    MessageRow,
    MessageState,
    RecipientRow,
    SendRecord,
)
from zns.ledger.uow import UnitOfWork
from zns.outcomes import Channel, RecipientOutcome
from zns.policy import NON_FINAL_STATES, decide

INSERT_ATTEMPTS = 3
T = TypeVar("T")


class Ledger:
    """Source of truth for who was sent what; safe to share across threads and processes."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str | URL | None = None, *, migrate: bool = True) -> Ledger:
        """Engine for `url` (None: $ZNS_LEDGER_URL or the data home's ledger.db), migrated to head."""
        engine = make_engine(resolve_url(url))
        if migrate:
            upgrade(engine=engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.engine, write=write)

    # -- campaigns ---------------------------------------------------------------------------

    def upsert_campaign(
        self,
        campaign_id: str,
        *,
        name: str = "",
        oa_id: str = "",
        template_id: str = "",
        message_type: str = "normal",
        params: Mapping[str, Any] | None = None,
        fallback: Mapping[str, Any] | None = None,
    ) -> bool:
        """True if the campaign is new; secrets in params/fallback are dropped before storing."""
        if not campaign_id or len(campaign_id) > 64:
            raise ValueError("campaign_id must be 1..64 characters")
        with self.uow() as uow:
            created = uow.repo.upsert_campaign(
                campaign_id,
                name=name,
                oa_id=oa_id,
                template_id=template_id,
                message_type=message_type,
                params=params or {},
                fallback=fallback,
            )
            uow.commit()
        return created

    def set_campaign_status(
        self, campaign_id: str, status: CampaignStatus | str, stats: dict[str, Any] | None = None
    ) -> None:
        with self.uow() as uow:
            uow.repo.set_campaign_status(campaign_id, CampaignStatus(status).value, stats)
            uow.commit()

    def campaign(self, campaign_id: str) -> CampaignRecord | None:
        with self.uow(write=False) as uow:
            return uow.repo.get_campaign(campaign_id)

    def zns_campaigns_since(self, since: datetime) -> list[tuple[str, str, str, datetime]]:
        """(campaign_id, oa_id, template_id, created_at) of campaigns created since `since` (aware UTC)."""
        with self.uow(write=False) as uow:
            return uow.repo.zns_campaigns_since(since)

    def record_ratings(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Store ratings (dicts of esms.models.Rating) matched to our ZNS; returns how many matched."""
        with self.uow() as uow:
            n = uow.repo.record_ratings(items)
            uow.commit()
            return n

    def daily_progress(self, campaign_id: str) -> list[tuple[date, str, str, int]]:
        """Messages per Vietnam day of sending, channel and state (a campaign split over days)."""
        with self.uow(write=False) as uow:
            return uow.repo.daily_progress(campaign_id)

    def top_reasons(self, campaign_id: str, limit: int = 10) -> list[tuple[str, str, str, int]]:
        """Why rows did not get their ZNS (state, code, reason, rows), largest first, for the page."""
        with self.uow(write=False) as uow:
            return uow.repo.top_reasons(campaign_id, limit)

    def rating_summary(self, campaign_id: str) -> tuple[int, float | None]:
        """(ratings, average stars) of a campaign."""
        with self.uow(write=False) as uow:
            return uow.repo.rating_summary(campaign_id)

    def valid_phones(self, campaign_id: str) -> dict[str, int]:
        """Phone → row number of the campaign's valid rows (a re-import must not add them twice)."""
        with self.uow(write=False) as uow:
            return uow.repo.valid_phones(campaign_id)

    def refusals(self, oa_id: str, codes: Sequence[str]) -> list[tuple[str, str, str, datetime]]:
        """(phone, code, campaign_id, when) of every ZNS of the OA that failed with a refusal code."""
        with self.uow(write=False) as uow:
            return uow.repo.refusals(oa_id, codes)

    def suppression_clears(self, oa_id: str) -> dict[str, datetime]:
        with self.uow(write=False) as uow:
            return uow.repo.suppression_clears(oa_id)

    def clear_suppressions(self, oa_id: str, phones: Sequence[str]) -> None:
        """The OA may send these phones ZNS again (until they refuse again)."""
        with self.uow() as uow:
            uow.repo.clear_suppressions(oa_id, phones)
            uow.commit()

    def record_suppressed(self, campaign_id: str, phones: Sequence[str], notes: Mapping[str, str]) -> int:
        """Mark these phones' ZNS of the campaign as not sent (suppressed): the fallback takes them."""
        with self.uow() as uow:
            n = uow.repo.record_suppressed(campaign_id, phones, notes)
            uow.commit()
            return n

    def oa_campaign_params(self, oa_id: str) -> dict[str, dict[str, Any]]:
        """Every campaign of the OA with its stored parameters (the frequency cap reads the tags)."""
        with self.uow(write=False) as uow:
            return uow.repo.oa_campaign_params(oa_id)

    def delivered_counts(self, campaign_ids: Sequence[str], channel: Channel | str, since: datetime) -> dict[str, int]:
        """Per phone: how many messages of these campaigns reached it since `since` (aware UTC)."""
        with self.uow(write=False) as uow:
            return uow.repo.delivered_counts(campaign_ids, Channel(channel), since)

    def recent_campaign_ids(self, limit: int = 500) -> list[str]:
        """Every campaign (from the CLI, a schedule or the page), newest first."""
        with self.uow(write=False) as uow:
            return uow.repo.recent_campaign_ids(limit)

    def record_recipients(self, campaign_id: str, rows: Sequence[RecipientRow]) -> None:
        self._racing_insert(lambda repo: repo.record_recipients(campaign_id, rows))

    # -- sending -----------------------------------------------------------------------------

    def claim(
        self,
        campaign_id: str,
        phones: Sequence[str],
        channel: Channel | str,
        claimed_by: str,
        texts: Mapping[str, str] | None = None,
        *,
        reclaim_ambiguous: bool = False,
        stale_before: datetime | None = None,
    ) -> list[Claim]:
        """Phones this caller may send now. With reclaim_ambiguous, also ambiguous rows and rows
        left 'claimed' before `stale_before` (default: now), returned with the same RequestId."""
        return self._racing_insert(lambda repo: repo.claim(
            campaign_id, phones, Channel(channel), claimed_by, texts,
            reclaim_ambiguous=reclaim_ambiguous, stale_before=stale_before or utcnow(),
        ))

    def _racing_insert(self, work: Callable[[Repository], T]) -> T:
        """One write transaction, tried again if it lost an insert race. PostgreSQL's ON CONFLICT
        arbitrates one index only: when two runs insert the same new row at once, another unique
        index (RequestId, valid phone) can fail the loser instead. Its transaction rolled back;
        trying again meets the winner's row through the conflict path."""
        for attempt in range(INSERT_ATTEMPTS):
            try:
                with self.uow() as uow:
                    result = work(uow.repo)
                    uow.commit()
                return result
            except sa.exc.IntegrityError:
                if attempt == INSERT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def record_send_results(self, campaign_id: str, channel: Channel | str, results: Sequence[SendRecord]) -> None:
        with self.uow() as uow:
            uow.repo.record_send_results(campaign_id, Channel(channel), results)
            uow.commit()

    def mark_ambiguous(self, campaign_id: str, channel: Channel | str, phones: Sequence[str]) -> int:
        """Claimed rows whose send outcome is unknown (timeout, crash hook)."""
        return self._move(campaign_id, channel, phones, MessageState.AMBIGUOUS, [MessageState.CLAIMED])

    def release(self, campaign_id: str, channel: Channel | str, phones: Sequence[str]) -> int:
        """Give back claims that were certainly not sent (campaign stopped before the call)."""
        return self._move(campaign_id, channel, phones, MessageState.RELEASED, [MessageState.CLAIMED])

    def mark_unknown(self, campaign_id: str, channel: Channel | str, phones: Sequence[str]) -> int:
        """Accepted messages that had no final status by the deadline (a late one may come)."""
        return self._move(campaign_id, channel, phones, MessageState.UNKNOWN, [MessageState.ACCEPTED])

    def reopen_waiting(self, campaign_id: str, resends: Sequence[tuple[str, int, str]]) -> int:
        """Refused-for-now ZNS due again: (phone, round, note); each gets the round's RequestId."""
        with self.uow() as uow:
            n = uow.repo.reopen_waiting(campaign_id, resends)
            uow.commit()
        return n

    def end_waiting(self, campaign_id: str, phones: Sequence[str]) -> int:
        """Refused-for-now ZNS that used up their rounds: final, without fallback."""
        with self.uow() as uow:
            n = uow.repo.end_waiting(campaign_id, phones)
            uow.commit()
        return n

    def _move(
        self,
        campaign_id: str,
        channel: Channel | str,
        phones: Sequence[str],
        to: MessageState,
        sources: Iterable[MessageState],
    ) -> int:
        with self.uow() as uow:
            n = uow.repo.move(campaign_id, Channel(channel), phones, to, sources)
            uow.commit()
        return n

    # -- delivery ----------------------------------------------------------------------------

    def pending_delivery(
        self, campaign_id: str, channel: Channel | str, *, include_unknown: bool = False
    ) -> list[MessageRow]:
        """Accepted messages waiting for a final status; with include_unknown also those a
        deadline gave up on (the reconcile flow still asks eSMS about them)."""
        states = [MessageState.ACCEPTED, MessageState.UNKNOWN] if include_unknown else [MessageState.ACCEPTED]
        with self.uow(write=False) as uow:
            return uow.repo.list_messages(campaign_id, Channel(channel), states)

    def stale_claims(self, campaign_id: str, channel: Channel | str, before: datetime) -> list[MessageRow]:
        """'claimed' or 'ambiguous' messages claimed before `before`: a run crashed around the send."""
        with self.uow(write=False) as uow:
            rows = uow.repo.list_messages(
                campaign_id, Channel(channel), [MessageState.CLAIMED, MessageState.AMBIGUOUS]
            )
        return [m for m in rows if m.claimed_at is not None and m.claimed_at < before]

    def record_delivery(self, campaign_id: str, channel: Channel | str, updates: Sequence[DeliveryUpdate]) -> None:
        with self.uow() as uow:
            uow.repo.record_delivery(campaign_id, Channel(channel), updates)
            uow.commit()

    def set_sms_ids(self, campaign_id: str, channel: Channel | str, sms_ids: Mapping[str, str]) -> int:
        """SMSIDs recovered from GetSmsSentData_V2 for messages eSMS answered 124."""
        with self.uow() as uow:
            n = uow.repo.set_sms_ids(campaign_id, Channel(channel), sms_ids)
            uow.commit()
        return n

    def messages(self, campaign_id: str, channel: Channel | str | None = None) -> list[MessageRow]:
        with self.uow(write=False) as uow:
            return uow.repo.list_messages(campaign_id, Channel(channel) if channel else None)

    def waiting(self, campaign_id: str) -> list[MessageRow]:
        """ZNS refused for now (-133 night, -144/-147 quota): resent at a later opening."""
        with self.uow(write=False) as uow:
            rows = uow.repo.list_messages(campaign_id, Channel.ZNS, policy.FALLBACK_ZNS_STATES)
        return [m for m in rows if policy.is_waiting(m)]

    def fallback_candidates(self, campaign_id: str) -> list[str]:
        with self.uow(write=False) as uow:
            return uow.repo.fallback_candidates(campaign_id)

    def campaigns_with_fallback_candidates(self, since: datetime) -> list[str]:
        """Campaigns whose fallback-class ZNS failures (claimed since `since`) have no SMS yet."""
        with self.uow(write=False) as uow:
            return uow.repo.campaigns_with_fallback_candidates(since)

    def sms_values(self, campaign_id: str, phones: Sequence[str]) -> dict[str, dict[str, str]]:
        """phone -> fallback SMS values ({"P1": ...}) computed at validation time (ASCII)."""
        with self.uow(write=False) as uow:
            return uow.repo.sms_values(campaign_id, phones)

    def pending_count(self, campaign_id: str) -> int:
        """Messages of the campaign that are not final yet (what reconcile still has to settle)."""
        return sum(1 for m in self.messages(campaign_id) if m.state in NON_FINAL_STATES)

    def non_final_messages(self, since: datetime) -> list[MessageRow]:
        """Across campaigns: messages claimed since `since` that have no final state yet."""
        with self.uow(write=False) as uow:
            return uow.repo.list_messages(states=NON_FINAL_STATES, since=since)

    # -- results -----------------------------------------------------------------------------

    def finalize(self, campaign_id: str, *, dry_run: bool = False, postponed: bool = False) -> None:
        """Store exactly one final state per input row; re-run it after late statuses."""
        with self.uow() as uow:
            updates = []
            for row, zns, sms in uow.repo.recipient_rows(campaign_id):
                v = decide(row["valid"], row["invalid_code"], row["invalid_reason_vi"], zns, sms, dry_run, postponed)
                current = (row["final_state"], row["reason_code"], row["reason_vi"])
                if current != (v.state.value, v.reason_code, v.reason_vi):
                    updates.append(
                        {"b_row": row["row_no"], "b_state": v.state.value,
                         "b_code": v.reason_code, "b_vi": v.reason_vi}
                    )  # fmt: skip
            uow.repo.set_final_states(campaign_id, updates)
            uow.commit()

    def outcomes(self, campaign_id: str, *, dry_run: bool = False, postponed: bool = False) -> list[RecipientOutcome]:
        """Every input row in row order, its state decided afresh from its messages (read-only:
        the same verdict `finalize` stores, so a report never needs to write)."""
        out: list[RecipientOutcome] = []
        with self.uow(write=False) as uow:
            for row, zns, sms in uow.repo.recipient_rows(campaign_id):
                v = decide(row["valid"], row["invalid_code"], row["invalid_reason_vi"], zns, sms, dry_run, postponed)
                state, code, vi = v.state, v.reason_code, v.reason_vi
                last = sms or zns
                out.append(
                    RecipientOutcome(
                        row=row["row_no"],
                        phone=row["phone"],
                        state=state,
                        reason_code=code,
                        reason_vi=vi,
                        channel=v.channel or (last.channel if last else None),
                        zns_code=zns.code if zns else None,
                        zns_sms_id=zns.sms_id if zns else None,
                        zns_error=zns.error_info if zns else None,
                        sms_code=sms.code if sms else None,
                        sms_sms_id=sms.sms_id if sms else None,
                        sms_text=sms.text if sms else None,
                        cost=sum(((m.price or 0.0) for m in (zns, sms) if m is not None), 0.0),
                        sms_cost=(sms.price or 0.0) if sms is not None else 0.0,
                        sent_at=(last.sent_at if last else None),
                        final_at=(last.final_at if last else None),
                        values={str(k): str(val) for k, val in (row["values_json"] or {}).items()},
                    )
                )
        return out

    def summary(self, campaign_id: str) -> dict[str, Any]:
        """Counts that always add up: rows == invalid + zns_delivered + sms_delivered + failed
        + unknown + pending (pending is 0 after finalize), plus claims, sends and cost."""
        with self.uow(write=False) as uow:
            return uow.repo.summary(campaign_id)

    # -- blocklist ---------------------------------------------------------------------------

    def blocklist(self) -> set[str]:
        with self.uow(write=False) as uow:
            return uow.repo.blocklist()

    def add_to_blocklist(self, phones: Sequence[str], reason: str | None = None) -> None:
        with self.uow() as uow:
            uow.repo.add_to_blocklist(phones, reason)
            uow.commit()
