"""Lookup endpoints: templates, OAs, quota, balance, brandnames, statuses, price estimates.

Each keeps the envelope its vendor page documents (CodeResult, CodeResponse, Code or Error),
because clients are written against those differences.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from esms_sim import codes
from esms_sim.callbacks import error_info_json
from esms_sim.codes import message
from esms_sim.models import ParamType
from esms_sim.phones import bad_phone_message, local_mobile, telco_id
from esms_sim.rules import field, text
from esms_sim.seed import NETWORK_IDS, OaSeed
from esms_sim.sends import CSKH_SMS_TYPE, VN, sms_price, zns_context, zns_data_error, zns_price
from esms_sim.state import Message, SimState

Body = dict[str, Any]
STATUS_DAYS = 7 * 86400
ZNS_SMS_TYPES = ("24", "25")
INFO_TYPES = {ParamType.TEXT: "STRING", ParamType.NUMBER: "NUMBER",
              ParamType.DATE: "DATE", ParamType.URL: "URL"}


def failed(code: str, key: str = "CodeResult") -> Body:
    return {key: code, "ErrorMessage": message(code)}


def info_failed(code: str) -> Body:
    """A GetZnsTemplateInfo failure: the Error (int) / Message / Data envelope."""
    return {"Data": None, "Error": int(code), "Message": message(code)}


def number(value: float) -> float | int:
    """Whole VND amounts as ints (the docs show 36693, 850), fractions as floats."""
    return int(value) if float(value).is_integer() else value


def wcf_date(epoch: float) -> str:
    return f"/Date({int(epoch * 1000)}+0700)/"


def get_template(state: SimState, data: Body) -> Body:
    """POST GetTemplate: CSKH rows per telco (SmsType 2) or an OA's ZNS templates (24/25)."""
    account = state.account(data)
    if account is None:
        return failed(codes.AUTH_FAILED)
    sms_type = field(data, "smstype")
    if sms_type == CSKH_SMS_TYPE:
        brandname = field(data, "brandname")
        if brandname not in account.brandnames:
            return failed(codes.NO_BRANDNAME)
        rows = [{"NetworkID": net, "TempContent": t.content, "TempId": int(t.template_id) * 10 + net}
                for t in account.sms_templates.get(brandname, []) for net in NETWORK_IDS]
        return {"BrandnameTemplates": rows, "CodeResult": codes.OK, "ErrorMessage": "success"}
    if sms_type in ZNS_SMS_TYPES:
        oa = account.oas.get(field(data, "oaid"))
        if oa is None or not oa.active:
            return failed(codes.OA_INACTIVE)
        templates = [{
            "TempContent": t.content, "TempId": int(t.template_id), "TempName": t.name,
            "ZNSTempDetail": [{"Limit": p.max_length, "Param": p.name, "ParamLevel": p.order,
                               "RequireType": p.type.value}
                              for p in t.ordered_params()],
        } for t in oa.templates.values()]
        return {"CodeResult": codes.OK, "ErrorMessage": "success", "ZNSTemplates": templates}
    return failed(codes.MISSING_TYPE if not sms_type else codes.UNSUPPORTED_TYPE)


def get_zns_template_info(state: SimState, data: Body) -> Body:
    """GET GetZnsTemplateInfo: the Error/Message/Data envelope of docs/esms-api.md §3.2."""
    account = state.account(data)
    if account is None:
        return info_failed(codes.AUTH_FAILED)
    oa = account.oas.get(field(data, "oaid"))
    if oa is None or not oa.active:
        return info_failed(codes.OA_INACTIVE)
    template = oa.templates.get(field(data, "templateid"))
    if template is None:
        return info_failed(codes.TEMPLATE_NOT_CONFIGURED)
    params = [{"Name": p.name, "Require": p.required, "Type": INFO_TYPES[p.type],
               "MaxLength": p.max_length, "MinLength": p.min_length, "AcceptNull": p.accept_null}
              for p in template.ordered_params()]
    return {"Data": {
        "TemplateId": int(template.template_id), "TemplateName": template.name,
        "Status": template.status, "Reason": "", "ListParams": params, "ListButtons": [],
        "Timeout": 7_200_000, "PreviewUrl": f"https://account.zalo.cloud/znspreview/{template.template_id}",
        "TemplateQuality": "HIGH", "TemplateTag": template.tag,
        "Price": number(template.price or state.config.zns_price),
        "ApplyTemplateQuota": False, "TemplateDailyQuota": None, "TemplateRemainingQuota": None,
    }, "Error": 0, "Message": "Success"}


def _active_oa(state: SimState, data: Body) -> tuple[OaSeed | None, Body]:
    """The request's OA of the request's account, or the failure an OA lookup answers (101, 799)."""
    account = state.account(data)
    if account is None:
        return None, failed(codes.AUTH_FAILED)
    oa = account.oas.get(field(data, "oaid"))
    if oa is None or not oa.active:
        return None, failed(codes.OA_INACTIVE)
    return oa, {}


def get_quota(state: SimState, data: Body) -> Body:
    """POST ZNS/GetQuota: the OA's daily quota and what is left of it today."""
    oa, refused = _active_oa(state, data)
    if oa is None:
        return refused
    with state.lock:
        remaining = state.remaining_quota(oa)
    return {"CodeResult": codes.OK, "ErrorMessage": "success", "DailyQuota": oa.daily_quota,
            "RemainingQuota": max(remaining, 0), "DailyQuotaPromotion": 0,
            "RemainingQuotaPromotion": 0, "MonthlyPromotionQuota": 0,
            "RemainingMonthlyPromotionQuota": 0, "EstimatedNextMonthPromotionQuota": 0}


def get_quality(state: SimState, data: Body) -> Body:
    """POST ZNS/GetQuality: the OA's ZNS quality over 7 days and the last 48 hours."""
    oa, refused = _active_oa(state, data)
    if oa is None:
        return refused
    quality = state.config.oa_quality
    return {"CodeResult": codes.OK, "ErrorMessage": "success",
            "Oa7dayQuality": quality.get("seven_day", "HIGH"), "OaCurrentQuality": quality.get("current", "HIGH")}


FEEDBACKS = ("Nhân viên tư vấn nhiệt tình", "Giao hàng nhanh", "Chất lượng sản phẩm rất tốt",
             "Dịch vụ chăm sóc rất tốt", "Cần cải thiện thời gian giao hàng")
MAX_RATINGS = 50  # per request, as documented


def get_rating(state: SimState, data: Body) -> Body:
    """POST ZNS/GetRating: the ratings recipients gave one template's ZNS, submitted in [From, To]."""
    account = state.account(data)
    if account is None:
        return failed(codes.AUTH_FAILED)
    start, end = _parse_vn(field(data, "fromtime")), _parse_vn(field(data, "totime"))
    offset, limit = text(field(data, "offset")), text(field(data, "limit"))
    if start is None or end is None or not offset.isdigit() or not limit.isdigit():
        return failed(codes.BAD_DATA)
    oa_id, temp_id = field(data, "oaid"), field(data, "templateid")
    rated = []
    with state.lock:
        now = state.now()
        for m in sorted(state.messages.values(), key=lambda msg: msg.seq):
            if (m.channel != "zns" or m.api_key != account.api_key or m.oa_id != oa_id or m.temp_id != temp_id
                    or m.final_at > now or not m.success):
                continue
            stars = state.config.rating(m.phone, m.request_id)
            submitted = m.final_at + state.config.rating_delay
            if stars is not None and start <= submitted <= min(end, now):
                rated.append((submitted, stars, m))
    page = rated[int(offset):int(offset) + min(int(limit), MAX_RATINGS)]
    return {"CodeResult": codes.OK, "ErrorMessage": "success", "Total": str(len(rated)), "Data": [
        {"feedbacks": list(FEEDBACKS[:stars]) if stars >= 4 else [FEEDBACKS[-1]], "msgId": m.zalo_msg_id,
         "note": "", "rate": stars, "submitDate": str(int(submitted * 1000)), "trackingId": m.request_id}
        for submitted, stars, m in page]}


def get_list_zoa(state: SimState, data: Body) -> Body:
    account = state.account(data)
    if account is None:
        return failed(codes.AUTH_FAILED)
    oas = [{"OAID": oa.oa_id, "OAName": oa.name} for oa in account.oas.values() if oa.active]
    return {"CodeResult": codes.OK, "ErrorMessage": "success", "ZOAList": oas}


def get_balance(state: SimState, data: Body) -> Body:
    account = state.account(data)
    if account is None:
        return {"Balance": 0, "CodeResponse": codes.AUTH_FAILED, "ErrorMessage": message(codes.AUTH_FAILED)}
    with state.lock:
        state.sweep(state.now())  # pending refunds of failed ZNS
        return {"Balance": number(account.balance), "CodeResponse": codes.OK,
                "UserID": account.user_id}


def get_list_brandname(state: SimState, data: Body) -> Body:
    account = state.account(data)
    if account is None:
        return failed(codes.AUTH_FAILED)
    return {"CodeResponse": codes.OK, "ListBrandName": [
        {"Brandname": b.name, "Type": b.type} for b in account.brandnames.values()]}


def _own(state: SimState, data: Body, sms_id: str) -> Message | None:
    """The account's stored message for an SMSID (sandbox sends were never stored)."""
    msg = state.messages.get(sms_id)
    if msg is None or msg.api_key != field(data, "apikey"):
        return None
    return msg


def query_zns_status(state: SimState, data: Body) -> Body:
    """POST QueryZnsStatus: ErrorInfo null and FinalStatus "0" until the outcome is final."""
    if state.account(data) is None:
        return failed(codes.AUTH_FAILED)
    sms_id = field(data, "smsid")
    if not sms_id:
        return failed(codes.MISSING_ID)
    with state.lock:
        now = state.now()
        state.sweep(now)
        msg = _own(state, data, sms_id)
        if msg is None or msg.channel != "zns":
            return failed(codes.NO_DATA)
        send_status, ok, bad, price = msg.view(now)
        return {"CodeResult": codes.OK, "Data": {
            "ErrorInfo": msg.error_info if msg.final else None,
            "FinalStatus": "1" if msg.final else "0", "SMSID": sms_id,
            "SendFailed": bad, "SendStatus": send_status, "SendSuccess": ok,
            "TotalPrice": float(price), "TotalReceiver": 1, "TotalSent": 1,
            "ZaloMsgId": msg.zalo_msg_id or None}}


def get_send_status(state: SimState, data: Body) -> Body:
    """GET GetSendStatus: CodeResponse envelope; 105 for unknown, sandbox or >7-day-old ids."""
    sms_id = field(data, "refid")
    if state.account(data) is None:
        return {"CodeResponse": codes.AUTH_FAILED, "SMSID": sms_id}
    with state.lock:
        now = state.now()
        state.sweep(now)
        msg = _own(state, data, sms_id)
        if msg is None or now - msg.created > STATUS_DAYS:
            return {"CodeResponse": codes.NOT_FOUND, "SMSID": sms_id, "ErrorMessage": message(codes.NOT_FOUND)}
        send_status, ok, bad, price = msg.view(now)
        return {"CodeResponse": codes.OK, "SMSID": sms_id, "SendFailed": bad,
                "SendStatus": send_status, "SendSuccess": ok, "TotalPrice": float(price),
                "TotalReceiver": 1, "TotalSent": 1}


def get_zalo_message_status(state: SimState, data: Body) -> Body:
    """POST GetZaloMessageStatus by Zalo msg id: status -1 unknown, 0 not yet on phone, 1 ok."""
    if state.account(data) is None:
        return failed(codes.AUTH_FAILED)
    msg_id = field(data, "messageid")
    if not msg_id:
        return failed(codes.MISSING_ID)
    with state.lock:
        state.sweep(state.now())
        msg = state.by_zalo_id.get(msg_id)
        if msg is None or msg.api_key != field(data, "apikey"):
            info = {"delivery_time": "", "message": "The message does not exist", "status": -1}
        elif msg.final and msg.success:
            info = {"delivery_time": str(int(msg.final_at * 1000)),
                    "message": "The message was delivered to the user's phone", "status": 1}
        else:
            info = {"delivery_time": "", "status": 0,
                    "message": "The message was sent to Zalo server but not yet delivered"}
    return {"CodeResult": codes.OK, "Data": info, "ErrorMessage": "success. "}


def _parse_vn(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=VN).timestamp()
    except ValueError:
        return None


def get_sms_sent_data(state: SimState, data: Body) -> Body:
    """POST GetSmsSentData_V2: messages created in [From, To], pages of at most 500."""
    if state.account(data) is None:
        return failed(codes.AUTH_FAILED)
    start, end = _parse_vn(field(data, "from")), _parse_vn(field(data, "to"))
    if start is None:
        return {"CodeResult": codes.BAD_DATA, "ErrorMessage": "FromDate is invalid date format."}
    if end is None:
        return {"CodeResult": codes.BAD_DATA, "ErrorMessage": "ToDate is invalid date format."}
    page = max(int(field(data, "page") or 1), 1)
    size = min(max(int(field(data, "pagesize") or 500), 1), 500)
    sms_type = field(data, "smstype")
    api_key = field(data, "apikey")
    with state.lock:
        now = state.now()
        state.sweep(now)
        rows = [m for m in state.window(start, end) if m.api_key == api_key
                and (not sms_type or str(m.type_id) == sms_type)]
        sent = []
        for m in rows[(page - 1) * size: page * size]:
            send_status, ok, _, price = m.view(now)
            sent.append({
                "Campaign": m.campaign, "Content": m.content or m.temp_id, "Phone": m.phone,
                "ReferenceId": m.sms_id, "SellPrice": number(price),
                "SendResult": (1 if ok else 0) if m.final else 2, "SendStatus": send_status,
                "SentTime": wcf_date(m.send_at), "SmsId": m.seq, "SmsType": m.type_id,
            })
    return {"CodeResult": codes.OK, "CountTotal": len(rows), "SentData": sent}


def get_callback(state: SimState, data: Body) -> Body:
    """POST status-sms ZaloCallback/GetCallback: final ZNS sends that carried a CallbackUrl."""
    if state.account(data) is None:
        return {"Code": int(codes.AUTH_FAILED), "Message": message(codes.AUTH_FAILED)}
    ids = data.get("listrefid") or []
    if isinstance(ids, str):
        ids = [i.strip() for i in ids.split(",") if i.strip()]
    rows = []
    with state.lock:
        state.sweep(state.now())
        for sms_id in ids[:200]:
            msg = _own(state, data, text(sms_id))
            if msg is None or msg.channel != "zns" or not msg.callback_url or not msg.final:
                continue
            ok = msg.success
            rows.append({
                "SMSID": msg.sms_id, "SendFailed": int(not ok), "SendSuccess": int(ok),
                "SendStatus": 5, "TotalPrice": float(msg.price), "TotalReceiver": 1,
                "TotalSent": 1, "RequestId": msg.request_id, "TypeId": msg.type_id,
                "Telcoid": telco_id(msg.phone), "PhoneNumber": msg.phone,
                "CallbackUrl": msg.callback_url, "Partnerids": msg.zalo_msg_id if ok else "",
                "ErrorInfo": error_info_json(msg), "OAId": msg.oa_id, "ZnsTempId": msg.temp_id,
            })
    return {"Code": int(codes.OK), "Message": "Success", "Data_callback": rows}


def _phones(raw: str) -> tuple[list[str], str | None]:
    """Comma-separated phones of an estimate, or the first invalid one."""
    phones = []
    for part in (p.strip() for p in raw.split(",")):
        phone = local_mobile(part)
        if phone is None:
            return [], part
        phones.append(phone)
    return phones, None


def summary_zalo(state: SimState, data: Body) -> Body:
    """POST SummaryZaloMessage_V4_post_json: price estimate of a ZNS send."""
    ctx = zns_context(state, data)
    if isinstance(ctx, dict):
        ctx.pop("CountRegenerate", None)
        return ctx
    phones, bad = _phones(field(data, "phone"))
    if bad is not None:
        return {"CodeResult": codes.BAD_PHONE, "ErrorMessage": bad_phone_message(bad)}
    problem = state.checker(ctx[2]).problem(data.get("params"))
    if problem is not None:
        return {"CodeResult": codes.WRONG_ZNS_DATA, "ErrorMessage": zns_data_error(problem)}
    price = zns_price(state, data)[1]
    return {"CodeResult": codes.OK, "ErrorMessage": "success",
            "TotalPrice": number(price * len(phones)), "TotalReceiver": len(phones)}


def summary_sms(state: SimState, data: Body) -> Body:
    """GET SummaryMultipleMessage_V4_get: price estimate of a CSKH SMS."""
    account = state.account(data)
    if account is None:
        return failed(codes.AUTH_FAILED)
    if field(data, "brandname") not in account.brandnames:
        return failed(codes.NO_BRANDNAME)
    phones, bad = _phones(field(data, "phone"))
    if bad is not None:
        return {"CodeResult": codes.BAD_PHONE, "ErrorMessage": bad_phone_message(bad)}
    unicode = field(data, "isunicode", "unicode") == "1"
    price = sms_price(state, text(data.get("content")), unicode)
    return {"CodeResult": codes.OK, "ErrorMessage": "success",
            "TotalPrice": number(price * len(phones)), "TotalReceiver": len(phones)}
