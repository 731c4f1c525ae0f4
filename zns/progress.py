"""Progress of a campaign's long steps (ingest, sends, delivery wait, SMS fallback).

Steps report through the `zns.progress` logger at DEBUG, which costs nothing where nobody
listens; `zns run` on a terminal listens and draws the bars (zns/console.py).
"""

from __future__ import annotations

import logging

LOGGER = logging.getLogger("zns.progress")
STEP_LABELS = {  # what the operator reads beside each bar
    "ingest": "Đọc và kiểm tra file (ingest)",
    "zns": "Gửi ZNS (sending)",
    "zns-delivery": "Chờ kết quả ZNS (delivery)",
    "sms": "Gửi SMS dự phòng (fallback)",
    "sms-delivery": "Chờ kết quả SMS (delivery)",
}


def progress(step: str, done: int, total: int | None = None) -> None:
    """`done` of `total` units (rows or messages) of `step`; total None while it is not known."""
    if LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.debug("%s: %d/%s", step, done, total if total is not None else "?",
                     extra={"zns_progress": (step, done, total)})
