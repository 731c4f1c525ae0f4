"""The approval gate (issue 12) against the simulator on the session's real Prefect server.

A campaign above `approval.above_recipients` runs in a thread (in-process, no deployment: what
`zns run` does) and pauses before any send; the test resumes it through Prefect's API as the
Prefect UI form and the campaign page do: approved → it sends; rejected or timed out → nothing is
sent, the ledger says rejected and the report artifact says why; cancelled while paused → the
run ends at the next poll, cancelled, with nothing sent.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from esms_sim.server import SimulatorServer
from tests.flows.support import make_sheet, send_requests, spec_for
from zns.ledger import Ledger
from zns.spec import CampaignSpec, slugify

ROWS = 8  # all valid; above the threshold of 5


def flow_run(run_id: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id))


def wait_paused(campaign_id: str, timeout: float = 60, alive: Callable[[], bool] = lambda: True) -> str:
    """The id of the campaign's flow run once it is Paused (its spec names the campaign)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    paused = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            for run in client.read_flow_runs(flow_run_filter=paused):
                spec = (run.parameters or {}).get("spec") or {}
                if isinstance(spec, dict) and spec.get("campaign_id") == campaign_id:
                    return str(run.id)
        assert alive(), f"the run of {campaign_id} ended before it paused"
        time.sleep(0.3)
    raise AssertionError(f"no Paused flow run of {campaign_id} within {timeout} s")


def wait_final(run_id: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    run = flow_run(run_id)
    while not run.state.is_final() and time.monotonic() < deadline:
        time.sleep(0.3)
        run = flow_run(run_id)
    assert run.state.is_final(), f"run {run_id} still {run.state.name}"
    return run


def artifact_text(key: str, run_id: str) -> str:
    """The newest version of a run's markdown artifact `key`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]),
                                           flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)])),
            sort=ArtifactSort.CREATED_DESC)
    assert found, f"no artifact {key} for run {run_id}"
    return str(found[0].data)


@contextmanager
def campaign_thread(spec: CampaignSpec) -> Iterator[dict[str, Any]]:
    """The flow in a thread, as `zns run` runs it in-process; the dict gets its result or error.

    Prefect's settings context is per thread: the thread is pointed at the session's server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.campaign import zns_campaign

    out: dict[str, Any] = {}
    api = os.environ["PREFECT_API_URL"]

    def target() -> None:
        try:
            with temporary_settings(updates={PREFECT_API_URL: api}):
                out["summary"] = zns_campaign(spec)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    out["thread"] = thread
    thread.start()
    try:
        yield out
    finally:
        thread.join(90)


def assert_sent_nothing(sim: SimulatorServer, env: dict[str, str], campaign_id: str, run_id: str, line: str,
                        status: str) -> None:
    """A run the gate stopped: no send request, the report artifact says why, the ledger's status."""
    assert send_requests(sim) == 0
    assert line in artifact_text(f"{slugify(campaign_id, 50)}-report", run_id)
    record = Ledger.from_url(env["ZNS_LEDGER_URL"]).campaign(campaign_id)
    assert record is not None and record.status == status


def _spec(tmp_path: Path, campaign_id: str, **approval: Any) -> CampaignSpec:
    source, _ = make_sheet(tmp_path / f"{campaign_id}.xlsx", ROWS, invalid_every=0)
    return CampaignSpec.model_validate(spec_for(source, campaign_id=campaign_id, fallback_after=5,
                                                approval={"above_recipients": 5, **approval}))


def _ledger_writable(url: str) -> None:
    """A paused run holds no ledger transaction: another writer gets the SQLite lock at once."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=1)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZNS_APPROVAL_POLL_SECONDS", "1")


@pytest.mark.prefect
def test_approved_run_sends(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path) -> None:
    from prefect.flow_runs import resume_flow_run

    spec = _spec(tmp_path, "approval-approve")
    with campaign_thread(spec) as out:
        run_id = wait_paused("approval-approve", alive=out["thread"].is_alive)
        time.sleep(1.5)  # a moment longer: still nothing sent
        assert send_requests(flow_sim) == 0
        _ledger_writable(campaign_env["ZNS_LEDGER_URL"])
        waiting = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).campaign("approval-approve")
        assert waiting is not None and waiting.status == "pending_approval"
        summary = artifact_text(f"{slugify('approval-approve', 50)}-approval", run_id)
        assert "Chờ duyệt (APPROVAL_REQUIRED)" in summary and "ABOVE_RECIPIENTS" in summary
        assert "hợp lệ (valid): 8" in summary and "ZNS mẫu" in summary and "SMS mẫu" in summary
        resume_flow_run(UUID(run_id), run_input={"approve": True, "note": "Chị Lan duyệt"})
    assert "error" not in out, out.get("error")
    run = wait_final(run_id)
    assert run.state.is_completed()
    assert out["summary"]["zns_accepted"] == ROWS
    assert send_requests(flow_sim) > 0
    decided = artifact_text(f"{slugify('approval-approve', 50)}-approval", run_id)
    assert "Đã duyệt (APPROVED) lúc" in decided and "Chị Lan duyệt" in decided
    report = artifact_text(f"{slugify('approval-approve', 50)}-report", run_id)
    assert "Duyệt (approval): Đã duyệt (APPROVED) lúc" in report and "Chị Lan duyệt" in report
    record = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).campaign("approval-approve")
    assert record is not None and record.status == "completed"


@pytest.mark.prefect
def test_rejected_run_sends_nothing(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path) -> None:
    from prefect.flow_runs import resume_flow_run

    from zns.campaign.errors import CampaignStopped

    spec = _spec(tmp_path, "approval-reject")
    with campaign_thread(spec) as out:
        run_id = wait_paused("approval-reject", alive=out["thread"].is_alive)
        resume_flow_run(UUID(run_id), run_input={"approve": False, "note": "sai danh sách"})
    assert isinstance(out.get("error"), CampaignStopped), out
    assert "Bị từ chối (REJECTED): sai danh sách" in str(out["error"])
    run = wait_final(run_id)
    assert run.state.is_failed() and "REJECTED" in (run.state.message or "")
    assert_sent_nothing(flow_sim, campaign_env, "approval-reject", run_id, "Bị từ chối (REJECTED): sai danh sách",
                        "rejected")
    assert Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).summary("approval-reject")["rows"] == ROWS


@pytest.mark.prefect
def test_approval_timeout_sends_nothing(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                        tmp_path: Path) -> None:
    from zns.campaign.errors import CampaignStopped

    spec = _spec(tmp_path, "approval-timeout", timeout_hours=0.001)  # 3.6 s → 4 s
    with campaign_thread(spec) as out:
        run_id = wait_paused("approval-timeout", alive=out["thread"].is_alive)
    assert isinstance(out.get("error"), CampaignStopped), out
    assert "Hết hạn duyệt (APPROVAL_TIMEOUT)" in str(out["error"])
    run = wait_final(run_id)
    assert run.state.is_failed()
    assert_sent_nothing(flow_sim, campaign_env, "approval-timeout", run_id, "Hết hạn duyệt (APPROVAL_TIMEOUT)",
                        "rejected")


@pytest.mark.prefect
def test_below_the_thresholds_no_pause(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                       tmp_path: Path) -> None:
    from flows.campaign import zns_campaign

    spec = _spec(tmp_path, "approval-below", above_recipients=ROWS, above_cost=None)  # 8 is not above 8
    summary = zns_campaign(spec)
    assert summary["zns_accepted"] == ROWS


@pytest.mark.prefect
def test_a_run_cancelled_while_it_waits_for_approval_ends_and_sends_nothing(
    campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    from zns.orchestration import runs

    spec = _spec(tmp_path, "approval-cancel")
    with campaign_thread(spec) as out:
        run_id = wait_paused("approval-cancel", alive=out["thread"].is_alive)
        runs.cancel(run_id)  # the campaign page's cancel (the Prefect UI's sets the same state)
        out["thread"].join(30)
        assert not out["thread"].is_alive(), "the cancelled run kept waiting for approval"
    run = wait_final(run_id)
    assert run.state.is_cancelled()
    assert_sent_nothing(flow_sim, campaign_env, "approval-cancel", run_id,
                        "Đã huỷ khi chờ duyệt (APPROVAL_CANCELLED)", "cancelled")


def test_the_cancellation_hook_marks_a_running_campaign_cancelled(campaign_env: dict[str, str],
                                                                  tmp_path: Path) -> None:
    from uuid import uuid4

    from prefect.client.schemas.objects import FlowRun
    from prefect.states import Cancelled

    from flows.campaign import mark_cancelled

    spec = _spec(tmp_path, "cancel-hook")
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    ledger.upsert_campaign("cancel-hook", name="t", oa_id=spec.oa_id, template_id=spec.template_id)
    run = FlowRun(id=uuid4(), flow_id=uuid4(), name="r", parameters={"spec": spec.model_dump(mode="json")})
    mark_cancelled(None, run, Cancelled(message="huỷ trong Prefect UI"))
    record = ledger.campaign("cancel-hook")
    assert record is not None and record.status == "cancelled" and record.stats["cancelled"] == "huỷ trong Prefect UI"
    ledger.set_campaign_status("cancel-hook", "completed")
    mark_cancelled(None, run, Cancelled())  # a finished campaign keeps its status
    assert ledger.campaign("cancel-hook").status == "completed"
