"""The page's Prefect side: create the campaign's flow run, read it, cancel it, or schedule it daily.

Prefect is imported inside the functions only (the web server is an entry point; the rest of
`zns/` never imports Prefect).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from zns.orchestration.deployments import CAMPAIGN_DEPLOYMENT, deployment_parameters, schedule_campaign
from zns.spec import CampaignSpec
from zns.timeutil import VN

CANCELLABLE = ("SCHEDULED", "PENDING", "PAUSED")


@dataclass(frozen=True, slots=True)
class RunView:
    """What the campaign page shows of its flow run."""

    run_id: str
    state_type: str
    state_name: str
    expected_start: datetime | None
    url: str
    campaign_id: str = ""  # from the run's SPEC parameters
    campaign_name: str = ""

    @property
    def cancellable(self) -> bool:
        return self.state_type in CANCELLABLE

    @property
    def final(self) -> bool:
        return self.state_type in ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")


def ui_url() -> str:
    """$PREFECT_UI_URL, else the API URL without /api (the local server serves both)."""
    explicit = os.environ.get("PREFECT_UI_URL", "").strip().rstrip("/")
    if explicit:
        return explicit
    api = os.environ.get("PREFECT_API_URL", "").strip().rstrip("/")
    if not api:
        from prefect.settings import PREFECT_API_URL

        api = (PREFECT_API_URL.value() or "").rstrip("/")
    return api.removesuffix("/api")


def run_url(run_id: str) -> str:
    return f"{ui_url()}/runs/flow-run/{run_id}"


@contextmanager
def prefect_api() -> Iterator[None]:
    """$PREFECT_API_URL as read now: Prefect's settings context is per thread and may predate it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api = os.environ.get("PREFECT_API_URL", "").strip()
    if not api:
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: api}):
        yield


def submit(spec: CampaignSpec, at: datetime) -> tuple[str, str]:
    """(flow run id, campaign id) of the run at `at`; a repeated submit finds the same run."""
    with prefect_api():
        flow_run = schedule_campaign(spec, at)
    sent = (flow_run.parameters or {}).get("spec") or {}
    return str(flow_run.id), str(sent.get("campaign_id") or spec.campaign_id)


def _view(flow_run: Any) -> RunView:
    state = flow_run.state
    spec = (flow_run.parameters or {}).get("spec") or {}
    spec = spec if isinstance(spec, dict) else {}
    return RunView(str(flow_run.id), state.type.value if state else "UNKNOWN", state.name if state else "",
                   flow_run.expected_start_time, run_url(str(flow_run.id)),
                   str(spec.get("campaign_id") or ""), str(spec.get("campaign_name") or ""))


def read_run(run_id: str) -> RunView | None:
    """The run's state now, None when the id is not a run of this server."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        uuid = UUID(run_id)
    except ValueError:
        return None
    with prefect_api(), get_client(sync_client=True) as client:
        try:
            return _view(client.read_flow_run(uuid))
        except ObjectNotFound:
            return None


def cancel(run_id: str) -> RunView | None:
    """Cancel a run that has not started; a running or finished run is left as it is."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    view = read_run(run_id)
    if view is None or not view.cancellable:
        return view
    with prefect_api(), get_client(sync_client=True) as client:
        client.set_flow_run_state(UUID(run_id), Cancelled(message="Huỷ từ trang chiến dịch (cancelled from the page)"))
    return read_run(run_id)


def schedule_daily(spec: CampaignSpec, hour: int, minute: int, slug: str) -> str:
    """A daily schedule (Vietnam time) on the campaign deployment with this spec as its parameters.

    Each occurrence is its own campaign (the spec carries no campaign_id); returns the schedule id.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import CronSchedule

    with prefect_api(), get_client(sync_client=True) as client:
        parameters = deployment_parameters(spec.model_copy(update={"campaign_id": None}), CAMPAIGN_DEPLOYMENT)
        deployment = client.read_deployment_by_name(CAMPAIGN_DEPLOYMENT)
        created = client.create_deployment_schedules(deployment.id, [DeploymentScheduleCreate(
            schedule=CronSchedule(cron=f"{minute} {hour} * * *", timezone=str(VN)),
            active=True, parameters=parameters, slug=slug,
        )])
    return str(created[0].id)


# -- the approval gate (flows/approval.py pauses the run with an input form) ---------------------


class ApprovalError(RuntimeError):
    """The run could not be resumed; `code` is stable, the message is one Vietnamese line."""

    def __init__(self, code: str, message_vi: str) -> None:
        super().__init__(f"{code}: {message_vi}")
        self.code, self.message_vi = code, message_vi


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """What the campaign page shows of a run's approval gate: waiting, or the decision."""

    waiting: bool
    items: tuple[str, ...]  # the summary's lines (counts, cost, quota, previews)
    decision: str | None  # one line with its code once decided (or timed out)
    code: str  # APPROVAL_REQUIRED, APPROVED, REJECTED or APPROVAL_TIMEOUT


def read_approval(run_id: str) -> ApprovalView | None:
    """The run's approval gate from its Prefect inputs; None when the run never paused for approval."""
    from prefect.client.orchestration import get_client

    from zns.campaign import approval

    try:
        uuid = UUID(run_id)
    except ValueError:
        return None
    with prefect_api(), get_client(sync_client=True) as client:
        run = client.read_flow_run(uuid)
        inputs = {i.key: i.decoded_value for i in client.filter_flow_run_input(
            uuid, key_prefix=approval.INPUT_PREFIX, limit=10, exclude_keys=set())}
    description = inputs.get(f"{approval.INPUT_PREFIX}-description")
    if not isinstance(description, str):
        return None
    items = tuple(approval.summary_items(description))
    state = run.state
    answer = inputs.get(f"{approval.INPUT_PREFIX}-response")
    if state is not None and state.type.value == "PAUSED" and not isinstance(answer, dict):
        return ApprovalView(True, items, None, approval.APPROVAL_REQUIRED)
    if isinstance(answer, dict):
        note = str(answer.get("note") or "")
        if answer.get("approve"):
            return ApprovalView(False, items, approval.approved_text(note, None), approval.APPROVED)
        return ApprovalView(False, items, approval.rejected_text(note), approval.REJECTED)
    if state is not None and state.is_final():
        return ApprovalView(False, items, approval.timeout_text(), approval.APPROVAL_TIMEOUT)
    return ApprovalView(False, items, None, approval.APPROVAL_REQUIRED)  # resumed, input not stored yet


def resume_approval(run_id: str, approve: bool, note: str) -> None:
    """Resume the paused run with the form's answer, as Prefect's own resume form does."""
    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    try:
        uuid = UUID(run_id)
    except ValueError:
        raise ApprovalError("NOT_PAUSED", "không tìm thấy lượt chạy đang chờ duyệt") from None
    try:
        with prefect_api():
            resume_flow_run(uuid, run_input={"approve": approve, "note": note.strip()[:500]})
    except NotPausedError:
        raise ApprovalError("NOT_PAUSED", "lượt chạy không còn chờ duyệt (đã duyệt, từ chối hoặc đã dừng)") from None
    except FlowPauseTimeout:
        raise ApprovalError("APPROVAL_TIMEOUT", "đã hết hạn duyệt; không gửi tin nào") from None
    except RuntimeError as exc:
        raise ApprovalError("RESUME_REJECTED", f"Prefect không nhận lệnh duyệt: {exc}") from None


def scheduled_runs(limit: int = 200) -> list[RunView]:
    """Runs of the campaign deployment that wait for their time (page, `zns schedule`, postponed
    continuations, daily schedules), soonest first: the campaign list offers to cancel them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import ObjectNotFound

    with prefect_api(), get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(CAMPAIGN_DEPLOYMENT)
        except ObjectNotFound:
            return []
        found = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=limit,
        )
    return [_view(run) for run in found]
