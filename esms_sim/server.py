"""Run the simulator: in a background thread for tests (`SimulatorServer`) or blocking (`serve`).

Both bind loopback by default; `port=0` picks a free port, read it back from `.base_url`.
`SimulatorServer` can also play a gateway outage: `go_down()` / `come_up()` or `restart(s)`
stop and restart the HTTP listener on the same port while the `SimState` (messages, RequestIds,
pending deliveries and callbacks) lives on, as a real gateway's database does.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from esms_sim.app import SimApp, create_app
from esms_sim.state import SimState

SERVICE_PATH = "/MainService.svc/json/"


class SimulatorServer:
    """uvicorn in a daemon thread; use as a context manager: `with SimulatorServer() as sim:`."""

    def __init__(self, state: SimState | None = None, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning", drain: float = 5.0) -> None:
        self.state = state if state is not None else SimState()
        self.drain = drain  # seconds in-flight requests may finish on go_down / stop
        self.app: SimApp = create_app(self.state)
        self.host = host
        self.log_level = log_level
        self._sock = self._bind(port)
        self.port: int = self._sock.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _bind(self, port: int) -> socket.socket:
        """A bound, not yet listening socket: it holds the port and refuses connections."""
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says TCP,
        # and without it every answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # SO_REUSEADDR: the same port binds again right after an outage despite TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        return sock

    @property
    def root_url(self) -> str:
        """http://host:port (status-sms GetCallback lives at {root_url}/ZaloCallback/GetCallback)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The eSMS base URL a client is configured with, ending in /MainService.svc/json/."""
        return self.root_url + SERVICE_PATH

    @property
    def is_up(self) -> bool:
        """True while the HTTP listener accepts connections."""
        return self._thread is not None

    def start(self, timeout: float = 10.0) -> SimulatorServer:
        """Start listening (again, after `go_down`) on the bound port."""
        if self._thread is not None:
            return self
        config = uvicorn.Config(self.app, log_level=self.log_level, access_log=False,
                                lifespan="on", timeout_keep_alive=30,
                                timeout_graceful_shutdown=max(self.drain, 0.0))
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [self._sock]},
                                  name=f"esms-sim:{self.port}", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                self._thread = None
                raise RuntimeError("eSMS simulator did not start")
            time.sleep(0.01)
        return self

    def _shutdown(self, timeout: float) -> None:
        """Close the listener, let in-flight requests drain, stop the callback loop."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        self._sock.close()
        if thread.is_alive():
            raise RuntimeError("eSMS simulator did not stop in time")

    def go_down(self, timeout: float = 10.0) -> None:
        """Outage: connections to the port are refused until `come_up`; the state is kept.

        Callbacks that fall due meanwhile wait and go out after `come_up`."""
        if self._thread is None:
            return
        self._shutdown(timeout)
        self._sock = self._bind(self.port)  # keep the port ours; a bound socket refuses SYNs

    def come_up(self, timeout: float = 10.0) -> None:
        """End of the outage: listen again on the same port with the same state."""
        self.start(timeout)

    def restart(self, down_seconds: float = 0.0, timeout: float = 10.0) -> None:
        """Blocking outage of `down_seconds`: go down, wait, come back on the same port."""
        self.go_down(timeout)
        time.sleep(max(down_seconds, 0.0))
        self.come_up(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._shutdown(timeout)
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
