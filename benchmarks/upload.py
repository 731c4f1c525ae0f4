"""Campaign page: upload-to-counts for a 100,000-row workbook, against the plain ingest of the same file.

    .venv/bin/python benchmarks/upload.py [--rows 100000] [--repeat 3]

Generates the workbook (order confirmations, 1 row in 20 invalid), starts the eSMS simulator,
then measures (best of --repeat):
- baseline: `load_recipients` of the file (what the flow's ingest task does), no page;
- page: POST /api/uploads (store + checks) then POST /api/refresh (the same ingest, error rows,
  previews, and the preflight's quota/balance/estimate requests), through FastAPI's TestClient.
Target: page < 3 s for 100,000 rows.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HEADER = ["STT", "Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền"]
MAPPING = {"phone_column": "Số điện thoại", "map:customer_name": "Tên khách hàng", "map:order_code": "Mã đơn hàng",
           "map:order_date": "Ngày đặt", "map:amount": "Tổng tiền"}


def make_workbook(path: Path, rows: int) -> Path:
    """Phones as numbers, real date cells, amounts as numbers; every 20th row has a bad phone."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Khách hàng")
    ws.append(HEADER)
    day = datetime(2026, 12, 1)
    for i in range(rows):
        phone = 123 if i % 20 == 19 else 912000000 + i
        ws.append([i + 1, phone, f"Khách hàng {i}", f"DH{i:07d}", day, 100000 + i])
    wb.save(path)
    return path


def best(times: list[float]) -> float:
    return min(times)


def runs(times: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zns-bench-upload-"))
    os.environ.update(ZNS_HOME=str(work / "home"), ZNS_UPLOADS_URL=str(work / "uploads"))
    t0 = time.perf_counter()
    source = make_workbook(work / "khach-100k.xlsx", args.rows)
    size = source.stat().st_size / 2**20
    print(f"workbook: {args.rows:,} rows, {size:.1f} MB, made in {time.perf_counter() - t0:.1f} s")

    from fastapi.testclient import TestClient

    from esms_sim.server import SimulatorServer
    from zns.recipients import load_recipients
    from zns.web.app import create_app
    from zns.web.forms import parse_form
    from zns.web.settings import WebSettings

    with SimulatorServer() as sim:
        os.environ.update(ESMS_API_KEY="DEMO_API_KEY", ESMS_SECRET_KEY="DEMO_SECRET_KEY", ESMS_BASE_URL=sim.base_url)
        client = TestClient(create_app(WebSettings()))
        html = client.get("/campaigns/new").text
        csrf = re.search(r'<meta name="csrf" content="([^"]+)">', html).group(1)  # type: ignore[union-attr]
        headers = {"X-CSRF-Token": csrf}
        import asyncio

        template = asyncio.run(client.app.state.cache.template(None, "4097311281936189049", "210001", "normal"))
        columns = {k[4:]: v for k, v in MAPPING.items() if k.startswith("map:")}
        base, page, upload_t = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = load_recipients(template, source=str(source), phone_column=MAPPING["phone_column"],
                                     columns=columns)
            base.append(time.perf_counter() - t)
            for leftover in (work / "uploads").glob("*"):
                leftover.unlink()  # each run stores the file again (no content-address shortcut)
            t = time.perf_counter()
            upload = client.post("/api/uploads", files={"file": ("khach-100k.xlsx", source.read_bytes())},
                                 headers=headers).json()
            t_up = time.perf_counter()
            form = {"csrf": csrf, "oa_id": "4097311281936189049", "template_id": "210001", "source_mode": "file",
                    "upload_id": upload["upload_id"], **MAPPING}
            form["mapping_for"] = parse_form(form).mapping_key()
            html = client.post("/api/refresh", data=form, headers=headers).text
            page.append(time.perf_counter() - t)
            upload_t.append(t_up - t)
            counts = re.search(r'data-rows="(\d+)" data-valid="(\d+)" data-invalid="(\d+)"', html)
            assert counts and int(counts.group(1)) == result.rows_read == args.rows, html[-2000:]
            assert int(counts.group(3)) == len(result.invalid)
        print(f"counts: {counts.group(1)} rows, {counts.group(2)} valid, {counts.group(3)} invalid")
        print(f"baseline (load_recipients, no page): best {best(base):.2f} s  runs {runs(base)}")
        print(f"page upload (store + checks):        best {best(upload_t):.2f} s")
        print(f"page upload-to-counts:               best {best(page):.2f} s  runs {runs(page)}")
        print(f"ratio page / baseline: {best(page) / best(base):.2f}; target < 3 s: "
              f"{'met' if best(page) < 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
