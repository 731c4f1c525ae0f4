"""The ASGI app: eSMS routes under /MainService.svc/json/, status-sms GetCallback, /_sim control.

One catch-all route dispatches on the lower-cased operation name, so trailing slashes and
casing never matter; faults and rate limits are applied here, business rules live elsewhere.

Choices where the provider docs are silent (docs/esms-api.md §6) (keep clients honest, change only with the tests):
- every business answer is HTTP 200, including {"error": "Invalid request"}; unknown paths 404;
- OA quota exhausted: the send is still accepted (100 + SMSID) and finalises as ZNS failure
  ErrorInfo "-144" (Zalo "OA exceeded its daily quota"), like a real late Zalo rejection;
- a failed ZNS is refunded at finalisation (TotalPrice 0); a failed SMS stays charged; quota
  used by a failed ZNS is not given back;
- sandbox sends are checked against stored RequestIds (duplicate answer) but never record one;
- callbacks are retried only on timeouts and connection errors, not on non-2xx answers;
- the callback loop runs in the app's lifespan; without it statuses still finalise lazily;
- a 160 (TPS limit or "code160" fault) is answered before any processing, in the endpoint's
  own envelope; on the send endpoints that is the send envelope (with CountRegenerate).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from esms_sim import queries, sends
from esms_sim.callbacks import callback_loop
from esms_sim.codes import TPS_EXCEEDED, message
from esms_sim.outcomes import BULK_ENDPOINT, FaultRule
from esms_sim.rules import INVALID_REQUEST, lower_keys, text
from esms_sim.state import SimState

Handler = Callable[[SimState, dict[str, Any]], dict[str, Any]]
SERVICE_PREFIX = "mainservice.svc/json/"
RAW_SEND = "esms_sim.raw_send"

# operation (lower case) -> (handler, envelope of its 160 answer: "send" or the code field's name)
ROUTES: dict[str, tuple[Handler, str]] = {
    "sendzalomessage_v4_post_json": (sends.send_zns, "send"),
    BULK_ENDPOINT: (sends.send_zns_bulk, "send"),
    "sendmultiplemessage_v4_post_json": (sends.send_sms, "send"),
    "gettemplate": (queries.get_template, "CodeResult"),
    "getznstemplateinfo": (queries.get_zns_template_info, "Error"),
    "zns/getquota": (queries.get_quota, "CodeResult"),
    "zns/getquality": (queries.get_quality, "CodeResult"),
    "zns/getrating": (queries.get_rating, "CodeResult"),
    "zns/getlistzoa": (queries.get_list_zoa, "CodeResult"),
    "getbalance_json": (queries.get_balance, "CodeResponse"),
    "queryznsstatus": (queries.query_zns_status, "CodeResult"),
    "getsendstatus": (queries.get_send_status, "CodeResponse"),
    "getlistbrandname": (queries.get_list_brandname, "CodeResponse"),
    "summaryzalomessage_v4_post_json": (queries.summary_zalo, "CodeResult"),
    "summarymultiplemessage_v4_get": (queries.summary_sms, "CodeResult"),
    "getsmssentdata_v2": (queries.get_sms_sent_data, "CodeResult"),
    "getzalomessagestatus": (queries.get_zalo_message_status, "CodeResult"),
    "zalocallback/getcallback": (queries.get_callback, "Code"),
}


def json_response(body: Any, status: int = 200) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(data, status_code=status, media_type="application/json; charset=utf-8")


def resolve(path: str) -> tuple[str, dict[str, str]] | None:
    """Operation name and path parameters of a request path, or None when it is not ours."""
    rest = path.strip("/")
    low = rest.lower()
    if low.startswith(SERVICE_PREFIX):
        rest, low = rest[len(SERVICE_PREFIX):], low[len(SERVICE_PREFIX):]
    elif not low.startswith("zalocallback/"):
        return None
    parts = rest.split("/")
    if parts[0].lower() == "getlistbrandname":
        keys = parts[1:3] + ["", ""]
        return "getlistbrandname", {"apikey": keys[0], "secretkey": keys[1]}
    return low, {}


def rate_limited(code_field: str) -> dict[str, Any]:
    """160 (not processed) in the endpoint's own envelope."""
    reason = message(TPS_EXCEEDED)
    if code_field == "send":
        return sends.envelope(TPS_EXCEEDED)
    if code_field == "Code":
        return {"Code": int(TPS_EXCEEDED), "Message": reason}
    if code_field == "Error":
        return {"Data": None, "Error": int(TPS_EXCEEDED), "Message": reason}
    return {code_field: TPS_EXCEEDED, "ErrorMessage": reason}


async def fault_response(rule: FaultRule, scope: Scope) -> Response | None:
    """Apply a transport fault: a 5xx answer, a dropped connection, or a delay (then None)."""
    if rule.kind == "slow":
        await asyncio.sleep(rule.delay)
        return None
    if rule.kind == "http503":
        return Response("Service Unavailable", status_code=503, headers={"Retry-After": "1"})
    if rule.kind == "drop":
        cycle = getattr(scope.get(RAW_SEND), "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None:
            raise ConnectionAbortedError("esms_sim: dropped connection (fault injection)")
        transport.close()
        await asyncio.sleep(0.01)  # let uvicorn notice, so it does not answer 500 itself
        return Response(b"", status_code=500)  # discarded: the connection is gone
    return Response("Internal Server Error", status_code=500)


def bulk_with_cut(state: SimState, data: dict[str, Any], rule: FaultRule, n: int) -> dict[str, Any]:
    """The bulk send under a "partial" fault: its plan is drawn from the items' phones."""
    items = data.get("data")
    phones = [text(lower_keys(i).get("phone")) if isinstance(i, dict) else ""
              for i in items] if isinstance(items, list) else []
    return sends.send_zns_bulk(state, data, rule.plan(state.config.seed, n, phones))


async def read_body(request: Request) -> dict[str, Any] | None:
    """Query parameters plus the JSON object body, keys lower-cased; None when malformed."""
    data: dict[str, Any] = lower_keys(dict(request.query_params))
    raw = await request.body()
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        data.update(lower_keys(body))
    return data


async def control(state: SimState, request: Request, action: str) -> Response:
    """The /_sim endpoints: configure, reset, observe and move the clock of a running simulator."""
    try:
        body = await read_body(request) or {}
        if action == "config" and request.method == "POST":
            return json_response(state.configure(body))
        if action == "config":
            return json_response(state.config.to_json())
        if action == "reset":
            state.reset(**body)
            return json_response({"ok": True, "seed": state.config.seed})
        if action == "counts":
            return json_response(state.counts())
        if action == "advance":
            return json_response({"now": state.advance(float(body.get("seconds", 0)))})
        if action == "callbacks":
            with state.lock:
                return json_response(list(state.callback_log))
    except (ValueError, TypeError, AttributeError) as exc:
        return json_response({"error": str(exc)}, status=400)
    return json_response({"error": f"unknown control action {action!r}"}, status=404)


def make_endpoint(state: SimState) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        path = request.url.path
        if "/_sim/" in path:  # also under the service prefix, for clients with a base URL
            return await control(state, request, path.split("/_sim/", 1)[1].strip("/").lower())
        resolved = resolve(path)
        route = ROUTES.get(resolved[0]) if resolved else None
        if resolved is None or route is None:
            return json_response(INVALID_REQUEST, status=404)
        name, path_params = resolved
        handler, code_field = route
        n, fault, limited = state.hit(name)
        if fault is not None and fault.kind == "code160":
            limited, fault = True, None
        if fault is not None and not fault.after_processing and fault.kind != "partial":
            response = await fault_response(fault, request.scope)
            if response is not None:
                return response
        data = await read_body(request)
        if data is None:
            return json_response(INVALID_REQUEST)
        data.update(path_params)
        try:
            if limited:
                body = rate_limited(code_field)
            elif fault is not None and fault.kind == "partial":
                body = bulk_with_cut(state, data, fault, n)
                fault = None
            else:
                body = handler(state, data)
        except (ValueError, TypeError, AttributeError):  # e.g. "Page": "abc", "Data": [1, 2]
            body = INVALID_REQUEST
        if fault is not None and fault.after_processing:
            response = await fault_response(fault, request.scope)
            if response is not None:
                return response
        return json_response(body)

    return endpoint


class SimApp(Starlette):
    """Starlette that keeps the server's own `send` in the scope, so a fault can drop the socket."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await super().__call__(scope, receive, send)


def create_app(state: SimState | None = None) -> SimApp:
    """The simulator as an ASGI app; the callback loop runs for the app's lifespan."""
    sim = state if state is not None else SimState()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(callback_loop(sim, stop))
        try:
            yield
        finally:
            stop.set()
            await task

    app = SimApp(routes=[Route("/{path:path}", make_endpoint(sim), methods=["GET", "POST"])],
                 lifespan=lifespan)
    app.state.sim = sim
    return app
