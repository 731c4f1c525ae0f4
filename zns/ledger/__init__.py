"""Send ledger: the idempotency record of every campaign, recipient and message.

See docs/architecture.md §5 "Idempotency" and docs/reliability.md.
"""

from zns.ledger.keys import request_id
from zns.ledger.ledger import Ledger
from zns.ledger.migrate import upgrade
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

__all__ = [
    "CampaignRecord",
    "CampaignStatus",
    "Claim",
    "DeliveryUpdate",
    "Ledger",
    "MessageRow",
    "MessageState",
    "RecipientRow",
    "SendRecord",
    "request_id",
    "upgrade",
]
