"""CSKH SMS templates: `{P1,20}` placeholders, rendering, matching and ASCII transliteration.

The simulator's 146 check and the fallback's pre-send check both use this module, so a text the
product accepts is a text the (simulated) gateway accepts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][\w]*)\s*(?:[,:]\s*(\d+)\s*)?\}")

# GSM-7 basic set is wider, but the gateway's "IsUnicode 0" route is safest with printable ASCII.
_ASCII_PRINTABLE = re.compile(r"[\x20-\x7e\n]*")
_SPECIAL = {"đ": "d", "Đ": "D", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
            "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " "}

_MAX_BOUND = 65_535  # larger {Pn,limit} bounds are matched as unbounded

GSM_SINGLE_SMS = 160
# CSKH multipart thresholds counted by one Vietnamese provider (docs/esms-api.md §2.3, [3P]).
CSKH_PART_LIMITS = (160, 306, 459)


def to_ascii(text: str) -> str:
    """Strip Vietnamese diacritics (and other non-ASCII) so the SMS goes out with IsUnicode 0."""
    text = "".join(_SPECIAL.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.encode("ascii", "ignore").decode("ascii")


def is_ascii_text(text: str) -> bool:
    return bool(_ASCII_PRINTABLE.fullmatch(text))


def sms_parts(text: str) -> int:
    """Number of CSKH parts an ASCII text is billed as; 0 when it is too long to send."""
    for i, limit in enumerate(CSKH_PART_LIMITS, start=1):
        if len(text) <= limit:
            return i
    return 0


@dataclass(frozen=True, slots=True)
class SmsVar:
    name: str
    max_length: int | None


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    """A registered CSKH template such as "{P1,20} la ma xac minh cua ban"."""

    template_id: str
    brandname: str
    content: str
    ids: tuple[str, ...] = ()  # every TempId eSMS lists for this content (one per telco)

    def has_id(self, template_id: str) -> bool:
        return str(template_id) == self.template_id or str(template_id) in self.ids

    @property
    def variables(self) -> list[SmsVar]:
        seen: dict[str, SmsVar] = {}
        for m in _PLACEHOLDER.finditer(self.content):
            if m.group(1) not in seen:
                seen[m.group(1)] = SmsVar(m.group(1), int(m.group(2)) if m.group(2) else None)
        return list(seen.values())

    def render(self, values: dict[str, str]) -> str:
        """Fill the placeholders (values are used as given; transliterate before if needed)."""

        def repl(m: re.Match[str]) -> str:
            return values[m.group(1)]

        return _PLACEHOLDER.sub(repl, self.content)

    def pattern(self) -> re.Pattern[str]:
        """Regex that a sent text must match: fixed parts literal, variables bounded in length."""
        parts: list[str] = []
        last = 0
        for m in _PLACEHOLDER.finditer(self.content):
            parts.append(re.escape(self.content[last : m.start()]))
            limit = int(m.group(2)) if m.group(2) else None
            if limit is None or limit > _MAX_BOUND:
                parts.append("(.+)")  # no SMS comes near; re refuses bounds from 2**32 - 1
            elif limit < 1:
                parts.append("(?!)")  # "{P1,0}": no value fits (and re refuses {1,0})
            else:
                parts.append(f"(.{{1,{limit}}})")
            last = m.end()
        parts.append(re.escape(self.content[last:]))
        return re.compile("".join(parts), re.DOTALL)

    def matches(self, text: str) -> bool:
        return bool(self.pattern().fullmatch(text))
