"""CSKH SMS rules of the gateway: template match (else 146), the ASCII route and parts pricing.

docs/esms-api.md §2.3: content must fit a template registered for the brandname, whose variables
read `{P1,20}` (at most 20 characters; registration writes `{P1:20}`). Parts follow the [3P]
CSKH thresholds 160/306/459 for plain text and 70 (then 67 per part) for unicode.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from esms_sim.models import SmsTemplate

_VARIABLE = re.compile(r"\{\s*(\w+)\s*[,:]\s*(\d+)\s*\}")
# IsUnicode 0 is the 7-bit route: printable ASCII and line breaks only (a documented choice).
_PLAIN = re.compile(r"[\x20-\x7e\r\n]*")
PLAIN_PART_LIMITS = (160, 306, 459)
PLAIN_PART_BEYOND = 153
UNICODE_SINGLE = 70
UNICODE_PART = 67


@lru_cache(maxsize=1024)
def content_pattern(content: str) -> re.Pattern[str]:
    """Fixed text literal, each `{Pn,max}` one to `max` characters of anything."""
    parts: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(content):
        parts.append(re.escape(content[last:match.start()]))
        parts.append(f".{{1,{int(match.group(2))}}}")
        last = match.end()
    parts.append(re.escape(content[last:]))
    return re.compile("".join(parts), re.DOTALL)


def matching_template(templates: list[SmsTemplate], content: str) -> SmsTemplate | None:
    """The registered template the content fits; None means the gateway answers 146."""
    for template in templates:
        if content_pattern(template.content).fullmatch(content):
            return template
    return None


def is_plain(content: str) -> bool:
    """True when the text can go out on the IsUnicode 0 route."""
    return bool(_PLAIN.fullmatch(content))


def parts(content: str, unicode: bool) -> int:
    """How many SMS parts the content is billed as."""
    if unicode and not is_plain(content):
        if len(content) <= UNICODE_SINGLE:
            return 1
        return math.ceil(len(content) / UNICODE_PART)
    for count, limit in enumerate(PLAIN_PART_LIMITS, start=1):
        if len(content) <= limit:
            return count
    return math.ceil(len(content) / PLAIN_PART_BEYOND)
