"""SQL for the ledger, one bulk statement per batch (never one per recipient).

Message state machine (one row per campaign, phone and channel; the primary key is the claim);
which answer moves a message where is decided in `zns.policy`, never here:

    claimed -> accepted (100, or 124 = accepted earlier) -> delivered | failed | unknown
            -> rejected (permanent or fallback code at send time)
            -> ambiguous (no answer: timeout, lost, left out of a bulk answer) -- settled by a
               lookup or resent via reclaim under the same RequestId
            -> released (config error: nothing sent, a later claim takes it again)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from esms.codes import ResultClass
from zns import policy
from zns.ledger.keys import request_id
from zns.ledger.sanitize import strip_secrets
from zns.ledger.schema import (
    UTCDateTime,
    blocklist,
    campaigns,
    messages,
    ratings,
    recipients,
    suppression_clears,
    utcnow,
)
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
from zns.outcomes import Channel

# 500 rows x ~12 columns stays far below SQLite's 32766 and PostgreSQL's 65535 bind parameters.
CHUNK = 500
SMS_VALUE_PREFIX = "sms:"  # recipients.values_json keys holding the fallback SMS values (ASCII)
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class Repository:
    """Ledger statements on one connection; the unit of work owns the transaction."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def _insert(self, table: sa.Table) -> Any:
        """Dialect insert with ON CONFLICT support (SQLite and PostgreSQL share the API)."""
        if self.conn.dialect.name == "postgresql":
            return postgresql.insert(table)
        if self.conn.dialect.name == "sqlite":
            return sqlite.insert(table)
        raise NotImplementedError(f"ledger supports SQLite and PostgreSQL, not {self.conn.dialect.name}")

    # -- campaigns ---------------------------------------------------------------------------

    def upsert_campaign(
        self,
        campaign_id: str,
        *,
        name: str,
        oa_id: str,
        template_id: str,
        message_type: str,
        params: Mapping[str, Any],
        fallback: Mapping[str, Any] | None,
    ) -> bool:
        """Insert once; a re-run of the same campaign keeps its first definition."""
        now = utcnow()
        stmt = (
            self._insert(campaigns)
            .values(
                campaign_id=campaign_id,
                name=name,
                oa_id=oa_id,
                template_id=template_id,
                message_type=message_type,
                params_json=strip_secrets(dict(params)),
                fallback_json=strip_secrets(dict(fallback)) if fallback is not None else None,
                status=CampaignStatus.RUNNING.value,  # lifecycle.start sets it on every run
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[campaigns.c.campaign_id])
            .returning(campaigns.c.campaign_id)
        )
        return self.conn.execute(stmt).first() is not None

    def set_campaign_status(self, campaign_id: str, status: str, stats: Mapping[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if stats is not None:
            values["stats_json"] = strip_secrets(dict(stats))
        result = self.conn.execute(sa.update(campaigns).where(campaigns.c.campaign_id == campaign_id).values(**values))
        if result.rowcount == 0:
            raise KeyError(f"unknown campaign {campaign_id!r}")

    def oa_campaign_params(self, oa_id: str) -> dict[str, dict[str, Any]]:
        stmt = sa.select(campaigns.c.campaign_id, campaigns.c.params_json).where(campaigns.c.oa_id == oa_id)
        return {row.campaign_id: dict(row.params_json or {}) for row in self.conn.execute(stmt)}

    def delivered_counts(self, campaign_ids: Sequence[str], channel: Channel, since: datetime) -> dict[str, int]:
        """Per phone: messages of these campaigns delivered at or after `since`."""
        col = messages.c
        counts: dict[str, int] = {}
        for part in chunks(list(campaign_ids)):
            stmt = (
                sa.select(col.phone, sa.func.count())
                .where(col.campaign_id.in_(part), col.channel == channel.value,
                       col.state == MessageState.DELIVERED.value,
                       sa.func.coalesce(col.final_at, col.sent_at, col.claimed_at) >= since)
                .group_by(col.phone)
            )
            for phone, n in self.conn.execute(stmt):
                counts[phone] = counts.get(phone, 0) + int(n)
        return counts

    def recent_campaign_ids(self, limit: int) -> list[str]:
        stmt = sa.select(campaigns.c.campaign_id).order_by(campaigns.c.created_at.desc()).limit(limit)
        return list(self.conn.scalars(stmt))

    def get_campaign(self, campaign_id: str) -> CampaignRecord | None:
        row = self.conn.execute(sa.select(campaigns).where(campaigns.c.campaign_id == campaign_id)).mappings().first()
        if row is None:
            return None
        return CampaignRecord(
            campaign_id=row["campaign_id"], name=row["name"] or "", oa_id=row["oa_id"] or "",
            template_id=row["template_id"] or "", message_type=row["message_type"] or "normal",
            params=dict(row["params_json"] or {}), fallback=row["fallback_json"] or None, status=row["status"],
            stats=row["stats_json"] or None, created_at=row["created_at"], updated_at=row["updated_at"],
        )

    # -- recipients --------------------------------------------------------------------------

    def record_recipients(self, campaign_id: str, rows: Sequence[RecipientRow]) -> None:
        """Upsert by row number: a re-run rewrites the input fields and keeps the final state."""
        seen: dict[str, int] = {}
        for r in rows:
            if r.valid:
                if r.phone in seen:
                    raise ValueError(
                        f"rows {seen[r.phone]} and {r.row_no} are both valid for phone {r.phone}; "
                        "mark duplicates invalid before recording"
                    )
                seen[r.phone] = r.row_no
        if not rows:
            return
        ins = self._insert(recipients)
        ex = ins.excluded
        stmt = ins.on_conflict_do_update(
            index_elements=[recipients.c.campaign_id, recipients.c.row_no],
            set_={
                "phone": ex.phone,
                "valid": ex.valid,
                "invalid_code": ex.invalid_code,
                "invalid_reason_vi": ex.invalid_reason_vi,
                "values_json": ex.values_json,
            },
        )
        params = [
            {
                "campaign_id": campaign_id,
                "row_no": r.row_no,
                "phone": (r.phone or "")[:255],
                "valid": r.valid,
                "invalid_code": None if r.valid else r.invalid_code,
                "invalid_reason_vi": None if r.valid else r.invalid_reason_vi,
                "values_json": {str(k): v for k, v in r.values.items()},
            }
            for r in rows
        ]
        self.conn.execute(stmt, params)  # executemany: batched by the driver / insertmanyvalues

    # -- claims and sends --------------------------------------------------------------------

    def claim(
        self,
        campaign_id: str,
        phones: Sequence[str],
        channel: Channel,
        claimed_by: str,
        texts: Mapping[str, str] | None,
        *,
        reclaim_ambiguous: bool,
        stale_before: datetime,
    ) -> list[Claim]:
        """INSERT .. ON CONFLICT DO UPDATE .. WHERE <reclaimable> RETURNING: the returned rows
        are exactly the ones this caller won. Phones are sorted so concurrent claimers lock rows
        in the same order (no deadlock on PostgreSQL)."""
        now = utcnow()
        texts = texts or {}
        wanted = sorted(_unique(phones))
        reclaimable = messages.c.state == MessageState.RELEASED.value
        if reclaim_ambiguous:
            reclaimable = sa.or_(
                reclaimable,
                messages.c.state == MessageState.AMBIGUOUS.value,
                sa.and_(
                    messages.c.state == MessageState.CLAIMED.value,
                    messages.c.claimed_at < sa.bindparam("stale", stale_before, type_=UTCDateTime()),
                ),
            )
        ins = self._insert(messages)
        ex = ins.excluded
        stmt = ins.on_conflict_do_update(
            index_elements=[messages.c.campaign_id, messages.c.phone, messages.c.channel],
            set_={
                "state": MessageState.CLAIMED.value,
                "attempts": messages.c.attempts + 1,
                "claimed_by": ex.claimed_by,
                "claimed_at": ex.claimed_at,
                "text": sa.func.coalesce(ex.text, messages.c.text),
            },
            where=reclaimable,
        ).returning(messages.c.phone, messages.c.request_id, messages.c.attempts, messages.c.text)
        rows = [
            {
                "campaign_id": campaign_id,
                "phone": phone,
                "channel": channel.value,
                "request_id": request_id(campaign_id, phone, channel),
                "state": MessageState.CLAIMED.value,
                "attempts": 1,
                "text": texts.get(phone),
                "claimed_by": claimed_by,
                "claimed_at": now,
            }
            for phone in wanted
        ]
        won: dict[str, Claim] = {}
        if rows:
            # executemany + RETURNING: SQLAlchemy's "insertmanyvalues" sends multi-row
            # statements in pages under the bind-parameter limit, compiled once and cached.
            for row in self.conn.execute(stmt, rows):
                won[row.phone] = Claim(row.phone, channel, row.request_id, row.attempts, row.text)
        return [won[p] for p in _unique(phones) if p in won]

    def record_send_results(self, campaign_id: str, channel: Channel, results: Sequence[SendRecord]) -> None:
        """One executemany: each claimed (or ambiguous) row moves by its result class."""
        if not results:
            return
        now = utcnow()
        params = [_send_params(r, now) for r in results]
        col = messages.c
        stmt = (
            sa.update(messages)
            .where(
                col.campaign_id == campaign_id,
                col.channel == channel.value,
                col.phone == sa.bindparam("b_phone"),
                _state_is(MessageState.CLAIMED, MessageState.AMBIGUOUS),
            )
            .values(
                state=sa.bindparam("b_state"),
                code=sa.bindparam("b_code"),
                result_class=sa.bindparam("b_class"),
                duplicate=sa.bindparam("b_dup", type_=sa.Boolean()),
                error_message=sa.bindparam("b_msg"),
                sms_id=sa.func.coalesce(sa.bindparam("b_sms_id", type_=sa.String()), col.sms_id),
                price=sa.func.coalesce(sa.bindparam("b_price", type_=sa.Float()), col.price),
                sent_at=sa.func.coalesce(sa.bindparam("b_sent", type_=UTCDateTime()), col.sent_at),
                final_at=sa.bindparam("b_final", type_=UTCDateTime()),
            )
        )
        self.conn.execute(stmt, params)

    def move(
        self,
        campaign_id: str,
        channel: Channel,
        phones: Sequence[str],
        to_state: MessageState,
        from_states: Iterable[MessageState],
    ) -> int:
        """Bulk state change guarded by the current state; returns the rows changed."""
        changed = 0
        sources = [s.value for s in from_states]
        for part in chunks(_unique(phones)):
            result = self.conn.execute(
                sa.update(messages)
                .where(
                    messages.c.campaign_id == campaign_id,
                    messages.c.channel == channel.value,
                    messages.c.phone.in_(part),
                    messages.c.state.in_(sources),
                )
                .values(state=to_state.value)
            )
            changed += result.rowcount
        return changed

    def reopen_waiting(self, campaign_id: str, resends: Sequence[tuple[str, int, str]]) -> int:
        """ZNS refused "for now" become resendable under their round's RequestId (phone, round, note)."""
        if not resends:
            return 0
        stmt = (
            sa.update(messages)
            .where(
                messages.c.campaign_id == campaign_id,
                messages.c.channel == Channel.ZNS.value,
                messages.c.phone == sa.bindparam("b_phone"),
                messages.c.result_class == ResultClass.WAIT.value,
                _state_is(MessageState.REJECTED, MessageState.FAILED),
            )
            .values(state=MessageState.RELEASED.value, request_id=sa.bindparam("b_rid"),
                    wait_rounds=sa.bindparam("b_round"), error_message=sa.bindparam("b_note"), code=None,
                    error_info=None, result_class=None, sms_id=None, price=None, duplicate=False, sent_at=None,
                    final_at=None)
        )
        params = [{"b_phone": phone, "b_round": n, "b_note": note,
                   "b_rid": request_id(campaign_id, phone, Channel.ZNS, n)} for phone, n, note in resends]
        return self.conn.execute(stmt, params).rowcount

    def end_waiting(self, campaign_id: str, phones: Sequence[str]) -> int:
        """Waiting ZNS out of rounds: their refusal becomes final (permanent, no fallback)."""
        changed = 0
        for part in chunks(_unique(phones)):
            changed += self.conn.execute(
                sa.update(messages)
                .where(messages.c.campaign_id == campaign_id, messages.c.channel == Channel.ZNS.value,
                       messages.c.phone.in_(part), messages.c.result_class == ResultClass.WAIT.value)
                .values(result_class=ResultClass.PERMANENT.value)
            ).rowcount
        return changed

    def set_sms_ids(self, campaign_id: str, channel: Channel, sms_ids: Mapping[str, str]) -> int:
        """Fill in SMSIDs found again after a 124 answer; a known SMSID is never replaced."""
        changed = 0
        for phone, sms_id in sms_ids.items():
            result = self.conn.execute(
                sa.update(messages)
                .where(
                    messages.c.campaign_id == campaign_id,
                    messages.c.channel == channel.value,
                    messages.c.phone == phone,
                    messages.c.sms_id.is_(None),
                )
                .values(sms_id=sms_id)
            )
            changed += result.rowcount
        return changed

    # -- delivery ----------------------------------------------------------------------------

    def record_delivery(self, campaign_id: str, channel: Channel, updates: Sequence[DeliveryUpdate]) -> None:
        """Final (or deadline) statuses; a message already delivered/failed/rejected is kept."""
        if not updates:
            return
        now = utcnow()
        params = []
        for u in updates:
            if u.state not in (MessageState.DELIVERED, MessageState.FAILED, MessageState.UNKNOWN):
                raise ValueError(f"delivery state must be delivered/failed/unknown, not {u.state}")
            cls = u.result_class
            if cls is None and u.error_info is not None:
                cls = DeliveryUpdate.from_error_info(u.phone, u.error_info).result_class
            params.append(
                {
                    "b_phone": u.phone,
                    "b_state": u.state.value,
                    "b_err": u.error_info,
                    "b_class": cls.value if cls is not None else None,
                    "b_price": u.price,
                    "b_sms_id": u.sms_id,
                    "b_final": now if u.state is not MessageState.UNKNOWN else None,
                }
            )
        col = messages.c
        stmt = (
            sa.update(messages)
            .where(
                col.campaign_id == campaign_id,
                col.channel == channel.value,
                col.phone == sa.bindparam("b_phone"),
                _state_is(*policy.NON_FINAL_STATES),
            )
            .values(
                state=sa.bindparam("b_state"),
                error_info=sa.func.coalesce(sa.bindparam("b_err", type_=sa.String()), col.error_info),
                result_class=sa.func.coalesce(sa.bindparam("b_class", type_=sa.String()), col.result_class),
                price=sa.func.coalesce(sa.bindparam("b_price", type_=sa.Float()), col.price),
                sms_id=sa.func.coalesce(sa.bindparam("b_sms_id", type_=sa.String()), col.sms_id),
                final_at=sa.bindparam("b_final", type_=UTCDateTime()),
            )
        )
        self.conn.execute(stmt, params)

    def list_messages(
        self,
        campaign_id: str | None = None,
        channel: Channel | None = None,
        states: Iterable[MessageState] | None = None,
        since: datetime | None = None,
    ) -> list[MessageRow]:
        stmt = sa.select(messages)
        if campaign_id is not None:
            stmt = stmt.where(messages.c.campaign_id == campaign_id)
        if channel is not None:
            stmt = stmt.where(messages.c.channel == channel.value)
        if states is not None:
            stmt = stmt.where(messages.c.state.in_([s.value for s in states]))
        if since is not None:
            stmt = stmt.where(messages.c.claimed_at >= since)
        stmt = stmt.order_by(messages.c.campaign_id, messages.c.channel, messages.c.phone)
        return [message_row(m) for m in self.conn.execute(stmt).mappings()]

    def _fallback_query(self) -> sa.Select[Any]:
        """ZNS ended for a fallback-class reason and its SMS was never sent: no SMS row yet, or
        one a crashed or stopped run left claimed/ambiguous/released (resent, same RequestId)."""
        z, s = messages.alias("z"), messages.alias("s")
        sms_done = (
            sa.select(sa.literal(1))
            .where(
                s.c.campaign_id == z.c.campaign_id,
                s.c.phone == z.c.phone,
                s.c.channel == Channel.SMS.value,
                s.c.state.not_in(policy.states(policy.RESENDABLE_STATES)),
            )
            .exists()
        )
        return sa.select(z.c.campaign_id, z.c.phone, z.c.claimed_at).where(
            z.c.channel == Channel.ZNS.value,
            z.c.result_class == ResultClass.FALLBACK.value,
            z.c.state.in_(policy.states(policy.FALLBACK_ZNS_STATES)),
            ~sms_done,
        )

    def fallback_candidates(self, campaign_id: str) -> list[str]:
        q = self._fallback_query().subquery()
        stmt = sa.select(q.c.phone).where(q.c.campaign_id == campaign_id).order_by(q.c.phone)
        return list(self.conn.scalars(stmt))

    def campaigns_with_fallback_candidates(self, since: datetime) -> list[str]:
        """Campaigns with a fallback configured and fallback candidates claimed since `since`:
        a run that crashed between the ZNS outcome and the end of its SMS fallback."""
        q = self._fallback_query().subquery()
        stmt = sa.select(q.c.campaign_id).where(
            q.c.claimed_at >= sa.bindparam("since", since, type_=UTCDateTime())
        ).distinct()
        ids = list(self.conn.scalars(stmt))
        if not ids:
            return []
        rows = self.conn.execute(
            sa.select(campaigns.c.campaign_id, campaigns.c.fallback_json).where(campaigns.c.campaign_id.in_(ids))
        )
        # fallback_json may hold JSON null rather than SQL NULL: test it in Python.
        return sorted(cid for cid, fallback in rows if fallback)

    def sms_values(self, campaign_id: str, phones: Sequence[str]) -> dict[str, dict[str, str]]:
        """The `sms:*` values stored at validation for these phones (valid rows only), keys unprefixed."""
        out: dict[str, dict[str, str]] = {}
        col = recipients.c
        for part in chunks(_unique(phones)):
            stmt = sa.select(col.phone, col.values_json).where(
                col.campaign_id == campaign_id, col.valid, col.phone.in_(part)
            )
            for phone, values in self.conn.execute(stmt):
                out[phone] = {
                    str(k)[len(SMS_VALUE_PREFIX):]: str(v)
                    for k, v in (values or {}).items()
                    if str(k).startswith(SMS_VALUE_PREFIX) and v is not None
                }
        return out

    # -- final states ------------------------------------------------------------------------

    def recipient_rows(
        self, campaign_id: str
    ) -> Iterator[tuple[Mapping[str, Any], MessageRow | None, MessageRow | None]]:
        """Every input row with its ZNS and SMS messages, in row order.

        Two range scans merged in Python instead of a join: right after a bulk load PostgreSQL
        has no statistics yet and planned the join as a quadratic nested loop (100k rows: minutes).
        """
        by_key: dict[tuple[str, str], MessageRow] = {
            (m.phone, m.channel.value): m for m in self.list_messages(campaign_id)
        }
        stmt = sa.select(recipients).where(recipients.c.campaign_id == campaign_id).order_by(recipients.c.row_no)
        for row in self.conn.execute(stmt).mappings():
            if not row["valid"]:  # an invalid duplicate never borrows the valid row's messages
                yield row, None, None
                continue
            phone = row["phone"]
            yield row, by_key.get((phone, Channel.ZNS.value)), by_key.get((phone, Channel.SMS.value))

    def set_final_states(self, campaign_id: str, verdicts: Sequence[Mapping[str, Any]]) -> None:
        """verdicts: dicts with b_row, b_state, b_code, b_vi; one executemany."""
        if not verdicts:
            return
        col = recipients.c
        stmt = (
            sa.update(recipients)
            .where(col.campaign_id == campaign_id, col.row_no == sa.bindparam("b_row"))
            .values(
                final_state=sa.bindparam("b_state"),
                reason_code=sa.bindparam("b_code"),
                reason_vi=sa.bindparam("b_vi"),
            )
        )
        self.conn.execute(stmt, list(verdicts))

    def summary(self, campaign_id: str) -> dict[str, Any]:
        col = recipients.c
        counts: dict[str, Any] = {
            "rows": 0, "invalid": 0, "zns_delivered": 0, "sms_delivered": 0,
            "failed": 0, "unknown": 0, "pending": 0,
        }  # fmt: skip
        stmt = (
            sa.select(col.valid, col.final_state, sa.func.count())
            .where(col.campaign_id == campaign_id)
            .group_by(col.valid, col.final_state)
        )
        for valid, state, n in self.conn.execute(stmt):
            counts["rows"] += n
            key = "invalid" if not valid else (state or "pending")
            counts[key] = counts.get(key, 0) + n
        m = messages.c
        accepted = sa.case((m.code.in_(sorted(policy.accepted_codes())), 1), else_=0)
        stmt2 = (
            sa.select(m.channel, sa.func.count(), sa.func.sum(accepted), sa.func.sum(m.price))
            .where(m.campaign_id == campaign_id)
            .group_by(m.channel)
        )
        counts.update(zns_claimed=0, zns_accepted=0, sms_claimed=0, sms_sent=0, cost=0.0, zns_cost=0.0, sms_cost=0.0)
        for channel, n, n_accepted, cost in self.conn.execute(stmt2):
            if channel == Channel.ZNS.value:
                counts.update(zns_claimed=n, zns_accepted=int(n_accepted or 0), zns_cost=float(cost or 0.0))
            else:
                counts.update(sms_claimed=n, sms_sent=int(n_accepted or 0), sms_cost=float(cost or 0.0))
            counts["cost"] += float(cost or 0.0)
        return counts

    def top_reasons(self, campaign_id: str, limit: int) -> list[tuple[str, str, str, int]]:
        """(final state, code, Vietnamese reason, rows) of the rows that did not simply get their ZNS,
        largest first: why rows were invalid, failed, are unknown, or went by SMS."""
        col = recipients.c
        state = sa.case((sa.not_(col.valid), "invalid"), else_=col.final_state)
        code = sa.case((sa.not_(col.valid), col.invalid_code), else_=col.reason_code)
        label = sa.case((sa.not_(col.valid), col.invalid_reason_vi), else_=col.reason_vi)
        stmt = (
            sa.select(state, code, sa.func.min(label), sa.func.count().label("n"))
            .where(col.campaign_id == campaign_id, sa.or_(sa.not_(col.valid), sa.and_(
                col.final_state.is_not(None), col.final_state != "zns_delivered")))
            .group_by(state, code)
            .order_by(sa.desc("n"), state, code)
            .limit(limit)
        )
        return [(str(s), c or "", lbl or "", int(n)) for s, c, lbl, n in self.conn.execute(stmt)]

    # -- blocklist ---------------------------------------------------------------------------

    def refusals(self, oa_id: str, codes: Sequence[str]) -> list[tuple[str, str, str, datetime]]:
        """(phone, code, campaign_id, when) of the OA's ZNS that failed with one of `codes`."""
        col = messages.c
        when = sa.func.coalesce(col.final_at, col.sent_at, col.claimed_at)
        stmt = (
            sa.select(col.phone, col.error_info, col.campaign_id, when)
            .join(campaigns, campaigns.c.campaign_id == col.campaign_id)
            .where(campaigns.c.oa_id == oa_id, col.channel == Channel.ZNS.value,
                   col.state == MessageState.FAILED.value, col.error_info.in_(list(codes)))
        )
        return [(p, str(c), cid, w) for p, c, cid, w in self.conn.execute(stmt)]

    def suppression_clears(self, oa_id: str) -> dict[str, datetime]:
        c = suppression_clears.c
        return {phone: at for phone, at in self.conn.execute(sa.select(c.phone, c.cleared_at).where(c.oa_id == oa_id))}

    def clear_suppressions(self, oa_id: str, phones: Sequence[str]) -> None:
        now = utcnow()
        for part in chunks(_unique(phones)):
            rows = [{"oa_id": oa_id, "phone": p, "cleared_at": now} for p in part]
            ins = self._insert(suppression_clears).values(rows)
            self.conn.execute(ins.on_conflict_do_update(
                index_elements=[suppression_clears.c.oa_id, suppression_clears.c.phone],
                set_={"cleared_at": ins.excluded.cleared_at}))

    def record_suppressed(self, campaign_id: str, phones: Sequence[str], notes: Mapping[str, str]) -> int:
        """A ZNS message row that was never sent (the phone refused the OA): final FAILED, fallback."""
        now = utcnow()
        added = 0
        for part in chunks(_unique(phones)):
            ins = self._insert(messages).values([{
                "campaign_id": campaign_id, "phone": p, "channel": Channel.ZNS.value,
                "request_id": request_id(campaign_id, p, Channel.ZNS), "state": MessageState.FAILED.value,
                "code": policy.SUPPRESSED.code, "result_class": ResultClass.FALLBACK.value,
                "error_message": notes.get(p), "attempts": 0, "claimed_by": "suppressed", "claimed_at": now,
                "final_at": now,
            } for p in part])
            added += self.conn.execute(ins.on_conflict_do_nothing(
                index_elements=[messages.c.campaign_id, messages.c.phone, messages.c.channel])).rowcount or 0
        return added

    def zns_campaigns_since(self, since: datetime) -> list[tuple[str, str, str, datetime]]:
        """(campaign_id, oa_id, template_id, created_at) of the campaigns created since `since`."""
        c = campaigns.c
        stmt = sa.select(c.campaign_id, c.oa_id, c.template_id, c.created_at).where(c.created_at >= since)
        return [(cid, oa, tpl, at) for cid, oa, tpl, at in self.conn.execute(stmt)]

    def record_ratings(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Ratings matched to our messages by RequestId (the rating's trackingId); upsert per recipient."""
        by_request: dict[str, tuple[str, str]] = {}
        for part in chunks([str(i["tracking_id"]) for i in items if i.get("tracking_id")]):
            stmt = sa.select(messages.c.request_id, messages.c.campaign_id, messages.c.phone).where(
                messages.c.request_id.in_(list(part)), messages.c.channel == Channel.ZNS.value)
            by_request.update({rid: (cid, phone) for rid, cid, phone in self.conn.execute(stmt)})
        rows = [{"campaign_id": by_request[i["tracking_id"]][0], "phone": by_request[i["tracking_id"]][1],
                 "rate": int(i["rate"]), "note": i.get("note") or None,
                 "feedbacks_json": list(i.get("feedbacks") or []), "msg_id": i.get("msg_id") or None,
                 "submitted_at": i["submitted_at"]}
                for i in items if i.get("tracking_id") in by_request]
        for part in chunks(rows):
            ins = self._insert(ratings).values(list(part))
            self.conn.execute(ins.on_conflict_do_update(
                index_elements=[ratings.c.campaign_id, ratings.c.phone],
                set_={"rate": ins.excluded.rate, "note": ins.excluded.note,
                      "feedbacks_json": ins.excluded.feedbacks_json, "submitted_at": ins.excluded.submitted_at}))
        return len(rows)

    def daily_progress(self, campaign_id: str) -> list[tuple[date, str, str, int]]:
        """(Vietnam day sent, else claimed; channel; state; messages) of one campaign, as the volume view counts."""
        moment = sa.func.coalesce(messages.c.sent_at, messages.c.claimed_at)
        if self.conn.dialect.name == "sqlite":
            day: sa.ColumnElement[Any] = sa.func.date(moment, "+7 hours")
        else:
            day = sa.cast(moment + sa.text("INTERVAL '7 hours'"), sa.Date)
        stmt = (sa.select(day.label("day"), messages.c.channel, messages.c.state, sa.func.count())
                .where(messages.c.campaign_id == campaign_id)
                .group_by(day, messages.c.channel, messages.c.state))
        return [(d if isinstance(d, date) else date.fromisoformat(str(d)), channel, state, int(n))
                for d, channel, state, n in self.conn.execute(stmt)]

    def rating_summary(self, campaign_id: str) -> tuple[int, float | None]:
        stmt = sa.select(sa.func.count(), sa.func.avg(ratings.c.rate)).where(ratings.c.campaign_id == campaign_id)
        count, average = self.conn.execute(stmt).one()
        return int(count), (float(average) if average is not None else None)

    def valid_phones(self, campaign_id: str) -> dict[str, int]:
        col = recipients.c
        stmt = sa.select(col.phone, col.row_no).where(col.campaign_id == campaign_id, col.valid.is_(True))
        return {phone: int(row) for phone, row in self.conn.execute(stmt)}

    def blocklist(self) -> set[str]:
        return set(self.conn.scalars(sa.select(blocklist.c.phone)))

    def add_to_blocklist(self, phones: Sequence[str], reason: str | None) -> None:
        now = utcnow()
        for part in chunks(_unique(phones)):
            ins = self._insert(blocklist).values([{"phone": p, "reason": reason, "added_at": now} for p in part])
            self.conn.execute(ins.on_conflict_do_nothing(index_elements=[blocklist.c.phone]))


def _state_is(*states: MessageState) -> sa.ColumnElement[bool]:
    """OR of equalities: executemany cannot take an expanding IN list."""
    return sa.or_(*(messages.c.state == s.value for s in sorted(states)))


def _send_params(r: SendRecord, now: datetime) -> dict[str, Any]:
    """One gateway answer as the row's next state, as the outcome policy says."""
    outcome = policy.send_outcome(r.code, r.result_class)
    state = outcome.state
    return {
        "b_phone": r.phone,
        "b_state": state.value,
        "b_code": outcome.code,
        "b_class": outcome.result_class.value,
        "b_dup": outcome.duplicate,
        "b_msg": r.error_message,
        "b_sms_id": r.sms_id,
        "b_price": r.price,
        "b_sent": now if state is MessageState.ACCEPTED else None,
        "b_final": now if outcome.final else None,
    }


def message_row(m: Mapping[str, Any]) -> MessageRow:
    return MessageRow(
        campaign_id=m["campaign_id"],
        phone=m["phone"],
        channel=Channel(m["channel"]),
        request_id=m["request_id"],
        state=MessageState(m["state"]),
        code=m["code"],
        error_info=m["error_info"],
        result_class=ResultClass(m["result_class"]) if m["result_class"] else None,
        sms_id=m["sms_id"],
        text=m["text"],
        price=m["price"],
        attempts=m["attempts"],
        duplicate=bool(m["duplicate"]),
        claimed_by=m["claimed_by"],
        claimed_at=m["claimed_at"],
        sent_at=m["sent_at"],
        final_at=m["final_at"],
        wait_rounds=m.get("wait_rounds") or 0,
    )
