"""A big campaign split into shards that several workers send at the same time.

The parent run reads, validates and records every row, then starts one child run per shard of
the `zns-campaign-shard` deployment; each child reads the same file again and sends its own
contiguous part of the valid rows. The ledger's claims keep every phone to one message whoever
sends it, so a shard that is run twice (a retry after a crash) resends nothing twice.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TypeVar

from zns.campaign.errors import CampaignStopped
from zns.spec import CampaignSpec

ENV_VAR = "ZNS_SHARD_SIZE"
T = TypeVar("T")


def shard_size_for(spec: CampaignSpec) -> int | None:
    """The SPEC's `shard_size`, else $ZNS_SHARD_SIZE; None: the campaign is never split."""
    if spec.shard_size:
        return spec.shard_size
    raw = os.environ.get(ENV_VAR, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def shard_count(valid: int, size: int | None) -> int:
    return 1 if not size or valid <= size else math.ceil(valid / size)


def shard_part(valid: Sequence[T], shard: int, shards: int, expected: int) -> Sequence[T]:
    """Shard `shard` of `shards` (contiguous, sizes differ by one at most). The child read the
    file again: if it no longer yields the rows the campaign recorded, nothing is sent."""
    if len(valid) != expected:
        raise CampaignStopped(
            f"the recipients file changed since the campaign started: {len(valid)} valid rows now, "
            f"{expected} then; nothing sent by this shard — File người nhận đã thay đổi; chạy lại chiến dịch "
            "với file ban đầu"
        )
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not one of 0..{shards - 1}")
    start, end = (len(valid) * shard) // shards, (len(valid) * (shard + 1)) // shards
    return valid[start:end]
