"""Send endpoints: ZNS V4 single, ZNS bulk (<=500 items) and SMS CSKH (SendMultipleMessage).

Handlers take the lower-cased JSON body and return the response body; the HTTP layer (app.py)
does parsing, faults and rate limits. Validation happens outside the lock, storing inside it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from esms.models import ZnsTemplate
from esms.sms_templates import find_template, is_ascii_text, sms_parts
from esms_sim.rules import (
    bad_phone_message,
    canonical_phone,
    field,
    lower_keys,
    message,
    text,
)
from esms_sim.seed import AccountSeed, OaSeed
from esms_sim.state import SimState

MAX_BULK = 500
VN = timezone(timedelta(hours=7))
Body = dict[str, Any]


def envelope(code: str, sms_id: str = "", error: str | None = None) -> Body:
    """The documented send answer: CodeResult, CountRegenerate, then SMSID and/or ErrorMessage."""
    body: Body = {"CodeResult": code, "CountRegenerate": 0}
    if sms_id:
        body["SMSID"] = sms_id
    if code != "100":
        body["ErrorMessage"] = error or message(code)
    if code == "124":
        body["SendStatus"] = "5"
    return body


def is_sandbox(data: Body) -> bool:
    return field(data, "sandbox", "issandbox").lower() in ("1", "true")


def send_time(data: Body) -> float:
    """SendDate (yyyy-MM-dd HH:mm:ss, Vietnam time) as epoch seconds; 0 = now or unreadable."""
    raw = field(data, "senddate")
    if not raw:
        return 0.0
    try:
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=VN).timestamp()
    except ValueError:
        return 0.0


def zns_context(
    state: SimState, data: Body
) -> Body | tuple[AccountSeed, OaSeed, ZnsTemplate]:
    """Whole-request checks shared by ZNS sends: 101, 791, 799, 789."""
    account = state.account(data)
    if account is None:
        return envelope("101")
    oa_id, temp_id = field(data, "oaid"), field(data, "tempid")
    if not oa_id or not temp_id:
        return envelope("791")
    oa = account.oas.get(oa_id)
    if oa is None or not oa.active:
        return envelope("799")
    template = oa.templates.get(temp_id)
    if template is None:
        return envelope("789")
    return account, oa, template


def zns_price(state: SimState, data: Body) -> tuple[int, float]:
    """(TypeId, price): SmsType "24" is priority ZNS, anything else normal (25)."""
    if field(data, "smstype") == "24":
        return 24, state.config.zns_priority_price
    return 25, state.config.zns_price


def send_zns(state: SimState, data: Body) -> Body:
    """POST SendZaloMessage_V4_post_json: one phone, positional Params."""
    ctx = zns_context(state, data)
    if isinstance(ctx, dict):
        return ctx
    account, oa, template = ctx
    raw_phone = field(data, "phone")
    phone = canonical_phone(raw_phone)
    if phone is None:
        return envelope("108", error=bad_phone_message(raw_phone))
    problem = state.checker(template).problem(data.get("params"))
    if problem is not None:
        return envelope("790", error=f"{message('790')}: {problem}")
    type_id, price = zns_price(state, data)
    request_id = field(data, "requestid")
    with state.lock:
        now = state.now()
        state.sweep(now)
        code, sms_id = state.accept(
            account, sandbox=is_sandbox(data), channel="zns", type_id=type_id, phone=phone, request_id=request_id,
            price=price, now=now, send_at=send_time(data), oa_id=oa.oa_id,
            temp_id=template.template_id, campaign=field(data, "campaignid"),
            callback_url=field(data, "callbackurl"),
        )
    return envelope(code, sms_id)


def send_zns_bulk(state: SimState, data: Body) -> Body:
    """POST Send_zns_bulk_v4_post_json: per-item results under `detail`, batch code 100."""
    items = data.get("data")
    if state.account(data) is None:
        return envelope("101")
    if not isinstance(items, list) or not items:
        return envelope("110")
    if len(items) > MAX_BULK:
        return envelope("687")
    ctx = zns_context(state, data)
    if isinstance(ctx, dict):
        return ctx
    account, oa, template = ctx
    checker = state.checker(template)
    type_id, price = zns_price(state, data)
    sandbox = is_sandbox(data)
    common = {"send_at": send_time(data), "oa_id": oa.oa_id, "temp_id": template.template_id,
              "campaign": field(data, "campaignid"), "callback_url": field(data, "callbackurl")}
    checked: list[tuple[str, str | None, str, Body | None]] = []
    for item in items:
        if not isinstance(item, dict):
            checked.append(("", None, "", {"CodeResult": "110", "Phone": "",
                                           "ErrorMessage": message("110")}))
            continue
        row = lower_keys(item)
        raw_phone = text(row.get("phone"))
        phone = canonical_phone(raw_phone)
        if phone is None:
            checked.append((raw_phone, None, "", {
                "CodeResult": "108", "Phone": raw_phone,
                "ErrorMessage": bad_phone_message(raw_phone)}))
            continue
        problem = checker.problem(row.get("params"))
        if problem is not None:
            checked.append((raw_phone, None, "", {
                "CodeResult": "790", "Phone": raw_phone,
                "ErrorMessage": f"{message('790')}: {problem}"}))
            continue
        checked.append((raw_phone, phone, text(row.get("requestid")), None))
    detail: list[Body] = []
    ok = 0
    with state.lock:
        now = state.now()
        state.sweep(now)
        for raw_phone, phone, request_id, failure in checked:
            if failure is not None:
                detail.append(failure)
                continue
            assert phone is not None
            code, sms_id = state.accept(
                account, sandbox=sandbox, channel="zns", type_id=type_id, phone=phone,
                request_id=request_id, price=price, now=now, **common)
            if code == "100":
                ok += 1
                detail.append({"CodeResult": "100", "Phone": raw_phone, "SMSID": sms_id})
            else:
                entry: Body = {"CodeResult": code, "Phone": raw_phone,
                               "ErrorMessage": message(code)}
                if code == "124":
                    entry["SendStatus"] = "5"
                detail.append(entry)
    return {"CodeResult": "100", "Message": "Sucess", "TotalFail": len(detail) - ok,
            "TotalSuccess": ok, "detail": detail}


def sms_price(state: SimState, content: str, unicode: bool) -> float:
    """850 VND per part: ASCII parts by the CSKH thresholds, unicode by 70/67 characters."""
    if unicode and not is_ascii_text(content):
        parts = 1 if len(content) <= 70 else math.ceil(len(content) / 67)
    else:
        parts = sms_parts(content) or math.ceil(len(content) / 153)
    return parts * state.config.sms_part_price


def send_sms(state: SimState, data: Body) -> Body:
    """POST SendMultipleMessage_V4_post_json, SmsType 2 (CSKH): 104 brandname, 146 template."""
    account = state.account(data)
    if account is None:
        return envelope("101")
    sms_type = field(data, "smstype")
    if not sms_type:
        return envelope("300")
    if sms_type != "2":
        return envelope("118")
    raw_phone = field(data, "phone")
    phone = canonical_phone(raw_phone)
    if phone is None:
        return envelope("108", error=bad_phone_message(raw_phone))
    brandname = field(data, "brandname")
    if brandname not in account.brandnames:
        return envelope("104")
    content = text(data.get("content"))
    unicode = field(data, "isunicode", "unicode") == "1"
    templates = account.sms_templates.get(brandname, [])
    if (not unicode and not is_ascii_text(content)) or find_template(templates, content) is None:
        with state.lock:
            return envelope("146", state.new_sms_id())  # documented: 146 still has an SMSID
    request_id = field(data, "requestid")
    with state.lock:
        now = state.now()
        state.sweep(now)
        code, sms_id = state.accept(
            account, sandbox=is_sandbox(data), channel="sms", type_id=2, phone=phone, request_id=request_id,
            price=sms_price(state, content, unicode), now=now, send_at=send_time(data),
            content=content, campaign=field(data, "campaignid"),
            callback_url=field(data, "callbackurl"),
        )
    return envelope(code, sms_id)
