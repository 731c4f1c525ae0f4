"""End-to-end campaign cost: the zns-campaign flow against a plain asyncio loop doing the same sends.

Both run against the simulator in its own process, over loopback HTTP. The baseline sends the
same recipients through the bulk endpoint (500 per request, `concurrency` in flight) and waits
for their delivery through the same batch status lookup; the flow additionally reads and
validates the spreadsheet, claims every recipient in the SQLite ledger before sending, records
every answer, finalizes the ledger and writes the report workbook and artifacts, all under a
real local Prefect server. Prints both times and the ratio.

    .venv/bin/python benchmarks/campaign.py --recipients 10000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esms import BulkItem, EsmsClient  # noqa: E402
from zns.campaign.delivery import sent_window  # noqa: E402
from zns.localprefect import ensure_server  # noqa: E402
from zns.timeutil import vn_now  # noqa: E402

OA, TEMPLATE = "4097311281936189049", "210001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_sheet(path: Path, rows: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền"])
    for i in range(rows):
        ws.append([912000000 + i, f"Nguyễn Văn Khách {i}", f"HD{i:06d}", f"{1 + i % 28:02d}/12/2026", 100000 + i])
    wb.save(path)


def start_simulator(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "esms_sim", "--port", str(port), "--seed", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sim/counts", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("simulator did not start")


def configure(port: int) -> None:
    httpx.post(f"http://127.0.0.1:{port}/_sim/reset", json={}).raise_for_status()
    httpx.post(f"http://127.0.0.1:{port}/_sim/config",
               json={"zns_rates": {}, "final_delay": 0.0}).raise_for_status()


async def baseline(base_url: str, rows: int, concurrency: int, tag: str) -> float:
    """Bulk sends + one window lookup until every message is delivered: the floor for the flow."""
    start = time.perf_counter()
    since = vn_now() - timedelta(minutes=1)
    async with EsmsClient("DEMO_API_KEY", "DEMO_SECRET_KEY", base_url=base_url) as client:
        gate = asyncio.Semaphore(concurrency)
        items = [BulkItem(f"0{912000000 + i}", [f"Nguyen Van Khach {i}", f"HD{i:06d}",
                                                 f"{1 + i % 28:02d}/12/2026", str(100000 + i)],
                          f"{tag}-{i}") for i in range(rows)]

        async def batch(chunk: list[BulkItem]) -> int:
            async with gate:
                result = await client.send_zns_bulk(chunk, oa_id=OA, template_id=TEMPLATE, campaign=tag)
                return sum(r.code == "100" for r in result.items)

        accepted = sum(await asyncio.gather(*(batch(items[i:i + 500]) for i in range(0, rows, 500))))
        delivered = 0
        while delivered < accepted:
            window = await sent_window(client, "25", since, vn_now() + timedelta(minutes=1))
            delivered = sum(1 for r in window if r.campaign == tag and r.send_result == 1)
    return time.perf_counter() - start


def run_flow(sheet: Path, rows: int, concurrency: int, env: dict[str, str]) -> float:
    spec = Path(env["ZNS_REPORT_DIR"]) / "spec.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(
        f"campaign_name: bench\noa_id: '{OA}'\ntemplate_id: '{TEMPLATE}'\nsource: {sheet}\n"
        f"phone_column: Số điện thoại\ncolumns: {{customer_name: Tên khách hàng, order_code: Mã đơn hàng, "
        f"order_date: Ngày đặt, amount: Tổng tiền}}\nconcurrency: {concurrency}\nfallback_after: 120\n"
        f"campaign_id: bench-{rows}-{int(time.time())}\n", encoding="utf-8")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "zns.cli", "run", str(spec), "--json"],
                            env={**os.environ, **env}, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    for line in (result.stdout + result.stderr).splitlines():  # task timeline, to see where the time goes
        if "Finished in state" in line or "rows read" in line or "delivery:" in line:
            print("  ", line[:110])
    print("  flow summary:", result.stdout.strip().splitlines()[-1])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        sheet = tmp / "recipients.xlsx"
        make_sheet(sheet, args.recipients)
        port = free_port()
        sim = start_simulator(port)
        server = ensure_server(tmp / "prefect", port=free_port())
        try:
            base_url = f"http://127.0.0.1:{port}/MainService.svc/json/"
            configure(port)
            plain = asyncio.run(baseline(base_url, args.recipients, args.concurrency, "plain"))
            configure(port)
            env = {"ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY",
                   "ESMS_BASE_URL": base_url, "ZNS_LEDGER_URL": f"sqlite:///{tmp / 'ledger.db'}",
                   "ZNS_REPORT_DIR": str(tmp / "reports"), "PREFECT_API_URL": server.api_url}
            flow = run_flow(sheet, args.recipients, args.concurrency, env)
        finally:
            server.stop()
            sim.terminate()
    n = args.recipients
    print(f"recipients: {n}, batches of 500, {args.concurrency} in flight")
    print(f"plain asyncio loop (sends + delivery):   {plain:7.2f} s  ({n / plain:8.0f} recipients/s)")
    print(f"zns-campaign flow (end to end, CLI):      {flow:7.2f} s  ({n / flow:8.0f} recipients/s)")
    print(f"ratio flow / plain: {flow / plain:.2f}  (flow overhead {1000 * (flow - plain) / n:.2f} ms per recipient)")


if __name__ == "__main__":
    main()
