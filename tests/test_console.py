"""The operator's progress bars (zns/console.py) on a terminal, fed by the steps' progress reports."""

from __future__ import annotations

import io

from rich.console import Console

from zns.console import attach_bars, detach_bars
from zns.progress import LOGGER, progress


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120, color_system=None), out


def test_a_terminal_shows_one_bar_per_step_with_counts() -> None:
    console, out = _terminal()
    bars = attach_bars(console)
    assert bars is not None
    try:
        progress("ingest", 5000)
        progress("zns", 0, 120)
        progress("zns", 120, 120)
        progress("zns-delivery", 100, 120)
    finally:
        detach_bars(bars)
    text = out.getvalue()
    assert "Đọc và kiểm tra file (ingest)" in text and "5000" in text
    assert "Gửi ZNS (sending)" in text and "120/120" in text
    assert "Chờ kết quả ZNS (delivery)" in text and "100/120" in text
    assert bars not in LOGGER.handlers


def test_no_bars_where_nobody_watches_a_terminal() -> None:
    out = io.StringIO()
    assert attach_bars(Console(file=out, force_terminal=False)) is None
    assert attach_bars(None) is None
    progress("zns", 1, 2)
    assert out.getvalue() == ""
