"""Helpers shared by the recipients tests: build real .xlsx/.xls/.csv/encrypted files."""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from zns.recipients.demo import (
    ORDER_COLUMNS,
    ORDER_SMS_COLUMNS,
    PHONE_COLUMN,
    order_confirmation_sms,
    order_confirmation_template,
)

TEMPLATE = order_confirmation_template()
SMS = order_confirmation_sms()
HEADER = [PHONE_COLUMN, *ORDER_COLUMNS.values(), "Ghi chú"]
MAPPING: dict[str, Any] = {"phone_column": PHONE_COLUMN, "columns": ORDER_COLUMNS}
FALLBACK: dict[str, Any] = {"sms_template": SMS, "sms_columns": ORDER_SMS_COLUMNS}


def good_row(i: int = 0) -> list[Any]:
    """A valid order row as Excel stores it: phone as a number, real date cell, float amount."""
    return [912345600.0 + i, f"Khách {i} Nguyễn", f"DH{i:05d}", datetime(2026, 12, 1),
            150000.0 + i, None]


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, header: Sequence[str] = HEADER,
               sheet: str = "Khách hàng", before: Sequence[Sequence[Any]] = (),
               extra_sheets: Sequence[str] = ()) -> Path:
    """Header (after `before` rows) then rows, on the first sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in before:
        ws.append(list(row))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for name in extra_sheets:
        wb.create_sheet(name)
    wb.save(path)
    return path


def add_cached_errors(path: Path, errors: dict[str, str]) -> Path:
    """Give formula cells a cached error value, as Excel saves them (`t="e"`, `<v>#N/A</v>`)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    xml = members["xl/worksheets/sheet1.xml"].decode()
    for ref, err in errors.items():
        xml, n = re.subn(rf'<c r="{ref}"([^>]*)><f>([^<]*)</f><v\s*/>',
                         rf'<c r="{ref}"\1 t="e"><f>\2</f><v>{err}</v>', xml)
        assert n == 1, ref
    members["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def write_xls(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> Path:
    """Legacy .xls (BIFF8) through xlwt, dates with a date format like Excel writes them."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("KH")
    date_style = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    for c, name in enumerate(header):
        ws.write(0, c, name)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                ws.write(r, c, value, date_style)
            elif value is not None:
                ws.write(r, c, value)
    book.save(str(path))
    return path


def write_csv(path: Path, lines: Sequence[str], *, bom: bool = False) -> Path:
    text = "\r\n".join(lines) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def write_encrypted_ooxml(path: Path) -> Path:
    """A minimal, structurally valid OLE/CFB file holding EncryptionInfo + EncryptedPackage.

    This is the container Excel writes for a password-protected .xlsx.
    """
    sector = 512
    end, free, fat_sect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    stream_sectors = 8  # 4096 bytes each: at the mini-stream cutoff, so regular sectors
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: the FAT is sector 0
    for k in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * k, free)
    struct.pack_into("<I", header, 72, 0)  # number of DIFAT sectors
    fat = [fat_sect, end]
    for start in (2, 2 + stream_sectors):
        fat += [start + k + 1 for k in range(stream_sectors - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int
              ) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[0 : len(raw)] = raw
        struct.pack_into("<HBBIII", e, 64, len(raw), kind, 1, left, right, child)
        struct.pack_into("<IQ", e, 116, start, size)
        return bytes(e)

    directory = (
        entry("Root Entry", 5, nostream, nostream, 1, end, 0)
        + entry("EncryptionInfo", 2, nostream, 2, nostream, 2, 4096)
        + entry("EncryptedPackage", 2, nostream, nostream, nostream, 2 + stream_sectors, 4096)
        + bytes(128)
    )
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + bytes(2 * stream_sectors * sector)
    path.write_bytes(bytes(header) + body)
    return path
