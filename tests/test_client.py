"""The eSMS client against the simulator over real HTTP on loopback: every error path."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest

from esms import (
    BulkItem,
    EsmsClient,
    EsmsConfigError,
    EsmsRejected,
    EsmsTimeout,
    EsmsTransientError,
    RetryPolicy,
)
from esms.callbacks import parse_callback, parse_error_info
from esms.models import ParamType
from esms_sim.server import SimulatorServer
from esms_sim.state import SimState

OA = "4097311281936189049"
ORDER = "210001"
KEY, SECRET = "DEMO_API_KEY", "DEMO_SECRET_KEY"
FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimState(seed=1)) as server:
        yield server


@pytest.fixture()
def state(sim: SimulatorServer) -> SimState:
    sim.state.reset(seed=1)
    sim.state.configure(zns_rates={}, sms_rates={})
    return sim.state


def client_for(sim: SimulatorServer, **kwargs: object) -> EsmsClient:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("timeout", 2.0)
    return EsmsClient(KEY, SECRET, base_url=sim.base_url, **kwargs)  # type: ignore[arg-type]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


ORDER_PARAMS = ["Nguyen Van A", "HD0001", "01/12/2026", "250000"]


def test_template_carries_order_types_and_limits(sim: SimulatorServer, state: SimState) -> None:
    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.get_template(OA, ORDER)

    template = run(go())
    assert template.param_names == ["customer_name", "order_code", "order_date", "amount"]
    by_name = {p.name: p for p in template.params}
    assert by_name["customer_name"].max_length == 30
    assert by_name["order_date"].type is ParamType.DATE
    assert by_name["amount"].type is ParamType.NUMBER
    assert template.status == "ENABLE"


def test_unconfigured_template_and_inactive_oa_are_config_errors(sim: SimulatorServer, state: SimState) -> None:
    async def go(oa: str, tid: str):  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.get_template(oa, tid)

    with pytest.raises(EsmsConfigError) as err:
        run(go(OA, "299999"))
    assert err.value.code == "789"
    with pytest.raises(EsmsConfigError) as err:
        run(go("1234567890123456789", ORDER))
    assert err.value.code == "799"


def test_bad_keys_raise_101_without_leaking_secrets(
    sim: SimulatorServer, state: SimState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def go():  # type: ignore[no-untyped-def]
        async with EsmsClient("WRONG-KEY-123", "WRONG-SECRET-456", base_url=sim.base_url, retry=FAST) as c:
            await c.list_brandnames()  # keys travel in the URL path here

    with pytest.raises(EsmsConfigError) as err:
        run(go())
    assert err.value.code == "101"
    text = str(err.value) + repr(err.value) + caplog.text
    assert "WRONG-KEY-123" not in text and "WRONG-SECRET-456" not in text
    assert "GetListBrandname" in caplog.text  # the request was logged, redacted
    assert "WRONG" not in repr(EsmsClient("WRONG-KEY-123", "WRONG-SECRET-456"))


def test_single_zns_send_then_duplicate_request_id(sim: SimulatorServer, state: SimState) -> None:
    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            first = await c.send_zns("0912345678", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS,
                                     request_id="t-dup-1", campaign="test")
            second = await c.send_zns("0912345678", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS,
                                      request_id="t-dup-1", campaign="test")
            return first, second

    first, second = run(go())
    assert first.code == "100" and first.sms_id
    assert second.code == "124" and second.sms_id is None
    assert state.counts()["phones"]["0912345678"]["zns"]["received"] == 1


def test_bulk_per_item_results(sim: SimulatorServer, state: SimState) -> None:
    items = [
        BulkItem("0901888484", ORDER_PARAMS, "b-1"),
        BulkItem("097469188", ORDER_PARAMS, "b-2"),  # 9 digits: 108
        BulkItem("0912000001", ["Nguyen Van B", "HD2", "31/02/2026", "1"], "b-3"),  # bad date: 790
    ]

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.send_zns_bulk(items, oa_id=OA, template_id=ORDER, campaign="bulk")

    result = run(go())
    codes = {r.phone: r.code for r in result.items}
    assert codes["0901888484"] == "100"
    assert codes["097469188"] == "108"
    assert codes["0912000001"] == "790"
    assert {r.request_id for r in result.items} == {"b-1", "b-2", "b-3"}
    assert result.total_success == 1 and result.total_fail == 2


def test_bulk_over_500_refused_before_sending(sim: SimulatorServer, state: SimState) -> None:
    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            await c.send_zns_bulk([BulkItem(f"09120{i:05d}", ORDER_PARAMS) for i in range(501)],
                                  oa_id=OA, template_id=ORDER)

    with pytest.raises(ValueError):
        run(go())
    assert state.counts()["endpoints"].get("send_zns_bulk_v4_post_json", 0) == 0


def test_transient_503_is_retried_and_succeeds(sim: SimulatorServer, state: SimState) -> None:
    state.configure(faults=[{"endpoint": "send_zns_bulk_v4_post_json", "kind": "http503", "count": 2}])

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.send_zns_bulk([BulkItem("0912345670", ORDER_PARAMS, "r-503")],
                                         oa_id=OA, template_id=ORDER)

    result = run(go())
    assert result.items[0].code == "100"
    assert state.counts()["endpoints"]["send_zns_bulk_v4_post_json"] == 3


def test_answer_lost_after_processing_resend_gets_124(sim: SimulatorServer, state: SimState) -> None:
    state.configure(faults=[{"endpoint": "sendzalomessage_v4_post_json", "kind": "drop", "count": 1,
                             "after_processing": True}])

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.send_zns("0912345671", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS,
                                    request_id="r-drop")

    result = run(go())
    assert result.code == "124"  # the retry reached eSMS again; the phone got one message
    assert state.counts()["phones"]["0912345671"]["zns"]["received"] == 1


def test_send_without_request_id_is_not_retried_after_a_drop(sim: SimulatorServer, state: SimState) -> None:
    state.configure(faults=[{"endpoint": "sendzalomessage_v4_post_json", "kind": "drop", "count": 1,
                             "after_processing": True}])

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.send_zns("0912345672", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS)

    with pytest.raises(EsmsTimeout):
        run(go())
    assert state.counts()["phones"]["0912345672"]["zns"]["received"] == 1


def test_retries_exhausted_raise_transient(sim: SimulatorServer, state: SimState) -> None:
    state.configure(faults=[{"endpoint": "getbalance_json", "kind": "http500", "rate": 1.0}])

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            return await c.get_balance()

    with pytest.raises(EsmsTransientError):
        run(go())
    assert state.counts()["endpoints"]["getbalance_json"] == FAST.attempts


def test_slow_answer_times_out(sim: SimulatorServer, state: SimState) -> None:
    state.configure(faults=[{"endpoint": "getbalance_json", "kind": "slow", "rate": 1.0, "delay": 1.0}])

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim, timeout=0.2, retry=RetryPolicy(attempts=2, base=0.01, cap=0.01)) as c:
            return await c.get_balance()

    with pytest.raises(EsmsTimeout):
        run(go())


def test_rate_limit_160_is_retried(sim: SimulatorServer, state: SimState) -> None:
    state.configure(tps={"getbalance_json": 1})

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim, retry=RetryPolicy(attempts=8, base=0.5, cap=1.0)) as c:
            return await asyncio.gather(c.get_balance(), c.get_balance(), c.get_balance())

    balances = run(go())
    assert len(balances) == 3 and all(b > 0 for b in balances)
    assert state.counts()["endpoints"]["getbalance_json"] > 3  # some answers were 160, then retried


def test_invalid_request_answer_is_rejected(sim: SimulatorServer, state: SimState) -> None:
    raw = httpx.post(sim.base_url + "SendZaloMessage_V4_post_json/", content=b"{not json",
                     headers={"Content-Type": "application/json"})
    assert raw.json() == {"error": "Invalid request"}
    # The client turns that exact answer into EsmsRejected (the simulator only answers it to bad JSON).
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=raw.json()))

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim, transport=transport) as c:
            return await c.send_zns("0912345678", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS, request_id="x")

    with pytest.raises(EsmsRejected) as err:
        run(go())
    assert err.value.code == "INVALID_REQUEST"


def test_sms_cskh_template_check_and_brandname(sim: SimulatorServer, state: SimState) -> None:
    good = "Chao Nguyen Van A, don hang HD0001 tri gia 250000 VND da duoc xac nhan. Cam on quy khach."

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            ok = await c.send_sms("0912345673", good, brandname="ZNSDEMO", request_id="s-1")
            wrong = await c.send_sms("0912345674", "Xin chao", brandname="ZNSDEMO", request_id="s-2")
            templates = await c.get_sms_templates("ZNSDEMO")
            try:
                await c.send_sms("0912345675", good, brandname="NOPE", request_id="s-3")
            except EsmsConfigError as exc:
                return ok, wrong, templates, exc
            raise AssertionError("unknown brandname accepted")

    ok, wrong, templates, exc = run(go())
    assert ok.code == "100"
    assert wrong.code == "146" and wrong.sms_id  # the documented surprise: 146 still has an SMSID
    assert exc.code == "104"
    assert any(t.matches(good) for t in templates)
    assert all(len(t.ids) >= 1 for t in templates)


def test_quota_balance_and_estimates(sim: SimulatorServer, state: SimState) -> None:
    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            before = await c.get_quota(OA)
            balance = await c.get_balance()
            await c.send_zns("0912345676", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS, request_id="q-1")
            after = await c.get_quota(OA)
            zns_price = await c.estimate_zns("0912345676", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS)
            sms_price = await c.estimate_sms("0912345676", "Ma xac thuc ZNSDEMO cua ban la 1234", brandname="ZNSDEMO")
            oas = await c.list_oas()
            return before, after, balance, await c.get_balance(), zns_price, sms_price, oas

    before, after, balance_before, balance_after, zns_price, sms_price, oas = run(go())
    assert after.remaining == before.remaining - 1
    assert balance_after < balance_before
    assert zns_price > 0 and sms_price > 0
    assert OA in oas


def test_delivery_lifecycle_and_late_failure(sim: SimulatorServer, state: SimState) -> None:
    state.configure(overrides={"0912345677": "not_online", "0912345678": "no_zalo"}, late_delay=30.0)

    async def send_and_query(advance: float):  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            ids = {}
            for phone in ("0912345677", "0912345678", "0912345679"):
                r = await c.send_zns(phone, oa_id=OA, template_id=ORDER, params=ORDER_PARAMS, request_id=f"l-{phone}")
                ids[phone] = r.sms_id
            early = {p: await c.query_zns_status(i) for p, i in ids.items()}
            state.advance(1.0)
            mid = {p: await c.query_zns_status(i) for p, i in ids.items()}
            state.advance(advance)
            late = {p: await c.query_zns_status(i) for p, i in ids.items()}
            status = await c.get_send_status(ids["0912345679"])
            return early, mid, late, status

    early, mid, late, status = run(send_and_query(60.0))
    assert all(s is None or not s.final for s in early.values())
    assert mid["0912345679"].final and mid["0912345679"].error_info == "0"
    assert mid["0912345678"].final and mid["0912345678"].error_info == "-118"
    assert not mid["0912345677"].final  # late failure not visible yet
    assert late["0912345677"].final and late["0912345677"].error_info == "1001"
    assert status is not None and status.send_status == 5 and status.send_success == 1


def test_sent_data_finds_a_message_lost_to_124(sim: SimulatorServer, state: SimState) -> None:
    from datetime import timedelta

    from zns.timeutil import vn_now

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            r = await c.send_zns("0912345680", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS,
                                 request_id="sd-1", campaign="find-me")
            total, rows = await c.get_sent_data("25", vn_now() - timedelta(hours=1), vn_now() + timedelta(hours=1))
            return r, total, rows

    sent, total, rows = run(go())
    match = [row for row in rows if row.phone == "0912345680"]
    assert total >= 1 and match and match[0].sms_id == sent.sms_id and match[0].campaign == "find-me"


def test_get_callbacks_only_for_sends_with_callback_url(sim: SimulatorServer, state: SimState) -> None:
    state.configure(overrides={"0912345681": "inactive"})

    async def go():  # type: ignore[no-untyped-def]
        async with client_for(sim) as c:
            a = await c.send_zns("0912345681", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS,
                                 request_id="cb-1", callback_url="http://127.0.0.1:9/cb")
            b = await c.send_zns("0912345682", oa_id=OA, template_id=ORDER, params=ORDER_PARAMS, request_id="cb-2")
            state.advance(5.0)
            return await c.get_callbacks([a.sms_id, b.sms_id], OA), a.sms_id

    events, sms_id = run(go())
    assert [e.sms_id for e in events] == [sms_id]
    assert events[0].zalo_error == -114 and events[0].send_failed == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('%7B%22error%22%3A-114%2C%22message%22%3A%22User%20is%20inactive%22%7D', -114),
        ('"{\\"error\\":-118,\\"message\\":\\"Zalo account not existed\\"}"', -118),
        ("%257B%2522error%2522%253A0%257D____24/11/2026 10:11:12", 0),
        ("1001", 1001),
        ("", None),
        (None, None),
    ],
)
def test_error_info_is_parsed_leniently(raw: str | None, code: int | None) -> None:
    assert parse_error_info(raw)[0] == code


def test_parse_callback_query() -> None:
    event = parse_callback({
        "SMSID": "abc", "SendFailed": "1", "SendStatus": "5", "SendSuccess": "0", "TypeId": "25",
        "phonenumber": "0901888484", "RequestId": "r-1", "TotalPrice": "0.0000",
        "error_info": "%7B%22error%22%3A-118%7D", "partnerids": "",
    })
    assert event.zalo_error == -118 and event.send_failed == 1 and event.type_id == 25
    assert event.request_id == "r-1" and event.zalo_msg_id is None
