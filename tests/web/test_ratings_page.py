"""The `/volume` page's "Đánh giá theo mẫu ZNS" section and the `/volume.xlsx` ratings sheet: the
same groups as `read_ratings`, under the page's filters, with phones masked."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.test_ratings_report import TYPED_PHONE, P, build_ratings
from zns.ledger import Ledger
from zns.report.volume import RATINGS_COLUMNS, SHEET_BY_DAY, SHEET_INVALID, SHEET_RATINGS, SHEET_VOLUME, TOTAL_LABEL
from zns.web.app import create_app
from zns.web.settings import WebSettings

NOV = {"from": "2026-11-01", "to": "2026-11-30"}
ROW = re.compile(r'<tr data-rating-oa="([^"]*)" data-rating-template="([^"]*)" data-count="(\d+)" '
                 r'data-average="([^"]+)">(.*?)</tr>', re.S)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    led = Ledger.from_url(url)
    build_ratings(led)
    led.close()
    monkeypatch.setenv("ZNS_LEDGER_URL", url)
    monkeypatch.delenv("ZNS_WEB_TOKEN", raising=False)
    with TestClient(create_app(WebSettings())) as c:
        yield c


def _groups(html: str) -> list[tuple[str, str, int, str, list[int]]]:
    """(oa, template, count, average, stars 1..5) of each row of the ratings table."""
    return [(oa, tpl, int(n), avg, [int(v) for v in re.findall(r'data-star="\d"[^>]*>(\d+)<', body)])
            for oa, tpl, n, avg, body in ROW.findall(html)]


def test_volume_page_shows_ratings_by_template_under_the_same_filters(client: TestClient) -> None:
    html = client.get("/volume", params=NOV).text
    assert "Đánh giá theo mẫu ZNS" in html and "(ratings by template" in html
    assert _groups(html) == [("oa-1", "t-1", 4, "3.00", [1, 1, 0, 1, 1]), ("oa-2", "t-2", 1, "4.00", [0, 0, 0, 1, 0])]
    assert 'id="ratings-count">5<' in html and 'id="ratings-average">3,2<' in html
    assert "Gọi lại cho tôi 0912***678" in html and "[Spam]" in html and "0912***003" in html
    assert "12/11/2026 09:00" in html  # B p1's rating, 02:00Z, shown in Vietnam time
    for phone in (*P.values(), TYPED_PHONE):
        assert phone not in html

    assert [g[:3] for g in _groups(client.get("/volume", params={**NOV, "oa": "oa-2"}).text)] == [("oa-2", "t-2", 1)]
    assert [g[:3] for g in _groups(client.get("/volume", params={**NOV, "template": "t-1"}).text)] == [
        ("oa-1", "t-1", 4)]
    tenth = client.get("/volume", params={"from": "2026-11-10", "to": "2026-11-10"}).text
    assert _groups(tenth) == [("oa-1", "t-1", 2, "4.50", [0, 0, 0, 1, 1])]
    empty = client.get("/volume", params={"from": "2026-10-01", "to": "2026-10-31"}).text
    assert _groups(empty) == [] and "Chưa có đánh giá nào trong khoảng này" in empty
    bad = client.get("/volume", params={"from": "2026-02-30"})
    assert bad.status_code == 400 and 'id="ratings"' not in bad.text


def test_volume_workbook_has_the_ratings_sheet_with_the_same_rows(client: TestClient) -> None:
    response = client.get("/volume.xlsx", params=NOV)
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [SHEET_VOLUME, SHEET_BY_DAY, SHEET_INVALID, SHEET_RATINGS]
    ws = wb[SHEET_RATINGS]
    assert [c.value for c in ws[1]] == [title for title, _ in RATINGS_COLUMNS]
    assert all("(" in title for title, _ in RATINGS_COLUMNS)  # the English key beside the Vietnamese
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[:10] for r in rows] == [
        ["oa-1", "t-1", 2, 4, 3.0, 1, 1, 0, 1, 1],
        ["oa-2", "t-2", 1, 1, 4.0, 0, 0, 0, 1, 0],
        [TOTAL_LABEL, None, 3, 5, 3.2, 1, 1, 0, 2, 1],
    ]
    notes = rows[0][10].splitlines()
    assert notes[0] == "12/11/2026 09:00 0912***001 2★: Spam"
    assert notes[1] == "11/11/2026 00:30 0912***003 1★: Gọi lại cho tôi 0912***678 · Nội dung không rõ ràng"
    assert len(notes) == 3 and rows[1][10] == "11/11/2026 17:00 0912***006 4★: Ổn" and rows[2][10] is None
    assert ws["E2"].number_format == "0.0" and ws.freeze_panes == "A2"

    only = openpyxl.load_workbook(io.BytesIO(client.get("/volume.xlsx", params={**NOV, "oa": "oa-2"}).content))
    assert [[c.value for c in r][:4] for r in only[SHEET_RATINGS].iter_rows(min_row=2)] == [
        ["oa-2", "t-2", 1, 1], [TOTAL_LABEL, None, 1, 1]]
    none = openpyxl.load_workbook(io.BytesIO(client.get("/volume.xlsx", params={"to": "2026-10-31"}).content))
    assert [[c.value for c in r][:5] for r in none[SHEET_RATINGS].iter_rows(min_row=2)] == [
        [TOTAL_LABEL, None, 0, 0, None]]
