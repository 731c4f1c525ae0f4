"""Run the simulator: in a background thread for tests (`SimulatorServer`) or blocking (`serve`).

Both bind loopback by default; `port=0` picks a free port, read it back from `.base_url`.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from esms_sim.app import create_app
from esms_sim.state import SimState

SERVICE_PATH = "/MainService.svc/json/"


class SimulatorServer:
    """uvicorn in a daemon thread; use as a context manager: `with SimulatorServer() as sim:`."""

    def __init__(self, state: SimState | None = None, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning") -> None:
        self.state = state if state is not None else SimState()
        self.app = create_app(self.state)
        self.host = host
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP,
        # and without it every answer waits ~40 ms for a delayed ACK.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level=log_level, access_log=False,
                                lifespan="on", timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        """http://host:port (status-sms GetCallback lives at {root_url}/ZaloCallback/GetCallback)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The eSMS base URL a client is configured with, ending in /MainService.svc/json/."""
        return self.root_url + SERVICE_PATH

    def start(self, timeout: float = 10.0) -> SimulatorServer:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"esms-sim:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("eSMS simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._sock.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8800, seed: int = 0,
          log_level: str = "info") -> None:
    """Blocking server for `zns simulator --port N` (Ctrl-C stops it)."""
    app = create_app(SimState(seed=seed))
    print(f"eSMS simulator: http://{host}:{port}{SERVICE_PATH} (seed {seed})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
