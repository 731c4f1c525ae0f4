"""Shared fixtures: the eSMS simulator on loopback and a receiver for its GET callbacks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from esms_sim.server import SimulatorServer


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
