"""Sources: .xlsx/.xls/.csv/URLs, sheets, and every kind of unusable file."""

from __future__ import annotations

import http.server
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from tests.test_recipients_support import (
    FALLBACK,
    HEADER,
    MAPPING,
    TEMPLATE,
    good_row,
    write_csv,
    write_encrypted_ooxml,
    write_xls,
    write_xlsx,
)
from zns.recipients import Limits, RecipientsFileError, ValidationResult, load_recipients
from zns.recipients.blocklist import load_blocklist


def load(source: Any, **kw: Any) -> ValidationResult:
    return load_recipients(TEMPLATE, source=source, **{**MAPPING, **FALLBACK, **kw})


def file_error(source: Any, **kw: Any) -> RecipientsFileError:
    with pytest.raises(RecipientsFileError) as exc:
        load(source, **kw)
    assert exc.value.message_vi and str(exc.value).startswith(exc.value.code + ": ")
    return exc.value


def test_xls_legacy_workbook(tmp_path: Path) -> None:
    rows = [[912345678.0, "Nguyễn Văn An", "DH1", date(2026, 12, 1), 12000.0, None],
            ["0987654321", "Bình", 1002.0, "2026-12-01", 5.0, "x"],
            [None, "Cúc", "DH3", date(2026, 12, 3), 1.0, None]]
    result = load(write_xls(tmp_path / "k.xls", rows))
    assert [(r.row, r.phone, r.params) for r in result.valid] == [
        (2, "0912345678", ["Nguyễn Văn An", "DH1", "01/12/2026", "12000"]),
        (3, "0987654321", ["Bình", "1002", "01/12/2026", "5"]),
    ]
    assert result.invalid[0].row == 4 and result.invalid[0].codes == ["MISSING_PHONE"]
    assert result.sheet == "KH"


@pytest.mark.parametrize(("bom", "sep"), [(True, ";"), (False, ","), (True, ","), (False, "\t")])
def test_csv_bom_and_delimiters(tmp_path: Path, bom: bool, sep: str) -> None:
    lines = [sep.join(HEADER),
             sep.join(["912345678", "Nguyễn An", "DH1", "2026-12-01", "12000", ""]),
             sep.join(["+84 98 765 4321", "Bình", "DH2", "1/12/2026", "12000.0", "#N/A"]),
             sep.join(["0912345679", "#N/A", "DH3", "01/12/2026", "1", ""]),
             sep.join([""] * 6)]
    result = load(write_csv(tmp_path / "k.csv", lines, bom=bom))
    assert result.columns == HEADER  # the BOM is not part of the first column name
    assert [(r.row, r.phone, r.params[2:]) for r in result.valid] == [
        (2, "0912345678", ["01/12/2026", "12000"]), (3, "0987654321", ["01/12/2026", "12000"])]
    assert result.invalid[0].row == 4 and result.invalid[0].codes == ["MISSING_PARAM"]
    assert result.blank_rows == 1 and result.rows_read == 3


def test_csv_quoted_fields_and_ragged_rows(tmp_path: Path) -> None:
    lines = [",".join(HEADER), '912345678,"Nguyễn, An",DH1,01/12/2026,"1,500,000"',
             '912345679,"Bình ""VIP""",DH2,01/12/2026,5,ghi chú,thừa']
    result = load(write_csv(tmp_path / "k.csv", lines))
    assert [r.params for r in result.valid] == [["Nguyễn, An", "DH1", "01/12/2026", "1500000"],
                                                ['Bình "VIP"', "DH2", "01/12/2026", "5"]]


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_bytes(b"S\xf4 \xf0i\xea\xf2n tho\xe1i,T\xean kh\xe1ch h\xe0ng\r\n")  # Windows-1258
    assert file_error(path).code == "BAD_ENCODING"


def test_sheet_by_name_index_and_unknown(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0)], sheet="Tháng 12",
                      extra_sheets=["Ghi chú"])
    assert load(path, sheet="thang 12").sheet == "Tháng 12"
    assert load(path, sheet=0).rows_read == 1
    err = file_error(path, sheet="Tháng 11")
    assert err.code == "UNKNOWN_SHEET" and "'Tháng 12', 'Ghi chú'" in err.message_vi
    assert file_error(path, sheet=5).code == "UNKNOWN_SHEET"
    assert file_error(path, sheet=1).code == "NO_HEADER"  # the notes sheet is empty


def test_file_url_and_path_like(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "khách hàng.xlsx", [good_row(0)])
    assert load(path.as_uri()).rows_read == 1
    assert load(path).rows_read == 1


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = self.files.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        if not self.path.endswith("nolength.xlsx"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def http_base(tmp_path: Path) -> Iterator[str]:
    data = write_xlsx(tmp_path / "k.xlsx", [good_row(0), good_row(1)]).read_bytes()
    _Handler.files = {"/k.xlsx": data, "/nolength.xlsx": data}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_download(http_base: str) -> None:
    result = load(f"{http_base}/k.xlsx?token=secret")
    assert result.rows_read == 2 and len(result.valid) == 2
    assert file_error(f"{http_base}/missing.xlsx").code == "DOWNLOAD_FAILED"
    assert file_error(f"{http_base}/k.xlsx", limits=Limits(max_bytes=1000)).code == \
        "FILE_TOO_LARGE"  # refused on Content-Length
    assert file_error(f"{http_base}/nolength.xlsx", limits=Limits(max_bytes=1000)).code == \
        "FILE_TOO_LARGE"  # refused while streaming
    err = file_error("http://127.0.0.1:9/k.xlsx?token=secret")
    assert err.code == "DOWNLOAD_FAILED" and "secret" not in err.message_vi


class _BrokenFileSystem(MemoryFileSystem):
    """A storage backend that lists objects but fails to read them, with its own exception type."""

    protocol = "znsbroken"

    def size(self, path: str) -> int:
        return 10

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        raise RuntimeError("backend exploded: token=secret")


@pytest.fixture()
def memory_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryFileSystem]:
    """fsspec's in-process memory:// storage under /zns-sources, and a private temp folder to check leaks."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    fsspec.register_implementation("znsbroken", _BrokenFileSystem, clobber=True)
    fs = fsspec.filesystem("memory")
    yield fs
    if fs.exists("/zns-sources"):
        fs.rm("/zns-sources", recursive=True)


def test_fsspec_url_is_fetched_with_the_same_checks(memory_objects: MemoryFileSystem, tmp_path: Path) -> None:
    fs = memory_objects
    fs.pipe("/zns-sources/k.xlsx", write_xlsx(tmp_path / "k.xlsx", [good_row(0), good_row(1)]).read_bytes())
    fs.pipe("/zns-sources/locked.xlsx", write_encrypted_ooxml(tmp_path / "locked.xlsx").read_bytes())
    fs.pipe("/zns-sources/k.csv", "\n".join([",".join(HEADER), ",".join(map(str, good_row(2)))]).encode())
    result = load("memory://zns-sources/k.xlsx")
    assert result.rows_read == 2 and len(result.valid) == 2
    assert load("memory://zns-sources/k.csv").rows_read == 1
    errors = [
        (file_error("memory://zns-sources/missing.xlsx"), "FILE_NOT_FOUND"),
        (file_error("memory://zns-sources/k.xlsx", limits=Limits(max_bytes=1000)), "FILE_TOO_LARGE"),
        (file_error("memory://zns-sources/locked.xlsx"), "ENCRYPTED"),
        (file_error("nosuchscheme://bucket/k.xlsx"), "DOWNLOAD_FAILED"),
        (file_error("s3://bucket/k.xlsx?token=secret"), "DOWNLOAD_FAILED"),  # s3fs is not installed here
        (file_error("znsbroken://zns-sources/k.xlsx"), "DOWNLOAD_FAILED"),
    ]
    for err, code in errors:
        assert err.code == code and "\n" not in str(err) and "secret" not in str(err), str(err)
    assert list((tmp_path / "tmp").iterdir()) == []  # every temp copy deleted, read or refused


def _zip_with(path: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return path


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert file_error(tmp_path / "empty.xlsx").code == "EMPTY_FILE"
    assert file_error(tmp_path / "nope.xlsx").code == "FILE_NOT_FOUND"
    (tmp_path / "photo.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert file_error(tmp_path / "photo.xlsx").code == "NOT_SPREADSHEET"
    (tmp_path / "page.xls").write_text("<html><table><tr><td>1</td></tr></table></html>")
    assert file_error(tmp_path / "page.xls").code == "NOT_SPREADSHEET"
    (tmp_path / "blob.csv").write_bytes(b"\x00\x01\x02" * 100)
    assert file_error(tmp_path / "blob.csv").code == "NOT_SPREADSHEET"
    doc = tmp_path / "report.xlsx"
    with zipfile.ZipFile(doc, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert file_error(doc).code == "NOT_SPREADSHEET"
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(200))
    assert file_error(tmp_path / "broken.xlsx").code == "NOT_SPREADSHEET"
    assert file_error(write_encrypted_ooxml(tmp_path / "locked.xlsx")).code == "ENCRYPTED"


def test_no_header_and_no_data(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.save(tmp_path / "blank.xlsx")
    assert file_error(tmp_path / "blank.xlsx").code == "NO_HEADER"
    headless = write_xlsx(tmp_path / "headless.xlsx", [good_row(1)], header=good_row(0)[:5])
    err = file_error(headless)
    assert err.code == "NO_HEADER" and "912345600" in err.message_vi
    only_header = write_xlsx(tmp_path / "h.xlsx", [])
    assert file_error(only_header).code == "NO_DATA"
    assert file_error(only_header, header_row=7).code == "NO_HEADER"
    assert file_error(write_csv(tmp_path / "e.csv", ["", " "])).code == "NO_HEADER"


def test_size_and_row_limits(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(i) for i in range(10)])
    err = file_error(path, limits=Limits(max_bytes=1024))
    assert err.code == "FILE_TOO_LARGE" and "MB" in err.message_vi
    assert file_error(path, limits=Limits(max_rows=9)).code == "TOO_MANY_ROWS"
    assert load(path, limits=Limits(max_rows=10)).rows_read == 10
    csv_path = write_csv(tmp_path / "k.csv", [",".join(HEADER)] + ["0912345678,a,b,c,1"] * 10)
    assert file_error(csv_path, limits=Limits(max_rows=9)).code == "TOO_MANY_ROWS"
    assert Limits().max_bytes == 50 * 2**20 and Limits().max_rows == 500_000


def test_zip_bombs(tmp_path: Path) -> None:
    bomb = _zip_with(write_xlsx(tmp_path / "bomb.xlsx", [good_row(0)]),
                     "xl/media/image1.bin", bytes(40 * 2**20))  # ~40 KB compressed, ratio ~1000
    err = file_error(bomb)
    assert err.code == "ZIP_BOMB" and "image1.bin" in err.message_vi
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0)])
    assert file_error(path, limits=Limits(max_uncompressed_bytes=2000)).code == "ZIP_BOMB"
    assert file_error(path, limits=Limits(max_zip_members=3)).code == "ZIP_BOMB"


def test_source_and_recipients_are_exclusive(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0)])
    with pytest.raises(RecipientsFileError) as exc:
        load_recipients(TEMPLATE, source=str(path), recipients=[{"phone": "0912345678"}])
    assert exc.value.code == "BAD_SOURCE"
    with pytest.raises(RecipientsFileError):
        load_recipients(TEMPLATE)


def test_blocklist_files(tmp_path: Path) -> None:
    txt = tmp_path / "chan.txt"
    txt.write_text("so_dien_thoai\n0912345678\n+84 98 765 4321\nkhông phải số\n\n912345679\n",
                   encoding="utf-8")
    assert load_blocklist(txt) == {"0912345678", "0987654321", "0912345679"}
    xlsx = write_xlsx(tmp_path / "chan.xlsx", [[987654321.0], ["0912 345 678"]], header=["SĐT"])
    assert load_blocklist(xlsx) == {"0987654321", "0912345678"}
    bare = write_xlsx(tmp_path / "bare.xlsx", [[987654321.0]], header=["0912345678"])
    assert load_blocklist(bare) == {"0987654321", "0912345678"}  # no header: first row counts
    with pytest.raises(RecipientsFileError):
        load_blocklist(tmp_path / "missing.txt")
    rows = [good_row(0), [987654321.0, *good_row(1)[1:]]]
    result = load(write_xlsx(tmp_path / "k.xlsx", rows), blocklist=load_blocklist(xlsx))
    assert [r.codes for r in result.invalid] == [["BLOCKED"]] and result.invalid[0].row == 3


def test_dates_and_numbers_in_xlsx_text_cells(tmp_path: Path) -> None:
    rows = [[912345678, "An", "DH1", "2026-12-01", "12000", None],
            [912345679, "Bình", "DH2", datetime(2026, 12, 1, 15, 45), 99.0, None]]
    result = load(write_xlsx(tmp_path / "k.xlsx", rows))
    assert [r.params[2:] for r in result.valid] == [["01/12/2026", "12000"],
                                                    ["01/12/2026", "99"]]


def test_renamed_files_are_read_by_content(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "k.xlsx", [good_row(0)])
    xls = write_xls(tmp_path / "k.xls", [good_row(1)])
    for source, target in ((xlsx, "that.xls"), (xls, "this.xlsx"), (xlsx, "noext"),
                           (xls, "k.csv")):
        renamed = tmp_path / target
        renamed.write_bytes(source.read_bytes())
        result = load(renamed)
        assert result.rows_read == 1 and len(result.valid) == 1, target
