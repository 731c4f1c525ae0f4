"""Ratings per ZNS template across campaigns (`zns.report.ratings`): counts, averages, stars and the
latest notes per (OA, template) on SQLite and PostgreSQL, the Vietnam-day filter and `zns ratings`.

PostgreSQL tests take a throwaway database from `fresh_pg_database` and are skipped, with the
reason printed, when 127.0.0.1:5432 is not reachable.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.flows.support import fresh_pg_database, run_cli
from zns.ledger import Ledger, SendRecord
from zns.outcomes import Channel
from zns.report.ratings import STARS, mask_phone, read_ratings, utc_bounds

NOV = (date(2026, 11, 1), date(2026, 11, 30))
P = {n: f"09120000{n:02d}" for n in range(1, 7)}
TYPED_PHONE = "0912345678"  # a phone a recipient typed in a note: masked like the recipients' own

# Vietnam is UTC+7. Campaigns A and B use oa-1 / t-1, campaign C oa-2 / t-2.
#   A p1 5★ "Rất tốt"                 16:30Z 10/11 = 23:30 VN 10/11
#   A p2 4★ (no words)                03:00Z 10/11 = 10:00 VN 10/11
#   A p3 1★ note with a phone + tag   17:30Z 10/11 = 00:30 VN 11/11 (the next Vietnam day)
#   B p1 2★ tag "Spam"                02:00Z 12/11
#   B p5 5★                           03:00Z 05/12 (outside November)
#   C p6 4★ "Ổn"                      10:00Z 11/11
RATINGS = {  # (campaign, phone): (rate, note, feedbacks, submitted UTC)
    ("a", P[1]): (5, "Rất tốt", [], "2026-11-10 16:30"),
    ("a", P[2]): (4, "", [], "2026-11-10 03:00"),
    ("a", P[3]): (1, f"Gọi lại cho tôi {TYPED_PHONE}", ["Nội dung không rõ ràng"], "2026-11-10 17:30"),
    ("b", P[1]): (2, "", ["Spam"], "2026-11-12 02:00"),
    ("b", P[5]): (5, "", [], "2026-12-05 03:00"),
    ("c", P[6]): (4, "Ổn", [], "2026-11-11 10:00"),
}
CAMPAIGNS = {"a": ("oa-1", "t-1"), "b": ("oa-1", "t-1"), "c": ("oa-2", "t-2")}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def build_ratings(led: Ledger) -> dict[str, str]:
    """The three campaigns above through the Ledger API: campaign, ZNS claims and sends, then the
    ratings as ZNS/GetRating gives them (trackingId = our RequestId). Returns the campaign ids."""
    ids = {key: f"{key}-{uuid.uuid4().hex[:8]}" for key in CAMPAIGNS}
    request_ids: dict[tuple[str, str], str] = {}
    for key, (oa, template) in CAMPAIGNS.items():
        cid = ids[key]
        led.upsert_campaign(cid, name=cid, oa_id=oa, template_id=template, params={})
        phones = [phone for (k, phone) in RATINGS if k == key]
        for claim in led.claim(cid, phones, Channel.ZNS, "test"):
            request_ids[(key, claim.phone)] = claim.request_id
        led.record_send_results(cid, Channel.ZNS, [SendRecord(p, "100", f"s-{key}-{p}", 300.0) for p in phones])
    items = [{"msg_id": f"m-{key}-{phone}", "rate": rate, "note": note, "feedbacks": feedbacks,
              "submitted_at": utc(at), "tracking_id": request_ids[(key, phone)]}
             for (key, phone), (rate, note, feedbacks, at) in RATINGS.items()]
    items.append({"msg_id": "m-x", "rate": 1, "note": "not ours", "submitted_at": utc("2026-11-10 05:00"),
                  "tracking_id": "UNKNOWN-REQUEST"})  # not matched to a message: never counted
    assert led.record_ratings(items) == len(RATINGS)
    return ids


def database_url(engine: str, tmp_path: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    with fresh_pg_database("zns_ratings") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def rated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Ledger, dict[str, str]]]:
    """The ledger above on each engine: (url, ledger, campaign ids)."""
    for url in database_url(request.param, tmp_path):
        led = Ledger.from_url(url)
        ids = build_ratings(led)
        yield url, led, ids
        led.close()


def _stars(**counts: int) -> dict[int, int]:
    return {s: counts.get(f"s{s}", 0) for s in STARS}


def test_groups_per_template_across_campaigns_lowest_average_first(rated: tuple[str, Ledger, dict[str, str]]) -> None:
    _, led, ids = rated
    found = read_ratings(led, *NOV)
    assert [(g.oa_id, g.template_id, g.campaigns, g.count, g.average, g.stars) for g in found.groups] == [
        ("oa-1", "t-1", 2, 4, 3.0, _stars(s1=1, s2=1, s4=1, s5=1)),
        ("oa-2", "t-2", 1, 1, 4.0, _stars(s4=1)),
    ]
    assert found.count == 5 and found.average == pytest.approx(16 / 5)
    t1 = found.groups[0]
    assert [(n.campaign_id, n.rate, n.note, n.feedbacks) for n in t1.notes] == [  # newest first, words only
        (ids["b"], 2, "", ("Spam",)),
        (ids["a"], 1, "Gọi lại cho tôi 0912***678", ("Nội dung không rõ ràng",)),
        (ids["a"], 5, "Rất tốt", ()),
    ]
    assert [n.phone for n in t1.notes] == ["0912***001", "0912***003", "0912***001"]
    assert t1.notes[0].submitted_at == utc("2026-11-12 02:00")
    assert t1.notes[1].submitted_vn == datetime(2026, 11, 11, 0, 30)
    assert t1.share(1) == 0.25 and found.groups[1].notes[0].text == "Ổn"
    assert read_ratings(led, *NOV, notes=1).groups[0].notes[0].feedbacks == ("Spam",)


def test_vietnam_day_boundary_2330_and_0030_land_on_different_days(rated: tuple[str, Ledger, dict[str, str]]) -> None:
    _, led, _ = rated
    tenth = read_ratings(led, date(2026, 11, 10), date(2026, 11, 10))
    assert [(g.template_id, g.count, g.average) for g in tenth.groups] == [("t-1", 2, 4.5)]  # p2 10:00, p1 23:30
    eleventh = read_ratings(led, date(2026, 11, 11), date(2026, 11, 11))
    assert [(g.template_id, g.count, g.stars[1], g.stars[4]) for g in eleventh.groups] == [
        ("t-1", 1, 1, 0), ("t-2", 1, 0, 1)]  # p3 at 00:30 VN on 11/11; C at 17:00 VN
    december = read_ratings(led, date(2026, 12, 1), date(2026, 12, 31))
    assert [(g.template_id, g.campaigns, g.count, g.average, g.notes) for g in december.groups] == [
        ("t-1", 1, 1, 5.0, [])]
    assert read_ratings(led, date(2026, 10, 1), date(2026, 10, 31)).groups == []


def test_filters_by_oa_and_template(rated: tuple[str, Ledger, dict[str, str]]) -> None:
    _, led, _ = rated
    assert [g.template_id for g in read_ratings(led, *NOV, oa_id="oa-2").groups] == ["t-2"]
    only = read_ratings(led, *NOV, template_id="t-1")
    assert [(g.oa_id, g.count) for g in only.groups] == [("oa-1", 4)] and only.template_id == "t-1"
    assert read_ratings(led, *NOV, "oa-2", "t-1").groups == []  # positional, as the CLI calls it
    assert read_ratings(led.engine, *NOV, oa_id="", template_id="").count == 5  # empty filter: all
    assert "OA oa-2" in read_ratings(led, *NOV, oa_id="oa-2").title


def test_bounds_are_vietnam_midnights_and_phones_are_masked() -> None:
    assert utc_bounds(date(2026, 11, 10), date(2026, 11, 10)) == (utc("2026-11-09 17:00"), utc("2026-11-10 17:00"))
    assert mask_phone("0912345678") == "0912***678" and mask_phone("84912345678") == "84912***678"
    assert mask_phone("12345678901") == "1234***901" and mask_phone("123") == "***"


def test_cli_ratings_prints_and_jsons_the_numbers_and_refuses_bad_dates(
    rated: tuple[str, Ledger, dict[str, str]],
) -> None:
    url, _, _ = rated
    env = {"ZNS_LEDGER_URL": url}
    out = run_cli(["ratings", "--from", "2026-11-01", "--to", "2026-11-30", "--json"], env)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["from"] == "2026-11-01" and line["to"] == "2026-11-30"
    assert [(g["oa_id"], g["template_id"], g["count"], g["average"], g["stars"]) for g in line["groups"]] == [
        ("oa-1", "t-1", 4, 3.0, {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}),
        ("oa-2", "t-2", 1, 4.0, {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}),
    ]
    assert line["totals"] == {"count": 5, "average": pytest.approx(3.2)}
    assert line["groups"][0]["notes"][1]["phone"] == "0912***003" and TYPED_PHONE not in out.stdout

    text = run_cli(["ratings", "--from", "2026-11-01", "--to", "2026-11-30", "--template", "t-1"], env)
    assert text.returncode == 0, text.stderr
    assert "t-1" in text.stdout and "t-2" not in text.stdout and "total: 4 ratings, average 3,0 / 5" in text.stdout
    assert "0912***001" in text.stdout and P[1] not in text.stdout and "Spam" in text.stdout
    empty = run_cli(["ratings", "--from", "2026-10-01", "--to", "2026-10-31", "--oa", "oa-1"], env)
    assert empty.returncode == 0 and "no ratings in this range" in empty.stdout

    for bad in (["--from", "01/11/2026"], ["--to", "2026-02-30"], ["--from", "2026-11-30", "--to", "2026-11-01"]):
        refused = run_cli(["ratings", *bad], env)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr.startswith("error: ") and "Traceback" not in refused.stderr


def test_cli_ratings_unreachable_ledger_is_one_line_exit_3() -> None:
    out = run_cli(["ratings", "--json"], {"ZNS_LEDGER_URL": "postgresql+psycopg://nobody:pw-x@127.0.0.1:9/zns"})
    assert out.returncode == 3 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "pw-x" not in out.stderr + out.stdout
