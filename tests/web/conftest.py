"""Fixtures of the campaign page tests: the real app (FastAPI TestClient) against the simulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from esms_sim.server import SimulatorServer
from tests.flows.support import send_requests
from zns.recipients import Limits
from zns.web.app import create_app
from zns.web.forms import parse_form
from zns.web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "customers.xlsx"
OA = "4097311281936189049"
ORDER = "210001"
SAMPLE_MAPPING = {
    "phone_column": "Số điện thoại", "map:customer_name": "Tên khách hàng", "map:order_code": "Mã đơn hàng",
    "map:order_date": "Ngày đặt", "map:amount": "Tổng tiền",
}


@dataclass
class Page:
    """A browser session on the page: the client, its CSRF token and the form's hidden fields."""

    client: TestClient
    csrf: str
    submission: str
    uploads: Path
    sim: SimulatorServer

    def upload(self, name: str, data: bytes) -> Any:
        return self.client.post("/api/uploads", files={"file": (name, data)}, headers={"X-CSRF-Token": self.csrf})

    def form(self, **fields: str) -> dict[str, str]:
        return {"csrf": self.csrf, "submission": self.submission, "oa_id": OA, "template_id": ORDER,
                "message_type": "normal", "source_mode": "file", **fields}

    def mapped(self, **fields: str) -> dict[str, str]:
        """The form with the operator's own mapping: marked as already pre-filled for this file."""
        form = self.form(**fields)
        return {**form, "mapping_for": parse_form(form).mapping_key()}

    def refresh(self, **fields: str) -> str:
        return self.post_refresh(self.form(**fields))

    def refresh_mapped(self, **fields: str) -> str:
        return self.post_refresh(self.mapped(**fields))

    def post_refresh(self, form: dict[str, str]) -> str:
        response = self.client.post("/api/refresh", data=form, headers={"X-CSRF-Token": self.csrf})
        assert response.status_code == 200, response.text
        return response.text

    def stored(self) -> list[str]:
        return sorted(p.name for p in self.uploads.iterdir()) if self.uploads.exists() else []

    def sends(self) -> int:
        return send_requests(self.sim)


def make_page(client: TestClient, uploads: Path, sim: SimulatorServer) -> Page:
    html = client.get("/campaigns/new").text
    csrf = re.search(r'<meta name="csrf" content="([^"]+)">', html)
    submission = re.search(r'name="submission" value="([^"]+)"', html)
    assert csrf and submission, html[:500]
    return Page(client, csrf.group(1), submission.group(1), uploads, sim)


@pytest.fixture
def web_env(simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY", "ESMS_BASE_URL": simulator.base_url,
        "ZNS_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.db'}", "ZNS_REPORT_DIR": str(tmp_path / "reports"),
        "ZNS_UPLOADS_URL": str(tmp_path / "uploads"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ZNS_WEB_TOKEN", raising=False)
    return env


def page_for(env: dict[str, str], sim: SimulatorServer, **settings: Any) -> Iterator[Page]:
    with TestClient(create_app(WebSettings(**settings))) as client:
        yield make_page(client, Path(env["ZNS_UPLOADS_URL"]), sim)


@pytest.fixture
def page(web_env: dict[str, str], simulator: SimulatorServer) -> Iterator[Page]:
    yield from page_for(web_env, simulator)


@pytest.fixture
def small_page(web_env: dict[str, str], simulator: SimulatorServer) -> Iterator[Page]:
    """Limits small enough to hit with small files: 64 KiB and 50 rows."""
    yield from page_for(web_env, simulator, limits=Limits(max_bytes=64 * 1024, max_rows=50))
