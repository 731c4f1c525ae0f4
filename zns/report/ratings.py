"""Ratings per ZNS template across campaigns ("đánh giá theo mẫu ZNS"), read from the ledger.

The reconcile flow stores each recipient's rating (ZNS/GetRating) per campaign; marketing asks
which template people rate low, so this groups them per OA and template over a range of Vietnam
days (the day the recipient submitted it). Plain Python: the CLI (`zns ratings`), the `/volume`
page and its workbook call it.

Decisions:

- A rating counts on the Vietnam day of its submit time; the range's bounds become UTC instants,
  so the query is the same plain comparison on SQLite and PostgreSQL.
- OA and template are the campaign's (`campaigns.oa_id` / `template_id`), as the pull asked Zalo.
- Phones in the latest notes are masked (`0912***678`), and so is any phone typed in a note: the
  page and workbook go to marketing, who need the words, not the recipients.
- Groups come lowest average first: the question is which template people rate low.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from esms._redact import MASK, mask_phones
from zns.ledger import Ledger
from zns.ledger.schema import UTCDateTime, campaigns, ratings
from zns.report.ranges import range_title, read_rows
from zns.timeutil import VN, to_vn_naive

STARS = (1, 2, 3, 4, 5)
NOTES_PER_TEMPLATE = 5  # the latest notes shown per (OA, template)


@dataclass(frozen=True, slots=True)
class RatingNote:
    """One recent rating with words (a note or Zalo's feedback tags); the phone is masked."""

    submitted_at: datetime  # aware UTC
    campaign_id: str
    phone: str  # masked: 0912***678
    rate: int
    note: str
    feedbacks: tuple[str, ...]

    @property
    def submitted_vn(self) -> datetime:
        """Naive Vietnam wall-clock time: what the page prints and an Excel cell holds."""
        return to_vn_naive(self.submitted_at)

    @property
    def text(self) -> str:
        """Note and feedback tags on one line (the workbook cell, the CLI)."""
        parts = [self.note] if self.note else []
        parts += list(self.feedbacks)
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"submitted_at": self.submitted_at.isoformat(), "campaign_id": self.campaign_id,
                "phone": self.phone, "rate": self.rate, "note": self.note, "feedbacks": list(self.feedbacks)}


@dataclass(frozen=True, slots=True)
class RatingGroup:
    """Ratings of one (OA, template) in the range: count, average, stars 1..5 and the latest notes."""

    oa_id: str
    template_id: str
    campaigns: int
    count: int
    average: float
    stars: dict[int, int]
    notes: list[RatingNote] = field(default_factory=list)

    def share(self, star: int) -> float:
        """Share of the ratings with `star` stars, 0..1 (the page's bar widths)."""
        return self.stars.get(star, 0) / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"oa_id": self.oa_id, "template_id": self.template_id, "campaigns": self.campaigns,
                "count": self.count, "average": self.average, "stars": {str(s): self.stars.get(s, 0) for s in STARS},
                "notes": [n.as_dict() for n in self.notes]}


@dataclass(frozen=True, slots=True)
class RatingsReport:
    """The groups for a date range and filters, with what the page, CLI and workbook show."""

    start: date
    end: date
    oa_id: str | None
    template_id: str | None
    groups: list[RatingGroup]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def average(self) -> float | None:
        """Average stars over every rating of the range (weighted by count, not by template)."""
        return sum(g.average * g.count for g in self.groups) / self.count if self.count else None

    @property
    def title(self) -> str:
        return range_title("Đánh giá", self.start, self.end, self.oa_id, self.template_id)

    def as_dict(self) -> dict[str, Any]:
        """The CLI's --json line: filters, every group and the totals."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "oa_id": self.oa_id,
                "template_id": self.template_id, "groups": [g.as_dict() for g in self.groups],
                "totals": {"count": self.count, "average": self.average}}


def format_average(value: float | None) -> str:
    """4.25 -> '4,3' (Vietnamese decimal comma); no ratings -> '—'."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def mask_phone(phone: str) -> str:
    """0912345678 -> 0912***678 with the product's log masking; anything else keeps only its ends."""
    masked = mask_phones(phone)
    if masked != phone:
        return masked
    return f"{phone[:4]}{MASK}{phone[-3:]}" if len(phone) >= 8 else MASK


# -- reading the ledger --------------------------------------------------------------------------


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Vietnam days start..end (both included) as the UTC instants [from, until)."""
    first = datetime.combine(start, time(), tzinfo=VN).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=VN).astimezone(UTC)
    return first, until


def _where(start: date, end: date, oa_id: str | None, template_id: str | None) -> list[sa.ColumnElement[bool]]:
    first, until = utc_bounds(start, end)
    r, c = ratings.c, campaigns.c
    where = [r.submitted_at >= sa.bindparam("r_from", first, type_=UTCDateTime()),
             r.submitted_at < sa.bindparam("r_until", until, type_=UTCDateTime())]
    if oa_id:
        where.append(c.oa_id == oa_id)
    if template_id:
        where.append(c.template_id == template_id)
    return where


def _joined() -> sa.Join:
    return ratings.join(campaigns, campaigns.c.campaign_id == ratings.c.campaign_id)


def _star_counts(source: Ledger | sa.Engine | sa.Connection,
                 where: list[sa.ColumnElement[bool]]) -> dict[tuple[str, str], dict[int, int]]:
    """(OA, template) -> stars -> ratings."""
    c, r = campaigns.c, ratings.c
    stmt = (sa.select(c.oa_id, c.template_id, r.rate, sa.func.count()).select_from(_joined()).where(*where)
            .group_by(c.oa_id, c.template_id, r.rate))
    out: dict[tuple[str, str], dict[int, int]] = {}
    for oa, tpl, rate, n in read_rows(source, stmt):
        out.setdefault((oa or "", tpl or ""), {})[int(rate)] = int(n)
    return out


def _campaign_counts(source: Ledger | sa.Engine | sa.Connection,
                     where: list[sa.ColumnElement[bool]]) -> dict[tuple[str, str], int]:
    """(OA, template) -> how many campaigns the ratings came from."""
    c, r = campaigns.c, ratings.c
    stmt = (sa.select(c.oa_id, c.template_id, sa.func.count(sa.distinct(r.campaign_id))).select_from(_joined())
            .where(*where).group_by(c.oa_id, c.template_id))
    return {(oa or "", tpl or ""): int(n) for oa, tpl, n in read_rows(source, stmt)}


def _has_words() -> sa.ColumnElement[bool]:
    """A note, or a non-empty feedback list (JSON compared as text: the same on both engines)."""
    r = ratings.c
    return sa.or_(sa.func.coalesce(r.note, "") != "",
                  sa.func.coalesce(sa.cast(r.feedbacks_json, sa.Text), "[]").not_in(["[]", "null"]))


def _latest_notes(source: Ledger | sa.Engine | sa.Connection, where: list[sa.ColumnElement[bool]],
                  per_group: int) -> dict[tuple[str, str], list[RatingNote]]:
    """The `per_group` latest ratings with words of each (OA, template), newest first."""
    c, r = campaigns.c, ratings.c
    rank = sa.func.row_number().over(partition_by=(c.oa_id, c.template_id),
                                     order_by=(r.submitted_at.desc(), r.campaign_id, r.phone))
    ranked = (sa.select(c.oa_id, c.template_id, r.campaign_id, r.phone, r.rate, r.note, r.feedbacks_json,
                        r.submitted_at, rank.label("n"))
              .select_from(_joined()).where(*where, _has_words()).subquery())
    stmt = sa.select(ranked).where(ranked.c.n <= per_group).order_by(ranked.c.oa_id, ranked.c.template_id,
                                                                     ranked.c.n)
    out: dict[tuple[str, str], list[RatingNote]] = {}
    for row in read_rows(source, stmt):
        note = _note(row)
        if note.text:
            out.setdefault((row.oa_id or "", row.template_id or ""), []).append(note)
    return out


def _note(row: sa.Row[Any]) -> RatingNote:
    feedbacks = tuple(mask_phones(str(f)) for f in (row.feedbacks_json or []) if str(f).strip())
    return RatingNote(submitted_at=row.submitted_at, campaign_id=row.campaign_id, phone=mask_phone(row.phone),
                      rate=int(row.rate), note=mask_phones((row.note or "").strip()), feedbacks=feedbacks)


def _group(key: tuple[str, str], stars: dict[int, int], campaigns_n: int, notes: list[RatingNote]) -> RatingGroup:
    count = sum(stars.values())
    average = sum(rate * n for rate, n in stars.items()) / count if count else 0.0
    return RatingGroup(oa_id=key[0], template_id=key[1], campaigns=campaigns_n, count=count, average=average,
                       stars={s: stars.get(s, 0) for s in STARS}, notes=notes)


def read_ratings(source: Ledger | sa.Engine | sa.Connection, start: date, end: date,
                 oa_id: str | None = None, template_id: str | None = None, *,
                 notes: int = NOTES_PER_TEMPLATE) -> RatingsReport:
    """Ratings submitted on Vietnam days start..end (both included), per OA and template."""
    where = _where(start, end, oa_id, template_id)
    stars = _star_counts(source, where)
    campaign_counts = _campaign_counts(source, where)
    latest = _latest_notes(source, where, notes) if notes > 0 else {}
    groups = [_group(key, s, campaign_counts.get(key, 0), latest.get(key, [])) for key, s in stars.items()]
    groups.sort(key=lambda g: (g.average, g.oa_id, g.template_id))
    return RatingsReport(start, end, oa_id or None, template_id or None, groups)
