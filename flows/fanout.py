"""ZNS batches fanned out as task runs, at most `spec.concurrency` in flight, with a live progress
artifact: what the campaign flow and each shard's flow both run (its own module, so neither flow
imports the other)."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote

from esms import EsmsConfigError
from flows.tasks.campaign import send_zns_batch_task
from zns.campaign.context import CampaignContext
from zns.campaign.run import StopRule
from zns.campaign.sending import BatchStats
from zns.campaign.window import Postponement
from zns.progress import progress
from zns.spec import CampaignSpec, slugify


def send_all(spec: CampaignSpec, ctx: CampaignContext, batches: list[list[tuple[str, list[str]]]],
             price: float | None, label: str = "ZNS",
             stop: StopRule | None = None) -> tuple[list[BatchStats], Postponement | None]:
    """Keep at most `spec.concurrency` batch runs in flight; stop submitting on a config error, or
    when `stop` says so (quiet hours began, the circuit breaker tripped): that is returned too."""
    logger = get_run_logger()
    artifact = create_progress_artifact(
        0.0, key=f"{slugify(ctx.campaign_id, 50)}-progress", description=f"Tiến độ gửi {label} (send progress)"
    )
    results: list[BatchStats] = []
    pending = list(enumerate(batches))
    in_flight: set[PrefectFuture[BatchStats]] = set()
    failure: BaseException | None = None
    halted: Postponement | None = None
    done = sent = 0
    total = sum(len(batch) for batch in batches)
    progress("zns", 0, total)
    while pending or in_flight:
        if pending and halted is None and stop is not None:
            halted = stop(results)
            if halted is not None:
                pending.clear()  # what is in flight finishes, the rest waits
        while pending and failure is None and len(in_flight) < spec.concurrency:
            index, batch = pending.pop(0)
            in_flight.add(
                send_zns_batch_task.submit(spec.account, ctx, quote(batch), index, price)  # type: ignore[call-overload]
            )
        if not in_flight:
            break
        future = next(iter(as_completed(in_flight)))
        in_flight.discard(future)
        done += 1
        try:
            stats = future.result()
        except EsmsConfigError as exc:
            failure = failure or exc
            continue
        except Exception as exc:  # noqa: BLE001 - keep draining the other batches first
            failure = failure or exc
            continue
        results.append(stats)
        sent += stats.accepted + stats.rejected + stats.skipped
        update_progress_artifact(artifact, 100.0 * done / max(1, len(batches)))
        progress("zns", sent, total)
        logger.info("batch %d: %d accepted, %d rejected, %d skipped (sent before)",
                    stats.index, stats.accepted, stats.rejected, stats.skipped)
    if failure is not None:
        raise failure
    return results, halted
