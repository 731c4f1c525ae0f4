"""Throughput of the eSMS simulator: bulk ZNS recipients/s and single ZNS sends requests/s.

The simulator runs in its own process (`python -m esms_sim`) so the client does not share its GIL.
Usage: .venv/bin/python benchmarks/simulator.py [--recipients 50000] [--singles 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import subprocess
import sys
import time

import httpx
import psutil

from esms_sim.seed import DEMO_API_KEY, DEMO_OA_ID, DEMO_SECRET_KEY, ORDER_TEMPLATE_ID

TARGET_RECIPIENTS_PER_S = 5_000
AUTH = {"ApiKey": DEMO_API_KEY, "SecretKey": DEMO_SECRET_KEY}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def start_simulator(port: int) -> subprocess.Popen[bytes]:
    """Start `python -m esms_sim` and wait until it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "esms_sim", "--port", str(port)],
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sim/counts", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("simulator did not start")


def bulk_payloads(recipients: int, batch: int, run: str) -> list[bytes]:
    """Pre-encoded bulk bodies (order-confirmation template, 4 params each, unique RequestIds)."""
    bodies = []
    for start in range(0, recipients, batch):
        data = [{"Phone": f"09{i % 100_000_000:08d}",
                 "Params": ["Nguyen Van A", f"HD{i:08d}", "24/11/2026", "1250000"],
                 "RequestId": f"{run}-b-{i}"}
                for i in range(start, min(start + batch, recipients))]
        body = {**AUTH, "OAID": DEMO_OA_ID, "TempID": ORDER_TEMPLATE_ID,
                "campaignid": "bench", "Sandbox": "0", "Data": data}
        bodies.append(json.dumps(body).encode())
    return bodies


async def post_all(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, int]:
    """POST every body with `concurrency` workers; return (seconds, accepted items)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                body = queue.get_nowait()
                reply = (await client.post(url, content=body, headers=headers)).json()
                if "detail" in reply:
                    accepted += reply["TotalSuccess"]
                elif reply.get("CodeResult") == "100":
                    accepted += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, accepted


def _single_worker(job: tuple[str, str, int, int]) -> int:
    """One client process: sequential V4 sends over one keep-alive connection."""
    url, run, start, count = job
    accepted = 0
    headers = {"Content-Type": "application/json"}
    with httpx.Client(timeout=60) as client:
        for i in range(start, start + count):
            body = json.dumps({**AUTH, "OAID": DEMO_OA_ID, "TempID": "205644",
                               "Phone": f"098{i:07d}", "Params": [f"{i % 1_000_000:06d}"],
                               "RequestId": f"{run}-s-{i}"}).encode()
            if client.post(url, content=body, headers=headers).json()["CodeResult"] == "100":
                accepted += 1
    return accepted


def single_sends(url: str, total: int, procs: int, run: str) -> tuple[float, int]:
    """Single sends from several client processes (the async httpx client tops out near 600/s)."""
    share = total // procs
    jobs = [(url, run, k * share, share) for k in range(procs)]
    with multiprocessing.Pool(procs) as pool:
        started = time.perf_counter()
        accepted = sum(pool.map(_single_worker, jobs))
        return time.perf_counter() - started, accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--singles", type=int, default=6_000)
    parser.add_argument("--single-procs", type=int, default=2)
    args = parser.parse_args()

    port = free_port()
    proc = start_simulator(port)
    base = f"http://127.0.0.1:{port}/MainService.svc/json/"
    server = psutil.Process(proc.pid)
    try:
        run = str(int(time.time()))
        bodies = bulk_payloads(args.recipients, args.batch, run)
        cpu = server_cpu(server)
        seconds, accepted = asyncio.run(
            post_all(base + "Send_zns_bulk_v4_post_json/", bodies, args.concurrency))
        cpu = server_cpu(server) - cpu
        rate = accepted / seconds
        print(f"bulk: {accepted} recipients accepted in {seconds:.2f} s = {rate:,.0f} recipients/s "
              f"({len(bodies)} requests of {args.batch}, concurrency {args.concurrency})")
        print(f"  server CPU {cpu:.2f} s = {cpu / seconds:.0%} of one core "
              f"({cpu / accepted * 1e6:.0f} us per recipient)")
        print(f"bulk vs target {TARGET_RECIPIENTS_PER_S:,}/s: {rate / TARGET_RECIPIENTS_PER_S:.2f}x")

        cpu = server_cpu(server)
        seconds, accepted = single_sends(base + "SendZaloMessage_V4_post_json/", args.singles,
                                         args.single_procs, run)
        cpu = server_cpu(server) - cpu
        print(f"single: {accepted} sends in {seconds:.2f} s = {accepted / seconds:,.0f} requests/s "
              f"({args.single_procs} client processes, sync httpx, keep-alive)")
        print(f"  server CPU {cpu:.2f} s = {cpu / seconds:.0%} of one core "
              f"({cpu / max(accepted, 1) * 1e6:.0f} us per request)")
        counts = httpx.get(f"http://127.0.0.1:{port}/_sim/counts", timeout=30).json()
        print(f"simulator counted {counts['totals']['zns']['received']} ZNS received")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
