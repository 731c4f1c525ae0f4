"""Fixtures for browser tests: Debian's chromium driven by Playwright against the session's Prefect server
(tests/conftest.py; its UI calls that server's own API, see zns.orchestration.localprefect)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "browser"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_executable() -> str | None:
    for candidate in (os.environ.get("ZNS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium; skipped (with the reason) only when no chromium binary exists.

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread while
    open, which would break every later test that calls asyncio.run()."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip("chromium not found at /usr/bin/chromium or on PATH: run ./scripts/setup as root "
                    "(installs Debian's chromium) or `apt-get install -y chromium`; set ZNS_CHROMIUM to use another")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def screenshots() -> Path:
    """test-output/browser/ (git-ignored); a failure screenshot of an earlier run is removed first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "99-failure.png").unlink(missing_ok=True)
    return SCREENSHOTS


def shot(page: Any, path: Path) -> None:
    """A full-page screenshot, then back to the top: chromium keeps a stale layout after the
    full-page resize, and the next click's mousedown and mouseup can land on different elements."""
    page.screenshot(path=path, full_page=True)
    page.evaluate("window.scrollTo(0, 0)")


def save_failure_screenshots(context: Any, screenshots: Path) -> None:
    """What every open page of the browser showed when a test failed (99-failure.png)."""
    for page in context.pages:
        page.screenshot(path=screenshots / "99-failure.png", full_page=True)


@contextmanager
def browser_session(context: Any, screenshots: Path, *servers: Any) -> Iterator[None]:
    """A browser test's body: failure screenshots when it fails, then the browser context and
    the servers it used (worker, web) are stopped whatever happened."""
    try:
        yield
    except BaseException:
        save_failure_screenshots(context, screenshots)
        raise
    finally:
        context.close()
        for server in servers:
            server.stop()
