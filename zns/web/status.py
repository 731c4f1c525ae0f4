"""What a campaign's page shows: its ledger view and its flow run, read together for every route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from zns.choices import choice_label
from zns.orchestration import runs
from zns.report.ratings import format_average
from zns.timeutil import VN
from zns.web.account import ENV_ACCOUNT_LABEL
from zns.web.campaigns import COUNT_LABELS, campaign_view
from zns.web.runlog import run_for
from zns.web.wording import FILTERS

TEMPLATES = Path(__file__).resolve().parent / "templates"


def page_templates() -> Jinja2Templates:
    """The page's templates with the globals every page may use (labels, Vietnam time)."""
    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.globals.update(choice_label=choice_label, count_labels=COUNT_LABELS, vn=VN,
                                 env_account_label=ENV_ACCOUNT_LABEL)
    templates.env.filters.update(FILTERS, stars=format_average)
    return templates


def read_run_or_problem(run_id: str) -> tuple[runs.RunView | None, str | None]:
    """The flow run's view, or one line saying why Prefect could not be asked (the ledger still shows)."""
    try:
        return runs.read_run(run_id), None
    except Exception as exc:  # noqa: BLE001 - no Prefect server, HTTP errors: the page still renders
        return None, f"không đọc được lượt chạy Prefect {run_id} ({type(exc).__name__})"


def read_scheduled() -> tuple[list[runs.RunView], str | None]:
    """Runs waiting for their time, or one line saying why Prefect could not be asked."""
    try:
        return runs.scheduled_runs(), None
    except Exception as exc:  # noqa: BLE001 - no Prefect server, HTTP errors: the list still renders
        return [], f"không đọc được các lần gửi đã hẹn từ Prefect ({type(exc).__name__})"


def status_context(campaign_id: str, run_id: str | None) -> dict[str, Any]:
    """The campaign's ledger view and its flow run (the given one, else the run the page recorded)."""
    view = campaign_view(campaign_id)
    run_id = run_id or run_for(campaign_id)
    run, run_problem = read_run_or_problem(run_id) if run_id else (None, None)
    final = run.final if run is not None else view.final
    name = view.record.display_name if view.record is not None else (run.campaign_name if run else "") or campaign_id
    return {"view": view, "run": run, "run_id": run_id or "", "final": final, "run_problem": run_problem,
            "name": name}
