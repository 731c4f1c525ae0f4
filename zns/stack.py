"""The local stack in the data home: Prefect server, `campaigns` worker, deployments, web server.

`zns up` starts and supervises it; `zns down` stops what was started (from any terminal: the
processes are recorded in `<home>/stack.json`); `zns status` says what runs where. The CLI's
other commands use the home's Prefect server, starting it in the background when none runs,
never a throw-away temporary one.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from zns.home import data_home, prefect_home
from zns.orchestration.localprefect import ensure_server, healthy
from zns.ports import ports

STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"
Echo = Callable[[str], None]


def prefect_port() -> int:
    return ports().prefect_port


def web_port() -> int:
    return ports().web_port


def _state_path() -> Path:
    return data_home() / STATE_FILE


def read_state() -> dict[str, dict[str, object]]:
    """Component -> {pid, url, log}; what `zns up`/`zns run` started and `zns down` stops."""
    try:
        data = json.loads(_state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def home_lock() -> Iterator[None]:
    """One `zns` process at a time starts the home's components or rewrites stack.json (an flock,
    released by the kernel if its holder dies): two commands at once start one Prefect server."""
    with open(data_home() / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _record(name: str, pid: int | None, url: str, log: Path | None) -> None:
    """Callers hold `home_lock` (it is not re-entrant across file handles)."""
    state = read_state()
    state[name] = {"pid": pid, "url": url, "log": str(log) if log else None}
    _state_path().write_text(json.dumps(state, indent=2), encoding="utf-8")


def _alive(pid: object) -> bool:
    """Running, not merely a zombie waiting for its parent (a stopped child of this process is
    reaped here; one of another `zns` process is read from /proc)."""
    if not isinstance(pid, int):
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _running(name: str) -> bool:
    """A component recorded in the home's stack.json whose process is still alive."""
    return _alive(read_state().get(name, {}).get("pid"))


def api_url_for_cli(echo: Echo) -> str:
    """$PREFECT_API_URL, else the home's server; started in the background (and left running
    for the next command) when none answers."""
    explicit = os.environ.get("PREFECT_API_URL", "").strip()
    if explicit:
        return explicit
    url = f"http://127.0.0.1:{prefect_port()}/api"
    if healthy(url):
        return url
    with home_lock():  # a second command waits here, then finds the first one's server healthy
        if healthy(url):
            return url
        echo(f"starting the local Prefect server in the background ({url}; data in {prefect_home()}); "
             "`zns down` stops it")
        server = ensure_server(prefect_home(), port=prefect_port())
        if server.process is not None:
            _record("prefect", server.process.pid, server.ui_url, server.log_path)
    return server.api_url


def _start(name: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _wait_http(url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


@dataclass
class Stack:
    """What one `zns up` started; `env` is what the worker's flow runs see."""

    api_url: str
    ui_url: str
    web_url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def child_env(self) -> dict[str, str]:
        """What the worker and the web server both see, whichever command started them: the data
        home, this stack's Prefect API, its web port and the account (`ESMS_*` or a block name)."""
        return {"ZNS_HOME": str(data_home()), "ZNS_WEB_PORT": str(web_port()), **self.env,
                "PREFECT_API_URL": self.api_url}

    def start_worker(self) -> None:
        from zns.orchestration.deployments import start_worker

        with home_lock():
            if _running("worker"):  # a second `zns up`/`zns demo` reuses the home's worker
                return
            log = data_home() / "logs" / "worker.log"
            worker = start_worker(self.api_url, log, self.child_env())
            self.processes["worker"] = worker.process
            _record("worker", worker.process.pid, "pool campaigns", log)

    def start_web(self) -> None:
        with home_lock():
            if _running("web"):
                return
            log = data_home() / "logs" / "web.log"
            web = _start("web", [sys.executable, "-m", "zns.web", "--port", str(web_port())], self.child_env(), log)
            if not _wait_http(self.web_url + "/health"):
                raise RuntimeError(f"the web server did not start (see {log})")
            self.processes["web"] = web
            _record("web", web.pid, self.web_url, log)

    def supervise(self, echo: Echo, *, interval: float = 2.0) -> None:
        """Restart the worker or the web server if one dies; return on Ctrl-C or `zns down`."""
        restart = {"worker": self.start_worker, "web": self.start_web}
        try:
            while True:
                time.sleep(interval)
                if not _state_path().exists():  # `zns down` ran: stop, never restart
                    return
                for name, process in list(self.processes.items()):
                    if process.poll() is not None and name in restart:
                        echo(f"{name} exited ({process.returncode}); restarting it")
                        restart[name]()
        except KeyboardInterrupt:
            return


def up(echo: Echo, *, env: dict[str, str] | None = None) -> Stack:
    """Prefect server (reused if one answers), pool + blocks + deployments, worker, web server."""
    from zns.orchestration.deployments import deploy_all

    api = api_url_for_cli(echo)
    ui = api.removesuffix("/api")
    stack = Stack(api, ui, f"http://127.0.0.1:{web_port()}", dict(env or {}))
    echo("deploying prefect.yaml to the work pool 'campaigns' ...")
    for line in deploy_all(api, account_env=stack.env):
        echo(line)
    stack.start_worker()
    stack.start_web()
    return stack


def _stop_pid(pid: int, grace: float = 30.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def home_server_pids() -> list[int]:
    """`prefect server start` processes serving this home's Prefect data (their PREFECT_HOME),
    found in /proc: `zns down` stops them even when stack.json lost their record (Linux)."""
    wanted = f"PREFECT_HOME={prefect_home()}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if b"prefect" not in argv or b"server" not in argv or b"start" not in argv:
                continue
            if wanted in (proc / "environ").read_bytes().split(b"\0") and _alive(int(proc.name)):
                found.append(int(proc.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def down(echo: Echo) -> int:
    """Stop every recorded component (worker first, server last), then any server still serving
    the home; returns how many were running."""
    with home_lock():
        state = read_state()
        _state_path().unlink(missing_ok=True)  # first: a supervising `zns up` then stops, not restarts
    order = sorted(state, key=lambda n: {"worker": 0, "simulator": 2, "prefect": 3}.get(n, 1))
    stopped = 0
    for name in order:
        pid = state[name].get("pid")
        if _alive(pid):
            _stop_pid(pid)  # type: ignore[arg-type]
            echo(f"stopped {name} (pid {pid})")
            stopped += 1
    for pid in home_server_pids():  # its record was lost (two commands raced, a hand-edited file)
        try:
            group = os.getpgid(pid)
        except OSError:
            continue
        if group == pid:  # started by us in its own session: stop it with its children
            _stop_pid(pid)
        else:
            os.kill(pid, signal.SIGTERM)
        echo(f"stopped prefect (pid {pid}, not recorded)")
        stopped += 1
    return stopped


def status() -> list[tuple[str, str, str]]:
    """(component, running/stopped, where) for everything recorded, plus the server by its URL."""
    rows = []
    state = read_state()
    for name, info in sorted(state.items()):
        rows.append((name, "running" if _alive(info.get("pid")) else "stopped", str(info.get("url") or "")))
    if "prefect" not in state:
        url = f"http://127.0.0.1:{prefect_port()}/api"
        rows.append(("prefect", "running" if healthy(url) else "stopped", url.removesuffix("/api")))
    return rows
