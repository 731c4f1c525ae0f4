"""The campaign use cases without a Prefect server: in-memory SQLite and `httpx.MockTransport`.

Each test asserts the requests on the wire and the ledger states; together they pin the four
trust failures of issue 8 (sandbox account, partial bulk answer, crashed fallback, past send_at)
and the outcome policy they rely on.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from esms.codes import ResultClass
from esms.sms_templates import SmsTemplate
from tests.fakes import FakeGateway
from zns import policy
from zns.accounts import AccountConfig
from zns.campaign.context import CampaignContext
from zns.campaign.delivery import DeliveryStats, DeliveryWatcher, recover_interrupted
from zns.campaign.fallback import prepare_fallback, sms_batches
from zns.campaign.sending import send_sms_batch, send_zns_batch
from zns.ledger import Claim, DeliveryUpdate, Ledger, MessageState, RecipientRow, SendRecord
from zns.outcomes import Channel, FinalState
from zns.timeutil import PastTimeError, require_future, vn_now

BULK = "Send_zns_bulk_v4_post_json"
SMS = "SendMultipleMessage_V4_post_json"
TEMPLATE = SmsTemplate("9101", "ZNSDEMO", "Chao {P1,30}, don {P2,10} da xac nhan.")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def ledger() -> Iterator[Ledger]:
    led = Ledger.from_url("sqlite://")
    yield led
    led.close()


def context(campaign_id: str = "c1", *, sandbox: bool = False) -> CampaignContext:
    return CampaignContext(campaign_id, "Thu nghiem", "4097311281936189049", "210001", "normal",
                           sandbox, "run-1", "ZNSDEMO")


def phones(n: int) -> list[str]:
    return [f"09120000{i:02d}" for i in range(n)]


def setup_campaign(ledger: Ledger, ps: list[str], campaign_id: str = "c1") -> None:
    ledger.upsert_campaign(campaign_id, name="Thu nghiem", fallback={"brandname": "ZNSDEMO"})
    ledger.record_recipients(campaign_id, [
        RecipientRow(i + 2, p, values={"sms:P1": f"Khach {i}", "sms:P2": f"HD{i}"}) for i, p in enumerate(ps)
    ])


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# -- the outcome policy --------------------------------------------------------------------


def test_policy_124_is_an_accepted_duplicate_and_a_missing_answer_is_never_final() -> None:
    dup = policy.send_outcome("124")
    assert dup.accepted and dup.duplicate and dup.result_class is ResultClass.ACCEPTED
    for missing in (None, "", policy.NO_ANSWER, "TIMEOUT", "HTTP_5XX", "160"):
        outcome = policy.send_outcome(missing)
        assert outcome.state is MessageState.AMBIGUOUS and not outcome.final, missing
    assert policy.send_outcome("108").state is MessageState.REJECTED
    assert policy.send_outcome("101").stops_campaign and policy.send_outcome("101").state is MessageState.RELEASED
    assert policy.send_outcome("4242").state is MessageState.REJECTED  # unknown: never retried blindly
    assert policy.accepted_codes() == {"100", "124"}
    assert DeliveryUpdate.from_error_info("0912000000", "-118").fallback
    assert not DeliveryUpdate.from_error_info("0912000000", "-108").fallback


def test_no_literal_124_outside_the_policy_and_the_code_table() -> None:
    allowed = {ROOT / "zns" / "policy.py", ROOT / "esms" / "codes.py"}
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("esms", "zns", "flows")
        for path in sorted((ROOT / folder).rglob("*.py")) if path not in allowed
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""["']124["']""", line)
    ]
    assert found == []


# -- 1. a sandbox account never sends live -------------------------------------------------


def test_sandbox_account_sends_everything_as_sandbox_whatever_the_campaign_says(ledger: Ledger) -> None:
    ps = phones(4)
    setup_campaign(ledger, ps)
    gateway = FakeGateway()
    ctx = context(sandbox=False)  # the SPEC's default `sandbox: false`

    async def go() -> None:
        async with gateway.client(sandbox=True) as client:
            await send_zns_batch(client, ledger, ctx, [(p, ["x"]) for p in ps])
            await send_sms_batch(client, ledger, ctx, {ps[0]: "Chao Khach 0, don HD0 da xac nhan."},
                                 brandname="ZNSDEMO")

    run(go())
    sends = gateway.bodies(BULK) + gateway.bodies(SMS)
    assert len(sends) == 2 and all(b["Sandbox"] == "1" for b in sends)
    account = AccountConfig(api_key="k" * 8, secret_key="s" * 8, sandbox=True)
    assert account.sandbox_for(False) and account.sandbox_for(True)
    assert not AccountConfig(api_key="k" * 8, secret_key="s" * 8).sandbox_for(False)


# -- 2. a recipient missing from a bulk answer ---------------------------------------------


def test_recipients_left_out_of_a_bulk_answer_are_looked_up_and_only_the_unknown_resent(ledger: Ledger) -> None:
    ps = phones(10)
    setup_campaign(ledger, ps)
    gateway = FakeGateway(omit=set(ps[:4]), omit_processed=set(ps[:2]))

    async def go():  # type: ignore[no-untyped-def]
        async with gateway.client() as client:
            return await send_zns_batch(client, ledger, context(), [(p, ["x"]) for p in ps])

    stats = run(go())
    first, second = gateway.bodies(BULK)
    assert [i["Phone"] for i in first["Data"]] == ps
    assert len(gateway.bodies("GetSmsSentData_V2")) >= 1  # looked up before any resend
    assert sorted(i["Phone"] for i in second["Data"]) == ps[2:4]  # only what eSMS did not know
    ids = {i["Phone"]: i["RequestId"] for i in first["Data"]}
    assert all(i["RequestId"] == ids[i["Phone"]] for i in second["Data"])  # same RequestId
    rows = {m.phone: m for m in ledger.messages("c1", Channel.ZNS)}
    assert all(rows[p].state is MessageState.ACCEPTED and rows[p].sms_id for p in ps)
    assert stats.accepted == 10 and stats.found == 2 and stats.rejected == 0
    assert len(gateway.by_request_id) == 10  # each recipient once at the gateway


def test_a_recipient_never_answered_stays_ambiguous_not_failed(ledger: Ledger) -> None:
    ps = phones(3)
    setup_campaign(ledger, ps)
    gateway = FakeGateway(omit={ps[0]}, omit_always=True)

    async def go():  # type: ignore[no-untyped-def]
        async with gateway.client() as client:
            return await send_zns_batch(client, ledger, context(), [(p, ["x"]) for p in ps])

    stats = run(go())
    rows = {m.phone: m for m in ledger.messages("c1", Channel.ZNS)}
    assert rows[ps[0]].state is MessageState.AMBIGUOUS and rows[ps[0]].code == policy.NO_ANSWER
    assert stats.ambiguous == 1 and stats.rejected == 0
    ledger.finalize("c1")
    outcome = next(o for o in ledger.outcomes("c1") if o.phone == ps[0])
    assert outcome.state is FinalState.UNKNOWN  # not "failed": nothing is final without evidence


# -- 3. a crash during the SMS fallback ----------------------------------------------------


def crashed_during_fallback(ledger: Ledger, gateway: FakeGateway, ps: list[str], went_out: int = 2) -> list[Claim]:
    """Every ZNS failed for lack of Zalo; a run claimed every SMS, `went_out` of them reached
    eSMS, then it died before recording any answer."""
    setup_campaign(ledger, ps)
    ledger.claim("c1", ps, Channel.ZNS, "dead-run")
    ledger.record_send_results("c1", Channel.ZNS, [SendRecord(p, "100", sms_id=f"Z{p}") for p in ps])
    ledger.record_delivery("c1", Channel.ZNS, [DeliveryUpdate.from_error_info(p, "-118") for p in ps])
    claims = ledger.claim("c1", ps, Channel.SMS, "dead-run")
    for claim in claims[:went_out]:
        gateway._store(claim.phone, "sms", "Thu nghiem", claim.request_id)
    return claims



def test_fallback_after_a_crash_resends_unanswered_claims_under_the_same_request_id(ledger: Ledger) -> None:
    ps = phones(5)
    gateway = FakeGateway()
    claims = crashed_during_fallback(ledger, gateway, ps)
    ctx = context()

    async def go() -> DeliveryStats:
        async with gateway.client() as client:
            plan = prepare_fallback(ledger, ctx, TEMPLATE)
            for batch in sms_batches(plan):
                await send_sms_batch(client, ledger, ctx, batch, brandname="ZNSDEMO")
            stats = DeliveryStats()
            watcher = DeliveryWatcher(client, ledger, ctx, Channel.SMS, vn_now() - timedelta(minutes=5))
            await watcher.sweep(stats)
            await watcher.sweep(stats)
            return stats

    run(go())
    sent = gateway.bodies(SMS)
    assert sorted(b["Phone"] for b in sent) == ps
    assert {b["Phone"]: b["RequestId"] for b in sent} == {c.phone: c.request_id for c in claims}
    assert len(gateway.by_request_id) == 5  # the two that went out were not sent again (124)
    rows = {m.phone: m for m in ledger.messages("c1", Channel.SMS)}
    assert sum(m.duplicate for m in rows.values()) == 2
    assert all(m.state is MessageState.DELIVERED and m.sms_id for m in rows.values())
    ledger.finalize("c1")
    assert ledger.summary("c1")["sms_delivered"] == 5 and ledger.summary("c1")["unknown"] == 0


def test_rerun_after_a_crash_looks_up_first_and_resends_only_what_esms_does_not_know(ledger: Ledger) -> None:
    ps = phones(5)
    gateway = FakeGateway()
    claims = crashed_during_fallback(ledger, gateway, ps)
    ctx = context()

    async def go():  # type: ignore[no-untyped-def]
        async with gateway.client() as client:
            found = await recover_interrupted(client, ledger, ctx, Channel.SMS, vn_now() - timedelta(minutes=5))
            plan = prepare_fallback(ledger, ctx, TEMPLATE)
            for batch in sms_batches(plan):
                await send_sms_batch(client, ledger, ctx, batch, brandname="ZNSDEMO")
            return found

    assert run(go()) == (2, 3)
    assert sorted(b["Phone"] for b in gateway.bodies(SMS)) == sorted(c.phone for c in claims[2:])
    assert all(m.state is MessageState.ACCEPTED and m.sms_id for m in ledger.messages("c1", Channel.SMS))
    assert len(gateway.by_request_id) == 5


def test_an_sms_without_an_answer_is_resent_in_the_batch_under_its_request_id(ledger: Ledger) -> None:
    ps = phones(3)
    setup_campaign(ledger, ps)
    gateway = FakeGateway(busy={ps[0]: 3})  # 160 on every client attempt (2), then once more

    async def go():  # type: ignore[no-untyped-def]
        async with gateway.client() as client:
            return await send_sms_batch(client, ledger, context(), {p: "Chao Khach, don HD da xac nhan." for p in ps},
                                        brandname="ZNSDEMO")

    stats = run(go())
    tries = [b["RequestId"] for b in gateway.bodies(SMS) if b["Phone"] == ps[0]]
    assert len(tries) == 4 and len(set(tries)) == 1
    assert stats.accepted == 3 and stats.ambiguous == 0
    assert all(m.state is MessageState.ACCEPTED for m in ledger.messages("c1", Channel.SMS))


def test_reconcile_leaves_a_live_runs_fresh_sms_claims_alone(ledger: Ledger) -> None:
    ps = phones(2)
    gateway = FakeGateway()
    crashed_during_fallback(ledger, gateway, ps, went_out=0)

    async def go():  # type: ignore[no-untyped-def]
        async with gateway.client() as client:
            plan = prepare_fallback(ledger, context(), TEMPLATE)
            return await send_sms_batch(client, ledger, context(), plan.texts, brandname="ZNSDEMO",
                                        stale_before=datetime.now(UTC) - timedelta(minutes=10))

    stats = run(go())
    assert stats.claimed == 0 and gateway.bodies(SMS) == []


# -- 4. "send at" in the past ------------------------------------------------------------


def test_send_at_rule() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(PastTimeError, match="PAST_SEND_AT"):
        require_future(datetime(2026, 11, 30, 9, 0), now)  # naive = Vietnam time
    assert require_future(datetime(2026, 12, 1, 17, 0), now).utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize("command", ["run", "schedule"])
def test_cli_refuses_a_past_send_at_with_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    yesterday = (datetime.now(UTC) + timedelta(hours=7) - timedelta(days=1)).strftime("%Y-%m-%d 09:00")
    spec = {"campaign_name": "Hen gio", "oa_id": "4097311281936189049", "template_id": "210001",
            "recipients": [{"phone": "0912000000", "values": {"customer_name": "An"}}]}
    if command == "run":
        spec["send_at"] = yesterday
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    args = [str(path)] + (["--at", yesterday] if command == "schedule" else [])
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api", "ESMS_BASE_URL": "http://127.0.0.1:9/"}
    result = subprocess.run([sys.executable, "-m", "zns.cli", command, *args], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: send_at ") and "PAST_SEND_AT" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
