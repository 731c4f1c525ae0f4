"""Hostile uploads: one clear message with its stable code; nothing stored, nothing sent. Also with
ZNS_UPLOADS_URL on an fsspec location (memory://): stored under the URL, read back, refused alike."""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from openpyxl import load_workbook

from esms_sim.server import SimulatorServer
from tests.test_recipients_support import good_row, write_csv, write_encrypted_ooxml, write_xlsx
from tests.web.conftest import SAMPLE, SAMPLE_MAPPING, Page, page_for
from tests.web.test_page import page_template
from zns.recipients import FILE_CODES, load_recipients
from zns.recipients.demo import ORDER_COLUMNS, PHONE_COLUMN
from zns.uploads import upload_source


def _ratio_bomb(tmp: Path) -> bytes:
    src = write_xlsx(tmp / "k.xlsx", [good_row(0)])
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["xl/media/pad.bin"] = bytes(17 * 2**20)
    out = tmp / "bomb.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.read_bytes()


def _range_bomb(tmp: Path) -> bytes:
    path = write_xlsx(tmp / "far.xlsx", [good_row(0)])
    wb = load_workbook(path)
    wb.active["XFD1048576"] = "x"
    wb.save(path)
    return path.read_bytes()


def _hostile(kind: str, tmp: Path) -> tuple[str, bytes]:
    if kind == "encrypted":
        return "locked.xlsx", write_encrypted_ooxml(tmp / "locked.xlsx").read_bytes()
    if kind == "zip-bomb":
        return "bomb.xlsx", _ratio_bomb(tmp)
    if kind == "range-bomb":
        return "far.xlsx", _range_bomb(tmp)
    if kind == "random-bytes":
        return "khach.xlsx", random.Random(3).randbytes(5000)
    if kind == "exe":
        return "khach.exe", b"MZ" + bytes(100)
    if kind == "empty":
        return "khach.csv", b""
    if kind == "binary-csv":
        return "khach.csv", b"phone,name\n\x00\x01\x02"
    if kind == "latin1-csv":
        return "khach.csv", "Số điện thoại,Tên\n0912345678,Nguyễn\n".encode("cp1258", errors="replace")
    raise AssertionError(kind)


EXPECTED = {
    "encrypted": "ENCRYPTED", "zip-bomb": "ZIP_BOMB", "range-bomb": "TOO_MANY_ROWS", "random-bytes": "NOT_SPREADSHEET",
    "exe": "NOT_SPREADSHEET", "empty": "EMPTY_FILE", "binary-csv": "NOT_SPREADSHEET", "latin1-csv": "BAD_ENCODING",
}


def _refused(page: Page, name: str, data: bytes, code: str) -> None:
    before, sends = page.stored(), page.sends()
    response = page.upload(name, data)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and code in FILE_CODES
    assert error["message"] and "\n" not in error["message"] and "Traceback" not in error["message"]
    assert ".incoming-" not in error["message"], "the refusal names a temp file, not the operator's"
    assert page.stored() == before, "a refused file left something in the uploads folder"
    assert page.sends() == sends


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_hostile_file_refused_nothing_stored(page: Page, tmp_path: Path, kind: str) -> None:
    name, data = _hostile(kind, tmp_path)
    _refused(page, name, data, EXPECTED[kind])


def test_size_and_row_limits(small_page: Page, tmp_path: Path) -> None:
    _refused(small_page, "big.csv", b"phone,name\n" + b"0912345678,An\n" * 6000, "FILE_TOO_LARGE")
    rows = "\n".join(["Số điện thoại,Tên khách hàng", *(f"09123456{i:02d},Khách {i}" for i in range(60))])
    _refused(small_page, "rows.csv", rows.encode(), "TOO_MANY_ROWS")
    many = write_xlsx(tmp_path / "rows.xlsx", [good_row(i) for i in range(80)])
    _refused(small_page, "rows.xlsx", many.read_bytes(), "TOO_MANY_ROWS")


def test_good_upload_is_content_addressed(page: Page) -> None:
    data = SAMPLE.read_bytes()
    first = page.upload("customers.xlsx", data).json()
    again = page.upload("khach-hang.xlsx", data).json()
    assert first["upload_id"] == again["upload_id"] and first["upload_id"].endswith(".xlsx")
    assert len(first["upload_id"]) == 64 + 5 and first["sheets"] == ["Khách hàng"]
    assert page.stored() == [first["upload_id"]]
    assert (page.uploads / first["upload_id"]).read_bytes() == data


def test_unknown_upload_id_is_refused(page: Page) -> None:
    html = page.refresh(upload_id="../../etc/passwd.csv")
    assert "FILE_NOT_FOUND" in html
    response = page.client.post("/campaigns", data=page.form(campaign_name="x", upload_id="0" * 64 + ".csv"),
                                headers={"X-CSRF-Token": page.csrf})
    assert response.status_code == 400 and response.json()["error"]["code"] == "FILE_NOT_FOUND"


def test_formulas_are_not_evaluated(page: Page, tmp_path: Path) -> None:
    lines = ["Số điện thoại,Tên khách hàng,Mã đơn hàng,Ngày đặt,Tổng tiền", "0912345678,=1+1,DH1,01/12/2026,100"]
    data = write_csv(tmp_path / "f.csv", lines).read_bytes()
    upload = page.upload("f.csv", data).json()
    html = page.refresh_mapped(upload_id=upload["upload_id"], **SAMPLE_MAPPING)
    assert "Chao =1+1, don hang DH1" in html


REMOTE = "memory://zns-web-uploads/campaigns"


@pytest.fixture
def remote_page(web_env: dict[str, str], simulator: SimulatorServer, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    """The page with ZNS_UPLOADS_URL on fsspec's in-process memory:// storage; `uploads` is the local cache."""
    monkeypatch.setenv("ZNS_UPLOADS_URL", REMOTE + "/")
    monkeypatch.setenv("ZNS_HOME", str(tmp_path / "home"))
    yield from page_for({**web_env, "ZNS_UPLOADS_URL": str(tmp_path / "home" / "web" / "upload-cache")}, simulator)
    fs = fsspec.filesystem("memory")
    if fs.exists("/zns-web-uploads"):
        fs.rm("/zns-web-uploads", recursive=True)


def _remote_objects() -> list[str]:
    fs = fsspec.filesystem("memory")
    return sorted(Path(p).name for p in fs.ls("/zns-web-uploads/campaigns", detail=False)) \
        if fs.exists("/zns-web-uploads/campaigns") else []


def test_upload_stored_under_the_fsspec_url_and_read_back(remote_page: Page) -> None:
    data = SAMPLE.read_bytes()
    upload_id = remote_page.upload("customers.xlsx", data).json()["upload_id"]
    assert _remote_objects() == [upload_id]
    assert fsspec.filesystem("memory").cat(f"/zns-web-uploads/campaigns/{upload_id}") == data
    assert upload_source(upload_id) == f"{REMOTE}/{upload_id}"  # what the SPEC's `source` carries
    template = page_template(remote_page)
    flow = load_recipients(template, source=upload_source(upload_id), phone_column=PHONE_COLUMN,
                           columns=ORDER_COLUMNS)
    assert flow.rows_read == 30 and flow.valid
    (remote_page.uploads / upload_id).unlink()  # another web process: no local copy yet
    html = remote_page.refresh_mapped(upload_id=upload_id, **SAMPLE_MAPPING)
    assert f'data-rows="30" data-valid="{len(flow.valid)}"' in html
    assert remote_page.stored() == [upload_id]  # fetched back into the local cache


@pytest.mark.parametrize("kind", ["encrypted", "zip-bomb", "range-bomb", "exe", "empty", "latin1-csv"])
def test_hostile_file_refused_nothing_stored_remotely(remote_page: Page, tmp_path: Path, kind: str) -> None:
    name, data = _hostile(kind, tmp_path)
    _refused(remote_page, name, data, EXPECTED[kind])
    assert _remote_objects() == [] and remote_page.stored() == []


def test_missing_remote_object_is_refused_in_one_line(remote_page: Page) -> None:
    upload_id = remote_page.upload("customers.xlsx", SAMPLE.read_bytes()).json()["upload_id"]
    fsspec.filesystem("memory").rm(f"/zns-web-uploads/campaigns/{upload_id}")
    (remote_page.uploads / upload_id).unlink()
    html = remote_page.refresh_mapped(upload_id=upload_id, **SAMPLE_MAPPING)
    line = r'<p class="error" role="alert" data-code="FILE_NOT_FOUND">[^\n<]+ <code>FILE_NOT_FOUND</code></p>'
    assert re.search(line, html), html
    response = remote_page.client.post("/campaigns", data=remote_page.mapped(
        campaign_name="x", upload_id=upload_id, **SAMPLE_MAPPING), headers={"X-CSRF-Token": remote_page.csrf})
    assert response.status_code == 400 and response.json()["error"]["code"] == "FILE_NOT_FOUND"


def test_uploads_url_without_its_fsspec_package_is_one_line(page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZNS_UPLOADS_URL", "s3://zns-bucket/uploads")  # s3fs is the operator's to install
    response = page.upload("customers.xlsx", SAMPLE.read_bytes())
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "UPLOADS_CONFIG" and "s3fs" in error["message"] and "\n" not in error["message"]
