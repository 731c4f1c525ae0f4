"""Secrets and PII: ApiKey/SecretKey appear nowhere a campaign leaves traces; logs mask phones.

A real campaign (with a fallback SMS, invalid rows and a bad-SecretKey run) on an extra simulator
account with distinctive keys, then every trace is scanned: Python logs (DEBUG, httpx included),
the Prefect API (logs, artifacts, flow and task runs, the server's database file), exceptions,
the report and error-rows workbooks (every zip part), the ledger file and the report folder.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import traceback
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prefect import flow, get_run_logger

from esms._redact import mask_phones, redact, register_secret, scrub
from esms_sim.seed import DEMO_API_KEY, build_accounts
from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign  # at import time: Prefect sets up logging before caplog
from tests.flows.support import make_sheet, received, spec_for
from zns.ledger.keys import REQUEST_ID_RE, request_id
from zns.orchestration.localprefect import LocalPrefect
from zns.phones import MOBILE_PREFIXES
from zns.spec import CampaignSpec

API_KEY = "ApiK7Qm2Zx9Wv4LpEsms"
SECRET_KEY = "SecR3tN8Tb6Yh1JdEsms"
WRONG_SECRET = "WrongSecK5Vc0Xr7Esms"
NEEDLES = (API_KEY, SECRET_KEY, WRONG_SECRET)
ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------------ the phone mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("0912345678", "0912***678"),
        ("84912345678", "84912***678"),
        ("+84912345678", "+84912***678"),
        ("0084912345678", "0084912***678"),
        ("GET /x?Phone=0912345678&phone2=84987654321 HTTP/1.1",
         "GET /x?Phone=0912***678&phone2=84987***321 HTTP/1.1"),
        ('{"Phone":"0912345678","Params":["Lan"]}', '{"Phone":"0912***678","Params":["Lan"]}'),
        ("phone=%2B84912345678&x=%220987654321%22", "phone=%2B84912***678&x=%220987***321%22"),
        ("số 0912345678, 0987654321.", "số 0912***678, 0987***321."),
        ("0912345678\n0387654321", "0912***678\n0387***321"),
    ],
)
def test_mask_phones(text: str, masked: str) -> None:
    assert mask_phones(text) == masked
    assert mask_phones(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "SMSID=1f0912345678a9b8c7d6e5f4a3b2c1d0",  # hex ids glued to digits
        "smsid 09123456780912345678091234567812",  # 32 hex chars that happen to be digits
        "OA 4097311281936189049",  # 19-digit OA id
        "OA 1234567890123456789 template 210001",
        "run 540bc590-16ae-41a7-a6d3-35607aab46c4",  # UUIDs
        "epoch 1764590400 ms 1764590400123 amount 100000000",
        "landline 02438123456 and 0243812345",  # not mobile prefixes
        "09123456789 (11 digits) 091234567 (9 digits) 840912345678x",
        "z-ABCDEFGH2345672345672345672345672345672345672345",
    ],
)
def test_mask_leaves_ids_alone(text: str) -> None:
    assert mask_phones(text) == text


mobiles = st.builds(lambda p, r: p + r, st.sampled_from(sorted(MOBILE_PREFIXES)),
                    st.text(alphabet="0123456789", min_size=7, max_size=7))
glue = st.text(alphabet=' =&?/:,;"\'()[]{}<>\n\t%+-_', min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(glue, mobiles, st.booleans()), min_size=1, max_size=5), glue)
def test_every_mobile_in_any_text_is_masked(parts: list[tuple[str, str, bool]], tail: str) -> None:
    text = "".join(g + ("84" + p[1:] if intl else p) for g, p, intl in parts) + tail
    out = mask_phones(text)
    assert len(out) == len(text)
    for _, phone, intl in parts:
        assert phone[1:] not in out  # neither form survives
        assert ("84" + phone[1:4] if intl else phone[:4]) + "***" + phone[-3:] in out
    assert mask_phones(out) == out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32), st.text(max_size=20),
       st.text(alphabet="0123456789", min_size=11, max_size=25))
def test_hex_ids_request_ids_and_long_numbers_are_never_masked(hex_id: str, campaign: str, digits: str) -> None:
    for channel in ("zns", "sms"):
        rid = request_id(campaign or "c", "0912345678", channel)
        assert REQUEST_ID_RE.fullmatch(rid) and mask_phones(f"RequestId={rid}") == f"RequestId={rid}"
    assert mask_phones(f"SMSID: {hex_id}") == f"SMSID: {hex_id}"
    if not re.fullmatch(r"(0084|84)[35789][0-9]{8}", digits):
        assert mask_phones(f"id {digits} ") == f"id {digits} "


def test_secrets_masked_longest_first_and_url_encoded() -> None:
    register_secret("Zq8/Secret+Key=")
    register_secret("Zq8/Secret")
    assert redact("a Zq8/Secret+Key= b") == "a *** b"
    assert redact("GET /Zq8%2FSecret%2BKey%3D/x") == "GET /***/x"
    assert redact("q=Zq8%2FSecret%2BKey%3D") == "q=***"
    assert scrub("key Zq8/Secret+Key= phone 0912345678") == "key *** phone 0912***678"


def test_log_records_are_masked_in_child_loggers(caplog: pytest.LogCaptureFixture) -> None:
    """A filter on `zns` never sees records of `zns.x`; the record factory does."""
    caplog.set_level(logging.DEBUG)
    register_secret("Zq8/Secret+Key=")
    names = ["zns.campaign.brand_new_module", "esms.client", "httpx", "httpcore.http11", "prefect.zns_check",
             "flows.sms_fallback"]
    for name in names:
        logging.getLogger(name).info("send to %s with key %s", "0912345678", "Zq8/Secret+Key=")
    try:
        raise ValueError("phone 0987654321 refused")
    except ValueError:
        logging.getLogger("zns.x").exception("failed for %s", "84912345678")
    text = caplog.text
    assert text.count("0912***678 with key ***") == len(names)
    assert "0987***321 refused" in text and "84912***678" in text
    assert "0987654321" not in text and "Zq8/Secret+Key=" not in text


def test_mask_is_installed_before_any_secret() -> None:
    """A fresh interpreter: importing esms installs the mask; no client, no secret yet."""
    script = (
        "import logging, sys, esms\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.INFO, format='%(name)s %(message)s')\n"
        "logging.getLogger('zns.recipients.x').info('row 2: 0912345678')\n"
        "logging.getLogger('prefect.task_runs').info('84912345678')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["zns.recipients.x row 2: 0912***678", "prefect.task_runs 84912***678"]


# ---------------------------------------------------------------------------- a real campaign


@pytest.fixture
def distinctive_account(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                        monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The demo account copied under distinctive keys (`SimState.accounts`, rebuilt on reset)."""
    account = build_accounts()[DEMO_API_KEY]
    account.api_key, account.secret_key = API_KEY, SECRET_KEY
    with flow_sim.state.lock:
        flow_sim.state.accounts[API_KEY] = account
    monkeypatch.setenv("ESMS_API_KEY", API_KEY)
    monkeypatch.setenv("ESMS_SECRET_KEY", SECRET_KEY)
    yield {**campaign_env, "ESMS_API_KEY": API_KEY, "ESMS_SECRET_KEY": SECRET_KEY}
    with flow_sim.state.lock:
        flow_sim.state.accounts.pop(API_KEY, None)


def _found(blob: bytes, where: str, needles: tuple[str, ...] = NEEDLES) -> list[str]:
    hits = []
    for needle in needles:
        for encoded in {needle.encode(), needle.encode("utf-16-le"), needle.lower().encode()}:
            if encoded in blob:
                hits.append(f"{needle} in {where}")
    return hits


def _scan_file(path: Path) -> list[str]:
    data = path.read_bytes()
    hits = _found(data, str(path))
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                hits += _found(zf.read(name), f"{path.name}:{name}")
    return hits


def _prefect_texts(server: LocalPrefect) -> dict[str, list[str]]:
    """Every log, artifact, flow run and task run the session's Prefect server holds, as text."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    out: dict[str, list[str]] = {"logs": [], "artifacts": [], "flow_runs": [], "task_runs": []}
    with get_client(sync_client=True) as client:
        readers = {
            "logs": lambda o: client.read_logs(limit=200, offset=o),
            "artifacts": lambda o: client.read_artifacts(limit=200, offset=o),
            "flow_runs": lambda o: client.read_flow_runs(limit=200, offset=o),
            "task_runs": lambda o: client.read_task_runs(limit=200, offset=o),
        }
        for kind, read in readers.items():
            offset = 0
            while batch := read(offset):
                out[kind] += [item.model_dump_json() for item in batch]
                offset += len(batch)
    return out


@pytest.mark.prefect
def test_campaign_leaves_no_key_and_logs_no_full_phone(
    distinctive_account: dict[str, str], flow_sim: SimulatorServer, prefect_server: LocalPrefect,
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "esms", "zns", "flows"):
        caplog.set_level(logging.DEBUG, logger=name)
    source, invalid = make_sheet(tmp_path / "khach.xlsx", 12, invalid_every=6)
    phones = [f"0{912000000 + i}" for i in range(12) if i % 6 != 5]  # the valid rows
    in_sheet = [f"0{912000000 + i}" for i in range(12) if i != 5]  # row 11 lacks a name only
    fallback_phone = phones[1]
    flow_sim.state.configure(zns_rates={}, sms_rates={}, final_delay=0.1,
                             overrides={fallback_phone: "no_zalo"})

    state = zns_campaign(CampaignSpec.model_validate(spec_for(source, fallback_after=5)), return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary["invalid"] == invalid == 2 and summary["sms_delivered"] == 1
    assert received(flow_sim)[fallback_phone] == {"zns": 1, "sms": 1}

    # The failing path: a wrong SecretKey is a configuration error (101) before any send.
    monkeypatch.setenv("ESMS_SECRET_KEY", WRONG_SECRET)
    failed = zns_campaign(CampaignSpec.model_validate(spec_for(source, campaign_id="bad-secret")),
                          return_state=True)
    assert failed.is_failed()
    error = failed.result(raise_on_failure=False)
    assert isinstance(error, BaseException) and "101" in str(error)
    chain = "".join(traceback.format_exception(error)) + repr(error) + (failed.message or "")

    hits = _found(chain.encode(), "the exception")
    log_text = caplog.text + "\n".join(
        r.getMessage() + (r.exc_text or "") for r in caplog.records)
    hits += _found(log_text.encode(), "Python logs")
    # httpx logged the GET URLs that carry the keys and a phone, redacted and masked.
    assert "ApiKey=***&SecretKey=***" in log_text and "GetListBrandname/***/***" in log_text
    assert re.search(r"Phone=09[0-9]{2}\*\*\*[0-9]{3}&", log_text)
    prefect = _prefect_texts(prefect_server)
    assert prefect["logs"] and prefect["artifacts"]
    for kind, texts in prefect.items():
        hits += _found("\n".join(texts).encode(), f"Prefect {kind}")
    assert prefect_server.log_path is not None
    for path in prefect_server.log_path.parent.glob("prefect.db*"):
        hits += _scan_file(path)
    ledger = Path(distinctive_account["ZNS_LEDGER_URL"].removeprefix("sqlite:///"))
    assert ledger.exists()
    for path in ledger.parent.glob(ledger.name + "*"):
        hits += _scan_file(path)
    reports = [p for p in Path(distinctive_account["ZNS_REPORT_DIR"]).rglob("*") if p.is_file()]
    assert Path(summary["report"]) in reports and any(p.name == "error-rows.xlsx" for p in reports)
    for path in reports:
        hits += _scan_file(path)
    assert not hits, hits

    # Phones: masked in every log line, in full in the operator's workbook.
    api_logs = "\n".join(prefect["logs"])
    for phone in in_sheet:
        for form in (phone, "84" + phone[1:]):
            assert form not in log_text and form not in api_logs, form
    workbook = openpyxl.load_workbook(summary["report"], read_only=True)
    cells = {str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row}
    assert set(phones) <= cells


@pytest.mark.prefect
def test_prefect_api_logs_mask_phones(prefect_server: LocalPrefect) -> None:
    """What a flow logs (and the traceback it fails with) reaches the Prefect API masked."""
    @flow(name="mask-check")
    def noisy() -> None:
        get_run_logger().info("sending to 0912345678 and 84987654321: %s", json.dumps({"Phone": "0356789012"}))
        raise ValueError("0912345678 refused")

    state = noisy(return_state=True)
    assert state.is_failed()
    run_id = str(state.state_details.flow_run_id)
    logs = [t for t in _prefect_texts(prefect_server)["logs"] if run_id in t]
    text = "\n".join(json.loads(t)["message"] for t in logs)
    assert "0912***678 and 84987***321" in text and "0356***012" in text
    assert "0912***678 refused" in text  # the traceback logged with the failure
    for full in ("0912345678", "84987654321", "0356789012"):
        assert full not in text

