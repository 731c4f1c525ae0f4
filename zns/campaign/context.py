"""What every step of one campaign run needs to know, without secrets (safe to log and pass)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class CampaignContext:
    campaign_id: str
    campaign_name: str
    oa_id: str
    template_id: str
    message_type: Literal["normal", "priority"]
    sandbox: bool
    claimed_by: str  # flow run id or host:pid, recorded on each claim
    brandname: str | None = None
