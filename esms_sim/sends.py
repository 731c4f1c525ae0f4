"""Send endpoints: ZNS V4 single, ZNS bulk (<=500 items) and SMS CSKH (SendMultipleMessage).

Handlers take the lower-cased JSON body and return the response body; the HTTP layer (app.py)
does parsing, faults and rate limits. Validation happens outside the lock, storing inside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from esms_sim import codes
from esms_sim.codes import message
from esms_sim.cskh import is_plain, matching_template, parts
from esms_sim.models import ZnsTemplate
from esms_sim.outcomes import PartialPlan
from esms_sim.phones import bad_phone_message, local_mobile
from esms_sim.rules import field, lower_keys, text
from esms_sim.seed import AccountSeed, OaSeed
from esms_sim.state import SimState

MAX_BULK = 500
CSKH_SMS_TYPE = "2"
PRIORITY_ZNS_TYPE = "24"
VN = timezone(timedelta(hours=7))
Body = dict[str, Any]


def envelope(code: str, sms_id: str = "", error: str | None = None) -> Body:
    """The documented send answer: CodeResult, CountRegenerate, then SMSID and/or ErrorMessage."""
    body: Body = {"CodeResult": code, "CountRegenerate": 0}
    if sms_id:
        body["SMSID"] = sms_id
    if code != codes.OK:
        body["ErrorMessage"] = error or message(code)
    if code == codes.DUPLICATE:
        body["SendStatus"] = "5"
    return body


def item_result(code: str, raw_phone: str, sms_id: str = "", error: str | None = None) -> Body:
    """One `detail` row of the bulk answer (§3.7): CodeResult, Phone, then SMSID or ErrorMessage."""
    row: Body = {"CodeResult": code, "Phone": raw_phone}
    if sms_id:
        row["SMSID"] = sms_id
    if code != codes.OK:
        row["ErrorMessage"] = error or message(code)
    if code == codes.DUPLICATE:
        row["SendStatus"] = "5"
    return row


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
        return envelope(codes.AUTH_FAILED)
    oa_id, temp_id = field(data, "oaid"), field(data, "tempid")
    if not oa_id or not temp_id:
        return envelope(codes.MISSING_OA_OR_TEMPLATE)
    oa = account.oas.get(oa_id)
    if oa is None or not oa.active:
        return envelope(codes.OA_INACTIVE)
    template = oa.templates.get(temp_id)
    if template is None:
        return envelope(codes.TEMPLATE_NOT_CONFIGURED)
    return account, oa, template


def zns_price(state: SimState, data: Body) -> tuple[int, float]:
    """(TypeId, price): SmsType "24" is priority ZNS, anything else normal (25)."""
    if field(data, "smstype") == PRIORITY_ZNS_TYPE:
        return 24, state.config.zns_priority_price
    return 25, state.config.zns_price


def zns_data_error(problem: str) -> str:
    return f"{message(codes.WRONG_ZNS_DATA)}: {problem}"


def send_zns(state: SimState, data: Body) -> Body:
    """POST SendZaloMessage_V4_post_json: one phone, positional Params."""
    ctx = zns_context(state, data)
    if isinstance(ctx, dict):
        return ctx
    account, oa, template = ctx
    raw_phone = field(data, "phone")
    phone = local_mobile(raw_phone)
    if phone is None:
        return envelope(codes.BAD_PHONE, error=bad_phone_message(raw_phone))
    problem = state.checker(template).problem(data.get("params"))
    if problem is not None:
        return envelope(codes.WRONG_ZNS_DATA, error=zns_data_error(problem))
    type_id, price = zns_price(state, data)
    with state.lock:
        now = state.now()
        state.sweep(now)
        code, sms_id = state.accept(
            account, sandbox=is_sandbox(data), channel="zns", type_id=type_id, phone=phone,
            request_id=field(data, "requestid"), price=price, now=now, send_at=send_time(data),
            oa_id=oa.oa_id, temp_id=template.template_id, campaign=field(data, "campaignid"),
            callback_url=field(data, "callbackurl"),
        )
    return envelope(code, sms_id)


def _check_items(state: SimState, template: ZnsTemplate,
                 items: list[Any]) -> list[tuple[str, str | None, str, Body | None]]:
    """Per item: (raw phone, stored phone or None, RequestId, failure row or None)."""
    checker = state.checker(template)
    checked: list[tuple[str, str | None, str, Body | None]] = []
    for item in items:
        if not isinstance(item, dict):
            checked.append(("", None, "", item_result(codes.BAD_DATA, "")))
            continue
        row = lower_keys(item)
        raw_phone = text(row.get("phone"))
        phone = local_mobile(raw_phone)
        if phone is None:
            checked.append((raw_phone, None, "", item_result(
                codes.BAD_PHONE, raw_phone, error=bad_phone_message(raw_phone))))
            continue
        problem = checker.problem(row.get("params"))
        if problem is not None:
            checked.append((raw_phone, None, "", item_result(
                codes.WRONG_ZNS_DATA, raw_phone, error=zns_data_error(problem))))
            continue
        checked.append((raw_phone, phone, text(row.get("requestid")), None))
    return checked


def send_zns_bulk(state: SimState, data: Body, cut: PartialPlan | None = None) -> Body:
    """POST Send_zns_bulk_v4_post_json: per-item results under `detail`, batch code 100.

    `cut` (a "partial" fault) leaves items out of `detail`; the processed ones among them are
    still stored and counted in TotalSuccess/TotalFail, the others are never handled."""
    items = data.get("data")
    if state.account(data) is None:
        return envelope(codes.AUTH_FAILED)
    if not isinstance(items, list) or not items:
        return envelope(codes.BAD_DATA)
    if len(items) > MAX_BULK:
        return envelope(codes.TOO_MANY_ITEMS)
    ctx = zns_context(state, data)
    if isinstance(ctx, dict):
        return ctx
    account, oa, template = ctx
    type_id, price = zns_price(state, data)
    sandbox = is_sandbox(data)
    common = {"send_at": send_time(data), "oa_id": oa.oa_id, "temp_id": template.template_id,
              "campaign": field(data, "campaignid"), "callback_url": field(data, "callbackurl")}
    checked = _check_items(state, template, items)
    detail: list[Body] = []
    ok = fail = 0
    with state.lock:
        now = state.now()
        state.sweep(now)
        for index, (raw_phone, phone, request_id, failure) in enumerate(checked):
            if cut is not None and cut.skips(index):
                continue
            if failure is not None:
                result = failure
            else:
                assert phone is not None
                code, sms_id = state.accept(
                    account, sandbox=sandbox, channel="zns", type_id=type_id, phone=phone,
                    request_id=request_id, price=price, now=now, **common)
                result = item_result(code, raw_phone, sms_id)
            if result["CodeResult"] == codes.OK:
                ok += 1
            else:
                fail += 1
            if cut is None or not cut.hides(index):
                detail.append(result)
    return {"CodeResult": codes.OK, "Message": "Sucess", "TotalFail": fail,
            "TotalSuccess": ok, "detail": detail}


def sms_price(state: SimState, content: str, unicode: bool) -> float:
    """850 VND per part (cskh.parts: 160/306/459 plain, 70 then 67 per part unicode)."""
    return parts(content, unicode) * state.config.sms_part_price


def send_sms(state: SimState, data: Body) -> Body:
    """POST SendMultipleMessage_V4_post_json, SmsType 2 (CSKH): 104 brandname, 146 template."""
    account = state.account(data)
    if account is None:
        return envelope(codes.AUTH_FAILED)
    sms_type = field(data, "smstype")
    if not sms_type:
        return envelope(codes.MISSING_TYPE)
    if sms_type != CSKH_SMS_TYPE:
        return envelope(codes.UNSUPPORTED_TYPE)
    raw_phone = field(data, "phone")
    phone = local_mobile(raw_phone)
    if phone is None:
        return envelope(codes.BAD_PHONE, error=bad_phone_message(raw_phone))
    brandname = field(data, "brandname")
    if brandname not in account.brandnames:
        return envelope(codes.NO_BRANDNAME)
    content = text(data.get("content"))
    unicode = field(data, "isunicode", "unicode") == "1"
    templates = account.sms_templates.get(brandname, [])
    if (not unicode and not is_plain(content)) or matching_template(templates, content) is None:
        with state.lock:  # documented: 146 still carries an SMSID
            return envelope(codes.WRONG_CSKH_TEMPLATE, state.new_sms_id())
    with state.lock:
        now = state.now()
        state.sweep(now)
        code, sms_id = state.accept(
            account, sandbox=is_sandbox(data), channel="sms", type_id=2, phone=phone,
            request_id=field(data, "requestid"), price=sms_price(state, content, unicode),
            now=now, send_at=send_time(data), content=content,
            campaign=field(data, "campaignid"), callback_url=field(data, "callbackurl"),
        )
    return envelope(code, sms_id)
