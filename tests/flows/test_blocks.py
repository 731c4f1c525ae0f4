"""The EsmsAccount block on a real Prefect server: registered, saved, loaded, secrets hidden."""

from __future__ import annotations

import subprocess
import sys

import pytest

from esms_sim.server import SimulatorServer
from flows.blocks import EsmsAccount
from flows.tasks._common import resolve_account, with_client
from zns.accounts import AccountError
from zns.orchestration.localprefect import LocalPrefect


@pytest.mark.prefect
def test_block_registers_with_the_prefect_cli(prefect_server: LocalPrefect) -> None:
    result = subprocess.run([sys.executable, "-m", "prefect", "block", "register", "-m", "flows.blocks"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    listed = subprocess.run([sys.executable, "-m", "prefect", "block", "type", "ls"],
                            capture_output=True, text=True, timeout=120)
    assert "esms-account" in listed.stdout


@pytest.mark.prefect
def test_saved_block_drives_the_client_and_hides_secrets(prefect_server: LocalPrefect,
                                                         flow_sim: SimulatorServer) -> None:
    EsmsAccount(api_key="DEMO_API_KEY", secret_key="DEMO_SECRET_KEY", base_url=flow_sim.base_url).save(
        "test-account", overwrite=True
    )
    loaded = EsmsAccount.load("test-account")
    assert "DEMO_SECRET_KEY" not in repr(loaded) and "DEMO_SECRET_KEY" not in loaded.model_dump_json()
    account = resolve_account("test-account")
    balance = with_client(account, lambda client: client.get_balance())
    assert balance > 0


@pytest.mark.prefect
def test_missing_block_is_a_clear_account_error(prefect_server: LocalPrefect) -> None:
    with pytest.raises(AccountError, match="khong-co"):
        resolve_account("khong-co")
