"""Fast streaming of big sheets into an xlsxwriter workbook.

Why: the report's Recipients sheet has one row per recipient (100,000 and more). openpyxl
write-only spends 0.15-0.4 ms per row building an element tree per cell, and even
xlsxwriter's own per-cell API (constant_memory) costs ~3 µs per cell (benchmarks/report.py).
Here rows are serialised straight to SpreadsheetML text, under 1 µs per cell, with the cell
kinds the report needs (text, number, bool, datetime, date).

How, using only xlsxwriter's public API and the file format itself (no xlsxwriter internals):

1. xlsxwriter writes a *skeleton* workbook: every small sheet in full (styles, chart), and each
   big sheet with its header row, column widths, freeze panes and autofilter, plus one
   *prototype* row (row 2) holding a cell in each date format, so its ``s="N"`` style ids can
   be read back from the skeleton's XML.
2. The data rows of each big sheet stream into a temporary file as XML, one row in memory at a
   time (the same guarantee as constant_memory).
3. ``assemble`` copies the skeleton's zip members into the final file, replacing each big
   sheet's prototype row by its streamed rows and fixing its ``<dimension>``.

Strings are inline strings (what xlsxwriter's constant_memory mode writes too), escaped like
xlsxwriter does: XML's ``& < >``, control characters as Excel's ``_xHHHH_`` and a literal
``_xHHHH_`` as ``_x005F_xHHHH_`` (Excel decodes both), ``xml:space="preserve"`` for leading or
trailing whitespace; a lone surrogate (undecodable input) becomes U+FFFD instead of making the
file unwritable. Callers pass values through ``safe_value`` first: this module writes what
it is given as data, never as a formula (it has no formula cell at all).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from xlsxwriter.utility import xl_col_to_name

# Date formats a streamed cell may carry; the prototype row holds one cell per entry, in order.
DATE_KINDS = ("datetime", "date", "plain_datetime", "plain_date")

_EPOCH = datetime(1899, 12, 30)  # Excel's 1900 date system, valid from 1900-03-01
_EPOCH_DATE = _EPOCH.date()
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_PRESERVE = re.compile(r"^\s|\s$")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def excel_serial(value: datetime | date) -> float:
    """Days since 1899-12-30 (Excel's serial date), naive wall-clock time."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400.0
    return float((value - _EPOCH_DATE).days)


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates (undecodable input) as U+FFFD, so it can be UTF-8 encoded."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _escape(text: str) -> str:
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = _SURROGATE.sub("\ufffd", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _text_body(v: str) -> str:
    """An inline-string cell after its ``<c r="REF`` opening."""
    s = _escape(v) if _NEEDS_ESCAPE.search(v) else v
    if _PRESERVE.search(v):
        return f'" t="inlineStr"><is><t xml:space="preserve">{s}</t></is></c>'
    return f'" t="inlineStr"><is><t>{s}</t></is></c>'


def _text_cell(ref: str, v: str) -> str:
    return '<c r="' + ref + _text_body(v)


MAX_CACHED_TEXTS = 65_536  # distinct texts remembered per encoder (repeated columns only)


@dataclass(slots=True)
class RowEncoder:
    """Turns a row of plain values into one ``<row>`` of SpreadsheetML.

    ``styles`` maps a DATE_KINDS name to its style id; ``datetime_columns`` says which one a
    column's datetimes/dates use (others: the plain defaults, like openpyxl's). Texts of
    ``repeated_columns`` (states, codes, labels) are escaped once and remembered.
    """

    styles: dict[str, int]
    columns: int
    datetime_columns: dict[int, str] = field(default_factory=dict)
    repeated_columns: frozenset[int] = frozenset()
    _letters: list[str] = field(init=False)
    _bodies: dict[str, str] = field(init=False, default_factory=dict)
    _dt_style: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self._letters = [xl_col_to_name(c) for c in range(self.columns)]
        self._dt_style = {c: self.styles[k] for c, k in self.datetime_columns.items()}

    def encode(self, row_number: int, values: Sequence[object]) -> str:
        """``row_number`` is 1-based (Excel's); cells with ``None`` are left out."""
        r = str(row_number)
        parts = [f'<row r="{r}">']
        append = parts.append
        letters = self._letters
        repeated, bodies, dt_style = self.repeated_columns, self._bodies, self._dt_style
        for col, v in enumerate(values):
            if v is None:
                continue
            ref = letters[col] + r
            if type(v) is str:  # exact types first: the common cells, checked cheaply
                if not v:
                    continue  # an empty text is an empty cell, as openpyxl writes it
                if col in repeated:
                    body = bodies.get(v)
                    if body is None:
                        body = _text_body(v)
                        if len(bodies) < MAX_CACHED_TEXTS:
                            bodies[v] = body
                    append('<c r="' + ref + body)
                else:
                    append(_text_cell(ref, v))
            elif type(v) is datetime and col in dt_style:
                append(f'<c r="{ref}" s="{dt_style[col]}"><v>{excel_serial(v):.16G}</v></c>')
            elif type(v) is int:
                append(f'<c r="{ref}"><v>{v}</v></c>')
            elif type(v) is float:
                append(self._float(ref, v))
            else:
                append(self._other(ref, col, v))
        append("</row>")
        return "".join(parts)

    @staticmethod
    def _float(ref: str, v: float) -> str:
        if not math.isfinite(v):  # Excel has no NaN or infinity: show it as text
            return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
        return f'<c r="{ref}"><v>{v:.16G}</v></c>'

    def _other(self, ref: str, col: int, v: object) -> str:
        if isinstance(v, bool):
            return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
        if isinstance(v, int):
            return f'<c r="{ref}"><v>{int(v)}</v></c>'
        if isinstance(v, float):
            return self._float(ref, float(v))
        if isinstance(v, datetime | date):
            kind = self.datetime_columns.get(col)
            if kind is None:
                kind = "plain_datetime" if isinstance(v, datetime) else "plain_date"
            return f'<c r="{ref}" s="{self.styles[kind]}"><v>{excel_serial(v):.16G}</v></c>'
        text = str(v)
        return _text_cell(ref, text) if text else ""


@dataclass(slots=True)
class StreamedSheet:
    """The data rows of one big sheet, spooled as UTF-8 to a temporary file until ``assemble``."""

    name: str
    columns: int
    file: IO[bytes]
    rows: int = 0  # data rows written (the header is row 1, the first data row is row 2)

    def write_rows(self, encoder: RowEncoder, rows: Iterable[Sequence[object]]) -> None:
        write = self.file.write
        n = self.rows + 2
        chunk: list[str] = []
        for values in rows:
            chunk.append(encoder.encode(n, values))
            n += 1
            if len(chunk) >= 512:
                write("".join(chunk).encode("utf-8"))
                chunk.clear()
        write("".join(chunk).encode("utf-8"))
        self.rows = n - 2


def prototype_row(worksheet: object, formats: dict[str, object]) -> None:
    """Write row 2 of a skeleton big sheet: one date cell per DATE_KINDS entry, in order.

    ``formats`` maps each kind to an xlsxwriter Format (or None for the plain defaults).
    """
    for col, kind in enumerate(DATE_KINDS):
        worksheet.write_datetime(1, col, datetime(2000, 1, 1), formats[kind])  # type: ignore[attr-defined]


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member of its XML, read from workbook.xml and its relationships."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in book.iter(f"{_NS}sheet"):
        target = targets[sheet.get(f"{_REL_NS}id")]
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


_PROTO_ROW = re.compile(r'<row r="2"[^>]*>.*?</row>', re.S)
_STYLE_ID = re.compile(r'<c r="[A-Z]+2" s="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


def read_prototype_styles(archive: zipfile.ZipFile, part: str) -> dict[str, int]:
    """The style id of each DATE_KINDS cell of a skeleton sheet's prototype row."""
    xml = archive.read(part).decode("utf-8")
    proto = _PROTO_ROW.search(xml)
    if proto is None:
        raise ValueError(f"{part}: no prototype row in the skeleton")
    ids = [int(s) for s in _STYLE_ID.findall(proto.group())]
    if len(ids) != len(DATE_KINDS):
        raise ValueError(f"{part}: prototype row has {len(ids)} styled cells, not {len(DATE_KINDS)}")
    return dict(zip(DATE_KINDS, ids, strict=True))


def _spliced(xml: str, sheet: StreamedSheet) -> tuple[bytes, bytes]:
    """The skeleton sheet's XML before and after its prototype row, the dimension fixed."""
    proto = _PROTO_ROW.search(xml)
    if proto is None:
        raise ValueError(f"{sheet.name}: no prototype row in the skeleton")
    last = xl_col_to_name(max(sheet.columns, 1) - 1)
    head = _DIMENSION.sub(f'<dimension ref="A1:{last}{sheet.rows + 1}"/>', xml[: proto.start()], count=1)
    return head.encode("utf-8"), xml[proto.end():].encode("utf-8")


# zipfile refuses a streamed member past 2 GiB unless told to use ZIP64 before it starts, and
# Excel is strict about ZIP64 records: use them only for a member that needs them.
_ZIP64_FROM = zipfile.ZIP64_LIMIT - (1 << 20)


def assemble(skeleton: Path, target: Path, sheets: Sequence[StreamedSheet], *, compresslevel: int = 3) -> None:
    """Write ``target``: the skeleton's parts, with each streamed sheet's rows spliced in."""
    with zipfile.ZipFile(skeleton) as src:
        parts = sheet_parts(src)
        by_part = {parts[s.name]: s for s in sheets}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel,
                             allowZip64=True) as out:
            for info in src.infolist():
                sheet = by_part.get(info.filename)
                if sheet is None:
                    with src.open(info) as r, out.open(info.filename, "w") as w:
                        shutil.copyfileobj(r, w)
                    continue
                head, tail = _spliced(src.read(info).decode("utf-8"), sheet)
                size = len(head) + sheet.file.seek(0, os.SEEK_END) + len(tail)
                with out.open(info.filename, "w", force_zip64=size > _ZIP64_FROM) as w:
                    w.write(head)
                    sheet.file.seek(0)
                    shutil.copyfileobj(sheet.file, w, 1 << 20)
                    w.write(tail)


def spool(name: str, columns: int, directory: str | os.PathLike[str] | None = None) -> StreamedSheet:
    """A StreamedSheet backed by an anonymous temporary file (gone when closed or on a crash)."""
    return StreamedSheet(name, columns, tempfile.TemporaryFile("w+b", dir=directory))
