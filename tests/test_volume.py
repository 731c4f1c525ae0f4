"""The volume report ("báo cáo sản lượng"): the ledger's views on SQLite and PostgreSQL, the
workbook, `zns volume` and the `/volume` page, on one hand-built ledger and on the simulator's data.

PostgreSQL tests take a throwaway database from `fresh_pg_database` and are skipped, with the
reason printed, when 127.0.0.1:5432 is not reachable.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from esms.client import EsmsClient, RetryPolicy
from esms_sim.server import SimulatorServer
from tests.flows.support import fresh_pg_database, run_cli
from zns.campaign.context import CampaignContext
from zns.campaign.delivery import await_delivery
from zns.campaign.sending import send_zns_batch
from zns.ledger import DeliveryUpdate, Ledger, MessageState, RecipientRow, SendRecord
from zns.ledger.engine import make_engine
from zns.ledger.migrate import VERSION_TABLE, alembic_config, current_revision, head_revision
from zns.ledger.schema import campaigns, messages
from zns.outcomes import Channel
from zns.report.volume import (
    SHEET_BY_DAY,
    SHEET_INVALID,
    SHEET_VOLUME,
    TOTAL_LABEL,
    VOLUME_COLUMNS,
    VolumeInputError,
    read_volume,
    resolve_range,
    write_volume_workbook,
)
from zns.web.app import create_app
from zns.web.settings import WebSettings

ENGINES = ["sqlite", "postgresql"]
NOV = (date(2026, 11, 1), date(2026, 11, 30))
VN = timedelta(hours=7)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def database_url(engine: str, tmp_path: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    with fresh_pg_database("zns_volume") as url:
        yield url


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine (PostgreSQL: its own, dropped afterwards)."""
    yield from database_url(request.param, tmp_path)


# -- the ledger under test -----------------------------------------------------------------------
#
# Vietnam is UTC+7. Campaign A (oa-1 / t-1, created 02:00Z on 10/11):
#   p1 ZNS delivered, sent 16:30Z on 10/11 = 23:30 VN on 10/11
#   p2 ZNS failed (refunded: price 0), sent 03:00Z on 10/11; its SMS fallback delivered, 04:00Z
#   p3 ZNS delivered, sent 17:30Z on 10/11 = 00:30 VN on 11/11 (the next Vietnam day)
#   p4 ZNS rejected at send (code 108): no sent time, claimed 03:00Z on 10/11
#   one invalid row
# Campaign B (oa-2 / t-2, created 20:00Z on 10/11 = 03:00 VN on 11/11): p5 ZNS accepted, no final
#   status yet, 10:00Z on 11/11; p6 ZNS delivered on 05/12 (outside November); two invalid rows
# Campaign C (oa-1 / t-1 again): p1 again, ZNS delivered 05:00Z on 10/11 (same group as A's p1:
#   two messages, one distinct phone)

P = {n: f"09120000{n:02d}" for n in range(1, 7)}
EXPECTED = [  # (day, oa, template, channel, state, messages, phones, cost)
    (date(2026, 11, 10), "oa-1", "t-1", "zns", "delivered", 2, 1, 600.0),
    (date(2026, 11, 10), "oa-1", "t-1", "zns", "failed", 1, 1, 0.0),
    (date(2026, 11, 10), "oa-1", "t-1", "zns", "rejected", 1, 1, 0.0),
    (date(2026, 11, 10), "oa-1", "t-1", "sms", "delivered", 1, 1, 850.0),
    (date(2026, 11, 11), "oa-1", "t-1", "zns", "delivered", 1, 1, 300.0),
    (date(2026, 11, 11), "oa-2", "t-2", "zns", "accepted", 1, 1, 300.0),
]
EXPECTED_INVALID = [(date(2026, 11, 10), "oa-1", "t-1", 1), (date(2026, 11, 11), "oa-2", "t-2", 2)]


def _at(led: Ledger, cid: str, phone: str, channel: str, sent: str | None, claimed: str | None = None) -> None:
    """Put a message at a known time (the API stamps now)."""
    values = {"sent_at": utc(sent) if sent else None, "claimed_at": utc(claimed or sent or "")}
    with led.engine.begin() as conn:
        conn.execute(sa.update(messages).where(messages.c.campaign_id == cid, messages.c.phone == phone,
                                               messages.c.channel == channel).values(**values))


def _campaign(led: Ledger, cid: str, oa: str, template: str, created: str, valid: list[str], invalid: int) -> None:
    led.upsert_campaign(cid, name=cid, oa_id=oa, template_id=template, params={})
    rows = [RecipientRow(i + 2, p) for i, p in enumerate(valid)]
    rows += [RecipientRow(len(rows) + 2 + i, f"bad-{i}", valid=False, invalid_code="BAD_PHONE") for i in range(invalid)]
    led.record_recipients(cid, rows)
    with led.engine.begin() as conn:
        conn.execute(sa.update(campaigns).where(campaigns.c.campaign_id == cid).values(created_at=utc(created)))


def _zns(led: Ledger, cid: str, results: list[SendRecord]) -> None:
    led.claim(cid, [r.phone for r in results], Channel.ZNS, "test")
    led.record_send_results(cid, Channel.ZNS, results)


def build(led: Ledger) -> None:
    """The three campaigns above, through the Ledger API (times set afterwards)."""
    a, b, c = (f"{x}-{uuid.uuid4().hex[:8]}" for x in "abc")
    _campaign(led, a, "oa-1", "t-1", "2026-11-10 02:00", [P[1], P[2], P[3], P[4]], 1)
    _zns(led, a, [SendRecord(P[1], "100", "s1", 300.0), SendRecord(P[2], "100", "s2", 300.0),
                  SendRecord(P[3], "100", "s3", 300.0), SendRecord(P[4], "108")])
    led.record_delivery(a, Channel.ZNS, [DeliveryUpdate.from_error_info(P[1], "0"),
                                          DeliveryUpdate.from_error_info(P[2], "-118", price=0.0),
                                          DeliveryUpdate.from_error_info(P[3], "0")])
    led.claim(a, [P[2]], Channel.SMS, "test", texts={P[2]: "Chao"})
    led.record_send_results(a, Channel.SMS, [SendRecord(P[2], "100", "s2b", 850.0)])
    led.record_delivery(a, Channel.SMS, [DeliveryUpdate(P[2], MessageState.DELIVERED)])
    _at(led, a, P[1], "zns", "2026-11-10 16:30")
    _at(led, a, P[2], "zns", "2026-11-10 03:00")
    _at(led, a, P[2], "sms", "2026-11-10 04:00")
    _at(led, a, P[3], "zns", "2026-11-10 17:30")
    _at(led, a, P[4], "zns", None, claimed="2026-11-10 03:00")

    _campaign(led, b, "oa-2", "t-2", "2026-11-10 20:00", [P[5], P[6]], 2)
    _zns(led, b, [SendRecord(P[5], "100", "s5", 300.0), SendRecord(P[6], "100", "s6", 300.0)])
    led.record_delivery(b, Channel.ZNS, [DeliveryUpdate.from_error_info(P[6], "0")])
    _at(led, b, P[5], "zns", "2026-11-11 10:00")
    _at(led, b, P[6], "zns", "2026-12-05 03:00")

    _campaign(led, c, "oa-1", "t-1", "2026-11-10 04:00", [P[1]], 0)
    _zns(led, c, [SendRecord(P[1], "100", "s1c", 300.0)])
    led.record_delivery(c, Channel.ZNS, [DeliveryUpdate.from_error_info(P[1], "0")])
    _at(led, c, P[1], "zns", "2026-11-10 05:00")


@pytest.fixture
def built(url: str) -> Iterator[tuple[str, Ledger]]:
    led = Ledger.from_url(url)
    build(led)
    yield url, led
    led.close()


def as_tuples(found: object) -> list[tuple[object, ...]]:
    return [(r.day, r.oa_id, r.template_id, r.channel, r.state, r.messages, r.phones, r.cost)
            for r in found.rows]  # type: ignore[attr-defined]


# -- the views -----------------------------------------------------------------------------------


def test_view_counts_messages_phones_and_cost_per_day_oa_template_channel_state(
        built: tuple[str, Ledger]) -> None:
    _, led = built
    found = read_volume(led, *NOV)
    assert as_tuples(found) == EXPECTED
    assert [(i.day, i.oa_id, i.template_id, i.invalid_rows) for i in found.invalid] == EXPECTED_INVALID
    totals = found.totals
    assert totals.messages == 7 and totals.cost == 2050.0 and totals.invalid_rows == 3
    assert totals.by_channel == {"zns": {"messages": 6, "cost": 1200.0}, "sms": {"messages": 1, "cost": 850.0}}
    assert totals.by_state == {"delivered": 4, "failed": 1, "rejected": 1, "accepted": 1}
    # Every message of the ledger is in exactly one row (December's too, with a wider range).
    everything = read_volume(led, date(2026, 1, 1), date(2026, 12, 31))
    with led.engine.connect() as conn:
        assert everything.totals.messages == conn.scalar(sa.select(sa.func.count()).select_from(messages)) == 8


def test_vietnam_day_boundary_2330_and_0030_land_on_different_days(built: tuple[str, Ledger]) -> None:
    """23:30 VN (16:30Z) counts on the 10th, 00:30 VN (17:30Z, still the 10th in UTC) on the 11th."""
    _, led = built
    found = read_volume(led, *NOV, oa_id="oa-1")
    delivered = {r.day: r.messages for r in found.rows if r.channel == "zns" and r.state == "delivered"}
    assert delivered == {date(2026, 11, 10): 2, date(2026, 11, 11): 1}
    assert as_tuples(read_volume(led, date(2026, 11, 11), date(2026, 11, 11), oa_id="oa-1")) == [EXPECTED[4]]


def test_filters_by_range_oa_and_template(built: tuple[str, Ledger]) -> None:
    _, led = built
    assert as_tuples(read_volume(led, *NOV, oa_id="oa-2")) == [EXPECTED[5]]
    assert as_tuples(read_volume(led, *NOV, template_id="t-1")) == EXPECTED[:5]
    assert as_tuples(read_volume(led, *NOV, oa_id="oa-2", template_id="t-1")) == []
    december = read_volume(led, date(2026, 12, 1), date(2026, 12, 31))
    assert as_tuples(december) == [(date(2026, 12, 5), "oa-2", "t-2", "zns", "delivered", 1, 1, 300.0)]
    assert december.invalid == []
    assert [i.invalid_rows for i in read_volume(led, *NOV, oa_id="oa-2").invalid] == [2]


def _python_days(led: Ledger) -> dict[tuple[object, ...], list[object]]:
    """The view's grouping recomputed in Python from the messages table (an independent oracle)."""
    groups: dict[tuple[object, ...], list[object]] = defaultdict(lambda: [0, set(), 0.0])
    with led.engine.connect() as conn:
        rows = conn.execute(sa.select(messages, campaigns.c.oa_id, campaigns.c.template_id).join(campaigns))
        for m in rows:
            day = ((m.sent_at or m.claimed_at) + VN).date()
            g = groups[(day, m.oa_id, m.template_id, m.channel, m.state)]
            g[0] += 1  # type: ignore[operator]
            g[1].add(m.phone)  # type: ignore[union-attr]
            g[2] += m.price or 0.0  # type: ignore[operator]
    return groups


def test_view_agrees_with_python_vietnam_days_around_midnight(url: str) -> None:
    """Sends every 20 minutes across two Vietnam midnights: the engine's day is Python's day."""
    led = Ledger.from_url(url)
    try:
        cid = "midnight"
        phones = [f"0913{i:06d}" for i in range(12)]
        _campaign(led, cid, "oa-m", "t-m", "2026-11-30 16:00", phones, 0)
        _zns(led, cid, [SendRecord(p, "100", f"m{p}", 100.0 + i) for i, p in enumerate(phones)])
        start = utc("2026-11-30 15:50")  # 22:50 VN on 30/11
        for i, p in enumerate(phones):
            _at(led, cid, p, "zns", (start + timedelta(minutes=20 * i)).strftime("%Y-%m-%d %H:%M:%S.%f"))
        oracle = _python_days(led)
        found = read_volume(led, date(2026, 11, 1), date(2026, 12, 31))
        assert {(r.day, r.oa_id, r.template_id, r.channel, r.state): [r.messages, r.phones, r.cost]
                for r in found.rows} == {k: [v[0], len(v[1]), v[2]] for k, v in oracle.items()}  # type: ignore[arg-type]
        assert [r.messages for r in found.rows] == [4, 8]  # 22:50..23:50 on 30/11, then 00:10.. on 1/12
        assert [r.day for r in found.rows] == [date(2026, 11, 30), date(2026, 12, 1)]
    finally:
        led.close()


def test_sqlite_and_postgresql_give_the_same_rows(tmp_path: Path) -> None:
    results = []
    for engine in ENGINES:
        for url in database_url(engine, tmp_path):
            led = Ledger.from_url(url)
            try:
                build(led)
                found = read_volume(led, date(2026, 1, 1), date(2026, 12, 31))
                results.append((found.rows, found.invalid))
            finally:
                led.close()
    assert results[0] == results[1]
    assert [(r.day, r.messages) for r in results[0][0]][-1] == (date(2026, 12, 5), 1)


def test_a_ledger_at_0001_gets_the_views_when_opened(url: str) -> None:
    """An existing ledger (revision 0001, with data) is migrated by Ledger.from_url; downgrade drops them."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
            assert current_revision(conn) == "0001"
            assert "volume_daily" not in sa.inspect(conn).get_view_names()
            now = datetime(2026, 11, 10, 3, 0)
            conn.execute(campaigns.insert().values(campaign_id="old", oa_id="oa-o", template_id="t-o", params_json={},
                                                   created_at=now, updated_at=now))
            conn.execute(messages.insert().values(campaign_id="old", phone=P[1], channel="zns", request_id="r-old",
                                                  state="delivered", price=300.0, claimed_at=now, sent_at=now))
    finally:
        engine.dispose()
    led = Ledger.from_url(url)
    try:
        with led.engine.connect() as conn:
            assert current_revision(conn) == head_revision()  # 0002 made the views; later ones keep them
            assert {"volume_daily", "volume_invalid_daily"} <= set(sa.inspect(conn).get_view_names())
            assert VERSION_TABLE in sa.inspect(conn).get_table_names()
        assert as_tuples(read_volume(led, *NOV)) == [(date(2026, 11, 10), "oa-o", "t-o", "zns", "delivered", 1, 1,
                                                      300.0)]
        with led.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
            assert not {"volume_daily", "volume_invalid_daily"} & set(sa.inspect(conn).get_view_names())
    finally:
        led.close()


# -- dates ---------------------------------------------------------------------------------------


def test_range_defaults_to_the_last_30_vietnam_days_and_refuses_bad_dates() -> None:
    today = date(2026, 12, 1)
    assert resolve_range(None, None, today=today) == (date(2026, 11, 2), today)
    assert resolve_range("2026-11-05", None, today=today) == (date(2026, 11, 5), today)
    assert resolve_range(None, "2026-11-10", today=today) == (date(2026, 10, 12), date(2026, 11, 10))
    for bad in (("2026-13-01", None), ("01/11/2026", None), (None, "tomorrow"), ("2026-11-10", "2026-11-09")):
        with pytest.raises(VolumeInputError) as info:
            resolve_range(*bad, today=today)
        assert "\n" not in str(info.value)


# -- workbook ------------------------------------------------------------------------------------


def test_workbook_has_the_rows_headers_totals_formats_and_a_chart(built: tuple[str, Ledger], tmp_path: Path) -> None:
    _, led = built
    found = read_volume(led, *NOV)
    path = tmp_path / "out" / "volume.xlsx"
    found.write_workbook(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET_VOLUME, SHEET_BY_DAY, SHEET_INVALID]
    ws = wb[SHEET_VOLUME]
    assert [c.value for c in ws[1]] == [title for title, _ in VOLUME_COLUMNS]
    assert all("(" in title for title, _ in VOLUME_COLUMNS if title != "Trạng thái")  # English key beside
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=len(EXPECTED) + 1)]
    assert [(r[0].date(), r[1], r[2], r[4], r[6], r[7], r[8]) for r in body] == [
        (d, oa, t, st, n, ph, cost) for d, oa, t, _, st, n, ph, cost in EXPECTED]
    assert body[0][3] == "ZNS" and body[3][3] == "SMS" and body[0][5] == "Đã nhận"
    total = [c.value for c in ws[len(EXPECTED) + 2]]
    assert total[0] == TOTAL_LABEL and total[6] == 7 and total[8] == 2050.0 and total[7] is None
    assert ws["A2"].number_format == "dd/mm/yyyy" and ws["I2"].number_format == "#,##0"
    assert ws.column_dimensions["B"].width == 22 and ws.freeze_panes == "A2"
    days = wb[SHEET_BY_DAY]
    by_day = {r[0].value.date(): [c.value for c in r[1:]]
              for r in days.iter_rows(min_row=2) if r[0].value != TOTAL_LABEL}
    assert len(by_day) == 30  # a month: the empty days too
    assert by_day[date(2026, 11, 10)] == [4, 1, 5, 1450.0, 1]
    assert by_day[date(2026, 11, 11)] == [2, 0, 2, 600.0, 2]
    assert len(days._charts) == 1  # noqa: SLF001 - openpyxl keeps charts there
    invalid = [[c.value for c in r] for r in wb[SHEET_INVALID].iter_rows(min_row=2)]
    assert invalid[-1] == [TOTAL_LABEL, None, None, 3] and len(invalid) == 3
    assert wb.properties.title == "Sản lượng 2026-11-01 → 2026-11-30 (giờ VN)"


def test_workbook_of_no_rows_and_hostile_ids(tmp_path: Path) -> None:
    from zns.report.volume import VolumeRow

    write_volume_workbook([], tmp_path / "empty.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "empty.xlsx")
    assert [c.value for c in wb[SHEET_VOLUME][2]][0] == TOTAL_LABEL
    buffer = io.BytesIO()
    write_volume_workbook([VolumeRow(date(2026, 11, 1), "=HYPERLINK(\"x\")", "t\x01", "zns", "delivered", 1, 1, 1.0)],
                          buffer)
    ws = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))[SHEET_VOLUME]
    assert ws["B2"].value == "'=HYPERLINK(\"x\")" and ws["B2"].data_type == "s" and ws["C2"].value == "t"


# -- CLI -----------------------------------------------------------------------------------------


def test_cli_volume_json_xlsx_and_bad_input(built: tuple[str, Ledger], tmp_path: Path) -> None:
    url, _ = built
    env = {"ZNS_LEDGER_URL": url}
    out = run_cli(["volume", "--from", "2026-11-01", "--to", "2026-11-30", "--json", "--xlsx",
                   str(tmp_path / "v.xlsx")], env)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["from"] == "2026-11-01" and line["to"] == "2026-11-30"
    assert [(r["day"], r["oa_id"], r["template_id"], r["channel"], r["state"], r["messages"], r["phones"], r["cost"])
            for r in line["rows"]] == [(d.isoformat(), *rest) for d, *rest in EXPECTED]
    assert line["totals"]["messages"] == 7 and line["totals"]["cost"] == 2050.0
    assert line["totals"]["invalid_rows"] == 3
    sheets = openpyxl.load_workbook(tmp_path / "v.xlsx").sheetnames
    assert sheets[0] == SHEET_VOLUME and sheets[-1] == "Đánh giá (Ratings)"  # as the page's /volume.xlsx

    text = run_cli(["volume", "--from", "2026-11-01", "--to", "2026-11-30", "--oa", "oa-2"], env)
    assert text.returncode == 0, text.stderr
    assert "oa-2" in text.stdout and "oa-1" not in text.stdout and "total: 1 messages" in text.stdout

    default = run_cli(["volume", "--json"], env)  # the last 30 days: nothing of 2026-11 unless run then
    assert default.returncode == 0 and json.loads(default.stdout.strip().splitlines()[-1])["to"]

    bad = run_cli(["volume", "--from", "01/11/2026"], env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ")
    assert "Traceback" not in bad.stderr
    reversed_range = run_cli(["volume", "--from", "2026-11-30", "--to", "2026-11-01"], env)
    assert reversed_range.returncode == 2


def test_cli_volume_unreachable_ledger_is_one_line_exit_3(tmp_path: Path) -> None:
    out = run_cli(["volume", "--json"], {"ZNS_LEDGER_URL": "postgresql+psycopg://nobody:pw-x@127.0.0.1:9/zns"})
    assert out.returncode == 3 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "pw-x" not in out.stderr + out.stdout


# -- the page ------------------------------------------------------------------------------------


@pytest.fixture
def client(built: tuple[str, Ledger], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ZNS_LEDGER_URL", built[0])
    monkeypatch.delenv("ZNS_WEB_TOKEN", raising=False)
    with TestClient(create_app(WebSettings())) as c:
        yield c


def _rows(html: str) -> list[str]:
    import re

    return re.findall(r'<tr data-day="([^"]+)" data-oa="([^"]+)" data-template="([^"]+)" '
                      r'data-channel="([^"]+)" data-state="([^"]+)">', html)  # type: ignore[return-value]


def test_page_shows_the_table_chart_totals_and_filters(client: TestClient) -> None:
    html = client.get("/volume", params={"from": "2026-11-01", "to": "2026-11-30"}).text
    assert [tuple(r) for r in _rows(html)] == [(d.isoformat(), oa, t, ch, st) for d, oa, t, ch, st, *_ in EXPECTED]
    assert '<a href="/volume">Sản lượng</a>' in html
    assert 'id="total-messages">7<' in html and 'id="total-cost">2.050 ₫<' in html
    assert 'id="total-invalid">3<' in html
    assert html.count('<g class="bar"') == 30  # one bar per day of the range
    assert 'data-day="2026-11-10" data-messages="5"' in html and "<svg" in html and "<script" not in html
    assert "Đã nhận <span class=\"muted\">(delivered)</span>" in html and "850 ₫" in html
    assert 'href="/volume.xlsx?from=2026-11-01&amp;to=2026-11-30"' in html
    assert 'value="oa-1"' in html and 'value="t-2"' in html  # suggestions of the filters

    only = client.get("/volume", params={"from": "2026-11-01", "to": "2026-11-30", "oa": "oa-2"}).text
    assert [tuple(r) for r in _rows(only)] == [("2026-11-11", "oa-2", "t-2", "zns", "accepted")]
    assert 'href="/volume.xlsx?from=2026-11-01&amp;to=2026-11-30&amp;oa=oa-2"' in only
    assert _rows(client.get("/volume", params={"from": "2026-11-11", "to": "2026-11-11", "template": "t-1"}).text) \
        == [("2026-11-11", "oa-1", "t-1", "zns", "delivered")]
    default = client.get("/volume")
    assert default.status_code == 200 and 'name="from"' in default.text

    bad = client.get("/volume", params={"from": "2026-02-30"})
    assert bad.status_code == 400 and 'id="volume-problem"' in bad.text and "BAD_DATE" in bad.text


def test_page_workbook_download_has_the_same_numbers(client: TestClient) -> None:
    response = client.get("/volume.xlsx", params={"from": "2026-11-01", "to": "2026-11-30", "oa": "oa-1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="san-luong-2026-11-01-2026-11-30.xlsx"' in response.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.content))[SHEET_VOLUME]
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[6] for r in values[:-1]] == [e[5] for e in EXPECTED[:5]]
    assert values[-1][0] == TOTAL_LABEL and values[-1][6] == 6 and values[-1][8] == 1750.0
    assert client.get("/volume.xlsx", params={"to": "x"}).json()["error"]["code"] == "BAD_DATE"


def test_page_needs_the_access_token_and_shows_no_secret(built: tuple[str, Ledger],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZNS_LEDGER_URL", built[0])
    monkeypatch.setenv("ESMS_API_KEY", "K-VOLUME-SECRET-1")
    monkeypatch.setenv("ESMS_SECRET_KEY", "S-VOLUME-SECRET-2")
    with TestClient(create_app(WebSettings(token="tok-volume-3"))) as c:
        assert c.get("/volume").status_code == 401
        assert c.get("/volume.xlsx").status_code == 401
        ok = c.get("/volume", params={"from": "2026-11-01", "to": "2026-11-30"},
                   headers={"Authorization": "Bearer tok-volume-3"})
        assert ok.status_code == 200 and len(_rows(ok.text)) == len(EXPECTED)
        xlsx = c.get("/volume.xlsx", headers={"Authorization": "Bearer tok-volume-3"})
        assert xlsx.status_code == 200
    for secret in ("K-VOLUME-SECRET-1", "S-VOLUME-SECRET-2", "tok-volume-3", "postgres@"):
        assert secret not in ok.text


# -- the simulator's data ------------------------------------------------------------------------


def test_view_matches_what_the_simulator_delivered_and_charged(url: str, simulator: SimulatorServer) -> None:
    """ZNS sent through the simulator and settled by the delivery sweep: the view's counts and cost
    are the simulator's (a delivered ZNS costs 300, a failed one is refunded)."""
    outcomes = {"0912500001": "delivered", "0912500002": "delivered", "0912500003": "no_zalo",
                "0912500004": "delivered"}
    simulator.state.configure(overrides=outcomes, final_delay=0.05)
    led = Ledger.from_url(url)
    ctx = CampaignContext("sim-volume", "Sim volume", "4097311281936189049", "210001", "normal", False, "test")
    try:
        led.upsert_campaign(ctx.campaign_id, name=ctx.campaign_name, oa_id=ctx.oa_id, template_id=ctx.template_id)
        led.record_recipients(ctx.campaign_id, [RecipientRow(i + 2, p) for i, p in enumerate(outcomes)])

        async def go() -> None:
            async with EsmsClient("DEMO_API_KEY", "DEMO_SECRET_KEY", base_url=simulator.base_url,
                                  retry=RetryPolicy(attempts=3, base=0.01, cap=0.05)) as client:
                params = ["Nguyen Van A", "HD0001", "01/12/2026", "250000"]
                await send_zns_batch(client, led, ctx, [(p, params) for p in outcomes])
                await await_delivery(client, led, ctx, Channel.ZNS, wait_seconds=10, poll_interval=0.1,
                                     since=datetime.now(UTC) - timedelta(minutes=5))

        asyncio.run(go())
        today = (datetime.now(UTC) + VN).date()
        found = read_volume(led, today - timedelta(days=1), today + timedelta(days=1), oa_id=ctx.oa_id)
        by_state = {r.state: (r.messages, r.phones, r.cost) for r in found.rows}
        assert by_state == {"delivered": (3, 3, 900.0), "failed": (1, 1, 0.0)}
        assert found.totals.cost == led.summary(ctx.campaign_id)["cost"] == 900.0
    finally:
        led.close()
