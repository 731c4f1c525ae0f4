"""Helpers shared by the flow-level tests: customer sheets, SPECs, the CLI, simulator counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from esms_sim.server import SimulatorServer

OA = "4097311281936189049"
ORDER = "210001"
SEND_ENDPOINTS = ("send_zns_bulk_v4_post_json", "sendzalomessage_v4_post_json", "sendmultiplemessage_v4_post_json")
HEADER = ["Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền"]


def make_sheet(path: Path, rows: int, *, invalid_every: int = 20, start: int = 0) -> tuple[Path, int]:
    """A customer sheet; every `invalid_every`-th row is broken in one of three ways."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    invalid = 0
    for i in range(rows):
        phone: Any = 912000000 + start + i  # stored as a number, as Excel users do
        name = f"Nguyễn Văn Khách {i}"
        date = f"{1 + i % 28:02d}/12/2026"
        if invalid_every and i % invalid_every == invalid_every - 1:
            invalid += 1
            kind = (i // invalid_every) % 3
            if kind == 0:
                phone = "12345"
            elif kind == 1:
                name = ""
            else:
                date = "31/02/2026"
        ws.append([phone, name, f"HD{start + i:05d}", date, 100000 + i])
    wb.save(path)
    return path, invalid


def spec_for(source: Path, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "campaign_name": "Kiểm thử đơn hàng",
        "oa_id": OA,
        "template_id": ORDER,
        "source": str(source),
        "phone_column": "Số điện thoại",
        "columns": {"customer_name": "Tên khách hàng", "order_code": "Mã đơn hàng",
                    "order_date": "Ngày đặt", "amount": "Tổng tiền"},
        "fallback": {"brandname": "ZNSDEMO", "sms_template_id": "91011",
                     "columns": {"P1": "customer_name", "P2": "order_code", "P3": "amount"}},
        "fallback_after": 60,
        "campaign_id": "test-campaign",
    }
    spec.update(extra)
    return spec


def send_requests(sim: SimulatorServer) -> int:
    hits = sim.state.counts()["endpoints"]
    return sum(hits.get(e, 0) for e in SEND_ENDPOINTS)


def received(sim: SimulatorServer) -> dict[str, dict[str, int]]:
    phones = sim.state.counts()["phones"]
    return {p: {ch: v["received"] for ch, v in chans.items()} for p, chans in phones.items()}


def run_cli(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zns.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300, **kwargs)


def write_spec(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
