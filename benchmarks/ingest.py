"""Ingest benchmark: bare pandas+calamine read vs our ingest + validation, end to end.

    .venv/bin/python benchmarks/ingest.py [--rows 100000] [--regen]

Generates benchmarks/out/ingest_<rows>.xlsx (order-confirmation-like, 6 columns: phone stored
as a number, name, order code, date cells, amount numbers, a text note) once, then runs each
phase in a fresh interpreter so that each peak RSS is its own. Prints times, ratio, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
TARGET_RATIO = 1.5

FIRST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Quốc", "Hoàng", "Thanh", "Ngọc"]
LAST = ["An", "Bình", "Cường", "Dung", "Đức", "Hà", "Huy", "Lan", "Long", "Mai", "Nam"]
PREFIXES = ["90", "91", "93", "94", "96", "97", "98", "32", "33", "35", "38", "86", "88", "70"]


def generate(path: Path, rows: int) -> None:
    """Write the test workbook with openpyxl's streaming writer (seeded, reproducible)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rnd = random.Random(20261201)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Khách hàng")
    ws.append(["Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền",
               "Ghi chú"])
    base = datetime(2026, 1, 1)
    for i in range(rows):
        phone = int(rnd.choice(PREFIXES) + f"{rnd.randrange(10**7):07d}")  # number, no 0
        name = f"{rnd.choice(FIRST)} {rnd.choice(MIDDLE)} {rnd.choice(LAST)}"
        date_cell = WriteOnlyCell(ws, value=base + timedelta(days=rnd.randrange(365)))
        date_cell.number_format = "dd/mm/yyyy"
        ws.append([phone, name, f"DH{i:08d}", date_cell, float(rnd.randrange(10, 5000) * 1000),
                   rnd.choice(["", "Giao giờ hành chính", "Khách VIP", "Gọi trước khi giao"])])
    wb.save(path)


def phase(name: str, path: Path) -> dict[str, float]:
    """Run one phase in this process; return its wall time and this process's peak RSS."""
    if name == "pandas":
        import pandas as pd

        t0 = time.perf_counter()
        frame = pd.read_excel(path, engine="calamine")
        elapsed = time.perf_counter() - t0
        rows = len(frame)
        valid = invalid = -1
    else:
        sys.path.insert(0, str(ROOT))
        from zns.recipients import iter_validated, load_recipients
        from zns.recipients.demo import (
            ORDER_COLUMNS,
            ORDER_SMS_COLUMNS,
            PHONE_COLUMN,
            order_confirmation_sms,
            order_confirmation_template,
        )

        template, sms = order_confirmation_template(), order_confirmation_sms()
        kwargs = {"source": str(path), "phone_column": PHONE_COLUMN, "columns": ORDER_COLUMNS,
                  "sms_template": sms, "sms_columns": ORDER_SMS_COLUMNS,
                  "blocklist": {"0912345678"}}
        t0 = time.perf_counter()
        if name == "imports":
            rows = valid = invalid = 0
        elif name == "stream":  # what a streaming caller holds: one chunk at a time
            valid = invalid = 0
            stream = iter_validated(template, **kwargs)  # type: ignore[arg-type]
            for chunk in stream:
                valid += len(chunk.valid)
                invalid += len(chunk.invalid)
            rows = stream.rows_read
        else:
            result = load_recipients(template, **kwargs)  # type: ignore[arg-type]
            rows, valid, invalid = result.rows_read, len(result.valid), len(result.invalid)
        elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": elapsed, "peak_rss_mb": peak_kb / 1024, "rows": rows,
            "valid": valid, "invalid": invalid}


def run_child(name: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--regen", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per phase")
    parser.add_argument("--phase", choices=["pandas", "ingest", "stream", "imports"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.file)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"ingest_{args.rows}.xlsx"
    if args.regen or not path.exists():
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")
    print(f"file: {path.name}, {path.stat().st_size / 2**20:.1f} MB, {args.rows:,} rows x 6 columns")
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for name in ("pandas", "ingest"):
            res = run_child(name, path)
            if name not in best or res["seconds"] < best[name]["seconds"]:
                best[name] = res
    stream = run_child("stream", path)
    imports = run_child("imports", path)
    a, b = best["pandas"], best["ingest"]
    ratio = b["seconds"] / a["seconds"]
    print(f"(a) pandas.read_excel(engine='calamine'): {a['seconds']:.2f} s, "
          f"peak RSS {a['peak_rss_mb']:.0f} MB, {a['rows']:,} rows")
    print(f"(b) load_recipients (ingest + validation + SMS fallback checks): {b['seconds']:.2f} s, "
          f"peak RSS {b['peak_rss_mb']:.0f} MB, {b['rows']:,} rows "
          f"({b['valid']:,} valid, {b['invalid']:,} invalid)")
    print(f"(c) iter_validated, chunks discarded as they come: {stream['seconds']:.2f} s, "
          f"peak RSS {stream['peak_rss_mb']:.0f} MB; interpreter + imports alone: "
          f"{imports['peak_rss_mb']:.0f} MB")
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"ratio (b)/(a): {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}")


if __name__ == "__main__":
    main()
