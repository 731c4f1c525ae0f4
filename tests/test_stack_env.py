"""The local stack hands its web server exactly what its worker gets (issue 22: the page started by
`zns demo`/`zns up` lacked the account and the Prefect API)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zns.stack import Stack


def test_web_server_and_worker_get_the_same_account_prefect_api_and_home(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZNS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZNS_WEB_PORT", "8799")
    account = {"ESMS_API_KEY": "K", "ESMS_SECRET_KEY": "S", "ESMS_BASE_URL": "http://127.0.0.1:1/x/"}
    stack = Stack("http://127.0.0.1:4299/api", "http://127.0.0.1:4299", "http://127.0.0.1:8799",
                  {**account, "PREFECT_API_URL": "http://elsewhere/api"})
    env = stack.child_env()
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4299/api"  # the stack's own server wins
    assert {k: env[k] for k in account} == account
    assert env["ZNS_HOME"] == str((tmp_path / "home").resolve()) and env["ZNS_WEB_PORT"] == "8799"


def test_the_deployments_find_the_projects_prefect_yaml_and_samples() -> None:
    from zns.orchestration.deployments import ROOT

    assert (ROOT / "prefect.yaml").is_file() and (ROOT / "data" / "samples" / "campaign.yaml").is_file()
