"""The simulator's memory: accounts, message store, RequestId dedupe, clock, quotas and counts.

One lock guards the store; everything a request reads or writes under it is O(1) or O(log n)
per message, so the bulk endpoint stays fast. Delivery is lazy: a heap of final times is
swept on every read and by the callback loop.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
import uuid
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from typing import Any

from esms_sim.codes import DUPLICATE, NO_BALANCE, OK
from esms_sim.models import ZnsTemplate
from esms_sim.outcomes import ZNS_OUTCOMES, FaultRule, SimConfig
from esms_sim.phones import telco_id
from esms_sim.rules import ParamChecker, field
from esms_sim.seed import UNCONFIGURED_TEMPLATES, AccountSeed, OaSeed, build_accounts

DEDUPE_SECONDS = 24 * 3600
VN_OFFSET = 7 * 3600
NO_ZALO_MSG = frozenset({"no_zalo", "quota", "night"})


@dataclass(slots=True)
class Message:
    """One accepted (non-sandbox) send: one SMSID, one recipient."""

    seq: int
    sms_id: str
    channel: str  # "zns" | "sms"
    type_id: int  # 2 CSKH, 24 ZNS priority, 25 ZNS normal
    phone: str
    api_key: str
    request_id: str
    campaign: str
    oa_id: str
    temp_id: str
    content: str
    price: float
    created: float
    send_at: float
    final_at: float
    outcome: str
    error_info: str  # ZNS ErrorInfo once final ("0", "-118", ...); "0"/"1" for SMS
    callback_url: str
    zalo_msg_id: str
    final: bool = False

    @property
    def success(self) -> bool:
        return self.outcome == "delivered"

    def view(self, now: float) -> tuple[int, int, int, float]:
        """(SendStatus, SendSuccess, SendFailed, TotalPrice) as the status APIs report them."""
        if not self.final:
            return (2 if now < self.send_at else 7), 0, 0, self.price
        ok = self.success
        return 5, int(ok), int(not ok), self.price


class SimState:
    """All mutable simulator state plus its Python control API (mirrors the /_sim endpoints)."""

    def __init__(self, seed: int = 0, **config: Any) -> None:
        self.lock = threading.RLock()
        self.reset(seed=seed, **config)

    # ---- control API -------------------------------------------------------------------
    def reset(self, seed: int | None = None, **config: Any) -> None:
        """Forget every message, count and setting; rebuild seed data; clock back to real time."""
        with self.lock:
            self._offset = 0.0
            old_seed = getattr(self, "config", SimConfig()).seed
            self.config = SimConfig(seed=old_seed if seed is None else int(seed))
            self.accounts: dict[str, AccountSeed] = build_accounts()
            self.catalogue = dict(UNCONFIGURED_TEMPLATES)
            self.checkers: dict[int, ParamChecker] = {}
            self.messages: dict[str, Message] = {}
            self.by_zalo_id: dict[str, Message] = {}
            self._timeline: list[Message] = []  # creation order == clock order
            self._created: list[float] = []
            self._pending: list[tuple[float, int, Message]] = []
            self._request_ids: dict[tuple[str, str], float] = {}
            self._counts: dict[tuple[str, str], list[int]] = {}
            self.endpoint_hits: dict[str, int] = {}
            self._tps_window: dict[str, tuple[int, int]] = {}
            self._quota_used: dict[str, tuple[int, int]] = {}  # oa -> (VN day, used)
            self._callbacks: deque[Message] = deque()
            self.callback_log: list[dict[str, Any]] = []
            self._seq = 0
            self._nonce = uuid.uuid4().hex
            self.configure(config)

    def configure(self, data: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Change settings (same keys as POST /_sim/config); also `quota` and `balance`."""
        merged = {**(data or {}), **kwargs}
        with self.lock:
            quota = merged.pop("quota", None)
            balance = merged.pop("balance", None)
            self.config.update(merged)
            if quota is not None:
                self._set_quota(quota)
            if balance is not None:
                for account in self.accounts.values():
                    account.balance = float(balance)
            return self.config.to_json()

    def _set_quota(self, quota: Any) -> None:
        """`quota` is a daily quota for every OA, or {OAID: n}; it also clears today's usage."""
        items = quota.items() if isinstance(quota, dict) else (
            (oa_id, quota) for acc in self.accounts.values() for oa_id in acc.oas)
        for oa_id, value in items:
            for account in self.accounts.values():
                if oa_id in account.oas:
                    account.oas[oa_id].daily_quota = int(value)
            self._quota_used.pop(oa_id, None)

    def now(self) -> float:
        """Simulated epoch seconds: real time plus whatever /_sim/advance added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward so tests need not sleep; finalises what is due."""
        with self.lock:
            self._offset += float(seconds)
            now = self.now()
            self.sweep(now)
            return now

    def counts(self) -> dict[str, Any]:
        """Per phone and channel: accepted ("received") and delivered; per-endpoint hits."""
        with self.lock:
            self.sweep(self.now())
            phones: dict[str, dict[str, dict[str, int]]] = {}
            totals = {c: {"received": 0, "delivered": 0} for c in ("zns", "sms")}
            for (phone, channel), (received, delivered) in self._counts.items():
                phones.setdefault(phone, {})[channel] = {
                    "received": received, "delivered": delivered}
                totals[channel]["received"] += received
                totals[channel]["delivered"] += delivered
            log = self.callback_log
            return {
                "phones": phones,
                "totals": totals,
                "endpoints": dict(self.endpoint_hits),
                "callbacks": {
                    "delivered": sum(1 for e in log if e["ok"]),
                    "failed": sum(1 for e in log if not e["ok"]),
                    "attempts": sum(e["attempts"] for e in log),
                },
                "balance": {k: a.balance for k, a in self.accounts.items()},
                "quota_used": {oa: used for oa, (_, used) in self._quota_used.items()},
            }

    # ---- per-request plumbing ----------------------------------------------------------
    def hit(self, endpoint: str) -> tuple[int, FaultRule | None, bool]:
        """Count a request; return (its number n, the fault that fires for it, TPS exceeded)."""
        with self.lock:
            n = self.endpoint_hits.get(endpoint, 0) + 1
            self.endpoint_hits[endpoint] = n
            fault = None
            for rule in self.config.faults:
                if rule.fires(self.config.seed, endpoint, n):
                    fault = rule
                    break
            limited = False
            limit = self.config.tps.get(endpoint, 0)
            if limit:
                second = int(time.monotonic())
                window, used = self._tps_window.get(endpoint, (second, 0))
                if window != second:
                    window, used = second, 0
                limited = used >= limit
                self._tps_window[endpoint] = (window, used + (0 if limited else 1))
            return n, fault, limited

    def account(self, data: dict[str, Any]) -> AccountSeed | None:
        """The account for ApiKey/SecretKey in a lower-cased request, or None (101)."""
        account = self.accounts.get(field(data, "apikey"))
        if account is None or account.secret_key != field(data, "secretkey"):
            return None
        return account

    def checker(self, template: ZnsTemplate) -> ParamChecker:
        """The compiled 790 check of a template, built once per reset."""
        found = self.checkers.get(id(template))
        if found is None:
            found = self.checkers[id(template)] = ParamChecker(template)
        return found

    def new_sms_id(self) -> str:
        """Opaque 32-hex SMSID, unique across resets and simulator processes."""
        self._seq += 1
        return hashlib.md5(f"{self._nonce}:{self._seq}".encode()).hexdigest()

    # ---- sending (call with self.lock held) ---------------------------------------------
    def duplicate(self, api_key: str, request_id: str, now: float) -> bool:
        """True when this account used the RequestId within the last 24 h of simulated time."""
        if not request_id:
            return False
        seen = self._request_ids.get((api_key, request_id))
        return seen is not None and now - seen < DEDUPE_SECONDS

    def accept(
        self, account: AccountSeed, *, channel: str, type_id: int, phone: str, request_id: str,
        price: float, now: float, send_at: float = 0.0, oa_id: str = "", temp_id: str = "",
        content: str = "", campaign: str = "", callback_url: str = "", sandbox: bool = False,
    ) -> tuple[str, str]:
        """Store, charge and schedule one send: (OK, SMSID), (NO_BALANCE, "") or (DUPLICATE, "").

        A sandbox send is checked against stored RequestIds and answered like a real one, but
        nothing is stored, charged, counted or delivered (docs/esms-api.md §2.5)."""
        if self.duplicate(account.api_key, request_id, now):
            return DUPLICATE, ""
        if sandbox:
            return OK, self.new_sms_id()
        if account.balance < price:
            return NO_BALANCE, ""
        account.balance -= price
        if request_id:
            self._request_ids[(account.api_key, request_id)] = now
        cfg = self.config
        zalo_msg_id = ""
        if channel == "zns":
            outcome = cfg.zns_outcome(phone)
            if cfg.is_night(now, temp_id):
                outcome = "night"
            elif not self._take_quota(account.oas[oa_id], now):
                outcome = "quota"
            error_info = ZNS_OUTCOMES.get(outcome, "-100")
        else:
            outcome = cfg.sms_outcome(phone)
            error_info = "0" if outcome == "delivered" else "1"
        sms_id = self.new_sms_id()
        if channel == "zns" and outcome not in NO_ZALO_MSG:  # rejected before Zalo queued it
            zalo_msg_id = hashlib.md5(sms_id.encode()).hexdigest()[:20]
        start = max(now, send_at)
        delay = cfg.late_delay if outcome in cfg.late_outcomes else cfg.final_delay
        msg = Message(self._seq, sms_id, channel, type_id, phone, account.api_key, request_id,
                      campaign, oa_id, temp_id, content, price, now, start, start + delay,
                      outcome, error_info, callback_url, zalo_msg_id)
        self.messages[sms_id] = msg
        if zalo_msg_id:
            self.by_zalo_id[zalo_msg_id] = msg
        self._timeline.append(msg)
        self._created.append(now)
        heapq.heappush(self._pending, (msg.final_at, msg.seq, msg))
        counter = self._counts.get((phone, channel))
        if counter is None:
            self._counts[(phone, channel)] = [1, 0]
        else:
            counter[0] += 1
        return OK, sms_id

    def _take_quota(self, oa: OaSeed, now: float) -> bool:
        day = int((now + VN_OFFSET) // 86400)
        used_day, used = self._quota_used.get(oa.oa_id, (day, 0))
        if used_day != day:
            used = 0
        if used >= oa.daily_quota:
            return False
        self._quota_used[oa.oa_id] = (day, used + 1)
        return True

    def remaining_quota(self, oa: OaSeed) -> int:
        day = int((self.now() + VN_OFFSET) // 86400)
        used_day, used = self._quota_used.get(oa.oa_id, (day, 0))
        return oa.daily_quota - (used if used_day == day else 0)

    # ---- lifecycle -------------------------------------------------------------------------
    def sweep(self, now: float) -> None:
        """Finalise every message whose final time has come (lock held); queue its callback."""
        pending = self._pending
        while pending and pending[0][0] <= now:
            msg = heapq.heappop(pending)[2]
            msg.final = True
            if msg.success:
                self._counts[(msg.phone, msg.channel)][1] += 1
            elif msg.channel == "zns":  # a failed ZNS is free: refund
                account = self.accounts.get(msg.api_key)
                if account is not None:
                    account.balance += msg.price
                msg.price = 0.0
            if msg.callback_url:
                self._callbacks.append(msg)

    def requeue_callback(self, msg: Message) -> None:
        """Put back a callback whose delivery was cut short (server going down)."""
        with self.lock:
            self._callbacks.append(msg)

    def due_callbacks(self) -> list[Message]:
        """Messages that became final since the last call and carry a CallbackUrl."""
        with self.lock:
            self.sweep(self.now())
            jobs = list(self._callbacks)
            self._callbacks.clear()
            return jobs

    def window(self, start: float, end: float) -> list[Message]:
        """Messages created in [start, end] of simulated time, oldest first."""
        lo = bisect_left(self._created, start)
        hi = bisect_left(self._created, end + 1e-6)
        return self._timeline[lo:hi]

    @staticmethod
    def telco(phone: str) -> int:
        """eSMS telco id of a stored number, as callbacks and GetCallback report it."""
        return telco_id(phone)
