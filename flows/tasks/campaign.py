"""Task wrappers for the campaign flow: each calls one `zns.campaign` step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from esms import EsmsError, EsmsTransientError
from esms.models import OaQuality, ZnsTemplate
from esms.sms_templates import SmsTemplate
from flows.tasks._common import resolve_account, with_client
from zns.campaign.context import CampaignContext
from zns.campaign.delivery import DeliveryStats, await_delivery, recover_interrupted
from zns.campaign.ingest import date_filter_for, ingest
from zns.campaign.preflight import Preflight, run_preflight
from zns.campaign.sending import BatchStats, send_sms_batch, send_zns_batch
from zns.campaign.templates import load_templates
from zns.ledger import RecipientRow
from zns.outcomes import Channel
from zns.progress import progress
from zns.recipients import ValidationResult, write_error_workbook
from zns.recipients.cells import cell_text
from zns.runtime import get_ledger
from zns.spec import CampaignSpec


def _only_transient(task: object, task_run: object, state: object) -> bool:
    """Prefect retries a batch only when the gateway kept failing, never on config errors."""
    try:
        state.result()  # type: ignore[attr-defined]
    except EsmsTransientError:
        return True
    except Exception:  # noqa: BLE001 - any other failure is not worth a retry
        return False
    return False


@task(name="load-template", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5,
      retry_condition_fn=_only_transient)
def load_template_task(spec: CampaignSpec) -> tuple[ZnsTemplate, SmsTemplate | None]:
    account = resolve_account(spec.account)
    return with_client(account, lambda client: load_templates(client, spec))


@task(name="oa-quality", cache_policy=NO_CACHE)
def oa_quality_task(account_name: str | None, oa_id: str) -> OaQuality | None:
    """The OA's ZNS quality for the circuit breaker; a failed lookup is logged and decides nothing."""
    try:
        return with_client(resolve_account(account_name), lambda client: client.get_quality(oa_id))
    except EsmsError as exc:
        get_run_logger().warning("ZNS/GetQuality failed (%s); the breaker goes on without it", exc)
        return None


@task(name="ingest-and-validate", cache_policy=NO_CACHE)
def ingest_task(
    spec: CampaignSpec,
    template: ZnsTemplate,
    sms_template: SmsTemplate | None,
    error_path: Path | None,
    run_date: date | None = None,
    campaign_id: str | None = None,
) -> tuple[ValidationResult, Path | None]:
    """Read and validate every row; invalid rows go to a workbook the operator can fix (a shard,
    with no `error_path`, leaves that to its parent)."""
    result = ingest(spec, template, sms_template, get_ledger(), run_date=run_date, campaign_id=campaign_id)
    row_filter = date_filter_for(spec, run_date)
    written = write_error_workbook(result, error_path) if result.invalid and error_path else None
    get_run_logger().info(
        "%d rows read: %d valid, %d invalid%s", result.rows_read, len(result.valid), len(result.invalid),
        f" ({result.filtered_rows} rows not due on {row_filter.target:%d/%m/%Y})" if row_filter else "",
    )
    return result, written


@task(name="record-recipients", cache_policy=NO_CACHE)
def record_recipients_task(campaign_id: str, result: ValidationResult) -> None:
    """Every input row goes into the ledger, valid or not, so totals always add up."""
    rows = [
        RecipientRow(
            row_no=r.row,
            phone=r.phone,
            values={
                **{k: cell_text(v) for k, v in r.source_values.items()},
                **{f"sms:{k}": v for k, v in r.sms_values.items()},
            },
        )
        for r in result.valid
    ]
    rows += [
        RecipientRow(
            row_no=i.row,
            phone=i.phone,
            valid=False,
            invalid_code=i.code,
            invalid_reason_vi=i.message_vi,
            values={k: cell_text(v) for k, v in i.source_values.items()},
        )
        for i in result.invalid
    ]
    get_ledger().record_recipients(campaign_id, rows)


@task(name="preflight", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5,
      retry_condition_fn=_only_transient)
def preflight_task(
    spec: CampaignSpec,
    template: ZnsTemplate,
    sample: tuple[str, list[str]] | None,
    sms_sample: str | None,
    to_send: int,
) -> Preflight:
    """Quota and balance must cover what this run still has to send (a re-run sends only the rest)."""
    account = resolve_account(spec.account)
    return with_client(
        account,
        lambda client: run_preflight(
            client,
            oa_id=spec.oa_id,
            template_id=spec.template_id,
            sample_phone=sample[0] if sample else None,
            sample_params=sample[1] if sample else None,
            recipients=to_send,
            sms_sample_text=sms_sample,
            brandname=spec.fallback.brandname if spec.fallback else None,
            template_price=template.price,
        ),
    )


@task(
    name="send-zns-batch",
    task_run_name="send-zns-batch-{index}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 20],
    retry_jitter_factor=0.5,
    retry_condition_fn=_only_transient,
)
def send_zns_batch_task(
    account_name: str | None,
    ctx: CampaignContext,
    batch: Sequence[tuple[str, Sequence[str]]],
    index: int,
    price: float | None = None,
) -> BatchStats:
    account = resolve_account(account_name)
    ledger = get_ledger()
    return with_client(
        account, lambda client: send_zns_batch(client, ledger, ctx, batch, index=index, price=price)
    )


@task(
    name="send-sms-batch",
    task_run_name="send-sms-batch-{index}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 20],
    retry_condition_fn=_only_transient,
)
def send_sms_batch_task(
    account_name: str | None, ctx: CampaignContext, texts: dict[str, str], brandname: str, index: int
) -> BatchStats:
    account = resolve_account(account_name)
    ledger = get_ledger()
    return with_client(
        account,
        lambda client: send_sms_batch(client, ledger, ctx, texts, brandname=brandname, index=index),
    )


@task(name="await-delivery", task_run_name="await-{channel}-delivery", cache_policy=NO_CACHE)
def await_delivery_task(
    account_name: str | None,
    ctx: CampaignContext,
    channel: Channel,
    wait_seconds: float,
    since: datetime,
    poll_interval: float = 2.0,
) -> DeliveryStats:
    account = resolve_account(account_name)
    ledger = get_ledger()
    logger = get_run_logger()

    def report(stats: DeliveryStats) -> None:
        logger.info(
            "%s delivery: %d delivered, %d failed (%d for fallback), %d pending",
            channel.value, stats.delivered, stats.failed, stats.fallback, stats.pending,
        )
        final = stats.delivered + stats.failed
        progress(f"{channel.value}-delivery", final, final + stats.pending)

    return with_client(
        account,
        lambda client: await_delivery(
            client, ledger, ctx, channel, wait_seconds=wait_seconds, since=since,
            poll_interval=poll_interval, on_poll=report,
        ),
    )



@task(name="recover-interrupted", task_run_name="recover-{channel}", cache_policy=NO_CACHE, retries=2,
      retry_delay_seconds=5, retry_condition_fn=_only_transient)
def recover_interrupted_task(account_name: str | None, ctx: CampaignContext, channel: Channel,
                             since: datetime) -> tuple[int, int]:
    """(found at eSMS, left to resend) of the sends an earlier run of the campaign left unanswered."""
    ledger = get_ledger()
    found, left = with_client(resolve_account(account_name),
                              lambda client: recover_interrupted(client, ledger, ctx, channel, since))
    if found or left:
        get_run_logger().info("%s: %d interrupted sends found at eSMS, %d to resend under the same RequestId",
                              channel.value, found, left)
    return found, left
