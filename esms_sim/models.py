"""The gateway's catalogue records: ZNS templates and their params, brandnames, CSKH templates.

Small frozen dataclasses of the simulator's own, shaped after what GetTemplate and
GetZnsTemplateInfo report (docs/esms-api.md §3, §3.1, §3.2), not after the product's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ParamType(StrEnum):
    """A ZNS variable's RequireType exactly as GetTemplate spells it (§3.8)."""

    TEXT = "type_text"
    NUMBER = "type_number"  # digits 0-9 only, at most 12 of them
    DATE = "type_date"  # dd/MM/yyyy
    URL = "type_cta_url"


@dataclass(frozen=True, slots=True)
class ZnsParam:
    """One template variable: ParamLevel order, RequireType, Limit and the 7.8 null rules."""

    name: str
    order: int
    type: ParamType = ParamType.TEXT
    max_length: int | None = None
    min_length: int = 0
    required: bool = True
    accept_null: bool = False


@dataclass(frozen=True, slots=True)
class ZnsTemplate:
    """A ZNS template registered for an OA; `params` are in any order, ParamLevel decides."""

    template_id: str
    oa_id: str
    name: str = ""
    content: str = ""
    status: str = "ENABLE"
    tag: str | None = None
    price: float | None = None
    params: tuple[ZnsParam, ...] = ()

    def ordered_params(self) -> list[ZnsParam]:
        """Params in ParamLevel order, the order positional `Params` values must follow."""
        return sorted(self.params, key=lambda p: p.order)


@dataclass(frozen=True, slots=True)
class Brandname:
    """A registered brandname; Type 1 advertising, 2 CSKH, 23 Viber (§1.1)."""

    name: str
    type: int = 2


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    """A CSKH template registered with the telcos, e.g. "{P1,20} la ma xac minh cua ban"."""

    template_id: str
    brandname: str
    content: str
