"""Deterministic outcome and fault configuration: every random-looking choice is a seeded hash.

An outcome depends only on (seed, phone), a fault only on (seed, endpoint, request number) and
the items a "partial" fault leaves out on (seed, request number, phone), so a test or a benchmark
sees the same behaviour whatever the order or concurrency of its requests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from esms_sim.codes import NOT_ONLINE

# ZNS outcome name -> ErrorInfo value (docs/esms-api.md §4.1, §5.2).
ZNS_OUTCOMES: dict[str, str] = {
    "delivered": "0",
    "no_zalo": "-118",
    "inactive": "-114",
    "refused": "-139",
    "not_online": NOT_ONLINE,
    "quota": "-144",  # OA daily quota exhausted: accepted, then failed (documented choice)
    "night": "-133",  # sent during Zalo's night hours (config `night`): accepted, then failed
}
SMS_OUTCOMES = ("delivered", "failed")
FAULT_KINDS = ("http500", "http503", "drop", "slow", "code160", "partial")
# Kinds that answer for themselves (they cannot come after processing): see docs/simulator.md.
BEFORE_ONLY_KINDS = ("code160", "partial")
BULK_ENDPOINT = "send_zns_bulk_v4_post_json"
FAULT_KEYS = frozenset({"endpoint", "kind", "rate", "count", "after_processing", "delay",
                        "omit", "processed"})

DEFAULT_ZNS_RATES: dict[str, float] = {
    "no_zalo": 0.05, "inactive": 0.02, "refused": 0.01, "not_online": 0.02,
}
DEFAULT_SMS_RATES: dict[str, float] = {"failed": 0.02}


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) from a stable hash of the parts (not Python's salted hash)."""
    key = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64


@dataclass(frozen=True, slots=True)
class PartialPlan:
    """Which bulk items (by index) a "partial" answer leaves out, and which of those were processed."""

    omitted: frozenset[int]
    processed: frozenset[int]

    def skips(self, index: int) -> bool:
        """The gateway never handled this item: nothing stored, no RequestId recorded."""
        return index in self.omitted and index not in self.processed

    def hides(self, index: int) -> bool:
        """The item is missing from `detail` (processed or not)."""
        return index in self.omitted


@dataclass(slots=True)
class FaultRule:
    """One injected fault: which endpoint, what kind, how often, and whether work happens first."""

    endpoint: str  # lower-case operation name, e.g. "send_zns_bulk_v4_post_json", or "*"
    kind: str  # http500 | http503 | drop | slow | code160 | partial
    rate: float | None = None  # the n-th request fails iff unit(seed, endpoint, kind, n) < rate
    count: int | None = None  # or: exactly the next `count` requests fail
    after_processing: bool = False  # the request is executed, only the answer is lost
    delay: float = 1.0  # seconds, for "slow"
    omit: float = 0.1  # "partial": share of the items left out of `detail` (at least one)
    processed: float = 0.5  # "partial": share of the left-out items the gateway did process

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        unknown = set(data) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault key(s) {sorted(unknown)}; use {sorted(FAULT_KEYS)}")
        kind = str(data.get("kind", "http500")).lower()
        if kind in ("500", "503"):
            kind = "http" + kind
        elif kind == "160":
            kind = "code160"
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        rate, count = data.get("rate"), data.get("count")
        if rate is None and count is None:
            raise ValueError("a fault needs a rate or a count")
        endpoint = str(data.get("endpoint", "*")).strip("/").lower()
        after = bool(data.get("after_processing", False))
        if after and kind in BEFORE_ONLY_KINDS:
            raise ValueError(f"a {kind!r} fault cannot come after processing")
        if kind == "partial" and endpoint not in ("*", BULK_ENDPOINT):
            raise ValueError(f"a 'partial' fault only applies to {BULK_ENDPOINT}")
        omit, processed = float(data.get("omit", 0.1)), float(data.get("processed", 0.5))
        if not (0.0 <= omit <= 1.0 and 0.0 <= processed <= 1.0):
            raise ValueError("'omit' and 'processed' are shares between 0 and 1")
        return cls(
            endpoint=endpoint,
            kind=kind,
            rate=None if rate is None else float(rate),
            count=None if count is None else int(count),
            after_processing=after,
            delay=float(data.get("delay", 1.0)),
            omit=omit,
            processed=processed,
        )

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "kind": self.kind, "rate": self.rate,
                "count": self.count, "after_processing": self.after_processing,
                "delay": self.delay, "omit": self.omit, "processed": self.processed}

    def fires(self, seed: int, endpoint: str, n: int) -> bool:
        """Decide for the n-th request to `endpoint`; a count rule uses itself up."""
        if self.endpoint not in ("*", endpoint):
            return False
        if self.kind == "partial" and endpoint != BULK_ENDPOINT:
            return False  # "*" partial: only the bulk answer has a `detail` to cut
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
            return True
        return self.rate is not None and unit(seed, "fault", endpoint, self.kind, n) < self.rate

    def plan(self, seed: int, n: int, phones: list[str]) -> PartialPlan:
        """The "partial" cut of request n: by seeded hash of each item's phone, never empty."""
        if not phones:
            return PartialPlan(frozenset(), frozenset())
        draws = [unit(seed, "partial", n, phone) for phone in phones]
        omitted = {i for i, u in enumerate(draws) if u < self.omit}
        if not omitted:
            omitted = {min(range(len(phones)), key=draws.__getitem__)}
        processed = {i for i in omitted
                     if unit(seed, "partial-processed", n, phones[i]) < self.processed}
        return PartialPlan(frozenset(omitted), frozenset(processed))


@dataclass(slots=True)
class SimConfig:
    """Everything a test may tune; `POST /_sim/config` takes the same keys as JSON."""

    seed: int = 0
    zns_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ZNS_RATES))
    sms_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SMS_RATES))
    overrides: dict[str, str] = field(default_factory=dict)  # phone -> ZNS outcome name
    sms_overrides: dict[str, str] = field(default_factory=dict)  # phone -> delivered|failed
    final_delay: float = 0.2  # seconds from acceptance to the final status
    late_delay: float = 2.0  # for outcomes in late_outcomes ("late failures")
    late_outcomes: list[str] = field(default_factory=lambda: ["not_online"])
    faults: list[FaultRule] = field(default_factory=list)
    tps: dict[str, int] = field(default_factory=lambda: {
        "queryznsstatus": 100, "zalocallback/getcallback": 20, "getzalomessagestatus": 30,
    })
    zns_price: float = 300.0  # SmsType 25 (normal) and default
    zns_priority_price: float = 350.0  # SmsType 24
    sms_part_price: float = 850.0
    callback_timeout: float = 2.0
    callback_retries: int = 5
    oa_quality: dict[str, str] = field(default_factory=lambda: {"current": "HIGH", "seven_day": "HIGH"})
    rating_rate: float = 0.0  # share of delivered ZNS whose recipient rates it (ZNS/GetRating)
    rating_delay: float = 60.0  # seconds from delivery to the rating
    # Zalo's night hours for ZNS, Vietnam time, e.g. {"start": "22:00", "end": "06:00", "templates": [..]}
    # (no templates: all). Off by default: which templates Zalo refuses at night is not documented.
    night: dict[str, Any] = field(default_factory=dict)

    def is_night(self, epoch: float, template_id: str) -> bool:
        """A ZNS of this template sent at `epoch` falls in the night hours (start inclusive)."""
        if not self.night or (self.night.get("templates") and template_id not in self.night["templates"]):
            return False
        minute = int((epoch + 7 * 3600) // 60) % 1440
        start, end = (_minutes(self.night[k]) for k in ("start", "end"))
        return start <= minute < end if start <= end else (minute >= start or minute < end)

    def rating(self, phone: str, request_id: str) -> int | None:
        """The stars (1-5) this recipient gives this message, or None: seeded, stable."""
        if unit(self.seed, "rated", phone, request_id) >= self.rating_rate:
            return None
        return 1 + int(unit(self.seed, "stars", phone, request_id) * 5)

    def zns_outcome(self, phone: str) -> str:
        """Outcome name for a phone: override first, else the seeded hash against the rates."""
        forced = self.overrides.get(phone)
        if forced is not None:
            return forced
        u = unit(self.seed, "zns", phone)
        for name, rate in self.zns_rates.items():
            if u < rate:
                return name
            u -= rate
        return "delivered"

    def sms_outcome(self, phone: str) -> str:
        forced = self.sms_overrides.get(phone)
        if forced is not None:
            return forced
        return "failed" if unit(self.seed, "sms", phone) < self.sms_rates.get("failed", 0) else (
            "delivered")

    def update(self, data: dict[str, Any]) -> None:
        """Merge a JSON config; unknown keys are an error so a typo does not pass silently."""
        for key, value in data.items():
            if key == "faults":
                self.faults = [FaultRule.from_json(f) for f in value]
            elif key in ("zns_rates", "rates"):
                _check_names(value, ZNS_OUTCOMES)
                self.zns_rates = {k: float(v) for k, v in value.items() if k != "delivered"}
            elif key == "sms_rates":
                _check_names(value, SMS_OUTCOMES)
                self.sms_rates = {k: float(v) for k, v in value.items()}
            elif key == "overrides":
                _check_names(value.values(), ZNS_OUTCOMES)
                self.overrides.update({str(k): str(v) for k, v in value.items()})
            elif key == "sms_overrides":
                _check_names(value.values(), SMS_OUTCOMES)
                self.sms_overrides.update({str(k): str(v) for k, v in value.items()})
            elif key == "night":
                self.night = _night(value)
            elif key in ("rating_rate", "rating_delay"):
                setattr(self, key, float(value))
            elif key == "oa_quality":  # ZNS/GetQuality: HIGH | MEDIUM | LOW | UNDEFINED
                self.oa_quality = {**self.oa_quality, **{str(k): str(v).upper() for k, v in value.items()}}
            elif key == "tps":
                for name, limit in value.items():
                    self.tps[str(name).strip("/").lower()] = 0 if limit is None else int(limit)
            elif key == "late_outcomes":
                _check_names(value, ZNS_OUTCOMES)
                self.late_outcomes = list(value)
            elif key in ("seed", "callback_retries"):
                setattr(self, key, int(value))
            elif key in ("final_delay", "late_delay", "zns_price", "zns_priority_price",
                         "sms_part_price", "callback_timeout"):
                setattr(self, key, float(value))
            else:
                raise ValueError(f"unknown config key {key!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed, "zns_rates": self.zns_rates, "sms_rates": self.sms_rates,
            "overrides": self.overrides, "sms_overrides": self.sms_overrides,
            "final_delay": self.final_delay, "late_delay": self.late_delay,
            "late_outcomes": self.late_outcomes, "faults": [f.to_json() for f in self.faults],
            "tps": self.tps, "zns_price": self.zns_price,
            "zns_priority_price": self.zns_priority_price, "sms_part_price": self.sms_part_price,
            "callback_timeout": self.callback_timeout, "callback_retries": self.callback_retries,
            "night": self.night,
        }


def _minutes(text: str) -> int:
    hour, _, minute = str(text).partition(":")
    return int(hour) * 60 + int(minute)


def _night(value: Any) -> dict[str, Any]:
    """{} (off) or {"start", "end"[, "templates"]}; a bad value is an error, like an unknown key."""
    if not value:
        return {}
    unknown = set(value) - {"start", "end", "templates"}
    if unknown or not {"start", "end"} <= set(value):
        raise ValueError(f"night: give start and end as HH:MM (and optionally templates), not {sorted(value)}")
    for key in ("start", "end"):
        _minutes(value[key])
    return {"start": str(value["start"]), "end": str(value["end"]),
            "templates": [str(t) for t in value.get("templates") or []]}


def _check_names(names: Any, allowed: Any) -> None:
    bad = [n for n in names if n not in allowed and n != "delivered"]
    if bad:
        raise ValueError(f"unknown outcome(s) {bad}; use one of {sorted(allowed)}")
