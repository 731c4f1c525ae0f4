"""The error-rows workbook: the operator fixes it in Excel and imports it again as is.

The first sheet keeps the original header and columns in their original order (so the same
`phone_column`/`columns` mapping applies, header on row 1, i.e. `header_row=0`), then three
reason columns. Text that a spreadsheet would run as a formula (= + - @) is prefixed with an
apostrophe; ingest strips exactly that prefix again, and the phone rules accept `'+84...`.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from zns.recipients.cells import neutralise
from zns.recipients.columns import normalise_name
from zns.recipients.errors import ROW_CODES
from zns.recipients.models import ValidationResult

REASON_COLUMNS = ("Dòng gốc", "Mã lỗi", "Lý do")
CODES_SHEET = "Giải thích mã lỗi"
_REASON_KEYS = {normalise_name(c) for c in REASON_COLUMNS}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
EXCEL_MAX_TEXT = 32_767  # characters in one cell


def _excel_text(value: Any) -> Any:
    """Text openpyxl can write and Excel opens: no control characters (openpyxl raises on them),
    within Excel's cell size (room kept for the neutralising apostrophe), then neutralised."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) >= EXCEL_MAX_TEXT:
            value = value[: EXCEL_MAX_TEXT - 2] + "…"
    return neutralise(value)


def _sheet_title(name: str | None) -> str:
    """Same sheet name as the source (so `sheet=` still works), within Excel's rules."""
    title = _BAD_SHEET_CHARS.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", name or "")).strip()[:31]
    return title if title and title != CODES_SHEET else "Dòng lỗi"


def _cell(ws: Worksheet, value: Any) -> Any:
    """Original value, neutralised, with a readable format: whole numbers (phones typed as
    numbers) show all their digits, dates as dd/mm/yyyy."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "0"  # not 9.36E+08
        return cell
    if isinstance(value, datetime | date | time):
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, datetime):
            cell.number_format = "dd/mm/yyyy hh:mm"
        elif isinstance(value, date):
            cell.number_format = "dd/mm/yyyy"
        return cell
    return _excel_text(value)


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0) if value is not None else 0


def _set_widths(ws: Worksheet, header: list[str], rows: list[list[Any]]) -> None:
    """Columns wide enough for what they hold (first rows), so nothing shows as ### or 9.4E+08."""
    from openpyxl.utils import get_column_letter

    for index, name in enumerate(header):
        widest = max([_width(name), *(_width(r[index]) for r in rows if index < len(r))])
        ws.column_dimensions[get_column_letter(index + 1)].width = min(60, max(10, widest + 2))
    ws.column_dimensions[get_column_letter(len(header))].width = 80  # the reasons, wrapped by Excel


def write_error_workbook(result: ValidationResult, path: str | os.PathLike[str]) -> Path:
    """Write every invalid row with its original cells and reasons; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    keep = [i for i, c in enumerate(result.columns) if normalise_name(c) not in _REASON_KEYS]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(result.sheet))
    ws.freeze_panes = "A2"
    names = [*(result.columns[i] for i in keep), *REASON_COLUMNS]
    _set_widths(ws, names, [[row.cells[i] if i < len(row.cells) else None for i in keep]
                            + [row.row, ", ".join(row.codes), ""] for row in result.invalid[:500]])
    bold = Font(bold=True)
    header = []
    for name in names:
        cell = WriteOnlyCell(ws, value=_excel_text(name))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in result.invalid:
        cells = row.cells
        ws.append([
            *(_cell(ws, cells[i] if i < len(cells) else None) for i in keep),
            row.row,
            ", ".join(row.codes),
            _excel_text("\n".join(i.message_vi for i in row.issues)),
        ])
    codes = wb.create_sheet(CODES_SHEET)
    codes.append([WriteOnlyCell(codes, value=v) for v in ("Mã lỗi", "Ý nghĩa", "Cách sửa")])
    wrap = Alignment(wrap_text=True, vertical="top")
    for doc in ROW_CODES.values():
        cells_out = []
        for v in (doc.code, doc.meaning_vi, doc.action_vi):
            c = WriteOnlyCell(codes, value=v)
            c.alignment = wrap
            cells_out.append(c)
        codes.append(cells_out)
    wb.save(target)
    return target
