"""Refusal suppression: a recipient who refused or blocked an OA's ZNS gets no more ZNS from it.

Derived from the ledger: a phone whose ZNS from a campaign of the OA failed with a refusal code
(`policy.REFUSAL_CODES`) after the last time an operator cleared it is suppressed. A later
campaign of the OA records its ZNS as not sent (`ZNS_SUPPRESSED`, fallback class), so the SMS
fallback, when the campaign has one, still reaches the phone; `zns suppressed` lists and clears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from zns import policy
from zns.ledger import Ledger
from zns.phones import normalize_phone
from zns.timeutil import VN


@dataclass(frozen=True, slots=True)
class Suppression:
    phone: str
    code: str  # the refusal code (-139, -140, -141)
    campaign_id: str  # where the phone refused
    at: datetime  # aware UTC

    def note(self) -> str:
        return (f"Không gửi ZNS: số này đã từ chối ZNS của OA ({self.code}, chiến dịch {self.campaign_id}, "
                f"{self.at.astimezone(VN):%d/%m/%Y}); xoá khỏi danh sách bằng `zns suppressed --clear`")


def suppressions(ledger: Ledger, oa_id: str) -> dict[str, Suppression]:
    """Each suppressed phone of the OA with its latest refusal after its last clear."""
    cleared = ledger.suppression_clears(oa_id)
    out: dict[str, Suppression] = {}
    for phone, code, campaign_id, at in ledger.refusals(oa_id, sorted(policy.REFUSAL_CODES)):
        if phone in cleared and at <= cleared[phone]:
            continue
        if phone not in out or at > out[phone].at:
            out[phone] = Suppression(phone, code, campaign_id, at)
    return out


def suppress_refusers(ledger: Ledger, campaign_id: str, oa_id: str, phones: Iterable[str]) -> int:
    """Record the campaign's ZNS to suppressed phones as not sent; returns how many were new."""
    found = suppressions(ledger, oa_id)
    chosen = [p for p in dict.fromkeys(phones) if p in found]
    if not chosen:
        return 0
    return ledger.record_suppressed(campaign_id, chosen, {p: found[p].note() for p in chosen})


def clear_suppressions(ledger: Ledger, oa_id: str, raw_phones: Iterable[str]) -> list[str]:
    """The operator lets the OA send ZNS to these phones again (until they refuse again); the
    phones as normalised, PhoneError naming the first bad one. One use case for CLI and page."""
    phones = [normalize_phone(p) for p in raw_phones]
    if oa_id and phones:
        ledger.clear_suppressions(oa_id, phones)
    return phones
