"""What ingest hands to the campaign: valid recipients, invalid rows with reasons, totals.

Plain slotted dataclasses (not pydantic) because 100,000s of them are built per campaign.
Original cells are kept as the row tuple plus a shared column list, not one dict per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in one row: stable code, the column concerned (None = whole row), message."""

    code: str
    column: str | None
    message_vi: str


@dataclass(slots=True)
class Recipient:
    """A row that passed validation: ready to send."""

    row: int  # spreadsheet row number the user sees (header row = 1 by default); list index + 1
    phone: str  # normalised 0xxxxxxxxx
    params: list[str]  # ZNS values in template order (ZnsParam.order)
    sms_values: dict[str, str]  # fallback SMS variables, ASCII, empty when no fallback
    cells: Sequence[Any]  # original cells, in `columns` order
    columns: tuple[str, ...]  # shared by every row of one source

    @property
    def source_values(self) -> dict[str, Any]:
        """Original cells by column name, for the report."""
        return dict(zip(self.columns, self.cells, strict=False))


@dataclass(slots=True)
class InvalidRow:
    """A row that will not be sent, with every problem found in it."""

    row: int
    phone: str  # normalised when the phone itself was fine, else the raw cell text
    issues: list[Issue]
    cells: Sequence[Any]
    columns: tuple[str, ...]

    @property
    def source_values(self) -> dict[str, Any]:
        return dict(zip(self.columns, self.cells, strict=False))

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]

    @property
    def code(self) -> str:
        """First problem's code (the report's one-code column)."""
        return self.issues[0].code

    @property
    def column(self) -> str | None:
        return self.issues[0].column

    @property
    def message_vi(self) -> str:
        return " ".join(i.message_vi for i in self.issues)


@dataclass(slots=True)
class ValidatedChunk:
    """What `iter_validated` yields per chunk of source rows."""

    valid: list[Recipient] = field(default_factory=list)
    invalid: list[InvalidRow] = field(default_factory=list)
    blank_rows: int = 0
    filtered_rows: int = 0  # rows a date filter left out (not today's): not part of the campaign

    @property
    def rows_read(self) -> int:
        return len(self.valid) + len(self.invalid)


@dataclass(slots=True)
class ValidationResult:
    """All of one ingest. `rows_read == len(valid) + len(invalid)`; blank rows are not counted."""

    valid: list[Recipient]
    invalid: list[InvalidRow]
    rows_read: int
    columns: list[str]
    blank_rows: int = 0  # fully empty rows skipped (anywhere), reported, not recipients
    filtered_rows: int = 0  # rows a date filter left out: not part of this run's campaign
    sheet: str | None = None  # sheet name read, None for CSV / manual lists
    source: str | None = None
    param_names: list[str] = field(default_factory=list)  # template order
    phone_column: str = ""
    column_map: dict[str, str] = field(default_factory=dict)  # template param -> column
    sms_column_map: dict[str, str] = field(default_factory=dict)  # sms var -> column

    @property
    def totals_ok(self) -> bool:
        return self.rows_read == len(self.valid) + len(self.invalid)
