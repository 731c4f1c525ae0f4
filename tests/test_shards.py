"""How a big campaign is cut into shards (zns/campaign/shards.py): every valid row in exactly one
shard, sizes within one of each other, and a file that changed under the campaign sends nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zns.campaign.errors import CampaignStopped
from zns.campaign.shards import shard_count, shard_part, shard_size_for
from zns.spec import CampaignSpec


@given(rows=st.integers(min_value=0, max_value=5000), size=st.integers(min_value=1, max_value=2000))
def test_the_shards_cover_every_row_once(rows: int, size: int) -> None:
    valid = list(range(rows))
    shards = shard_count(rows, size)
    parts = [list(shard_part(valid, i, shards, rows)) for i in range(shards)]
    assert [r for part in parts for r in part] == valid
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert shards == 1 or max(map(len, parts)) <= size


def test_a_campaign_at_or_below_its_shard_size_is_not_split() -> None:
    assert shard_count(500, 500) == 1 and shard_count(501, 500) == 2 and shard_count(10**6, None) == 1


def test_a_shard_that_reads_other_rows_than_the_campaign_recorded_sends_nothing() -> None:
    with pytest.raises(CampaignStopped, match="changed since the campaign started"):
        shard_part(list(range(99)), 0, 2, expected=100)


def test_the_shard_size_comes_from_the_spec_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = CampaignSpec(campaign_name="x", oa_id="1", template_id="2", source="a.xlsx")
    monkeypatch.delenv("ZNS_SHARD_SIZE", raising=False)
    assert shard_size_for(spec) is None
    monkeypatch.setenv("ZNS_SHARD_SIZE", "50000")
    assert shard_size_for(spec) == 50000
    assert shard_size_for(spec.model_copy(update={"shard_size": 700})) == 700
