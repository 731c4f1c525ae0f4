"""ZNS refused "for now": sent again at the next opening, not failed and not sent to fallback.

Zalo answers -133 to some ZNS at night and -144/-147 once the OA's or the template's daily quota
is spent (docs/esms-api.md §5.2; the outcome policy gives them the wait class). Such a message
waits: the run ends "postponed" with a continuation at the next opening (the campaign's send
window, else DEFAULT_WINDOW for night refusals; the next Vietnam day for quota refusals). That
run reopens what is due under a new RequestId per round, since eSMS keeps the refused attempt's
RequestId for 24 hours. After MAX_ROUNDS resends the refusal is final.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from zns import policy
from zns.campaign.sending import BatchStats
from zns.campaign.window import Postponement, SendWindow, next_day
from zns.ledger import Ledger, MessageRow
from zns.timeutil import VN

NIGHT, QUOTA = "QUIET_HOURS", "QUOTA_EXHAUSTED"
KIND_OF_CODE = {"-133": NIGHT, "-144": QUOTA, "-147": QUOTA}
# Zalo's own day for ZNS when the campaign has no window of its own (about 06:00-22:00; a margin kept).
DEFAULT_WINDOW = SendWindow(time(7, 0), time(21, 30))
MAX_ROUNDS = 3


def wait_code(msg: MessageRow) -> str:
    """The refusal's code: the delivery's Zalo code, else the send answer's (the policy's reason)."""
    return policy.failure_reason(msg)[0]


def kind_of(code: str) -> str:
    return KIND_OF_CODE.get(code.strip(), NIGHT)


def _opening_start(window: SendWindow, now: datetime) -> datetime:
    """When the opening `now` is in began (aware UTC); `now` must be inside the window."""
    local = now.astimezone(VN)
    start = local.replace(hour=window.start.hour, minute=window.start.minute, second=0, microsecond=0)
    return (start if start <= local else start - timedelta(days=1)).astimezone(UTC)


def retry_at(kind: str, window: SendWindow | None, now: datetime) -> datetime:
    """Night: the next opening after the current one (Zalo said it is night, whatever our clock
    says); quota: the next Vietnam day's first sending moment."""
    if kind == QUOTA:
        return next_day(window, now)
    hours = window or DEFAULT_WINDOW
    if hours.contains(now):
        return _opening_start(hours, now) + timedelta(days=1)
    return hours.next_opening(now)


def is_due(msg: MessageRow, window: SendWindow | None, now: datetime) -> bool:
    """A night refusal is due inside a later opening; a quota refusal on a later Vietnam day, in
    sending hours (a rerun just after midnight would meet Zalo's night)."""
    tried = msg.sent_at or msg.claimed_at or now
    hours = window or DEFAULT_WINDOW
    if kind_of(wait_code(msg)) == QUOTA:
        return now.astimezone(VN).date() > tried.astimezone(VN).date() and hours.contains(now)
    return hours.contains(now) and tried < _opening_start(hours, now)


def reopen_due(ledger: Ledger, campaign_id: str, window: SendWindow | None, now: datetime) -> tuple[int, int]:
    """Resend what is due (reopened, new round) or end it after MAX_ROUNDS: (reopened, ended)."""
    due = [m for m in ledger.waiting(campaign_id) if is_due(m, window, now)]
    ended = [m.phone for m in due if m.wait_rounds >= MAX_ROUNDS]
    resends = [(m.phone, m.wait_rounds + 1, f"resend {m.wait_rounds + 1} after {wait_code(m)}")
               for m in due if m.wait_rounds < MAX_ROUNDS]
    return ledger.reopen_waiting(campaign_id, resends), ledger.end_waiting(campaign_id, ended)


def postponement(counts: Counter[str], window: SendWindow | None, now: datetime) -> Postponement | None:
    """The wait for these refusals (code → messages): the earliest retry among their kinds, with the counts."""
    counts = +counts  # drop zero counts
    if not counts:
        return None
    kinds = {kind_of(c) for c in counts}
    kind = min(kinds, key=lambda k: (retry_at(k, window, now), k != NIGHT))
    detail = ", ".join(f"{n} tin {c} ({policy.code_info(c).vi})" for c, n in sorted(counts.items()))
    return Postponement(retry_at(kind, window, now), kind,
                        f"Zalo tạm từ chối ZNS: {detail}; gửi lại ZNS lần sau, không gửi SMS dự phòng")


def campaign_wait(ledger: Ledger, campaign_id: str, window: SendWindow | None, now: datetime) -> Postponement | None:
    """After the delivery wait: the campaign's refused-for-now ZNS, if any."""
    return postponement(Counter(wait_code(m) for m in ledger.waiting(campaign_id)), window, now)


def batches_wait(results: Sequence[BatchStats], window: SendWindow | None, now: datetime) -> Postponement | None:
    """Stop submitting once a batch got refused-for-now answers: the rest would be refused too."""
    counts: Counter[str] = Counter()
    for r in results:
        if r.waiting:
            counts.update({c: n for c, n in r.codes.items() if policy.send_outcome(c).waiting})
    return postponement(counts, window, now)
