"""Campaign totals computed from the per-row outcomes (docs/architecture.md §5 "No silent loss").

Definitions (every count is a number of input rows, never of HTTP requests):

- ``rows``: all input rows, valid or not. Defaults to ``len(outcomes)``; pass ``input_rows``
  (what ingest read) so that an outcome list missing rows is caught instead of summed.
- ``invalid``: rows rejected by validation (state ``invalid``), never sent.
- ``valid``: ``rows - invalid``.
- ``zns_accepted``: rows whose ZNS send was accepted by eSMS, as the outcome policy
  (``zns.policy.is_sent``) reads ``zns_code``: accepted now, or an accepted duplicate.
- ``zns_delivered``: rows in final state ``zns_delivered``.
- ``sms_sent``: rows whose SMS fallback was accepted by eSMS (``sms_code``, same rule).
- ``sms_delivered``: rows in final state ``sms_delivered``.
- ``failed`` / ``unknown``: rows in those final states.

Invariant: ``rows == invalid + zns_delivered + sms_delivered + failed + unknown``; also the
funnel can only narrow (``zns_delivered <= zns_accepted <= valid``, same for SMS), every
row number appears once, and no row contradicts itself (delivered by ZNS/SMS without an
accepted send on that channel, or invalid yet sent). ``CampaignSummary.check()`` raises
``ReportInvariantError`` otherwise.

Reason labels come from ``esms.codes`` for provider codes (eSMS CodeResult, Zalo error, 1001,
transport codes); product codes (``BAD_PHONE``, ``MISSING_VALUE``...) keep the Vietnamese text
the producing module put on the row.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from esms.codes import ESMS_CODES, ZALO_CODES, CodeInfo
from zns.outcomes import STATE_LABELS_VI, FinalState, RecipientOutcome
from zns.policy import TRANSPORT_CODES, is_sent
from zns.recipients.errors import ROW_CODES
from zns.report.days import DayProgress

# Order in which the final states are shown everywhere (delivered first, then the losses).
STATE_ORDER: tuple[FinalState, ...] = (
    FinalState.ZNS_DELIVERED,
    FinalState.SMS_DELIVERED,
    FinalState.FAILED,
    FinalState.UNKNOWN,
    FinalState.INVALID,
)

# Funnel steps: (key, Vietnamese label). Steps that are final states reuse STATE_LABELS_VI.
FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("rows", "Tổng số dòng"),
    ("valid", "Hợp lệ"),
    ("zns_accepted", "ZNS được eSMS tiếp nhận"),
    ("zns_delivered", STATE_LABELS_VI[FinalState.ZNS_DELIVERED]),
    ("sms_sent", "Đã gửi SMS dự phòng"),
    ("sms_delivered", STATE_LABELS_VI[FinalState.SMS_DELIVERED]),
    ("failed", STATE_LABELS_VI[FinalState.FAILED]),
    ("unknown", STATE_LABELS_VI[FinalState.UNKNOWN]),
    ("invalid", STATE_LABELS_VI[FinalState.INVALID]),
)

NO_REASON_VI = "Không có lý do"
UNLABELLED_REASON_VI = "Không rõ lý do"


JSON_LINE_KEYS: tuple[str, ...] = (
    "campaign_id",
    "rows",
    "invalid",
    "zns_accepted",
    "zns_delivered",
    "sms_sent",
    "sms_delivered",
    "failed",
    "unknown",
    "report",
)


class ReportInvariantError(ValueError):
    """Totals do not add up: a report that silently loses rows must not be published."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("campaign report totals are inconsistent: " + "; ".join(problems))


def normalise_code(code: object) -> str | None:
    """One spelling per code (ints from JSON, padded strings from Excel) so groups merge."""
    if code is None:
        return None
    text = str(code).strip()
    return text or None


def provider_code_info(code: str | None) -> CodeInfo | None:
    """The esms.codes entry for a provider/transport code, or None for product codes."""
    if code is None:
        return None
    if code in ESMS_CODES:
        return ESMS_CODES[code]
    if code in TRANSPORT_CODES:
        return TRANSPORT_CODES[code]
    try:
        return ZALO_CODES.get(int(code))
    except ValueError:
        return None


def reason_label(code: object, reason_vi: str | None = None, *, prefer_row: bool = False) -> str:
    """Vietnamese meaning of a reason code.

    Provider codes are labelled from esms.codes (the one table), row-check codes from the
    recipients' code table; other product codes use the row's own text. ``prefer_row`` keeps
    a row's specific text (per-recipient sheet) when present.
    """
    norm = normalise_code(code)
    row_text = (reason_vi or "").strip() or None
    if prefer_row and row_text:
        return row_text
    info = provider_code_info(norm)
    if info is not None:
        return info.vi
    doc = ROW_CODES.get(norm or "")
    if doc is not None:  # a row check: the code's own sentence, not one row's (which names its row)
        return f"{doc.meaning_vi}. {doc.action_vi}"
    if row_text:
        return row_text
    return NO_REASON_VI if norm is None else UNLABELLED_REASON_VI


def _contradiction(state: FinalState, zns_ok: bool, sms_ok: bool) -> str | None:
    """A row cannot be delivered on a channel eSMS never accepted, nor sent when invalid."""
    if state is FinalState.ZNS_DELIVERED and not zns_ok:
        return "zns_delivered without an accepted ZNS send"
    if state is FinalState.SMS_DELIVERED and not sms_ok:
        return "sms_delivered without an accepted SMS send"
    if state is FinalState.INVALID and (zns_ok or sms_ok):
        return "invalid but sent"
    return None


@dataclass(frozen=True, slots=True)
class CampaignMeta:
    """Identity and timing of one campaign run, as shown at the top of every report."""

    campaign_id: str
    campaign_name: str
    template_id: str
    oa_id: str
    started_at: datetime | None = None  # aware, or naive meaning UTC
    finished_at: datetime | None = None
    dry_run: bool = False
    postponed: str | None = None  # the postponement's line (why, until when) when the rest waits


@dataclass(frozen=True, slots=True)
class ReasonCount:
    """How many rows ended in ``state`` for reason ``code`` (None: no reason recorded)."""

    state: FinalState
    code: str | None
    label_vi: str
    count: int


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """Small, serialisable totals of a campaign; see the module docstring for definitions."""

    meta: CampaignMeta
    rows: int
    valid: int
    invalid: int
    zns_accepted: int
    zns_delivered: int
    sms_sent: int
    sms_delivered: int
    failed: int
    unknown: int
    total_cost: float
    by_state: dict[FinalState, int]
    reasons: tuple[ReasonCount, ...]  # every (state, code) group, largest first
    outcome_count: int  # len(outcomes); differs from rows only when rows were lost
    duplicate_rows: tuple[int, ...] = field(default=())  # row numbers seen twice (first 20)
    duplicate_count: int = 0
    contradictions: tuple[str, ...] = field(default=())  # rows whose state and codes disagree
    contradiction_count: int = 0
    sms_cost: float = 0.0  # of total_cost; the ZNS part is zns_cost
    days: tuple[DayProgress, ...] = field(default=())  # per Vietnam day of sending (zns/report/days.py)

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Iterable[RecipientOutcome],
        meta: CampaignMeta,
        *,
        input_rows: int | None = None,
        check: bool = True,
    ) -> CampaignSummary:
        """Count the outcomes in one pass; ``check`` raises at once if totals do not add up."""
        by_state: Counter[FinalState] = Counter()
        groups: Counter[tuple[FinalState, str | None]] = Counter()
        first_text: dict[tuple[FinalState, str | None], str | None] = {}
        seen: set[int] = set()
        dup_examples: list[int] = []
        dup_count = 0
        contradictions: list[str] = []
        contradiction_count = 0
        zns_accepted = sms_sent = count = 0
        cost = sms_cost = 0.0
        for o in outcomes:
            count += 1
            state = FinalState(o.state)
            by_state[state] += 1
            key = (state, normalise_code(o.reason_code))
            groups[key] += 1
            if key not in first_text or first_text[key] is None:
                first_text[key] = o.reason_vi
            zns_ok = is_sent(normalise_code(o.zns_code))
            sms_ok = is_sent(normalise_code(o.sms_code))
            zns_accepted += zns_ok
            sms_sent += sms_ok
            problem = _contradiction(state, zns_ok, sms_ok)
            if problem:
                contradiction_count += 1
                if len(contradictions) < 20:
                    contradictions.append(f"row {o.row}: {problem}")
            cost += o.cost or 0.0
            sms_cost += o.sms_cost or 0.0
            if o.row in seen:
                dup_count += 1
                if len(dup_examples) < 20:
                    dup_examples.append(o.row)
            else:
                seen.add(o.row)

        order = {s: i for i, s in enumerate(STATE_ORDER)}
        reasons = tuple(
            ReasonCount(state, code, reason_label(code, first_text.get((state, code))), n)
            for (state, code), n in sorted(
                groups.items(), key=lambda kv: (-kv[1], order[kv[0][0]], kv[0][1] or "")
            )
        )
        rows = count if input_rows is None else input_rows
        invalid = by_state[FinalState.INVALID]
        summary = cls(
            meta=meta,
            rows=rows,
            valid=rows - invalid,
            invalid=invalid,
            zns_accepted=zns_accepted,
            zns_delivered=by_state[FinalState.ZNS_DELIVERED],
            sms_sent=sms_sent,
            sms_delivered=by_state[FinalState.SMS_DELIVERED],
            failed=by_state[FinalState.FAILED],
            unknown=by_state[FinalState.UNKNOWN],
            total_cost=round(cost, 2),
            sms_cost=round(sms_cost, 2),
            by_state={s: by_state[s] for s in STATE_ORDER},
            reasons=reasons,
            outcome_count=count,
            duplicate_rows=tuple(dup_examples),
            duplicate_count=dup_count,
            contradictions=tuple(contradictions),
            contradiction_count=contradiction_count,
        )
        if check:
            summary.check()
        return summary

    @property
    def zns_cost(self) -> float:
        return round(self.total_cost - self.sms_cost, 2)

    def check(self) -> None:
        """Raise ReportInvariantError unless every row is in exactly one final state."""
        problems: list[str] = []
        finals = self.invalid + self.zns_delivered + self.sms_delivered + self.failed + self.unknown
        if self.rows != finals:
            problems.append(
                f"rows={self.rows} but invalid+zns_delivered+sms_delivered+failed+unknown={finals}"
            )
        if self.outcome_count != self.rows:
            problems.append(f"{self.rows} input rows but {self.outcome_count} outcomes")
        if self.duplicate_count:
            problems.append(
                f"{self.duplicate_count} outcomes repeat a row number (e.g. rows "
                f"{', '.join(map(str, self.duplicate_rows))})"
            )
        if self.contradiction_count:
            problems.append(
                f"{self.contradiction_count} rows whose final state contradicts their send codes "
                f"({'; '.join(self.contradictions)})"
            )
        for name, value, state in (
            ("invalid", self.invalid, FinalState.INVALID),
            ("zns_delivered", self.zns_delivered, FinalState.ZNS_DELIVERED),
            ("sms_delivered", self.sms_delivered, FinalState.SMS_DELIVERED),
            ("failed", self.failed, FinalState.FAILED),
            ("unknown", self.unknown, FinalState.UNKNOWN),
        ):
            if self.by_state.get(state, 0) != value:
                problems.append(f"{name}={value} but by_state[{state}]={self.by_state.get(state)}")
        if self.valid != self.rows - self.invalid:
            problems.append(f"valid={self.valid} but rows-invalid={self.rows - self.invalid}")
        if sum(r.count for r in self.reasons) != self.outcome_count:
            problems.append("reason counts do not add up to the outcomes")
        for small, big in (
            ("zns_delivered", "zns_accepted"),
            ("zns_accepted", "valid"),
            ("sms_delivered", "sms_sent"),
            ("sms_sent", "valid"),
        ):
            if getattr(self, small) > getattr(self, big):
                problems.append(
                    f"{small}={getattr(self, small)} exceeds {big}={getattr(self, big)}"
                )
        negatives = [n for n, _ in FUNNEL_STEPS if getattr(self, n) < 0]
        if negatives:
            problems.append(f"negative counts: {', '.join(negatives)}")
        if problems:
            raise ReportInvariantError(problems)

    def funnel(self) -> list[tuple[str, str, int]]:
        """(key, Vietnamese label, count) for each funnel step, in display order."""
        return [(key, label, getattr(self, key)) for key, label in FUNNEL_STEPS]

    def top_reasons(
        self, limit: int = 10, states: Iterable[FinalState] | None = None
    ) -> list[ReasonCount]:
        """Largest reason groups, optionally only for some final states."""
        wanted = set(states) if states is not None else None
        picked = [r for r in self.reasons if wanted is None or r.state in wanted]
        return picked[:limit]

    @property
    def failure_reasons(self) -> list[ReasonCount]:
        """Reasons of the rows that ended failed, largest first."""
        return [r for r in self.reasons if r.state is FinalState.FAILED]

    def as_json_line_dict(self, report: str | os.PathLike[str] | None) -> dict[str, object]:
        """The CLI's `--json` line: exactly JSON_LINE_KEYS; ``report`` is the workbook path."""
        return {
            "campaign_id": self.meta.campaign_id,
            "rows": self.rows,
            "invalid": self.invalid,
            "zns_accepted": self.zns_accepted,
            "zns_delivered": self.zns_delivered,
            "sms_sent": self.sms_sent,
            "sms_delivered": self.sms_delivered,
            "failed": self.failed,
            "unknown": self.unknown,
            "report": os.fspath(report) if report is not None else None,
        }
