"""Async client for the eSMS.vn REST API (ZNS, SMS Brandname CSKH, lookups).

Field names and string-typed scalars follow docs/esms-api.md §1 exactly. Transient failures (5xx,
timeouts, dropped connections, 160) are retried with exponential backoff and full jitter;
a send is only retried after a possibly-processed failure when it carries a RequestId,
because then eSMS answers 124 instead of sending twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from esms._exceptions import (
    EsmsConfigError,
    EsmsError,
    EsmsRejected,
    EsmsTimeout,
    EsmsTransientError,
)
from esms._redact import register_secret
from esms.callbacks import parse_error_info
from esms.codes import HTTP_ERROR, INVALID_REQUEST, TIMEOUT, ResultClass, esms_code
from esms.models import (
    Brandname,
    BulkResult,
    CallbackEvent,
    OaQuality,
    ParamType,
    Quota,
    Rating,
    SendResult,
    SendStatus,
    ZnsParam,
    ZnsStatus,
    ZnsTemplate,
)
from esms.sms_templates import SmsTemplate

DEFAULT_BASE_URL = "https://rest.esms.vn/MainService.svc/json/"
DEFAULT_STATUS_URL = "https://status-sms.esms.vn/"
BULK_LIMIT = 500
CALLBACK_LOOKUP_LIMIT = 200

MessageType = Literal["normal", "priority"]
SMS_TYPE_OF: dict[str, str] = {"priority": "24", "normal": "25"}

# Documented per-endpoint lookup limits (requests/s); the client stays under them itself.
LOOKUP_RATES: dict[str, float] = {
    "QueryZnsStatus": 100.0,
    "ZaloCallback/GetCallback": 20.0,
    "GetZaloMessageStatus": 30.0,
}

_REQUIRE_TYPES = {
    "type_text": ParamType.TEXT,
    "type_number": ParamType.NUMBER,
    "type_date": ParamType.DATE,
    "type_cta_url": ParamType.URL,
}

log = logging.getLogger("esms.client")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """HTTP-level retry: `attempts` tries in all; "equal jitter" delays d/2 + uniform(0, d/2) with
    d = min(cap, base * 2**n), so retries spread out but always back off."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 8.0
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(self.cap, retry_after)
        ceiling = min(self.cap, self.base * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class BulkItem:
    phone: str
    params: Sequence[str]
    request_id: str | None = None


@dataclass(slots=True)
class _RateLimiter:
    """Spacing-based limiter: at most `rate` calls per second per endpoint."""

    rate: float
    _next: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + 1.0 / self.rate
        if start > now:
            await asyncio.sleep(start - now)


@dataclass(frozen=True, slots=True)
class SentRecord:
    """One row of GetSmsSentData_V2: lets a lost SMSID (after a 124) be found again."""

    sms_id: str
    phone: str
    campaign: str | None
    send_result: int  # 1 success, 0 failure, 2 undetermined
    send_status: int
    sms_type: str
    price: float


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~50 ms of CPU under the GIL, and
    every send task makes a client (benchmarks: 31 % of the send phase before)."""
    return httpx.create_ssl_context()


def _code_of(data: Mapping[str, Any]) -> str | None:
    for key in ("CodeResult", "CodeResponse", "Code", "Error"):
        if key in data and data[key] is not None:
            value = data[key]
            if key == "Error" and str(value) == "0":
                return "100"
            return str(value)
    return None


def _national(phone: str) -> str:
    """The last nine digits: the gateway may echo 0912…, 84912… or +84912… for one number."""
    return "".join(ch for ch in phone if ch.isdigit())[-9:]


def sandbox_for(account_sandbox: bool, requested: bool | None) -> bool:
    """A sandbox account never sends live; a campaign can only turn sandbox on, never off."""
    return account_sandbox or bool(requested)


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class EsmsClient:
    """One eSMS account. Use as `async with EsmsClient(...) as client:`; safe to share across tasks."""

    def __init__(
        self,
        api_key: str | SecretStr,
        secret_key: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        status_base_url: str | None = None,
        sandbox: bool = False,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        max_connections: int = 50,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._secret_key = secret_key if isinstance(secret_key, SecretStr) else SecretStr(secret_key)
        register_secret(self._api_key.get_secret_value())
        register_secret(self._secret_key.get_secret_value())
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.status_base_url = status_base_url or self._default_status_url(self.base_url)
        self.sandbox = sandbox
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._limiters = {name: _RateLimiter(rate) for name, rate in LOOKUP_RATES.items()}
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            headers={"User-Agent": "zns-campaigns/0.1"},
            verify=_tls_context(),
        )

    @staticmethod
    def _default_status_url(base_url: str) -> str:
        """Real eSMS keeps GetCallback on another host; anything else (simulator) serves both."""
        if "rest.esms.vn" in base_url or "api.esms.vn" in base_url:
            return DEFAULT_STATUS_URL
        return base_url.split("/MainService.svc", 1)[0] + "/"

    def __repr__(self) -> str:
        return f"EsmsClient(base_url={self.base_url!r}, sandbox={self.sandbox})"

    async def __aenter__(self) -> EsmsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ transport

    def _auth(self) -> dict[str, str]:
        return {
            "ApiKey": self._api_key.get_secret_value(),
            "SecretKey": self._secret_key.get_secret_value(),
        }

    async def _call(
        self,
        op: str,
        *,
        method: str = "POST",
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        path: str | None = None,
        status_host: bool = False,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Send one operation with retries; return the JSON body or raise an EsmsError.

        `idempotent=False` marks a send without RequestId: it is retried only when the
        request certainly never reached the gateway (connect errors).
        """
        url = (self.status_base_url if status_host else self.base_url) + (path or op)
        limiter = self._limiters.get(op)
        last: EsmsError | None = None
        for attempt in range(self.retry.attempts):
            if attempt:
                retry_after = None
                if last is not None and getattr(last, "retry_after", None) is not None:
                    retry_after = last.retry_after  # type: ignore[attr-defined]
                await self._sleep(self.retry.delay(attempt - 1, retry_after))
            if limiter is not None:
                await limiter.wait()
            try:
                if method == "GET":
                    response = await self._http.get(url, params=query)
                else:
                    response = await self._http.post(url, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                last = EsmsTransientError(
                    f"{op}: cannot connect to the eSMS gateway", endpoint=op, info=HTTP_ERROR
                )
                continue
            except httpx.TimeoutException:
                last = EsmsTimeout(f"{op}: no answer in time", endpoint=op, info=TIMEOUT)
                if not idempotent:
                    raise last from None
                continue
            except httpx.TransportError:
                last = EsmsTimeout(
                    f"{op}: connection dropped before the answer", endpoint=op, info=TIMEOUT
                )
                if not idempotent:
                    raise last from None
                continue
            if response.status_code in self.retry.retry_statuses or response.status_code == 429:
                last = EsmsTransientError(
                    f"{op}: gateway answered HTTP {response.status_code}",
                    endpoint=op,
                    info=HTTP_ERROR,
                )
                header = response.headers.get("Retry-After")
                last.retry_after = _float(header) if header else None  # type: ignore[attr-defined]
                if not idempotent:
                    raise last from None
                continue
            if response.status_code >= 400:
                raise EsmsRejected(
                    f"{op}: gateway answered HTTP {response.status_code}",
                    endpoint=op,
                    info=HTTP_ERROR,
                )
            try:
                data = response.json()
            except ValueError:
                last = EsmsTransientError(f"{op}: unreadable answer", endpoint=op, info=HTTP_ERROR)
                continue
            if not isinstance(data, dict):
                raise EsmsRejected(f"{op}: unexpected answer shape", endpoint=op)
            if data.get("error") == "Invalid request":
                raise EsmsRejected(
                    f"{op}: gateway answered Invalid request", endpoint=op, info=INVALID_REQUEST
                )
            code = _code_of(data)
            if code == "160":
                last = EsmsTransientError(
                    f"{op}: rate limit exceeded (160)", endpoint=op, info=esms_code("160")
                )
                continue
            if code is not None and esms_code(code).result_class is ResultClass.CONFIG:
                info = esms_code(code)
                detail = data.get("ErrorMessage") or data.get("Message") or info.en
                raise EsmsConfigError(
                    f"{op}: {info.code} {detail} — {info.vi}", endpoint=op, info=info
                )
            return data
        assert last is not None
        raise last

    # ------------------------------------------------------------------ sends

    def _common(
        self,
        *,
        request_id: str | None,
        campaign: str | None,
        sandbox: bool | None,
        callback_url: str | None,
        send_date: datetime | None,
    ) -> dict[str, str]:
        body = {"Sandbox": _flag(sandbox_for(self.sandbox, sandbox))}
        if request_id:
            if len(request_id) > 50:
                raise ValueError("RequestId must be at most 50 characters")
            body["RequestId"] = request_id
        if campaign:
            body["campaignid"] = campaign[:254]
        if callback_url:
            body["CallbackUrl"] = callback_url
        if send_date:
            body["SendDate"] = send_date.strftime("%Y-%m-%d %H:%M:%S")
        return body

    @staticmethod
    def _send_result(phone: str, data: Mapping[str, Any], request_id: str | None) -> SendResult:
        return SendResult(
            phone=phone,
            code=_code_of(data) or "",
            sms_id=data.get("SMSID") or None,
            error_message=data.get("ErrorMessage") or None,
            request_id=request_id,
        )

    async def send_zns(
        self,
        phone: str,
        *,
        oa_id: str,
        template_id: str,
        params: Sequence[str],
        request_id: str | None = None,
        campaign: str | None = None,
        sandbox: bool | None = None,
        callback_url: str | None = None,
        send_date: datetime | None = None,
    ) -> SendResult:
        """One ZNS with positional Params (SendZaloMessage_V4_post_json)."""
        body: dict[str, Any] = {
            **self._auth(),
            "Phone": phone,
            "TempID": str(template_id),
            "OAID": str(oa_id),
            "Params": [str(p) for p in params],
            **self._common(
                request_id=request_id,
                campaign=campaign,
                sandbox=sandbox,
                callback_url=callback_url,
                send_date=send_date,
            ),
        }
        data = await self._call(
            "SendZaloMessage_V4_post_json/", body=body, idempotent=request_id is not None
        )
        return self._send_result(phone, data, request_id)

    async def send_zns_bulk(
        self,
        items: Sequence[BulkItem],
        *,
        oa_id: str,
        template_id: str,
        campaign: str | None = None,
        sandbox: bool | None = None,
        callback_url: str | None = None,
        send_date: datetime | None = None,
    ) -> BulkResult:
        """Up to 500 personalised ZNS in one request, with a per-item result."""
        if not items:
            return BulkResult(code="100")
        if len(items) > BULK_LIMIT:
            raise ValueError(f"the bulk endpoint takes at most {BULK_LIMIT} items")
        data_items = []
        for item in items:
            entry: dict[str, Any] = {"Phone": item.phone, "Params": [str(p) for p in item.params]}
            if item.request_id:
                entry["RequestId"] = item.request_id
            data_items.append(entry)
        body: dict[str, Any] = {
            **self._auth(),
            "OAID": str(oa_id),
            "TempID": str(template_id),
            "Data": data_items,
            **self._common(
                request_id=None,
                campaign=campaign,
                sandbox=sandbox,
                callback_url=callback_url,
                send_date=send_date,
            ),
        }
        idempotent = all(item.request_id for item in items)
        data = await self._call("Send_zns_bulk_v4_post_json/", body=body, idempotent=idempotent)
        code = _code_of(data) or ""
        if code != "100":
            info = esms_code(code)
            raise EsmsRejected(
                f"Send_zns_bulk_v4_post_json: {code} {data.get('ErrorMessage') or info.en}",
                endpoint="Send_zns_bulk_v4_post_json",
                info=info,
            )
        details = data.get("detail") or data.get("Detail") or []
        by_number = {_national(item.phone): item for item in items}
        aligned = len(details) == len(items)
        results: list[SendResult] = []
        for index, detail in enumerate(details):
            phone = str(detail.get("Phone") or "")
            source = by_number.pop(_national(phone), None) if phone else None
            if source is None and not phone and aligned:
                source = items[index]  # no Phone echoed: only a full answer can be read by position
            if source is not None:
                results.append(self._send_result(source.phone, detail, source.request_id))
        answered = {r.phone for r in results}
        for item in items:  # an item the gateway did not report on is not silently accepted
            if item.phone not in answered:
                results.append(
                    SendResult(
                        phone=item.phone,
                        code="",
                        error_message="no per-item result in the bulk answer",
                        request_id=item.request_id,
                    )
                )
        return BulkResult(
            code=code,
            total_success=_int(data.get("TotalSuccess")),
            total_fail=_int(data.get("TotalFail")),
            items=results,
        )

    async def send_sms(
        self,
        phone: str,
        content: str,
        *,
        brandname: str,
        request_id: str | None = None,
        campaign: str | None = None,
        sandbox: bool | None = None,
        callback_url: str | None = None,
        unicode: bool = False,
        send_date: datetime | None = None,
    ) -> SendResult:
        """One SMS Brandname customer-care message (SmsType "2")."""
        body: dict[str, Any] = {
            **self._auth(),
            "Phone": phone,
            "Content": content,
            "Brandname": brandname,
            "SmsType": "2",
            "IsUnicode": _flag(unicode),
            **self._common(
                request_id=request_id,
                campaign=campaign,
                sandbox=sandbox,
                callback_url=callback_url,
                send_date=send_date,
            ),
        }
        data = await self._call(
            "SendMultipleMessage_V4_post_json/", body=body, idempotent=request_id is not None
        )
        return self._send_result(phone, data, request_id)

    # ------------------------------------------------------------------ templates & account

    async def get_zns_templates(
        self, oa_id: str, message_type: MessageType = "normal"
    ) -> list[ZnsTemplate]:
        """ZNS templates of an OA with positional parameter order (GetTemplate, SmsType 24/25)."""
        body = {**self._auth(), "OAId": str(oa_id), "SmsType": SMS_TYPE_OF[message_type]}
        data = await self._call("GetTemplate/", body=body)
        self._require_ok("GetTemplate", data)
        templates = []
        for row in data.get("ZNSTemplates") or []:
            params = tuple(
                ZnsParam(
                    name=str(p.get("Param")),
                    order=_int(p.get("ParamLevel"), i + 1),
                    type=_REQUIRE_TYPES.get(str(p.get("RequireType") or "").lower(), ParamType.TEXT),
                    max_length=_int(p.get("Limit")) or None,
                )
                for i, p in enumerate(row.get("ZNSTempDetail") or [])
            )
            templates.append(
                ZnsTemplate(
                    template_id=str(row.get("TempId")),
                    oa_id=str(oa_id),
                    name=str(row.get("TempName") or ""),
                    content=str(row.get("TempContent") or ""),
                    params=tuple(sorted(params, key=lambda p: p.order)),
                )
            )
        return templates

    async def get_zns_template_info(self, template_id: str, oa_id: str) -> dict[str, Any]:
        """GetZnsTemplateInfo `Data` as sent (status, tag, price, ListParams with min/null rules)."""
        query = {**self._auth(), "TemplateId": str(template_id), "OAId": str(oa_id)}
        data = await self._call("GetZnsTemplateInfo", method="GET", query=query)
        if _code_of(data) != "100" or not isinstance(data.get("Data"), dict):
            raise EsmsConfigError(
                f"GetZnsTemplateInfo: template {template_id} not found for OA {oa_id}: "
                f"{data.get('Message') or ''} — Template không tồn tại",
                endpoint="GetZnsTemplateInfo",
                info=esms_code("789"),
            )
        return data["Data"]

    async def get_template(
        self, oa_id: str, template_id: str, message_type: MessageType = "normal"
    ) -> ZnsTemplate:
        """The template with everything validation needs: order and types from GetTemplate,
        min length, null rules, status, tag and price from GetZnsTemplateInfo."""
        templates = await self.get_zns_templates(oa_id, message_type)
        found = next((t for t in templates if t.template_id == str(template_id)), None)
        if found is None:
            raise EsmsConfigError(
                f"GetTemplate: template {template_id} is not configured for OA {oa_id} "
                f"(789) — Template chưa được cấu hình cho OA; kiểm tra template_id và oa_id",
                endpoint="GetTemplate",
                info=esms_code("789"),
            )
        info = await self.get_zns_template_info(template_id, oa_id)
        status = str(info.get("Status") or "ENABLE").upper()
        if status != "ENABLE":
            raise EsmsConfigError(
                f"GetZnsTemplateInfo: template {template_id} has status {status}, not ENABLE "
                f"— Template chưa sẵn sàng để gửi",
                endpoint="GetZnsTemplateInfo",
                info=esms_code("789"),
            )
        extra = {str(p.get("Name")): p for p in info.get("ListParams") or []}
        params = []
        for p in found.params:
            detail = extra.get(p.name, {})
            params.append(
                p.model_copy(
                    update={
                        "max_length": p.max_length or (_int(detail.get("MaxLength")) or None),
                        "min_length": _int(detail.get("MinLength")),
                        "required": bool(detail.get("Require", True)),
                        "accept_null": bool(detail.get("AcceptNull", False)),
                    }
                )
            )
        price = info.get("Price")
        return found.model_copy(
            update={
                "params": tuple(params),
                "status": status,
                "tag": info.get("TemplateTag"),
                "price": _float(price) if price is not None else None,
                "name": found.name or str(info.get("TemplateName") or ""),
            }
        )

    async def get_sms_templates(self, brandname: str) -> list[SmsTemplate]:
        """Registered CSKH templates of a brandname (one per distinct content across telcos)."""
        body = {**self._auth(), "SmsType": "2", "Brandname": brandname}
        data = await self._call("GetTemplate/", body=body)
        self._require_ok("GetTemplate", data)
        ids: dict[str, list[str]] = {}
        for row in data.get("BrandnameTemplates") or []:
            content = str(row.get("TempContent") or "")
            if content:
                ids.setdefault(content, []).append(str(row.get("TempId")))
        return [SmsTemplate(tids[0], brandname, content, tuple(tids)) for content, tids in ids.items()]

    async def list_brandnames(self) -> list[Brandname]:
        path = f"GetListBrandname/{self._api_key.get_secret_value()}/{self._secret_key.get_secret_value()}"
        data = await self._call("GetListBrandname", method="GET", path=path)
        self._require_ok("GetListBrandname", data)
        return [
            Brandname(name=str(b.get("Brandname")), type=_int(b.get("Type"), 2))
            for b in data.get("ListBrandName") or []
        ]

    async def list_oas(self) -> dict[str, str]:
        data = await self._call("ZNS/GetListZOA/", body=self._auth())
        self._require_ok("GetListZOA", data)
        return {str(o.get("OAID")): str(o.get("OAName") or "") for o in data.get("ZOAList") or []}

    async def get_quota(self, oa_id: str) -> Quota:
        data = await self._call("ZNS/GetQuota/", body={**self._auth(), "OAID": str(oa_id)})
        self._require_ok("GetQuota", data)
        return Quota(
            daily=_int(data.get("DailyQuota")),
            remaining=_int(data.get("RemainingQuota")),
            daily_promotion=_int(data.get("DailyQuotaPromotion")),
            remaining_promotion=_int(data.get("RemainingQuotaPromotion")),
        )

    async def get_quality(self, oa_id: str) -> OaQuality:
        """The OA's ZNS sending quality; Zalo restricts an OA whose quality turns LOW."""
        data = await self._call("ZNS/GetQuality/", body={**self._auth(), "OAID": str(oa_id)})
        self._require_ok("GetQuality", data)
        return OaQuality(current=str(data.get("OaCurrentQuality") or "UNDEFINED").upper(),
                         seven_day=str(data.get("Oa7dayQuality") or "UNDEFINED").upper())

    async def get_ratings(self, oa_id: str, template_id: str, start: datetime, end: datetime, *,
                          offset: int = 0, limit: int = 50) -> tuple[int, list[Rating]]:
        """One page (at most 50) of the ratings given to a template's ZNS in [start, end] (VN time)."""
        body = {**self._auth(), "OAID": str(oa_id), "TemplateID": str(template_id),
                "FromTime": start.strftime("%Y-%m-%d %H:%M:%S"), "ToTime": end.strftime("%Y-%m-%d %H:%M:%S"),
                "Offset": str(offset), "Limit": str(min(limit, 50))}
        data = await self._call("ZNS/GetRating/", body=body)
        self._require_ok("GetRating", data)
        ratings = [
            Rating(msg_id=str(r.get("msgId") or ""), rate=_int(r.get("rate")), note=str(r.get("note") or ""),
                   feedbacks=tuple(str(f) for f in r.get("feedbacks") or ()),
                   submitted_at=datetime.fromtimestamp(_int(r.get("submitDate")) / 1000, UTC),
                   tracking_id=str(r.get("trackingId") or ""))
            for r in data.get("Data") or []
        ]
        return _int(data.get("Total")), ratings

    async def get_balance(self) -> float:
        data = await self._call("GetBalance_json", body=self._auth())
        self._require_ok("GetBalance_json", data)
        return _float(data.get("Balance"))

    async def estimate_zns(
        self, phone: str, *, oa_id: str, template_id: str, params: Sequence[str]
    ) -> float:
        body = {
            **self._auth(),
            "Phone": phone,
            "Params": [str(p) for p in params],
            "TempID": str(template_id),
            "OAID": str(oa_id),
        }
        data = await self._call("SummaryZaloMessage_V4_post_json/", body=body)
        self._require_ok("SummaryZaloMessage_V4_post_json", data)
        return _float(data.get("TotalPrice"))

    async def estimate_sms(self, phone: str, content: str, *, brandname: str) -> float:
        query = {
            **self._auth(),
            "Phone": phone,
            "Content": content,
            "SmsType": "2",
            "BrandName": brandname,
        }
        data = await self._call("SummaryMultipleMessage_V4_get", method="GET", query=query)
        self._require_ok("SummaryMultipleMessage_V4_get", data)
        return _float(data.get("TotalPrice"))

    # ------------------------------------------------------------------ delivery status

    async def query_zns_status(
        self, sms_id: str, message_type: MessageType = "normal"
    ) -> ZnsStatus | None:
        """Zalo outcome of one ZNS; None while eSMS has no data yet (854 / 105)."""
        body = {**self._auth(), "SmsId": sms_id, "SmsType": SMS_TYPE_OF[message_type]}
        data = await self._call("QueryZnsStatus/", body=body, path="QueryZnsStatus/")
        code = _code_of(data)
        if code in ("854", "105"):
            return None
        self._require_ok("QueryZnsStatus", data)
        d = data.get("Data") or {}
        error_info = d.get("ErrorInfo")
        return ZnsStatus(
            sms_id=str(d.get("SMSID") or sms_id),
            final=str(d.get("FinalStatus")) == "1",
            error_info=None if error_info in (None, "") else str(error_info),
            send_status=_int(d.get("SendStatus"), 0),
            send_success=_int(d.get("SendSuccess")),
            send_failed=_int(d.get("SendFailed")),
            total_price=_float(d.get("TotalPrice")),
            zalo_msg_id=d.get("ZaloMsgId") or None,
        )

    async def get_send_status(self, sms_id: str) -> SendStatus | None:
        """Status of any message by SMSID; None when unknown or too new (105)."""
        query = {"RefId": sms_id, **self._auth()}
        data = await self._call("GetSendStatus", method="GET", query=query)
        code = _code_of(data)
        if code == "105":
            return None
        self._require_ok("GetSendStatus", data)
        return SendStatus(
            sms_id=str(data.get("SMSID") or sms_id),
            send_status=_int(data.get("SendStatus")),
            send_success=_int(data.get("SendSuccess")),
            send_failed=_int(data.get("SendFailed")),
            total_price=_float(data.get("TotalPrice")),
        )

    async def get_callbacks(self, sms_ids: Iterable[str], oa_id: str) -> list[CallbackEvent]:
        """Stored Zalo callback data, 200 SMSIDs per request (only sends with a CallbackUrl)."""
        ids = list(sms_ids)
        events: list[CallbackEvent] = []
        for start in range(0, len(ids), CALLBACK_LOOKUP_LIMIT):
            body = {
                **self._auth(),
                "ListRefid": ids[start : start + CALLBACK_LOOKUP_LIMIT],
                "OAId": str(oa_id),
            }
            data = await self._call("ZaloCallback/GetCallback", body=body, status_host=True)
            self._require_ok("GetCallback", data)
            for row in data.get("Data_callback") or []:
                code, message = parse_error_info(
                    None if row.get("ErrorInfo") is None else str(row.get("ErrorInfo"))
                )
                events.append(
                    CallbackEvent(
                        sms_id=str(row.get("SMSID") or ""),
                        send_status=_int(row.get("SendStatus")),
                        send_success=_int(row.get("SendSuccess")),
                        send_failed=_int(row.get("SendFailed")),
                        type_id=_int(row.get("TypeId")),
                        phone=str(row.get("PhoneNumber") or ""),
                        request_id=row.get("RequestId") or None,
                        total_price=_float(row.get("TotalPrice")),
                        zalo_error=code,
                        zalo_message=message,
                        zalo_msg_id=row.get("Partnerids") or None,
                    )
                )
        return events

    async def get_sent_data(
        self,
        sms_type: str,
        start: datetime,
        end: datetime,
        *,
        page: int = 1,
        page_size: int = 500,
    ) -> tuple[int, list[SentRecord]]:
        """One page of messages created in [start, end] (VN time): (total count, rows)."""
        body = {
            **self._auth(),
            "SmsType": str(sms_type),
            "From": start.strftime("%Y-%m-%d %H:%M:%S"),
            "To": end.strftime("%Y-%m-%d %H:%M:%S"),
            "Page": str(page),
            "PageSize": str(min(page_size, 500)),
        }
        data = await self._call("GetSmsSentData_V2", body=body)
        self._require_ok("GetSmsSentData_V2", data)
        rows = [
            SentRecord(
                sms_id=str(r.get("ReferenceId") or ""),
                phone=str(r.get("Phone") or ""),
                campaign=r.get("Campaign") or None,
                send_result=_int(r.get("SendResult"), 2),
                send_status=_int(r.get("SendStatus")),
                sms_type=str(r.get("SmsType") or sms_type),
                price=_float(r.get("SellPrice")),
            )
            for r in data.get("SentData") or []
        ]
        return _int(data.get("CountTotal")), rows

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _require_ok(op: str, data: Mapping[str, Any]) -> None:
        code = _code_of(data)
        if code == "100":
            return
        info = esms_code(code)
        raise EsmsRejected(
            f"{op}: {info.code} {data.get('ErrorMessage') or info.en} — {info.vi}",
            endpoint=op,
            info=info,
        )
