"""Prefect artifact payloads: the markdown summary, the state x reason table, live progress.

Artifacts must stay small (prefect-notes.md §3): no per-recipient rows here, only totals;
the per-recipient detail lives in the workbook. Markdown lines are never indented, since
Prefect renders indented lines as code blocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from zns.outcomes import STATE_LABELS_VI, FinalState
from zns.report.formatting import (
    format_duration,
    format_int,
    format_pct,
    format_vn_time,
    format_vnd,
)
from zns.report.summary import (
    FUNNEL_STEPS,
    STATE_ORDER,
    CampaignSummary,
)

TABLE_COLUMNS: tuple[str, str, str, str] = ("Trạng thái (state)", "Mã (code)", "Lý do", "Số lượng")
NO_CODE = "—"
OTHER_CODE = "OTHER"
OTHER_VI = "Các lý do khác"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_LOSS_STATES = (FinalState.FAILED, FinalState.UNKNOWN, FinalState.INVALID)


def md_escape(text: object) -> str:
    """Inline-safe text: user-supplied names cannot break tables or inject markup."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _code_span(text: object) -> str:
    clean = " ".join(str(text).replace("`", "'").split())
    return f"`{clean}`" if clean else "`—`"


def state_label(state: FinalState) -> str:
    """'Thất bại (failed)': Vietnamese for operators, stable code for data teams."""
    return f"{STATE_LABELS_VI[state]} ({state.value})"


def render_markdown(summary: CampaignSummary, *, top_reasons: int = 10) -> str:
    """Final report artifact: header facts, funnel, final states, top loss reasons."""
    m = summary.meta
    rows = summary.rows
    out: list[str] = [
        f"# Báo cáo chiến dịch {md_escape(m.campaign_name)} ({_code_span(m.campaign_id)})",
        "",
    ]
    if m.dry_run:
        out += ["> **Chạy thử (dry run):** không có tin nào được gửi.", ""]
    if m.postponed:
        out += [f"> **Hoãn (postponed):** {md_escape(m.postponed)}.", ""]
    out += [
        "| Thông tin | Giá trị |",
        "|---|---|",
        f"| Mã chiến dịch (campaign_id) | {_code_span(m.campaign_id)} |",
        f"| Mẫu ZNS (template_id) | {_code_span(m.template_id)} |",
        f"| Zalo OA (oa_id) | {_code_span(m.oa_id)} |",
        f"| Bắt đầu (started, giờ Việt Nam) | {format_vn_time(m.started_at)} |",
        f"| Kết thúc (finished, giờ Việt Nam) | {format_vn_time(m.finished_at)} |",
        f"| Thời lượng (duration) | {format_duration(m.started_at, m.finished_at)} |",
        f"| Tổng chi phí (cost) | {format_vnd(summary.total_cost)} |",
        f"| Chi phí ZNS / SMS (cost per channel) | {format_vnd(summary.zns_cost)} / {format_vnd(summary.sms_cost)} |",
        "",
        "## Phễu gửi (funnel)",
        "",
        "| Bước / Step | Số lượng | % |",
        "|---|---:|---:|",
    ]
    for key, label, count in summary.funnel():
        out.append(f"| {label} (`{key}`) | {format_int(count)} | {format_pct(count, rows)} |")
    out += [
        "",
        "## Trạng thái cuối (final states)",
        "",
        "| Trạng thái (state) | Số lượng | % |",
        "|---|---:|---:|",
    ]
    for state in STATE_ORDER:
        n = summary.by_state.get(state, 0)
        out.append(f"| {state_label(state)} | {format_int(n)} | {format_pct(n, rows)} |")
    out.append(f"| **Tổng (total)** | **{format_int(rows)}** | {format_pct(rows, rows)} |")
    if len(summary.days) > 1:
        out += ["", "## Tiến độ theo ngày (per-day progress)", "",
                "| Ngày (day) | ZNS đã gửi | ZNS tới | ZNS bị từ chối | SMS đã gửi | SMS tới |",
                "|---|---:|---:|---:|---:|---:|"]
        out += [f"| {d.day:%d/%m/%Y} | {format_int(d.zns_sent)} | {format_int(d.zns_delivered)} | "
                f"{format_int(d.zns_refused)} | {format_int(d.sms_sent)} | {format_int(d.sms_delivered)} |"
                for d in summary.days]
    losses = summary.top_reasons(top_reasons, _LOSS_STATES)
    if losses:
        out += [
            "",
            "## Lý do hàng đầu (top reasons: failed, unknown, invalid)",
            "",
            "| Trạng thái (state) | Mã (code) | Lý do | Số lượng |",
            "|---|---|---|---:|",
        ]
        for r in losses:
            out.append(
                f"| {state_label(r.state)} | {_code_span(r.code or NO_CODE)} "
                f"| {md_escape(r.label_vi)} | {format_int(r.count)} |"
            )
    out.append("")
    return "\n".join(out)


def _table_row(state: FinalState, code: str, label: str, count: int) -> dict[str, str | int]:
    return dict(zip(TABLE_COLUMNS, (state_label(state), code, label, count), strict=True))


def state_reason_table(summary: CampaignSummary, limit: int = 200) -> list[dict[str, str | int]]:
    """Rows of final state x reason for a Prefect table artifact.

    The ``limit`` largest groups are listed; the rest are folded into one ``OTHER`` row per
    state (at most len(FinalState) more rows), so the counts still add up to the outcomes.
    """
    table = [_table_row(r.state, r.code or NO_CODE, r.label_vi, r.count) for r in summary.reasons[:limit]]
    rest: dict[FinalState, int] = {}
    for r in summary.reasons[limit:]:
        rest[r.state] = rest.get(r.state, 0) + r.count
    for state in STATE_ORDER:
        if rest.get(state):
            table.append(_table_row(state, OTHER_CODE, OTHER_VI, rest[state]))
    return table


def _count_label(key: str) -> str:
    labels = dict(FUNNEL_STEPS)
    if key in labels:
        return f"{labels[key]} (`{key}`)"
    try:
        return state_label(FinalState(key))
    except ValueError:
        return md_escape(key)


def progress_markdown(
    done_batches: int, total_batches: int, counts: Mapping[str, int] | None = None
) -> str:
    """Short live description for the progress artifact: batches done and running counts.

    ``counts`` keys are funnel keys or final-state codes (``zns_accepted``, ``failed``...);
    they are shown in funnel order, unknown keys after them.
    """
    if done_batches < 0 or total_batches < 0:
        raise ValueError("batch counts cannot be negative")
    pct = 100.0 if total_batches == 0 else min(100.0, done_batches * 100.0 / total_batches)
    head = (
        f"**Tiến độ (progress):** {format_int(done_batches)}/{format_int(total_batches)} "
        f"lô (batches), {f'{pct:.1f}'.replace('.', ',')} %"
    )
    counts = counts or {}
    order = [k for k, _ in FUNNEL_STEPS]
    keys = [str(k) for k in order if k in counts] + [
        str(k) for k in counts if str(k) not in order
    ]
    lines = [head]
    if keys:
        lines.append("")
        lines += [f"- {_count_label(k)}: {format_int(int(counts[k]))}" for k in keys]
    return "\n".join(lines) + "\n"


__all__ = [
    "NO_CODE",
    "OTHER_CODE",
    "TABLE_COLUMNS",
    "md_escape",
    "progress_markdown",
    "render_markdown",
    "state_label",
    "state_reason_table",
]
