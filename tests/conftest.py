"""Shared fixtures: the eSMS simulator on loopback, a receiver for its GET callbacks, and for
flow-level tests one real Prefect server per test session (with the deployments of prefect.yaml)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from esms_sim.server import SimulatorServer
from esms_sim.state import SimState
from zns.orchestration.deployments import deploy_all
from zns.orchestration.localprefect import LocalPrefect, ensure_server


@pytest.fixture(scope="session", autouse=True)
def _data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test (and every CLI or worker it starts) uses a throw-away data home, never the
    developer's own (`~/.local/share/zns-campaigns`)."""
    home = tmp_path_factory.mktemp("zns-home")
    old = os.environ.get("ZNS_HOME")
    os.environ["ZNS_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("ZNS_HOME", None)
    else:
        os.environ["ZNS_HOME"] = old


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def simulator(_simulator_server: SimulatorServer) -> SimulatorServer:
    """A running simulator (one per session) whose state is reset to seed 0 for each test."""
    _simulator_server.state.reset(seed=0)
    return _simulator_server


class CallbackReceiver:
    """Loopback HTTP server recording every callback GET as a dict of single query values."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                receiver.calls.append({k: v[0] for k, v in query.items()})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/esms-cb"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, str]]:
        """Wait until at least `count` callbacks arrived (the simulator sends them async)."""
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.calls)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The session server runs on SQLite (WAL, 60 s busy timeout). A Prefect transaction that reads before
# it writes (BEGIN DEFERRED, e.g. create_flow_run) cannot upgrade to a writer when another connection
# wrote meanwhile: "database is locked" at once, no busy timeout applies, and Prefect answers 503.
# Its Python client retries 503s, the UI does not (see _submit in tests/browser/test_run_form.py).
# The main other writer is the tests' worker polling every 2 s; the services below write periodically
# and no test uses them (the scheduler would also add zns-reconcile runs for the tests' workers).
TEST_SERVER_SETTINGS = {
    "PREFECT_SERVER_LOG_RETRYABLE_ERRORS": "true",  # else server.log is silent about those 503s
    **{f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in ("SCHEDULER", "LATE_RUNS", "FOREMAN")},
}


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefect]:
    """A real `prefect server start` (SQLite) shared by the whole session; log at `.log_path`."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = tmp_path_factory.mktemp("prefect-home")
    server = ensure_server(home, port=_free_port(), startup_timeout=120, settings=TEST_SERVER_SETTINGS)
    old = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server
    finally:
        if old is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = old
        server.stop()


@pytest.fixture(scope="session")
def flow_sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimState(seed=7)) as server:
        yield server


@pytest.fixture()
def campaign_env(
    prefect_server: LocalPrefect, flow_sim: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Environment of one campaign test: demo credentials, a fresh ledger and report folder."""
    from zns.runtime import _ledger

    _ledger.cache_clear()
    flow_sim.state.reset(seed=7)
    env = {
        "ESMS_API_KEY": "DEMO_API_KEY",
        "ESMS_SECRET_KEY": "DEMO_SECRET_KEY",
        "ESMS_BASE_URL": flow_sim.base_url,
        "ZNS_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "ZNS_REPORT_DIR": str(tmp_path / "reports"),
        "PREFECT_API_URL": prefect_server.api_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    _ledger.cache_clear()


@pytest.fixture(scope="session")
def deployed(prefect_server: LocalPrefect) -> LocalPrefect:
    """prefect.yaml deployed once per session (pool, blocks, every deployment)."""
    deploy_all(prefect_server.api_url)
    return prefect_server
