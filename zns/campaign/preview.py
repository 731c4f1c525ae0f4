"""What the customer will read: a ZNS template rendered with one row's values (plain text)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from esms.models import ZnsTemplate

_PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
_TAG = re.compile(r"<[^>]+>")


def render_zns(template: ZnsTemplate, params: Sequence[str]) -> str:
    """`{{name}}` placeholders filled in template order; HTML tags dropped, entities decoded."""
    values = dict(zip(template.param_names, params, strict=False))
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template.content)
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())
