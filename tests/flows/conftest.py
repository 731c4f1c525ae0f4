"""Fixtures for flow-level tests: one real Prefect server per test session, the simulator over
loopback HTTP, and a fresh SQLite ledger per test (PostgreSQL where a test asks for it)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from esms_sim.server import SimulatorServer
from esms_sim.state import SimState
from zns.localprefect import LocalPrefect, ensure_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefect]:
    """A real `prefect server start` (SQLite) shared by the whole session."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = tmp_path_factory.mktemp("prefect-home")
    server = ensure_server(home, port=_free_port(), startup_timeout=120)
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
