"""Recipients: spreadsheet/CSV/manual ingest, template-driven validation, error-rows workbook.

    result = load_recipients(template, source="khach.xlsx", phone_column="SĐT",
                             columns={"customer_name": "Tên KH"})
    write_error_workbook(result, "loi.xlsx")

Decisions worth knowing (the tests pin each one):

- Totals: `rows_read == len(valid) + len(invalid)`. Fully blank rows (empty, spaces, Excel
  error values) are skipped anywhere in the sheet and counted in `blank_rows` only.
- Duplicates: the first *valid* row of a phone wins; later rows get DUPLICATE naming it. An
  earlier invalid row does not block a later valid one (it is in the error workbook anyway).
- Empty values are MISSING_PARAM unless the template param has `accept_null`.
- Formula neutralisation: the error workbook prefixes text starting with = + - @ (tab, CR)
  with an apostrophe; ingest strips exactly that prefix (apostrophe followed by one of those
  characters) and the phone rules accept a leading apostrophe, so a fixed error workbook
  re-imports with the same mapping (header on row 1, same sheet name) and gives the same values.
- Excel files are parsed with python-calamine: the decoded sheet is held in native memory
  (with the dedupe map, ~0.4 KB per row of 6 columns), Python row objects exist only for the
  chunk being validated; the dedupe map is the only Python state that grows with the file.
  CSV is streamed row by row.
"""

from zns.recipients.blocklist import load_blocklist
from zns.recipients.date_filter import DateFilter
from zns.recipients.errors import FILE_CODES, ROW_CODES, RecipientsFileError
from zns.recipients.errors_workbook import REASON_COLUMNS, write_error_workbook
from zns.recipients.models import InvalidRow, Issue, Recipient, ValidatedChunk, ValidationResult
from zns.recipients.sources import Limits
from zns.recipients.validate import IngestStream, iter_validated, load_recipients

__all__ = [
    "FILE_CODES",
    "DateFilter",
    "REASON_COLUMNS",
    "ROW_CODES",
    "IngestStream",
    "InvalidRow",
    "Issue",
    "Limits",
    "Recipient",
    "RecipientsFileError",
    "ValidatedChunk",
    "ValidationResult",
    "iter_validated",
    "load_blocklist",
    "load_recipients",
    "write_error_workbook",
]
