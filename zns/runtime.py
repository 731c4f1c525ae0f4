"""Process-wide handles (one ledger engine per URL), shared by every task run in a process."""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path

from zns.ledger import Ledger


@lru_cache(maxsize=4)
def _ledger(url: str | None) -> Ledger:
    return Ledger.from_url(url)


def get_ledger(url: str | None = None) -> Ledger:
    """The ledger for `url` (default: ZNS_LEDGER_URL or .zns/ledger.db), migrated once per process."""
    return _ledger(url or os.environ.get("ZNS_LEDGER_URL") or None)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def report_dir(campaign_id: str) -> Path:
    """Where a campaign's workbooks live: $ZNS_REPORT_DIR/<campaign id> (default .zns/reports)."""
    base = Path(os.environ.get("ZNS_REPORT_DIR", ".zns/reports"))
    return (base / campaign_id).resolve()
