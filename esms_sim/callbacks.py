"""Delivery callbacks: the GET query of docs/esms-api.md §4.5, sent by a loop in the server's event loop.

eSMS retries a callback 5 times when the partner URL times out or refuses the connection and
then drops it; the simulator does the same and records every delivery in `state.callback_log`.
A callback cut short by the server going down is queued again, so it goes out after a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging

import httpx

from esms_sim.codes import zalo_error_message
from esms_sim.phones import telco_id
from esms_sim.state import Message, SimState

log = logging.getLogger("esms_sim.callbacks")
POLL_SECONDS = 0.02
MAX_CONCURRENT = 64


def error_info_json(msg: Message) -> str:
    """Zalo result as JSON text, e.g. {"error":-118,"message":"Zalo account not existed"}."""
    return json.dumps({"error": int(msg.error_info), "message": zalo_error_message(msg.error_info)},
                      separators=(",", ":"))


def callback_params(msg: Message) -> dict[str, str]:
    """All-string query parameters of the callback for a final message."""
    ok = msg.success
    params = {
        "SMSID": msg.sms_id,
        "SendFailed": "0" if ok else "1",
        "SendStatus": "5",
        "SendSuccess": "1" if ok else "0",
        "TotalPrice": f"{msg.price:.4f}",
        "TotalReceiver": "1",
        "TotalSent": "1",
        "RequestId": msg.request_id,
        "TypeId": str(msg.type_id),
        "telcoid": str(telco_id(msg.phone)),
        "phonenumber": msg.phone,
    }
    if msg.channel == "zns":
        params.update({
            "partnerids": msg.zalo_msg_id if ok else "",
            "error_info": error_info_json(msg),
            "oaid": msg.oa_id,
            "tempid": msg.temp_id,
        })
    else:
        params["switchsmsid"] = ""
    return params


async def _deliver(client: httpx.AsyncClient, state: SimState, msg: Message,
                   limit: asyncio.Semaphore) -> None:
    """GET the callback URL; retry on timeout/connection errors only, up to the configured count."""
    attempts, outcome, ok = 0, "", False
    log_list = state.callback_log  # a reset meanwhile swaps the list: stale results stay out
    try:
        async with limit:
            for attempt in range(state.config.callback_retries + 1):
                attempts += 1
                try:
                    response = await client.get(msg.callback_url, params=callback_params(msg),
                                                timeout=state.config.callback_timeout)
                except (httpx.TimeoutException, httpx.NetworkError) as exc:
                    outcome = type(exc).__name__
                    await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
                    continue
                except httpx.HTTPError as exc:  # bad URL and the like: not retried
                    outcome = type(exc).__name__
                    break
                outcome, ok = str(response.status_code), response.is_success
                break
    except asyncio.CancelledError:  # the server is going down: deliver after it comes back
        if log_list is state.callback_log:
            state.requeue_callback(msg)
        raise
    with state.lock:
        log_list.append({"sms_id": msg.sms_id, "url": msg.callback_url,
                         "attempts": attempts, "result": outcome, "ok": ok})


async def callback_loop(state: SimState, stop: asyncio.Event) -> None:
    """Sweep due messages every few ms and fire their callbacks concurrently until `stop`."""
    limit = asyncio.Semaphore(MAX_CONCURRENT)
    tasks: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient() as client:
        while not stop.is_set():
            for msg in state.due_callbacks():
                task = asyncio.create_task(_deliver(client, state, msg, limit))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            try:
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
            except TimeoutError:
                pass
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
