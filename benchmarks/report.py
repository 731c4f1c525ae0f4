"""Report workbook cost: `write_workbook` at campaign scale against plain-cell writers of the same grid.

Builds N synthetic `RecipientOutcome`s shaped like a real order-confirmation campaign (93 %
delivered by ZNS, SMS fallback for most of the rest, some failed / unknown / invalid rows,
four template values per row, UTC send and final times), the `CampaignSummary` from them, and
times, in this one process:

- (a) xlsxwriter, constant_memory, writing the same Recipients grid as plain cells (strings,
  numbers, the two datetimes with one date format): what the format costs at least;
- (b) openpyxl write-only writing the same plain cells: the floor of the old writer;
- (c) `zns.report.write_workbook` (all three sheets, safe_value on every text, styles, chart,
  atomic write).

Each is the best of `--repeat` runs; seconds and rows/s are printed, and (c)/(a) is the ratio
to watch (the workbook's own overhead over the format's floor). `--old REV` also times (d), the
`write_workbook` of git revision REV (its zns/report/workbook.py loaded as a module), for an
old-versus-new comparison in the same run.

    .venv/bin/python benchmarks/report.py                      # 100,000 rows, best of 3
    .venv/bin/python benchmarks/report.py --rows 20000 --repeat 1
    .venv/bin/python benchmarks/report.py --profile             # cProfile of (c), top 25
    .venv/bin/python benchmarks/report.py --old HEAD             # plus the openpyxl writer of that commit
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zns.outcomes import Channel, FinalState, RecipientOutcome  # noqa: E402
from zns.report import CampaignMeta, CampaignSummary, write_workbook  # noqa: E402
from zns.report.formatting import to_vn_naive  # noqa: E402

T0 = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)


def make_outcomes(n: int) -> list[RecipientOutcome]:
    """A realistic outcome mix; deterministic (row number decides everything)."""
    out: list[RecipientOutcome] = []
    for i in range(n):
        row = i + 2
        values = {"customer_name": f"Nguyễn Văn Khách {i}", "order_code": f"HD{i:06d}",
                  "order_date": f"{1 + i % 28:02d}/12/2026", "amount": str(100000 + i)}
        sent = T0 + timedelta(milliseconds=3 * i)
        done = sent + timedelta(seconds=2)
        k = i % 100
        phone = f"0{912000000 + i}"
        zid = f"{i:032x}"
        if k < 2:  # invalid
            out.append(RecipientOutcome(row, f"{912000000 + i}x", FinalState.INVALID, reason_code="BAD_PHONE",
                                        reason_vi="Số điện thoại không hợp lệ", values=values))
        elif k < 90:
            out.append(RecipientOutcome(row, phone, FinalState.ZNS_DELIVERED, channel=Channel.ZNS,
                                        zns_code="100", zns_sms_id=zid, zns_error="0", cost=300.0,
                                        sent_at=sent, final_at=done, values=values))
        elif k < 97:
            text = f"Chao Nguyen Van Khach {i}, don hang HD{i:06d} tri gia {100000 + i} VND da duoc xac nhan"
            out.append(RecipientOutcome(row, phone, FinalState.SMS_DELIVERED, reason_code="-118",
                                        channel=Channel.SMS, zns_code="100", zns_sms_id=zid,
                                        zns_error="-118", sms_code="100", sms_sms_id=f"s{i:031x}",
                                        sms_text=text, cost=850.0, sent_at=done, final_at=done + timedelta(seconds=1),
                                        values=values))
        elif k < 99:
            out.append(RecipientOutcome(row, phone, FinalState.FAILED, reason_code="-139", channel=Channel.ZNS,
                                        zns_code="100", zns_sms_id=zid, zns_error="-139",
                                        sent_at=sent, final_at=done, values=values))
        else:
            out.append(RecipientOutcome(row, phone, FinalState.UNKNOWN, reason_code="NO_STATUS",
                                        reason_vi="Đã gửi ZNS, chưa có trạng thái trước hạn", channel=Channel.ZNS,
                                        zns_code="100", zns_sms_id=zid, cost=300.0, sent_at=sent, values=values))
    return out


def _grid(o: RecipientOutcome) -> list[object]:
    keys = ("customer_name", "order_code", "order_date", "amount")
    return [o.row, o.phone, str(o.state), str(o.state), o.channel and str(o.channel), o.reason_code, o.reason_vi,
            o.zns_code, o.zns_sms_id, o.zns_error, o.sms_code, o.sms_sms_id, o.sms_text, o.cost,
            to_vn_naive(o.sent_at), to_vn_naive(o.final_at), *(o.values.get(k) for k in keys)]


def plain_xlsxwriter(outcomes: list[RecipientOutcome], path: Path) -> None:
    """(a) the same grid as plain cells, constant_memory: the format's floor."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Recipients")
    dt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    for r, o in enumerate(outcomes, 1):
        for c, v in enumerate(_grid(o)):
            if v is None:
                continue
            if isinstance(v, datetime):
                ws.write_datetime(r, c, v, dt)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()


def plain_openpyxl(outcomes: list[RecipientOutcome], path: Path) -> None:
    """(b) the same grid through openpyxl write-only, no styles but the datetime's default."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Recipients")
    for o in outcomes:
        ws.append(_grid(o))
    wb.save(path)


def old_writer(rev: str, tmp: Path) -> Callable[..., object]:
    """`write_workbook` of zns/report/workbook.py at git revision `rev`, loaded as a module."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:zns/report/workbook.py"],
                            check=True, capture_output=True, text=True).stdout
    path = tmp / "old_workbook.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_workbook", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_workbook  # type: ignore[no-any-return]


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile write_workbook once, print the top 25")
    parser.add_argument("--skip-openpyxl", action="store_true", help="skip baseline (b) (slow at 1M rows)")
    parser.add_argument("--old", metavar="REV", help="also time write_workbook of this git revision (d)")
    args = parser.parse_args()
    n = args.rows
    start = time.perf_counter()
    outcomes = make_outcomes(n)
    built = time.perf_counter() - start
    meta = CampaignMeta("bench-report", "Xác nhận đơn hàng", "210001", "4097311281936189049",
                        started_at=T0, finished_at=T0 + timedelta(minutes=10))
    start = time.perf_counter()
    summary = CampaignSummary.from_outcomes(outcomes, meta)
    summed = time.perf_counter() - start
    preflight = {"ok": True, "recipients": summary.valid, "quota_remaining": 500000, "quota_daily": 500000,
                 "balance": 1e9, "zns_unit_price": 300.0, "estimated_zns_cost": 300.0 * summary.valid,
                 "estimated_sms_cost_max": 850.0 * summary.valid}
    print(f"rows: {n:,} (outcomes built in {built:.2f} s, CampaignSummary.from_outcomes {summed:.2f} s)")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            write_workbook(summary, outcomes, tmp / "profiled.xlsx", preflight=preflight)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        a = best_of(args.repeat, lambda: plain_xlsxwriter(outcomes, tmp / "a.xlsx"))
        b = None if args.skip_openpyxl else best_of(args.repeat, lambda: plain_openpyxl(outcomes, tmp / "b.xlsx"))
        c = best_of(args.repeat, lambda: write_workbook(summary, outcomes, tmp / "c.xlsx", preflight=preflight))
        size = (tmp / "c.xlsx").stat().st_size
        d = None
        if args.old:
            old = old_writer(args.old, tmp)
            d = best_of(args.repeat, lambda: old(summary, outcomes, tmp / "d.xlsx", preflight=preflight))
    print(f"(a) xlsxwriter constant_memory, plain cells:  {a:6.2f} s  {n / a:9,.0f} rows/s")
    if b is not None:
        print(f"(b) openpyxl write-only, plain cells:         {b:6.2f} s  {n / b:9,.0f} rows/s")
    print(f"(c) write_workbook (3 sheets, safe, styled):  {c:6.2f} s  {n / c:9,.0f} rows/s  ({size / 1e6:.1f} MB)")
    if d is not None:
        print(f"(d) write_workbook of {args.old}:{' ' * max(1, 18 - len(args.old))}{d:6.2f} s  {n / d:9,.0f} rows/s"
              f"  -> new/old {c / d:.2f}")
    print(f"ratio (c)/(a): {c / a:.2f}" + ("" if b is None else f"   (c)/(b): {c / b:.2f}"))


if __name__ == "__main__":
    main()
