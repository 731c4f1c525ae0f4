"""THE idempotency key: one message per (campaign, phone, channel) and its eSMS RequestId.

eSMS deduplicates a RequestId for 24 h and answers 124 to a repeat, so a resend after a crash
is harmless only if the RequestId is the same one: it must be derived, never random.
"""

from __future__ import annotations

import base64
import hashlib
import re

from zns.outcomes import Channel

# Bump only with a migration plan: changing it makes every in-flight message look new to eSMS.
KEY_VERSION = "zns-ledger/v1"
_PREFIX: dict[Channel, str] = {Channel.ZNS: "z-", Channel.SMS: "s-"}
REQUEST_ID_RE = re.compile(r"^[zs]-[A-Z2-7]{48}$")


def message_key(campaign_id: str, phone: str, channel: Channel | str) -> tuple[str, str, Channel]:
    """The ledger's unique key for one send; `phone` must already be normalised."""
    if not campaign_id or not phone:
        raise ValueError("campaign_id and phone are required for a message key")
    return campaign_id, phone, Channel(channel)


def request_id(campaign_id: str, phone: str, channel: Channel | str, wait_round: int = 0) -> str:
    """Deterministic eSMS RequestId: channel prefix + 48 base32 chars (240 bits of SHA-256).

    50 characters, alphabet [A-Z2-7-], stable across processes, hosts and releases. With 240 bits
    the chance of any collision among n ids is about n**2 / 2**241: for 10**12 messages that is
    below 10**-48, so a collision (which eSMS would answer 124) is not a practical concern.
    `wait_round` n > 0 is the n-th resend of a ZNS refused "for now" (-133, -144): eSMS holds the
    refused attempt's RequestId, so the resend needs its own; round 0 is the message's first id.
    """
    cid, ph, ch = message_key(campaign_id, phone, channel)
    parts = (KEY_VERSION, cid, ph, ch.value) + ((f"wait-round-{wait_round}",) if wait_round else ())
    material = "\x1f".join(parts).encode("utf-8")
    digest = hashlib.sha256(material).digest()[:30]
    encoded = base64.b32encode(digest).decode("ascii")  # 30 bytes -> 48 chars, no padding
    return _PREFIX[ch] + encoded
