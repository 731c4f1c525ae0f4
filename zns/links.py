"""Public URLs of the files the web server serves (what report artifacts link to)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from zns.ports import ports


def public_url() -> str:
    """$ZNS_PUBLIC_URL (when the web server is reached through another name), else loopback."""
    explicit = os.environ.get("ZNS_PUBLIC_URL", "").strip().rstrip("/")
    return explicit or f"http://127.0.0.1:{ports().web_port}"


def report_url(path: Path) -> str:
    """<public>/reports/<campaign id>/<file name> for a file of a campaign's report folder."""
    return f"{public_url()}/reports/{quote(path.parent.name)}/{quote(path.name)}"
