"""Process-wide handles (one ledger engine per URL), shared by every task run in a process."""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path

from zns.home import reports_root
from zns.ledger import Ledger


@lru_cache(maxsize=4)
def _ledger(url: str | None) -> Ledger:
    return Ledger.from_url(url)


def get_ledger(url: str | None = None) -> Ledger:
    """The ledger for `url` (default: ZNS_LEDGER_URL or the data home's), migrated once per process."""
    return _ledger(url or os.environ.get("ZNS_LEDGER_URL") or None)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def report_dir(campaign_id: str) -> Path:
    """Where a campaign's workbooks live: $ZNS_REPORT_DIR/<campaign id>, else <home>/reports/<id>."""
    return reports_root() / campaign_id
