"""Re-import of corrected error rows into the same campaign.

The operator fixes the campaign's error-rows workbook (it keeps each row's original number in
"Dòng gốc") and imports it with `reimport`: each row takes back its original row number, so the
ledger's invalid row becomes the corrected one (the campaign keeps one row per input row); a
phone already valid on another row of the campaign is a DUPLICATE, not a second message; only
the new valid rows are sent (the claims skip whatever the campaign sent before).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from zns.recipients import InvalidRow, Issue, Recipient, ValidationResult
from zns.recipients.cells import cell_text
from zns.recipients.errors import row_message
from zns.recipients.errors_workbook import REASON_COLUMNS

ROW_COLUMN = REASON_COLUMNS[0]  # "Dòng gốc"


def _original(row: Recipient | InvalidRow) -> int | None:
    text = cell_text(row.source_values.get(ROW_COLUMN)).strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _refuse(row: Recipient | InvalidRow, number: int, code: str, detail: str = "") -> InvalidRow:
    return InvalidRow(number, row.phone, [Issue(code, ROW_COLUMN, row_message(code, number, ROW_COLUMN, detail))],
                      row.cells, row.columns)


def renumber(result: ValidationResult, taken: Mapping[str, int], phone_column: str) -> ValidationResult:
    """The corrected rows under their original numbers; `taken` is the campaign's valid phone → row."""
    valid: list[Recipient] = []
    invalid: list[InvalidRow] = []
    for row in [*result.valid, *result.invalid]:
        number = _original(row)
        if number is None:
            invalid.append(_refuse(row, row.row, "NO_ORIGINAL_ROW"))
        elif isinstance(row, InvalidRow):
            invalid.append(replace(row, row=number))
        elif taken.get(row.phone, number) != number:
            detail = f"số {row.phone} đã có ở dòng {taken[row.phone]} của chiến dịch"
            invalid.append(InvalidRow(number, row.phone, [Issue("DUPLICATE", phone_column, row_message(
                "DUPLICATE", number, phone_column, detail))], row.cells, row.columns))
        else:
            valid.append(replace(row, row=number))
    valid.sort(key=lambda r: r.row)
    invalid.sort(key=lambda r: r.row)
    return replace(result, valid=valid, invalid=invalid)
