"""The eSMS simulator over real HTTP on loopback: codes, envelopes, lifecycle, faults, counts."""

from __future__ import annotations

import ast
import json
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import esms_sim
from esms_sim.models import ParamType, ZnsParam, ZnsTemplate
from esms_sim.outcomes import unit
from esms_sim.seed import (
    BIRTHDAY_TEMPLATE_ID,
    DEMO_API_KEY,
    DEMO_OA_ID,
    DEMO_SECRET_KEY,
    INACTIVE_OA_ID,
    ORDER_TEMPLATE_ID,
    OTP_TEMPLATE_ID,
    UNCONFIGURED_TEMPLATE_ID,
)
from esms_sim.sends import VN
from esms_sim.server import SimulatorServer
from esms_sim.state import SimState
from tests.conftest import CallbackReceiver

AUTH = {"ApiKey": DEMO_API_KEY, "SecretKey": DEMO_SECRET_KEY}
ORDER = ["Nguyen Van A", "HD0001", "24/11/2026", "1250000"]
OTP_SMS = "AB12CD34 la ma xac minh dang ky Baotrixemay cua ban"
Json = dict[str, Any]
HTTP = httpx.Client(timeout=10)  # one pool for the module: a new client costs ~15 ms of TLS setup


def post(sim: SimulatorServer, op: str, body: Json) -> Json:
    response = HTTP.post(sim.base_url + op, json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def get(sim: SimulatorServer, op: str, params: Json) -> Json:
    response = HTTP.get(sim.base_url + op, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def control(sim: SimulatorServer, action: str, body: Json | None = None) -> Json:
    url = f"{sim.root_url}/_sim/{action}"
    response = HTTP.post(url, json=body or {}) if body is not None else HTTP.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def send_zns(sim: SimulatorServer, phone: str, **extra: Any) -> Json:
    body = {**AUTH, "OAID": DEMO_OA_ID, "TempID": ORDER_TEMPLATE_ID, "Phone": phone,
            "Params": ORDER, **extra}
    return post(sim, "SendZaloMessage_V4_post_json/", body)


def bulk(sim: SimulatorServer, data: list[Json], **extra: Any) -> Json:
    body = {**AUTH, "OAID": DEMO_OA_ID, "TempID": OTP_TEMPLATE_ID, "Data": data, **extra}
    return post(sim, "Send_zns_bulk_v4_post_json/", body)


def send_sms(sim: SimulatorServer, phone: str, content: str, **extra: Any) -> Json:
    body = {**AUTH, "Phone": phone, "Content": content, "Brandname": "Baotrixemay",
            "SmsType": "2", "IsUnicode": "0", **extra}
    return post(sim, "SendMultipleMessage_V4_post_json/", body)


def zns_status(sim: SimulatorServer, sms_id: str) -> Json:
    return post(sim, "QueryZnsStatus/", {**AUTH, "SmsId": sms_id, "SmsType": "25"})


# ---- sends and their documented codes --------------------------------------------------------
def test_bulk_doc_example_with_one_invalid_phone(simulator: SimulatorServer) -> None:
    reply = bulk(simulator, [
        {"Phone": "0901888484", "Params": ["686868"]},
        {"Phone": "097469188", "Params": ["686868"]},
        {"Phone": "0912345678", "Params": ["123456"], "RequestId": "b-1"},
    ])
    assert reply["CodeResult"] == "100" and reply["Message"] == "Sucess"
    assert (reply["TotalSuccess"], reply["TotalFail"]) == (2, 1)
    ok, bad, third = reply["detail"]
    assert ok["CodeResult"] == "100" and ok["Phone"] == "0901888484"
    assert len(ok["SMSID"]) == 32 and "ErrorMessage" not in ok
    assert bad == {"CodeResult": "108", "Phone": "097469188",
                   "ErrorMessage": "The phone number 097469188 is not valid."}
    assert third["SMSID"] != ok["SMSID"]


def test_repeated_request_id_gets_124_without_smsid_until_24h_later(
    simulator: SimulatorServer,
) -> None:
    first = send_zns(simulator, "0912345678", RequestId="dup-1")
    again = send_zns(simulator, "0912345678", RequestId="dup-1")
    assert first["CodeResult"] == "100" and first["SMSID"]
    assert again == {"CodeResult": "124", "CountRegenerate": 0,
                     "ErrorMessage": "Request exist 1", "SendStatus": "5"}
    in_bulk = bulk(simulator, [{"Phone": "0912345679", "Params": ["1"], "RequestId": "dup-1"},
                               {"Phone": "0912345679", "Params": ["1"], "RequestId": "dup-2"},
                               {"Phone": "0912345679", "Params": ["1"], "RequestId": "dup-2"}])
    assert [d["CodeResult"] for d in in_bulk["detail"]] == ["124", "100", "124"]
    assert "SMSID" not in in_bulk["detail"][0] and in_bulk["detail"][0]["SendStatus"] == "5"
    control(simulator, "advance", {"seconds": 23 * 3600})
    assert send_zns(simulator, "0912345678", RequestId="dup-1")["CodeResult"] == "124"
    control(simulator, "advance", {"seconds": 3600 + 1})
    assert send_zns(simulator, "0912345678", RequestId="dup-1")["CodeResult"] == "100"
    assert simulator.state.counts()["phones"]["0912345678"]["zns"]["received"] == 2


def test_bulk_limit_is_500_items(simulator: SimulatorServer) -> None:
    items = [{"Phone": f"0912{i:06d}", "Params": [str(i)]} for i in range(501)]
    assert bulk(simulator, items) == {"CodeResult": "687", "CountRegenerate": 0,
                                      "ErrorMessage": "Each request has at most 500 items"}
    assert simulator.state.counts()["totals"]["zns"]["received"] == 0
    full = bulk(simulator, items[:500])
    assert full["TotalSuccess"] == 500 and full["TotalFail"] == 0


def test_bad_keys_get_101_in_each_envelope(simulator: SimulatorServer) -> None:
    bad = {"ApiKey": DEMO_API_KEY, "SecretKey": "wrong"}
    assert send_zns(simulator, "0912345678", **bad)["CodeResult"] == "101"
    reply = post(simulator, "Send_zns_bulk_v4_post_json", {**bad, "Data": []})
    assert reply["CodeResult"] == "101" and reply["ErrorMessage"] == "Authorize Failed"
    assert post(simulator, "GetBalance_json", bad) == {
        "Balance": 0, "CodeResponse": "101", "ErrorMessage": "Authorize Failed"}
    assert get(simulator, "GetSendStatus", {**bad, "RefId": "x"}) == {
        "CodeResponse": "101", "SMSID": "x"}
    callback = HTTP.post(simulator.root_url + "/ZaloCallback/GetCallback",
                          json={**bad, "ListRefid": ["x"]}).json()
    assert callback["Code"] == 101
    assert get(simulator, "GetZnsTemplateInfo", {**bad, "TemplateId": "1"})["Error"] == 101


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_json_gets_invalid_request(simulator: SimulatorServer, raw: bytes) -> None:
    response = HTTP.post(simulator.base_url + "SendZaloMessage_V4_post_json/", content=raw,
                          headers={"Content-Type": "application/json"})
    assert response.json() == {"error": "Invalid request"}


def test_scalars_as_numbers_case_insensitive_names_and_no_trailing_slash(
    simulator: SimulatorServer,
) -> None:
    body = {"apikey": DEMO_API_KEY, "SECRETKEY": DEMO_SECRET_KEY, "oaId": int(DEMO_OA_ID),
            "tempid": int(ORDER_TEMPLATE_ID), "phone": "84912345678",
            "params": ["Tran Thi B", "HD2", "01/01/2026", 990000], "sandbox": 0}
    reply = post(simulator, "sendzalomessage_v4_post_json", body)
    assert reply["CodeResult"] == "100"
    assert simulator.state.messages[reply["SMSID"]].phone == "0912345678"


def test_cskh_sms_brandname_template_and_unicode(simulator: SimulatorServer) -> None:
    ok = send_sms(simulator, "0912345678", OTP_SMS, SmsType=2, IsUnicode=0)
    assert ok["CodeResult"] == "100" and ok["SMSID"]
    unknown = send_sms(simulator, "0912345678", OTP_SMS, Brandname="NoSuchBrand")
    assert unknown["CodeResult"] == "104"
    assert unknown["ErrorMessage"] == "Brand name code is not exist"
    wrong = send_sms(simulator, "0912345678", "ABC la ma xac minh cua ban")
    assert wrong["CodeResult"] == "146" and wrong["SMSID"]  # documented: 146 carries an SMSID
    assert wrong["ErrorMessage"] == "Sai template Brandname CSKH"
    unicode = send_sms(simulator, "0912345678", "AB12 là mã xác minh đăng ký Baotrixemay của bạn")
    assert unicode["CodeResult"] == "146"
    too_long = send_sms(simulator, "0912345678", OTP_SMS.replace("AB12CD34", "AB12CD345"))
    assert too_long["CodeResult"] == "146"  # {P1,8}: nine characters do not fit
    counts = simulator.state.counts()
    assert counts["phones"]["0912345678"]["sms"]["received"] == 1
    assert counts["balance"][DEMO_API_KEY] == 1_000_000_000 - 850


def test_zns_config_errors_789_799_791(simulator: SimulatorServer) -> None:
    assert send_zns(simulator, "0912345678", TempID=UNCONFIGURED_TEMPLATE_ID)["CodeResult"] == "789"
    assert send_zns(simulator, "0912345678", TempID=UNCONFIGURED_TEMPLATE_ID)[
        "ErrorMessage"] == "TemplateId is not config"
    assert send_zns(simulator, "0912345678", OAID=INACTIVE_OA_ID)["CodeResult"] == "799"
    assert send_zns(simulator, "0912345678", OAID="999")["CodeResult"] == "799"
    assert send_zns(simulator, "0912345678", OAID="")["CodeResult"] == "791"
    whole = bulk(simulator, [{"Phone": "0912345678", "Params": ["1"]}], OAID=INACTIVE_OA_ID)
    assert whole["CodeResult"] == "799" and "detail" not in whole
    assert simulator.state.counts()["totals"]["zns"]["received"] == 0


@pytest.mark.parametrize("params", [
    ["Nguyen Van A", "HD0001", "24/11/2026"],  # too few
    ["Nguyen Van A" * 3, "HD0001", "24/11/2026", "1"],  # customer_name > 30
    ["Nguyen Van A", "HD0001", "2026-11-24", "1"],  # not dd/MM/yyyy
    ["Nguyen Van A", "HD0001", "31/02/2026", "1"],  # no such day
    ["Nguyen Van A", "HD0001", "24/11/2026", "1.250.000"],  # not digits
    ["Nguyen Van A", "HD0001", "24/11/2026", "1234567890123"],  # 13 digits
    ["", "HD0001", "24/11/2026", "1"],  # required value empty
])
def test_params_that_do_not_fit_get_790(simulator: SimulatorServer, params: list[str]) -> None:
    assert send_zns(simulator, "0912345678", Params=params)["CodeResult"] == "790"
    reply = post(simulator, "Send_zns_bulk_v4_post_json", {
        **AUTH, "OAID": DEMO_OA_ID, "TempID": ORDER_TEMPLATE_ID,
        "Data": [{"Phone": "0912345678", "Params": params},
                 {"Phone": "0912345679", "Params": ORDER}]})
    assert [d["CodeResult"] for d in reply["detail"]] == ["790", "100"]
    assert (reply["TotalSuccess"], reply["TotalFail"]) == (1, 1)


def test_numbers_have_at_most_12_digits_whatever_the_limit(simulator: SimulatorServer) -> None:
    oa = simulator.state.accounts[DEMO_API_KEY].oas[DEMO_OA_ID]
    oa.templates["777"] = ZnsTemplate(template_id="777", oa_id=DEMO_OA_ID, params=(
        ZnsParam(name="points", order=1, type=ParamType.NUMBER, max_length=20),))
    assert send_zns(simulator, "0912345678", TempID="777", Params=["123456789012"])[
        "CodeResult"] == "100"
    assert send_zns(simulator, "0912345678", TempID="777", Params=["1234567890123"])[
        "CodeResult"] == "790"


def test_insufficient_balance_gets_103(simulator: SimulatorServer) -> None:
    control(simulator, "config", {"balance": 650, "final_delay": 60})
    assert send_zns(simulator, "0912345678")["CodeResult"] == "100"
    reply = bulk(simulator, [{"Phone": "0912345679", "Params": ["1"]},
                             {"Phone": "0912345670", "Params": ["2"]}])
    assert [d["CodeResult"] for d in reply["detail"]] == ["100", "103"]
    assert send_sms(simulator, "0912345678", OTP_SMS)["CodeResult"] == "103"
    assert post(simulator, "GetBalance_json", AUTH)["Balance"] == 50


def test_rate_limit_gets_160_in_the_endpoint_envelope(simulator: SimulatorServer) -> None:
    simulator.state.configure(tps={"QueryZnsStatus": 2, "ZaloCallback/GetCallback": 1})
    started = time.monotonic()
    codes = [zns_status(simulator, "unknown")["CodeResult"] for _ in range(10)]
    windows = int(time.monotonic() - started) + 2  # one-second windows the burst touched
    assert "160" in codes
    assert sum(c == "854" for c in codes) <= 2 * windows
    url = simulator.root_url + "/ZaloCallback/GetCallback"
    answers = [HTTP.post(url, json={**AUTH, "ListRefid": []}).json()["Code"] for _ in range(5)]
    assert 160 in answers and answers.count(100) <= 2


def test_sends_are_not_rate_limited_by_default(simulator: SimulatorServer) -> None:
    codes = {send_zns(simulator, f"09123456{i:02d}")["CodeResult"] for i in range(60)}
    assert codes == {"100"}


def test_sandbox_validates_but_stores_charges_and_counts_nothing(
    simulator: SimulatorServer,
) -> None:
    quota = post(simulator, "ZNS/GetQuota", {**AUTH, "OAID": DEMO_OA_ID})["RemainingQuota"]
    reply = send_zns(simulator, "0912345678", Sandbox="1", RequestId="sb-1")
    assert reply["CodeResult"] == "100" and len(reply["SMSID"]) == 32
    assert send_zns(simulator, "0912345678", Sandbox="1", TempID=UNCONFIGURED_TEMPLATE_ID)[
        "CodeResult"] == "789"
    assert bulk(simulator, [{"Phone": "0912345678", "Params": ["1"]}], Sandbox=1)[
        "TotalSuccess"] == 1
    assert send_sms(simulator, "0912345678", OTP_SMS, Sandbox="1")["CodeResult"] == "100"
    assert zns_status(simulator, reply["SMSID"])["CodeResult"] == "854"
    assert get(simulator, "GetSendStatus", {**AUTH, "RefId": reply["SMSID"]})["CodeResponse"] == "105"
    counts = control(simulator, "counts")
    assert counts["totals"] == {"zns": {"received": 0, "delivered": 0},
                                "sms": {"received": 0, "delivered": 0}}
    assert post(simulator, "GetBalance_json", AUTH)["Balance"] == 1_000_000_000
    assert post(simulator, "ZNS/GetQuota", {**AUTH, "OAID": DEMO_OA_ID})["RemainingQuota"] == quota
    assert send_zns(simulator, "0912345678", RequestId="sb-1")["CodeResult"] == "100"


def test_quota_goes_down_and_exhausted_quota_fails_with_144(simulator: SimulatorServer) -> None:
    simulator.state.configure(quota=2, overrides={"0912345671": "delivered",
                                                  "0912345672": "delivered",
                                                  "0912345673": "delivered"})
    quota = {**AUTH, "OAID": DEMO_OA_ID}
    assert post(simulator, "ZNS/GetQuota", quota)["RemainingQuota"] == 2
    sms_ids = [send_zns(simulator, f"091234567{i}")["SMSID"] for i in (1, 2, 3)]
    reply = post(simulator, "ZNS/GetQuota", quota)
    assert (reply["DailyQuota"], reply["RemainingQuota"]) == (2, 0)
    control(simulator, "advance", {"seconds": 1})
    finals = [zns_status(simulator, s)["Data"] for s in sms_ids]
    assert [f["ErrorInfo"] for f in finals] == ["0", "0", "-144"]
    assert finals[2]["TotalPrice"] == 0.0 and finals[2]["SendFailed"] == 1
    assert post(simulator, "GetBalance_json", AUTH)["Balance"] == 1_000_000_000 - 600


def test_zns_sent_in_the_night_hours_fail_with_133_and_the_day_delivers(simulator: SimulatorServer) -> None:
    now = datetime.now(VN)
    night = {"start": f"{now - timedelta(hours=1):%H:%M}", "end": f"{now + timedelta(hours=1):%H:%M}"}
    simulator.state.configure(night=night, overrides={"0912345671": "delivered"})
    at_night = send_zns(simulator, "0912345671", RequestId="night-1")["SMSID"]
    simulator.state.configure(night={})
    by_day = send_zns(simulator, "0912345671", RequestId="night-2")["SMSID"]
    control(simulator, "advance", {"seconds": 1})
    assert [zns_status(simulator, s)["Data"]["ErrorInfo"] for s in (at_night, by_day)] == ["-133", "0"]
    with pytest.raises(ValueError, match="night"):
        simulator.state.configure(night={"start": "22:00"})


# ---- delivery lifecycle -------------------------------------------------------------------
def test_lifecycle_late_failures_and_get_callbacks(
    simulator: SimulatorServer, callback_receiver: CallbackReceiver,
) -> None:
    control(simulator, "config", {
        "final_delay": 30, "late_delay": 300,
        "overrides": {"0912000001": "delivered", "0912000002": "not_online",
                      "0912000003": "no_zalo"}})
    ids = {p: send_zns(simulator, p, RequestId=f"lc-{p}", CallbackUrl=callback_receiver.url,
                       campaignid="lifecycle")["SMSID"]
           for p in ("0912000001", "0912000002", "0912000003")}
    early = zns_status(simulator, ids["0912000001"])["Data"]
    assert (early["FinalStatus"], early["ErrorInfo"], early["SendStatus"]) == ("0", None, 7)
    assert get(simulator, "GetSendStatus", {**AUTH, "RefId": ids["0912000001"]})["SendStatus"] == 7

    control(simulator, "advance", {"seconds": 31})
    delivered = zns_status(simulator, ids["0912000001"])["Data"]
    assert (delivered["FinalStatus"], delivered["ErrorInfo"], delivered["SendSuccess"]) == (
        "1", "0", 1)
    assert delivered["TotalPrice"] == 300.0 and delivered["ZaloMsgId"]
    no_zalo = zns_status(simulator, ids["0912000003"])["Data"]
    assert (no_zalo["ErrorInfo"], no_zalo["SendFailed"], no_zalo["TotalPrice"]) == ("-118", 1, 0.0)
    late = zns_status(simulator, ids["0912000002"])["Data"]
    assert late["FinalStatus"] == "0" and late["ErrorInfo"] is None
    calls = callback_receiver.wait_for(2)
    assert {c["phonenumber"] for c in calls} == {"0912000001", "0912000003"}

    control(simulator, "advance", {"seconds": 300})
    late = zns_status(simulator, ids["0912000002"])["Data"]
    assert (late["FinalStatus"], late["ErrorInfo"], late["SendFailed"]) == ("1", "1001", 1)
    status = get(simulator, "GetSendStatus", {**AUTH, "RefId": ids["0912000002"]})
    assert (status["SendStatus"], status["SendSuccess"], status["SendFailed"]) == (5, 0, 1)

    calls = {c["phonenumber"]: c for c in callback_receiver.wait_for(3)}
    assert len(calls) == 3
    ok = calls["0912000001"]
    assert (ok["SMSID"], ok["SendStatus"], ok["SendSuccess"], ok["TypeId"]) == (
        ids["0912000001"], "5", "1", "25")
    assert ok["RequestId"] == "lc-0912000001" and ok["oaid"] == DEMO_OA_ID
    assert ok["telcoid"] == "3"  # 091 is Vinaphone
    assert ok["TotalPrice"] == "300.0000" and ok["partnerids"]
    assert json.loads(ok["error_info"]) == {"error": 0, "message": "Success"}
    assert json.loads(calls["0912000003"]["error_info"])["error"] == -118
    assert calls["0912000003"]["TotalPrice"] == "0.0000"
    assert json.loads(calls["0912000002"]["error_info"])["error"] == 1001

    stored = HTTP.post(simulator.root_url + "/ZaloCallback/GetCallback",
                        json={**AUTH, "ListRefid": list(ids.values()) + ["nope"],
                              "OAId": DEMO_OA_ID}).json()
    assert stored["Code"] == 100 and len(stored["Data_callback"]) == 3
    counts = control(simulator, "counts")
    assert counts["phones"]["0912000001"]["zns"] == {"received": 1, "delivered": 1}
    assert counts["phones"]["0912000003"]["zns"] == {"received": 1, "delivered": 0}


def test_callback_is_retried_then_dropped_and_get_callback_needs_a_url(
    simulator: SimulatorServer,
) -> None:
    simulator.state.configure(final_delay=0, callback_retries=2, callback_timeout=0.5)
    with_url = send_zns(simulator, "0912345678", CallbackUrl="http://127.0.0.1:9/cb")["SMSID"]
    without = send_zns(simulator, "0912345679")["SMSID"]
    deadline = time.monotonic() + 5
    while not simulator.state.callback_log and time.monotonic() < deadline:
        time.sleep(0.02)
    assert simulator.state.callback_log[0]["attempts"] == 3
    assert not simulator.state.callback_log[0]["ok"]
    stored = HTTP.post(simulator.root_url + "/ZaloCallback/GetCallback/",
                        json={**AUTH, "ListRefid": [with_url, without]}).json()
    assert [row["SMSID"] for row in stored["Data_callback"]] == [with_url]


def test_sms_lifecycle_and_overrides(simulator: SimulatorServer) -> None:
    simulator.state.configure(final_delay=30, sms_overrides={"0912345670": "failed"},
                              overrides={"0912345671": "refused"})
    failed = send_sms(simulator, "0912345670", OTP_SMS)["SMSID"]
    refused = send_zns(simulator, "0912345671")["SMSID"]
    simulator.state.advance(31)
    status = get(simulator, "GetSendStatus", {**AUTH, "RefId": failed})
    assert (status["SendStatus"], status["SendFailed"], status["TotalPrice"]) == (5, 1, 850.0)
    assert zns_status(simulator, failed)["CodeResult"] == "854"  # not a ZNS
    assert zns_status(simulator, refused)["Data"]["ErrorInfo"] == "-139"


def outcomes_for(sim: SimulatorServer, phones: list[str]) -> dict[str, int]:
    """Send, finalise, and read SendResult per phone through GetSmsSentData_V2."""
    bulk(sim, [{"Phone": p, "Params": ["1"]} for p in phones])
    sim.state.advance(3600)
    reply = post(sim, "GetSmsSentData_V2", {**AUTH, "SmsType": "25",
                                             "From": "2000-01-01 00:00:00",
                                             "To": "2999-01-01 00:00:00"})
    return {row["Phone"]: row["SendResult"] for row in reply["SentData"]}


def test_outcomes_are_deterministic_per_seed_and_phone(simulator: SimulatorServer) -> None:
    phones = [f"0983{i:06d}" for i in range(300)]
    rates = {"zns_rates": {"no_zalo": 0.3, "inactive": 0.2}}
    control(simulator, "reset", {"seed": 7, **rates})
    first = outcomes_for(simulator, phones)
    control(simulator, "reset", {"seed": 7, **rates})
    again = outcomes_for(simulator, list(reversed(phones)))
    control(simulator, "reset", {"seed": 8, **rates})
    other = outcomes_for(simulator, phones)
    assert first == again
    assert first != other
    assert 100 < sum(v == 0 for v in first.values()) < 200  # about half fail at 0.5


# ---- fault injection -----------------------------------------------------------------------
def test_fault_http500_and_503_by_count(simulator: SimulatorServer) -> None:
    simulator.state.configure(faults=[
        {"endpoint": "GetBalance_json", "kind": "http500", "count": 1},
        {"endpoint": "GetBalance_json", "kind": "http503", "count": 1}])
    url = simulator.base_url + "GetBalance_json"
    assert [HTTP.post(url, json=AUTH).status_code for _ in range(3)] == [500, 503, 200]


def test_fault_rate_is_deterministic_per_request_number(simulator: SimulatorServer) -> None:
    def pattern() -> list[int]:
        return [HTTP.post(simulator.base_url + "GetBalance_json", json=AUTH).status_code
                for _ in range(40)]

    fault = {"faults": [{"endpoint": "getbalance_json", "kind": "500", "rate": 0.5}]}
    control(simulator, "reset", {"seed": 3, **fault})
    first = pattern()
    control(simulator, "reset", {"seed": 3, **fault})
    assert pattern() == first
    assert 8 < first.count(500) < 32 and set(first) == {200, 500}


def test_fault_drop_closes_the_connection(simulator: SimulatorServer) -> None:
    simulator.state.configure(faults=[{"endpoint": "*", "kind": "drop", "count": 1}])
    with pytest.raises(httpx.RemoteProtocolError):
        HTTP.post(simulator.base_url + "GetBalance_json", json=AUTH)
    assert post(simulator, "GetBalance_json", AUTH)["CodeResponse"] == "100"


def test_fault_slow_response(simulator: SimulatorServer) -> None:
    simulator.state.configure(faults=[{"endpoint": "ZNS/GetListZOA", "kind": "slow",
                                       "count": 1, "delay": 0.4}])
    started = time.monotonic()
    reply = post(simulator, "ZNS/GetListZOA", AUTH)
    assert time.monotonic() - started >= 0.4
    assert reply["ZOAList"] == [{"OAID": DEMO_OA_ID, "OAName": "ZNS Demo Shop"}]
    with pytest.raises(httpx.ReadTimeout):
        simulator.state.configure(faults=[{"endpoint": "zns/getlistzoa", "kind": "slow",
                                           "count": 1, "delay": 0.5}])
        HTTP.post(simulator.base_url + "ZNS/GetListZOA", json=AUTH, timeout=0.2)


@pytest.mark.parametrize("kind", ["drop", "http500"])
def test_fault_after_processing_stores_then_loses_the_answer(
    simulator: SimulatorServer, kind: str,
) -> None:
    simulator.state.configure(faults=[{"endpoint": "sendzalomessage_v4_post_json", "kind": kind,
                                       "count": 1, "after_processing": True}])
    try:
        status = HTTP.post(simulator.base_url + "SendZaloMessage_V4_post_json", json={
            **AUTH, "OAID": DEMO_OA_ID, "TempID": ORDER_TEMPLATE_ID, "Phone": "0912345678",
            "Params": ORDER, "RequestId": "lost-1"}).status_code
    except httpx.RemoteProtocolError:
        status = 0
    assert status == (0 if kind == "drop" else 500)
    assert send_zns(simulator, "0912345678", RequestId="lost-1")["CodeResult"] == "124"
    counts = control(simulator, "counts")
    assert counts["phones"]["0912345678"]["zns"]["received"] == 1
    assert counts["endpoints"]["sendzalomessage_v4_post_json"] == 2


def test_bad_config_is_rejected(simulator: SimulatorServer) -> None:
    response = HTTP.post(simulator.root_url + "/_sim/config", json={"zns_ratez": {}})
    assert response.status_code == 400
    response = HTTP.post(simulator.root_url + "/_sim/config",
                          json={"faults": [{"kind": "explode", "count": 1}]})
    assert response.status_code == 400
    for fault in ({"kind": "partial", "count": 1, "omitt": 0.5},
                  {"kind": "partial", "count": 1, "endpoint": "GetBalance_json"},
                  {"kind": "partial", "count": 1, "omit": 1.5},
                  {"kind": "code160", "count": 1, "after_processing": True}):
        response = HTTP.post(simulator.root_url + "/_sim/config", json={"faults": [fault]})
        assert response.status_code == 400, fault


def test_fault_partial_bulk_answer_leaves_items_out(simulator: SimulatorServer) -> None:
    simulator.state.configure(zns_rates={}, faults=[
        {"kind": "partial", "count": 1, "omit": 0.5, "processed": 0.5}])
    items = [{"Phone": f"09123450{i:02d}", "Params": [str(i)], "RequestId": f"part-{i}"}
             for i in range(20)]
    reply = bulk(simulator, items)
    answered = {d["Phone"] for d in reply["detail"]}
    omitted = [i for i in items if i["Phone"] not in answered]
    stored = {m.phone for m in simulator.state.messages.values()}
    processed = [i for i in omitted if i["Phone"] in stored]
    lost = [i for i in omitted if i["Phone"] not in stored]
    assert processed and lost and len(answered) + len(omitted) == 20
    assert {d["CodeResult"] for d in reply["detail"]} == {"100"}
    assert (reply["TotalSuccess"], reply["TotalFail"]) == (20 - len(lost), 0)
    rows = post(simulator, "GetSmsSentData_V2", {**AUTH, "From": "2000-01-01 00:00:00",
                                                 "To": "2999-01-01 00:00:00"})["SentData"]
    assert {r["Phone"] for r in rows} == answered | {i["Phone"] for i in processed}

    again = bulk(simulator, omitted)  # the fault was used up: a normal answer
    codes = {d["Phone"]: d["CodeResult"] for d in again["detail"]}
    assert codes == {**{i["Phone"]: "124" for i in processed}, **{i["Phone"]: "100" for i in lost}}
    simulator.state.advance(5)
    per_phone = simulator.state.counts()["phones"]
    assert all(per_phone[i["Phone"]]["zns"] == {"received": 1, "delivered": 1} for i in items)


def test_fault_partial_leaves_out_at_least_one_item(simulator: SimulatorServer) -> None:
    simulator.state.configure(faults=[
        {"endpoint": "*", "kind": "partial", "rate": 1.0, "omit": 0.0, "processed": 1.0}])
    assert post(simulator, "GetBalance_json", AUTH)["CodeResponse"] == "100"  # bulk only
    reply = bulk(simulator, [{"Phone": "0912345678", "Params": ["1"], "RequestId": "one"},
                             {"Phone": "0912345679", "Params": ["2"]}])
    assert len(reply["detail"]) == 1 and reply["TotalSuccess"] == 2  # processed=1.0: both stored
    simulator.state.configure(faults=[])
    assert bulk(simulator, [{"Phone": "0912345678", "Params": ["1"], "RequestId": "one"}])[
        "detail"][0]["CodeResult"] == "124"
    assert simulator.state.counts()["totals"]["zns"]["received"] == 2


def test_fault_code160_answers_unprocessed_in_each_envelope(simulator: SimulatorServer) -> None:
    simulator.state.configure(faults=[{"endpoint": "*", "kind": "code160", "count": 4}])
    assert send_zns(simulator, "0912345678", RequestId="tps-1") == {
        "CodeResult": "160", "CountRegenerate": 0, "ErrorMessage": "TPS limit exceeded"}
    assert post(simulator, "GetBalance_json", AUTH)["CodeResponse"] == "160"
    callback = HTTP.post(simulator.root_url + "/ZaloCallback/GetCallback",
                         json={**AUTH, "ListRefid": []}).json()
    assert callback["Code"] == 160
    assert get(simulator, "GetZnsTemplateInfo", {**AUTH, "OAId": DEMO_OA_ID,
                                                 "TemplateId": OTP_TEMPLATE_ID})["Error"] == 160
    assert simulator.state.counts()["totals"]["zns"]["received"] == 0
    assert send_zns(simulator, "0912345678", RequestId="tps-1")["CodeResult"] == "100"
    simulator.state.configure(faults=[{"endpoint": "send_zns_bulk_v4_post_json",
                                       "kind": "160", "rate": 1.0}])
    assert bulk(simulator, [{"Phone": "0912345679", "Params": ["1"]}])["CodeResult"] == "160"


def test_fault_slow_with_a_rate_gives_latency_spikes(simulator: SimulatorServer) -> None:
    def spikes(seed: int) -> list[bool]:
        return [unit(seed, "fault", "getbalance_json", "slow", n) < 0.25 for n in range(1, 7)]

    seed = next(s for s in range(100) if sum(spikes(s)) == 1)
    control(simulator, "reset", {"seed": seed, "faults": [
        {"endpoint": "GetBalance_json", "kind": "slow", "rate": 0.25, "delay": 2.0}]})
    took = []
    for _ in range(6):
        started = time.monotonic()
        assert post(simulator, "GetBalance_json", AUTH)["CodeResponse"] == "100"
        took.append(time.monotonic() - started)
    assert [t >= 2.0 for t in took] == spikes(seed)
    assert sorted(took)[-2] < 1.0


def test_restart_keeps_state_on_the_same_port(callback_receiver: CallbackReceiver) -> None:
    with SimulatorServer(SimState(seed=0, zns_rates={}, final_delay=0.5)) as sim:
        port = sim.port
        first = send_zns(sim, "0912345678", RequestId="outage-1", CallbackUrl=callback_receiver.url)
        sim.go_down()
        assert not sim.is_up
        with pytest.raises(httpx.ConnectError):
            httpx.post(sim.base_url + "GetBalance_json", json=AUTH, timeout=2)
        time.sleep(0.7)  # the message becomes final while the gateway is unreachable
        assert callback_receiver.calls == []
        sim.come_up()
        assert sim.is_up and sim.port == port
        assert send_zns(sim, "0912345678", RequestId="outage-1")["CodeResult"] == "124"
        assert [c["SMSID"] for c in callback_receiver.wait_for(1)] == [first["SMSID"]]
        sim.restart(down_seconds=0.1)
        assert zns_status(sim, first["SMSID"])["Data"]["FinalStatus"] == "1"
        second = send_zns(sim, "0912345679", CallbackUrl=callback_receiver.url)["SMSID"]
        assert [c["SMSID"] for c in callback_receiver.wait_for(2)] == [first["SMSID"], second]
        assert sim.state.counts()["totals"]["zns"] == {"received": 2, "delivered": 2}


def test_simulator_imports_nothing_from_the_product() -> None:
    """The gateway model must not share the product's rules, or their bugs cannot be caught."""
    offenders = []
    for path in sorted(Path(esms_sim.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif (isinstance(node, ast.Call) and node.args
                  and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                  and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                      "import_module", "__import__")):
                names = [node.args[0].value]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("zns", "esms")]
    assert offenders == []


# ---- lookups ---------------------------------------------------------------------------------
def test_zns_templates_and_template_info(simulator: SimulatorServer) -> None:
    reply = post(simulator, "GetTemplate/", {**AUTH, "OAId": DEMO_OA_ID, "SmsType": "25"})
    templates = {t["TempId"]: t for t in reply["ZNSTemplates"]}
    assert int(UNCONFIGURED_TEMPLATE_ID) not in templates
    order = templates[int(ORDER_TEMPLATE_ID)]["ZNSTempDetail"]
    assert [(d["Param"], d["ParamLevel"], d["RequireType"], d["Limit"]) for d in order] == [
        ("customer_name", 1, "type_text", 30), ("order_code", 2, "type_text", 30),
        ("order_date", 3, "type_date", 10), ("amount", 4, "type_number", 12)]
    info = get(simulator, "GetZnsTemplateInfo",
               {**AUTH, "OAId": DEMO_OA_ID, "TemplateId": BIRTHDAY_TEMPLATE_ID})
    assert (info["Error"], info["Message"], info["Data"]["Status"]) == (0, "Success", "ENABLE")
    assert info["Data"]["ListParams"][2] == {"Name": "expiry_date", "Require": True,
                                             "Type": "DATE", "MaxLength": 10, "MinLength": 0,
                                             "AcceptNull": False}
    assert info["Data"]["TemplateTag"] == "CUSTOMER_CARE" and info["Data"]["Price"] == 300
    missing = get(simulator, "GetZnsTemplateInfo",
                  {**AUTH, "OAId": DEMO_OA_ID, "TemplateId": UNCONFIGURED_TEMPLATE_ID})
    assert missing["Error"] == 789 and missing["Data"] is None


def test_cskh_templates_brandnames_and_estimates(simulator: SimulatorServer) -> None:
    reply = post(simulator, "GetTemplate", {**AUTH, "SmsType": "2", "Brandname": "Baotrixemay"})
    rows = reply["BrandnameTemplates"]
    assert reply["CodeResult"] == "100" and len(rows) == 7
    assert {r["NetworkID"] for r in rows} == set(range(1, 8))
    assert {r["TempContent"] for r in rows} == {
        "{P1,8} la ma xac minh dang ky Baotrixemay cua ban"}
    assert post(simulator, "GetTemplate", {**AUTH, "SmsType": "2", "Brandname": "X"})[
        "CodeResult"] == "104"
    brands = HTTP.get(f"{simulator.base_url}GetListBrandname/{DEMO_API_KEY}/{DEMO_SECRET_KEY}")
    assert brands.json()["ListBrandName"] == [{"Brandname": "Baotrixemay", "Type": 2},
                                              {"Brandname": "ZNSDEMO", "Type": 2}]
    zns = post(simulator, "SummaryZaloMessage_V4_post_json/", {
        **AUTH, "OAID": DEMO_OA_ID, "TempID": ORDER_TEMPLATE_ID, "Phone": "0912345678",
        "Params": ORDER})
    assert (zns["TotalPrice"], zns["TotalReceiver"]) == (300, 1)
    sms = get(simulator, "SummaryMultipleMessage_V4_get", {
        **AUTH, "Phone": "0912345678,0912345679", "Content": OTP_SMS, "SmsType": "2",
        "BrandName": "Baotrixemay"})
    assert (sms["TotalPrice"], sms["TotalReceiver"]) == (1700, 2)


def test_sent_data_pages_and_send_result(simulator: SimulatorServer) -> None:
    simulator.state.configure(final_delay=30, overrides={"0912345671": "no_zalo"})
    for phone in ("0912345670", "0912345671", "0912345672"):
        send_zns(simulator, phone, campaignid="c-1")
    window = {**AUTH, "From": "2000-01-01 00:00:00", "To": "2999-01-01 00:00:00",
              "PageSize": 2}
    page1 = post(simulator, "GetSmsSentData_V2", {**window, "Page": 1})
    page2 = post(simulator, "GetSmsSentData_V2", {**window, "Page": 2})
    assert page1["CountTotal"] == 3 and len(page1["SentData"]) == 2
    assert len(page2["SentData"]) == 1
    assert {r["SendResult"] for r in page1["SentData"] + page2["SentData"]} == {2}
    simulator.state.advance(31)
    rows = post(simulator, "GetSmsSentData_V2", {**window, "PageSize": 500})["SentData"]
    assert {r["Phone"]: r["SendResult"] for r in rows}["0912345671"] == 0
    assert rows[0]["Campaign"] == "c-1" and rows[0]["SentTime"].startswith("/Date(")
    assert post(simulator, "GetSmsSentData_V2", {**window, "From": "yesterday"})[
        "ErrorMessage"] == "FromDate is invalid date format."


def test_counts_and_python_api_match_the_control_endpoints(simulator: SimulatorServer) -> None:
    simulator.state.configure(overrides={"0912345678": "delivered"})
    send_zns(simulator, "0912345678")
    bulk(simulator, [{"Phone": "0912345678", "Params": ["1"]}])
    control(simulator, "advance", {"seconds": 5})
    counts = control(simulator, "counts")
    assert counts == simulator.state.counts()
    assert counts["phones"]["0912345678"]["zns"] == {"received": 2, "delivered": 2}
    assert counts["endpoints"] == {"sendzalomessage_v4_post_json": 1,
                                   "send_zns_bulk_v4_post_json": 1}
    control(simulator, "reset", {})
    assert control(simulator, "counts")["phones"] == {}


def test_status_lookups_for_unknown_ids(simulator: SimulatorServer) -> None:
    assert zns_status(simulator, "")["CodeResult"] == "851"
    assert zns_status(simulator, "0" * 32)["CodeResult"] == "854"
    assert get(simulator, "GetSendStatus", {**AUTH, "RefId": "0" * 32})["CodeResponse"] == "105"


def test_state_is_usable_without_http() -> None:
    state = SimState(seed=5, overrides={"0912345678": "inactive"})
    assert state.config.zns_outcome("0912345678") == "inactive"
    assert SimState(seed=5).config.zns_outcome("0987654321") == (
        SimState(seed=5).config.zns_outcome("0987654321"))


def test_scheduled_send_waits_in_status_2_and_priority_costs_more(
    simulator: SimulatorServer,
) -> None:
    simulator.state.configure(overrides={"0912345678": "delivered"})
    later = datetime.fromtimestamp(simulator.state.now() + 3600, VN).strftime("%Y-%m-%d %H:%M:%S")
    sms_id = send_zns(simulator, "0912345678", SendDate=later, SmsType="24")["SMSID"]
    status = get(simulator, "GetSendStatus", {**AUTH, "RefId": sms_id})
    assert (status["SendStatus"], status["TotalPrice"]) == (2, 350.0)
    control(simulator, "advance", {"seconds": 1800})
    assert zns_status(simulator, sms_id)["Data"]["FinalStatus"] == "0"
    control(simulator, "advance", {"seconds": 1801})
    data = zns_status(simulator, sms_id)["Data"]
    assert (data["FinalStatus"], data["ErrorInfo"], data["SendStatus"]) == ("1", "0", 5)


def test_get_callback_reads_at_most_200_ids_and_zalo_message_status(
    simulator: SimulatorServer,
) -> None:
    simulator.state.configure(final_delay=0, overrides={"0912345678": "delivered"},
                              callback_retries=0, callback_timeout=0.1)
    sms_id = send_zns(simulator, "0912345678", CallbackUrl="http://127.0.0.1:9/cb")["SMSID"]
    url = simulator.root_url + "/ZaloCallback/GetCallback"
    over = HTTP.post(url, json={**AUTH, "ListRefid": ["x"] * 200 + [sms_id]}).json()
    assert over == {"Code": 100, "Message": "Success", "Data_callback": []}
    rows = HTTP.post(url, json={**AUTH, "ListRefid": [sms_id]}).json()["Data_callback"]
    assert rows[0]["SendSuccess"] == 1 and rows[0]["PhoneNumber"] == "0912345678"
    zalo_id = zns_status(simulator, sms_id)["Data"]["ZaloMsgId"]
    reply = post(simulator, "GetZaloMessageStatus",
                 {**AUTH, "OAID": DEMO_OA_ID, "MessageId": zalo_id})
    assert reply["Data"]["status"] == 1 and reply["Data"]["delivery_time"]
    unknown = post(simulator, "GetZaloMessageStatus", {**AUTH, "OAID": DEMO_OA_ID,
                                                       "MessageId": "nope"})
    assert unknown["Data"]["status"] == -1
    assert post(simulator, "GetZaloMessageStatus", AUTH)["CodeResult"] == "851"


def test_callback_that_times_out_is_retried(simulator: SimulatorServer) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/cb"
        simulator.state.configure(final_delay=0, callback_retries=1, callback_timeout=0.2)
        send_zns(simulator, "0912345678", CallbackUrl=url)
        deadline = time.monotonic() + 5
        while not simulator.state.callback_log and time.monotonic() < deadline:
            time.sleep(0.02)
    entry = simulator.state.callback_log[0]
    assert (entry["attempts"], entry["result"], entry["ok"]) == (2, "ReadTimeout", False)
