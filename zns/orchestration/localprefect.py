"""Start (or reuse) a local Prefect server on SQLite: what `zns demo` and the tests run against."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from zns.ports import PREFECT_PORT


@dataclass(slots=True)
class LocalPrefect:
    api_url: str
    ui_url: str
    process: subprocess.Popen[bytes] | None  # None when an existing server was reused
    log_path: Path | None = None

    def stop(self) -> None:
        """Stop the server only if this object started it."""
        if self.process is not None:
            stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM a child started with `start_new_session=True` and its children; SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(api_url.rstrip("/") + "/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def ensure_server(
    home: Path, *, host: str = "127.0.0.1", port: int = PREFECT_PORT, startup_timeout: float = 90.0,
    settings: Mapping[str, str] | None = None,
) -> LocalPrefect:
    """Reuse a healthy server at host:port, else start one whose database lives under `home`;
    `settings` are extra PREFECT_* variables for a server started here (the tests trim its services)."""
    api_url = f"http://{host}:{port}/api"
    if healthy(api_url):
        return LocalPrefect(api_url, f"http://{host}:{port}", None)
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "server.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        # the UI must call this server's API, not the default port 4200
        "PREFECT_UI_API_URL": api_url,
        # No database timeouts here: Prefect already runs SQLite in WAL mode with a 60 s busy timeout;
        # its 503s on SQLite are lock races that fail at once, which clients retry (the UI does not).
        **(settings or {}),
    }
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port),
             "--analytics-off"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = LocalPrefect(api_url, f"http://{host}:{port}", process, log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"Prefect server exited early (see {log_path}): {' | '.join(tail)}")
        if healthy(api_url):
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"Prefect server did not become healthy in {startup_timeout:.0f} s (see {log_path})")
