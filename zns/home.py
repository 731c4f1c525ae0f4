"""The data home: one folder for the ledger, reports, uploads and the local Prefect server.

Every entry point (CLI, worker, reconcile, web page) finds the same home from any folder:
`$ZNS_HOME`, else the per-user data folder of the platform. Explicit settings
(`ZNS_LEDGER_URL`, `ZNS_REPORT_DIR`, `PREFECT_API_URL`) still win over the home's defaults.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "ZNS_HOME"
APP_DIR = "zns-campaigns"


def default_home() -> Path:
    """The platform's per-user data folder (XDG on Linux, Application Support, LOCALAPPDATA)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_DIR


def data_home() -> Path:
    """The home folder (absolute; created on first use, readable by the worker's group)."""
    raw = os.environ.get(ENV_VAR, "").strip()
    home = Path(raw).expanduser() if raw else default_home()
    home = home if home.is_absolute() else Path.cwd() / home
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def ledger_url() -> str:
    """$ZNS_LEDGER_URL, else the home's SQLite ledger."""
    return os.environ.get("ZNS_LEDGER_URL", "").strip() or f"sqlite:///{data_home() / 'ledger.db'}"


def reports_root() -> Path:
    """$ZNS_REPORT_DIR, else <home>/reports."""
    raw = os.environ.get("ZNS_REPORT_DIR", "").strip()
    return Path(raw).expanduser().resolve() if raw else data_home() / "reports"


def uploads_root() -> Path:
    """Uploaded recipient files (content-addressed), read by workers on this machine."""
    return data_home() / "uploads"


def prefect_home() -> Path:
    """The local Prefect server's profile and database (`zns up`, `zns demo`)."""
    return data_home() / "prefect"
