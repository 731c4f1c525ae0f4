"""`zns` command line: run, validate, report, simulator, demo.

Exit codes: 0 the campaign ran (even if some recipients failed); 2 bad input (SPEC, file,
columns); 3 configuration or account problem (keys, template, brandname, quota); 1 anything
unexpected. Errors are one line on stderr; `--json` prints a one-line summary last.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer

from zns.ports import SIMULATOR_PORT

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Zalo ZNS campaigns with SMS fallback through eSMS.vn, orchestrated by Prefect.",
)

EXIT_BAD_INPUT = 2
EXIT_CONFIG = 3


PROJECT = Path(__file__).resolve().parents[1]
PRODUCT_DIRS = tuple(str(PROJECT / d) for d in ("flows", "zns", "esms"))


class _ProductLines(logging.Filter):
    """The console shows the product's own progress lines; Prefect's engine chatter and
    tracebacks go to the run log in the UI (`-v` shows everything)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.pathname.startswith(PRODUCT_DIRS):
            return False
        record.exc_info = None
        record.exc_text = None
        return record.levelno < logging.ERROR


def _quiet_console() -> Any:
    """Product lines only (unless -v); returns the rich console Prefect prints them to."""
    from prefect.logging.handlers import PrefectConsoleHandler

    plain = logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S")
    console = None
    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs"):  # "": the root logger
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, PrefectConsoleHandler):
                console = getattr(handler, "console", None) or console
                if not os.environ.get("ZNS_VERBOSE"):
                    handler.addFilter(_ProductLines())
                    handler.setFormatter(plain)
    return console


@app.callback()
def _options(verbose: bool = typer.Option(False, "--verbose", "-v", help="show Prefect's own logs too")) -> None:
    if verbose:
        os.environ["ZNS_VERBOSE"] = "1"


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _classify(exc: BaseException) -> int:
    from esms import EsmsConfigError, EsmsError
    from zns.accounts import AccountError
    from zns.campaign.errors import CampaignStopped
    from zns.demo import DemoError
    from zns.orchestration.deployments import DeployError
    from zns.recipients import RecipientsFileError
    from zns.spec import SpecError
    from zns.timeutil import PastTimeError, TimeFormatError

    if isinstance(exc, SpecError | RecipientsFileError | PastTimeError | TimeFormatError):
        return EXIT_BAD_INPUT
    if isinstance(exc, AccountError | EsmsConfigError | CampaignStopped | DeployError | DemoError):
        return EXIT_CONFIG
    if isinstance(exc, EsmsError):
        return EXIT_CONFIG
    return 1


def _use_stack() -> None:
    """Point this process at the home's Prefect server (started in the background if none
    answers), before Prefect is imported, so runs show in the UI and nothing is thrown away."""
    from zns.stack import api_url_for_cli

    try:
        os.environ["PREFECT_API_URL"] = api_url_for_cli(typer.echo)
    except RuntimeError as exc:
        fail(_one_line(exc), EXIT_CONFIG)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _print_summary(summary: dict[str, Any], as_json: bool, *, dry_run: bool = False) -> None:
    if not as_json and dry_run:
        valid = summary["rows"] - summary["invalid"]
        typer.echo(f"dry run, nothing sent: rows {summary['rows']}: valid {valid}, invalid {summary['invalid']}")
    elif not as_json:
        typer.echo(
            "rows {rows}: invalid {invalid}, ZNS accepted {zns_accepted}, ZNS delivered "
            "{zns_delivered}, SMS sent {sms_sent}, SMS delivered {sms_delivered}, failed {failed}, "
            "unknown {unknown}".format(**summary)
        )
    if not as_json and summary.get("postponed"):
        typer.echo(f"postponed: {summary['postponed']}")
    if not as_json and summary.get("report"):
        typer.echo(f"report: {summary['report']}")
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, default=str))


def run_spec(spec_path: Path, *, dry_run: bool, as_json: bool) -> dict[str, Any]:
    """Load the SPEC, run the flow in this process, return the summary (shared by run/validate)."""
    from zns.campaign.identity import base_campaign_id
    from zns.spec import load_spec

    try:
        spec = load_spec(spec_path)
    except Exception as exc:  # noqa: BLE001
        fail(_one_line(exc), _classify(exc))
    updates: dict[str, Any] = {}
    if dry_run:
        updates["dry_run"] = True
    if not spec.campaign_id:  # the same SPEC file run again is the same campaign
        updates["campaign_id"] = base_campaign_id(spec)
    return run_flow(spec.model_copy(update=updates), dry_run=dry_run, as_json=as_json)


def run_flow(spec: Any, *, dry_run: bool, as_json: bool) -> dict[str, Any]:
    """Run the campaign flow in this process on the home's server, print its summary."""
    _use_stack()
    from flows.campaign import zns_campaign
    from zns.console import attach_bars, detach_bars

    bars = attach_bars(_quiet_console())
    try:
        state = zns_campaign(spec, return_state=True)
    finally:
        detach_bars(bars)
    if not state.is_completed():
        exc = state.result(raise_on_failure=False)
        if isinstance(exc, BaseException):
            fail(_one_line(exc), _classify(exc))
        fail(f"campaign ended in state {state.type.value}: {state.message}", 1)
    summary = state.result()
    run_id = state.state_details.flow_run_id
    if run_id is not None:
        typer.echo(f"flow run: {os.environ['PREFECT_API_URL'].removesuffix('/api')}/runs/flow-run/{run_id}")
    _print_summary(summary, as_json, dry_run=dry_run)
    return summary


@app.command()
def run(
    spec: Path = typer.Argument(..., help="YAML/JSON file holding the flow's parameters"),
    as_json: bool = typer.Option(False, "--json", help="print a one-line JSON summary last"),
) -> None:
    """Run a campaign now (validation, sends, fallback, report); with `send_at` in the SPEC,
    schedule it on the `zns-campaign` deployment instead."""
    from zns.spec import load_spec
    from zns.timeutil import require_future

    try:
        loaded = load_spec(spec)
        at = require_future(loaded.send_at) if loaded.send_at is not None else None
    except Exception as exc:  # noqa: BLE001
        fail(_one_line(exc), _classify(exc))
    if at is not None and at > datetime.now(UTC):
        _schedule(loaded, at, as_json)
        return
    run_spec(spec, dry_run=False, as_json=as_json)


def _schedule(spec: Any, at: datetime, as_json: bool) -> None:
    _use_stack()
    from prefect.settings import PREFECT_UI_URL

    from zns.orchestration.deployments import DeployError, schedule_campaign

    try:
        flow_run = schedule_campaign(spec, at)
    except DeployError as exc:
        fail(str(exc), EXIT_CONFIG)
    url = f"{PREFECT_UI_URL.value() or ''}/runs/flow-run/{flow_run.id}"
    line = {"flow_run_id": str(flow_run.id), "scheduled_for": at.isoformat(), "state": flow_run.state_name,
            "url": url}
    if as_json:
        typer.echo(json.dumps(line, ensure_ascii=False))
    else:
        typer.echo(f"scheduled {flow_run.name} for {at:%Y-%m-%d %H:%M %z} ({flow_run.state_name}): {url}")


@app.command()
def schedule(
    spec: Path = typer.Argument(..., help="YAML/JSON file holding the flow's parameters"),
    at: str = typer.Option(..., "--at", help='when to send, Vietnam time: "2026-12-01 09:00"'),
    as_json: bool = typer.Option(False, "--json", help="print a one-line JSON summary last"),
) -> None:
    """"Send at": a scheduled run of the zns-campaign deployment (same SPEC + time = one run)."""
    from zns.spec import load_spec
    from zns.timeutil import parse_vn_time, require_future

    try:
        loaded = load_spec(spec)
        moment = require_future(parse_vn_time(at))
    except Exception as exc:  # noqa: BLE001
        fail(_one_line(exc), EXIT_BAD_INPUT)
    _schedule(loaded, moment, as_json)


@app.command()
def deploy() -> None:
    """Create the `campaigns` process pool, register the blocks and deploy prefect.yaml."""
    from zns.orchestration.deployments import DeployError, deploy_all

    _use_stack()
    api_url = os.environ["PREFECT_API_URL"]
    try:
        lines = deploy_all(api_url)
    except DeployError as exc:
        fail(str(exc), EXIT_CONFIG)
    typer.echo("deployed: zns-campaign, birthday-greetings, zns-reconcile, zns-refresh-form (pool: campaigns); "
               "start a worker with: prefect worker start --pool campaigns")
    for line in lines:
        typer.echo(line)


@app.command()
def validate(
    spec: Path = typer.Argument(..., help="YAML/JSON file holding the flow's parameters"),
    as_json: bool = typer.Option(False, "--json", help="print a one-line JSON summary last"),
) -> None:
    """Dry run: validation, quota, cost estimate and error-rows workbook; sends nothing."""
    run_spec(spec, dry_run=True, as_json=as_json)


@app.command()
def report(
    campaign_id: str = typer.Argument(..., help="campaign id printed by `zns run`"),
    as_json: bool = typer.Option(False, "--json", help="print a one-line JSON summary last"),
) -> None:
    """Rebuild and print a campaign's report from the ledger."""
    from zns.campaign.reporting import read_report, stored_meta
    from zns.runtime import get_ledger, report_dir

    ledger = get_ledger()
    campaign = ledger.campaign(campaign_id)
    if campaign is None:
        fail(f"no campaign {campaign_id!r} in the ledger — Không tìm thấy chiến dịch (check ZNS_LEDGER_URL)",
             EXIT_BAD_INPUT)
    files = read_report(ledger, stored_meta(campaign), report_dir(campaign_id))
    if not as_json:
        typer.echo(files.markdown)
    _print_summary(files.summary, as_json)


@app.command()
def reimport(
    campaign_id: str = typer.Argument(..., help="the campaign whose error rows were corrected"),
    source: Path = typer.Argument(..., help="the corrected error-rows workbook (keeps the 'Dòng gốc' column)"),
    as_json: bool = typer.Option(False, "--json", help="print a one-line JSON summary last"),
) -> None:
    """Send the corrected rows of a campaign's error-rows file in the same campaign (nothing twice)."""
    from zns.campaign.reimport_spec import reimport_spec
    from zns.runtime import get_ledger

    try:
        spec = reimport_spec(get_ledger(), campaign_id, str(source.resolve()))
    except ValueError as exc:
        fail(_one_line(exc), EXIT_BAD_INPUT)
    run_flow(spec, dry_run=False, as_json=as_json)


@app.command()
def suppressed(
    oa: str = typer.Option(..., "--oa", help="the Zalo OA id"),
    clear: list[str] = typer.Option([], "--clear", help="phone(s) the OA may send ZNS again"),
    as_json: bool = typer.Option(False, "--json", help="print the list as one JSON line"),
) -> None:
    """Phones that refused the OA's ZNS: later campaigns send them only the SMS fallback."""
    from zns.campaign.suppression import clear_suppressions, suppressions
    from zns.phones import PhoneError
    from zns.runtime import get_ledger

    ledger = get_ledger()
    if clear:
        try:
            phones = clear_suppressions(ledger, oa, clear)
        except PhoneError as exc:
            fail(f"--clear: {exc}", EXIT_BAD_INPUT)
        typer.echo(f"cleared {len(phones)} phone(s) for OA {oa}: they may get ZNS again")
    found = sorted(suppressions(ledger, oa).values(), key=lambda s: s.at, reverse=True)
    if as_json:
        typer.echo(json.dumps([{"phone": s.phone, "code": s.code, "campaign_id": s.campaign_id,
                                "at": s.at.isoformat()} for s in found], ensure_ascii=False))
        return
    typer.echo(f"{len(found)} phone(s) suppressed for ZNS of OA {oa}")
    for s in found:
        typer.echo(f"{s.phone}  {s.code}  {s.campaign_id}  {s.at:%Y-%m-%d %H:%M} UTC")


def _day_range(start: str | None, end: str | None) -> tuple[date, date]:
    """--from/--to of the cross-campaign reports, or one line and exit 2."""
    from zns.report.volume import VolumeInputError, resolve_range

    try:
        return resolve_range(start, end)
    except VolumeInputError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


@contextmanager
def _ledger_read() -> Iterator[None]:
    """A ledger that cannot be read is one line and exit 3, not a traceback."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        fail(f"cannot read the ledger ({type(exc).__name__}: {_one_line(exc)}) — check ZNS_LEDGER_URL",
             EXIT_CONFIG)


@app.command()
def volume(
    start: str | None = typer.Option(None, "--from", help="first day, YYYY-MM-DD Vietnam time (default: 29 days "
                                     "before --to)"),
    end: str | None = typer.Option(None, "--to", help="last day, YYYY-MM-DD Vietnam time (default: today)"),
    oa: str | None = typer.Option(None, "--oa", help="only this OA id"),
    template: str | None = typer.Option(None, "--template", help="only this ZNS template id"),
    as_json: bool = typer.Option(False, "--json", help="print the report as one JSON line"),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="also write the workbook to this path"),
) -> None:
    """Volume report across campaigns ("báo cáo sản lượng"): per day, OA, template, channel, state."""
    from zns.report.formatting import format_int, format_vnd
    from zns.report.ratings import read_ratings
    from zns.report.volume import read_volume
    from zns.runtime import get_ledger

    frm, to = _day_range(start, end)
    try:
        with _ledger_read():
            found = read_volume(get_ledger(), frm, to, oa_id=oa, template_id=template)
            if xlsx is not None:  # the same workbook as the page's /volume.xlsx, ratings sheet included
                found.write_workbook(xlsx, ratings=read_ratings(get_ledger(), frm, to, oa, template).groups)
    except OSError as exc:
        fail(f"cannot write {xlsx}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False))
        return
    typer.echo(found.title)
    if not found.rows and not found.invalid:
        typer.echo("no messages in this range — không có tin nào trong khoảng này")
    for r in found.rows:
        typer.echo(f"{r.day.isoformat()}  {r.oa_id:20} {r.template_id:12} {r.channel_label:4} {r.state:10} "
                   f"{format_int(r.messages):>9} tin  {format_int(r.phones):>9} số  {format_vnd(r.cost):>14}")
    for i in found.invalid:
        typer.echo(f"{i.day.isoformat()}  {i.oa_id:20} {i.template_id:12} invalid rows {format_int(i.invalid_rows)}")
    totals = found.totals
    typer.echo(f"total: {format_int(totals.messages)} messages, {format_vnd(totals.cost)}, "
               f"{format_int(totals.invalid_rows)} invalid rows")
    if xlsx is not None:
        typer.echo(f"workbook: {xlsx}")


@app.command()
def ratings(
    start: str | None = typer.Option(None, "--from", help="first day the ratings were submitted, YYYY-MM-DD "
                                     "Vietnam time (default: 29 days before --to)"),
    end: str | None = typer.Option(None, "--to", help="last day, YYYY-MM-DD Vietnam time (default: today)"),
    oa: str | None = typer.Option(None, "--oa", help="only this OA id"),
    template: str | None = typer.Option(None, "--template", help="only this ZNS template id"),
    as_json: bool = typer.Option(False, "--json", help="print the ratings as one JSON line"),
) -> None:
    """Ratings per OA and ZNS template across campaigns ("đánh giá"): count, average, stars, latest notes."""
    from zns.report.formatting import format_int
    from zns.report.ratings import STARS, format_average, read_ratings
    from zns.runtime import get_ledger

    frm, to = _day_range(start, end)
    with _ledger_read():
        found = read_ratings(get_ledger(), frm, to, oa, template)
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False))
        return
    typer.echo(found.title)
    if not found.groups:
        typer.echo("no ratings in this range — chưa có đánh giá nào trong khoảng này")
    for g in found.groups:
        stars = " ".join(f"{s}★ {format_int(g.stars[s])}" for s in STARS)
        typer.echo(f"{g.oa_id:20} {g.template_id:12} {format_int(g.count):>7} ratings  average "
                   f"{format_average(g.average):>3}  {stars}  ({format_int(g.campaigns)} campaigns)")
        for n in g.notes:
            typer.echo(f"    {n.submitted_vn:%Y-%m-%d %H:%M}  {n.phone}  {n.rate}★  {n.text}")
    typer.echo(f"total: {format_int(found.count)} ratings, average {format_average(found.average)} / 5")


@app.command()
def reconcile(
    days: int = typer.Option(7, help="look back this many days (eSMS keeps statuses 7 days)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON line per campaign"),
) -> None:
    """Bring non-final messages to their final state now (what the zns-reconcile deployment does)."""
    _use_stack()
    from flows.reconcile import zns_reconcile

    _quiet_console()
    state = zns_reconcile(days=days, return_state=True)
    if not state.is_completed():
        exc = state.result(raise_on_failure=False)
        fail(_one_line(exc) if isinstance(exc, BaseException) else str(state.message), 1)
    from zns.campaign.reconcile import ReconcileSummary

    summaries = state.result()
    if not summaries and not as_json:
        typer.echo("nothing to reconcile — không có tin nào cần đối soát")
    for summary in summaries:
        if as_json:
            typer.echo(json.dumps(summary, ensure_ascii=False, default=str))
        else:
            typer.echo(ReconcileSummary(**summary).log_line())


@app.command()
def simulator(
    port: int = typer.Option(SIMULATOR_PORT, help="TCP port on 127.0.0.1"),
    host: str = typer.Option("127.0.0.1", help="bind address (keep it on loopback)"),
    seed: int = typer.Option(0, help="seed of the deterministic outcomes"),
) -> None:
    """Serve the local eSMS simulator (demo account DEMO_API_KEY / DEMO_SECRET_KEY)."""
    from esms_sim.server import serve

    typer.echo(f"eSMS simulator on http://{host}:{port}/MainService.svc/json/ (Ctrl-C to stop)")
    serve(host=host, port=port, seed=seed)


@app.command()
def demo(
    as_json: bool = typer.Option(False, "--json", help="print a one-line JSON summary last"),
    keep_server: bool = typer.Option(True, help="leave the stack running (deployments Ready) for the UI"),
) -> None:
    """`zns up` plus the eSMS simulator and the sample campaign (embedded defaults, SQLite).

    Prefect on 127.0.0.1:4200 (ZNS_PREFECT_PORT), web server on :8700 (ZNS_WEB_PORT), simulator
    on :8765 (ZNS_SIMULATOR_PORT); everything is kept in the data home (`zns status`)."""
    from zns.demo import run_demo

    try:
        summary = run_demo(keep_server=keep_server)
    except Exception as exc:  # noqa: BLE001
        fail(_one_line(exc), _classify(exc))
    _print_summary(summary, as_json)


@app.command()
def up() -> None:
    """Start and supervise the local stack: Prefect server, worker, deployments, web server."""
    from zns.stack import up as start

    try:
        stack = start(typer.echo)
    except Exception as exc:  # noqa: BLE001
        fail(_one_line(exc), EXIT_CONFIG)
    typer.echo(f"Prefect UI: {stack.ui_url}")
    typer.echo(f"reports and campaign page: {stack.web_url}")
    typer.echo("deployments ready on the work pool 'campaigns'; Ctrl-C here or `zns down` stops the stack")
    stack.supervise(typer.echo)
    from zns.stack import down as stop

    stop(typer.echo)


@app.command()
def down() -> None:
    """Stop what `zns up` (or a `zns run` that had to start the Prefect server) started."""
    from zns.stack import down as stop

    if stop(typer.echo) == 0:
        typer.echo("nothing was running")


@app.command()
def status() -> None:
    """What of the local stack runs where (data home, Prefect server, worker, web server)."""
    from zns.home import data_home
    from zns.stack import status as read

    typer.echo(f"data home: {data_home()}")
    for name, state, where in read():
        typer.echo(f"{name:10} {state:8} {where}")


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
