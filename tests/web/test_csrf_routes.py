"""Every state-changing route of the web app refuses a missing or foreign CSRF token (issue 18).

The check is one app-wide dependency (`zns.web.deps.csrf_protect`), so a route added later in any
router is covered; this test walks the app's routes instead of a list, so it covers it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from zns.web.app import create_app
from zns.web.security import CSRF_COOKIE, CSRF_HEADER, csrf_token
from zns.web.settings import WebSettings

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SECRET = b"k" * 32


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """The app's routes, through the routers it includes (FastAPI 0.150 keeps them behind a wrapper)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(included.routes)


def _unsafe_routes() -> list[tuple[str, str]]:
    app = create_app(WebSettings(secret=SECRET))
    return sorted((method, re.sub(r"\{[^}]+\}", "x-campaign", route.path)) for route in _api_routes(app.routes)
                  for method in route.methods & UNSAFE)


ROUTES = _unsafe_routes()


def test_the_walk_finds_the_apps_state_changing_routes() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/api/uploads", "/api/refresh", "/campaigns", "/campaigns/new/error-rows", "/campaigns/x-campaign/cancel",
            "/campaigns/x-campaign/approval", "/campaigns/x-campaign/reimport", "/suppressed/clear"} <= paths


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_each_refuses_a_missing_or_foreign_token(method: str, path: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZNS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZNS_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.delenv("ZNS_WEB_TOKEN", raising=False)
    with TestClient(create_app(WebSettings(secret=SECRET))) as client:
        cookie = "browser-cookie"
        foreign = csrf_token(SECRET, "another-browser")  # valid for someone else's cookie
        attempts = [
            {"data": {"run": "x"}},  # no token at all
            {"data": {"run": "x", "csrf": foreign}},  # another browser's token in the form
            {"data": {"run": "x"}, "headers": {CSRF_HEADER: foreign}},  # ... or in the header
            {"data": {"run": "x", "csrf": "forged"}},
        ]
        for attempt in attempts:
            client.cookies.set(CSRF_COOKIE, cookie)
            response = client.request(method, path, **attempt)
            assert response.status_code == 403, (method, path, attempt, response.text[:300])
            assert response.json()["error"]["code"] == "CSRF_FAILED"
        client.cookies.clear()  # no cookie: even the right-looking token cannot match
        response = client.request(method, path, data={"csrf": csrf_token(SECRET, cookie)})
        assert response.status_code == 403, (method, path)
        assert not (tmp_path / "home" / "uploads").exists() or not any((tmp_path / "home" / "uploads").iterdir())
