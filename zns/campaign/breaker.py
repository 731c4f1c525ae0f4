"""The circuit breaker: stop the ZNS sends when they go wrong, before an OA's reputation does.

Two signals (SPEC `circuit_breaker`): the share of recipients eSMS refused at send time over
the last batches, and the OA's quality from ZNS/GetQuality turning LOW (Zalo restricts such an
OA). A trip stops submitting batches; the run ends "postponed" without a continuation, and
running the campaign again, once an operator has looked, sends the rest (the ledger's claims).
"""

from __future__ import annotations

from collections.abc import Sequence

from esms.models import OaQuality
from zns.campaign.sending import BatchStats
from zns.campaign.window import Postponement
from zns.spec import BreakerSpec


def failure_rate_trip(spec: BreakerSpec, results: Sequence[BatchStats]) -> Postponement | None:
    """Refused / answered over the last `last_batches` batches, once `min_messages` were answered."""
    recent = list(results)[-spec.last_batches:]
    answered = sum(r.accepted + r.rejected for r in recent)
    refused = sum(r.rejected for r in recent)
    if answered < spec.min_messages or refused / answered <= spec.max_failure_rate:
        return None
    return Postponement(None, "FAILURE_RATE",
                        f"Dừng gửi ZNS: {refused}/{answered} tin bị từ chối ở {len(recent)} lô gần nhất "
                        f"(ngưỡng {spec.max_failure_rate:.0%})")


def quality_trip(spec: BreakerSpec, quality: OaQuality | None) -> Postponement | None:
    """A LOW current quality stops the sends; an unknown quality (lookup failed) does not."""
    if not spec.stop_on_low_quality or quality is None or quality.current != "LOW":
        return None
    return Postponement(None, "QUALITY_LOW", "Dừng gửi ZNS: chất lượng OA 48 giờ gần nhất là LOW (ZNS/GetQuality)")


def quality_due(spec: BreakerSpec, batches_done: int) -> bool:
    """Before the first batch, then every `quality_every` batches."""
    return batches_done % spec.quality_every == 0
