"""Recipient sources read as a header plus chunks of (row number, cells): xlsx/xls/csv/manual.

Every way a file can be unusable ends in one `RecipientsFileError` before rows are validated
(checked up front: size, zip members, encryption, sheet, header, row count). URLs (http(s), and
any fsspec scheme such as s3://) are first copied to a temp file under the same size limit. Excel
files are read with python-calamine; CSV with the csv module (UTF-8 with or without BOM, `,`/`;`/tab).
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import httpx
import python_calamine as pc

from zns.phones import PhoneError, normalize_phone
from zns.recipients.cells import cell_text, is_blank
from zns.recipients.columns import normalise_name
from zns.recipients.errors import RecipientsFileError, file_error

Row = tuple[int, Sequence[Any]]  # (spreadsheet row number as the user sees it, cells)

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety limits; defaults fit a 500,000-row campaign with room to spare."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 500_000
    max_uncompressed_bytes: int = 1024 * 1024 * 1024  # sum of xlsx zip members
    max_zip_ratio: int = 200  # uncompressed/compressed, for members over 16 MiB
    max_zip_members: int = 10_000
    download_timeout_s: float = 60.0


class Table:
    """A header and the data rows under it, read lazily in chunks."""

    columns: list[str]
    sheet: str | None = None

    def chunks(self, chunk_size: int) -> Iterator[list[Row]]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release files (and delete a downloaded temp file)."""


def _header(cells: Sequence[Any], where: str) -> list[str]:
    """Header names from header cells; NO_HEADER when empty or when it looks like data."""
    names = [cell_text(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise file_error("NO_HEADER", f"dòng tiêu đề ({where}) trống")
    for name in names:
        if name and any(ch.isdigit() for ch in name):
            try:
                normalize_phone(name)
            except PhoneError:
                continue
            raise file_error(
                "NO_HEADER", f"dòng tiêu đề ({where}) chứa số điện thoại '{name}', không phải tên cột"
            )
    return names


def _fit(cells: list[Any], width: int) -> list[Any]:
    """Cells padded or cut to the header width (cells right of the header have no name)."""
    n = len(cells)
    if n == width:
        return cells
    if n > width:
        return cells[:width]
    return cells + [""] * (width - n)


class CalamineTable(Table):
    """One sheet of an .xlsx/.xlsm/.xlsb/.xls/.ods workbook.

    Calamine parses the sheet into a compact native range; Python objects are made per row.
    """

    def __init__(
        self, path: Path, sheet: str | int | None, header_row: int, limits: Limits, kind: str
    ) -> None:
        with calamine_errors(path):
            workbook = _open_workbook(path, kind)
            names = list(workbook.sheet_names)
            name = _pick_sheet(names, sheet)
            self._sheet = workbook.get_sheet_by_name(name)
        self.sheet = name
        start = self._sheet.start
        if start is None:
            raise file_error("NO_HEADER", f"sheet '{name}' trống")
        first_row, last_row = start[0], self._sheet.end[0]
        self._header_index = max(header_row, first_row)
        if self._header_index > last_row:
            raise file_error("NO_HEADER", f"sheet '{name}' không có dòng {header_row + 1}")
        if last_row - self._header_index > limits.max_rows:
            raise file_error(
                "TOO_MANY_ROWS", f"{last_row - self._header_index:,} dòng > {limits.max_rows:,}"
            )
        self._rows = self._sheet.iter_rows()  # absolute: index 0 is Excel row 1
        for _ in range(self._header_index):
            next(self._rows)
        self.columns = _header(next(self._rows), f"dòng {self._header_index + 1}")

    def chunks(self, chunk_size: int) -> Iterator[list[Row]]:
        width = len(self.columns)
        number = self._header_index + 1
        chunk: list[Row] = []
        for cells in self._rows:
            number += 1
            chunk.append((number, cells if len(cells) == width else _fit(cells, width)))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _is_panic(exc: BaseException) -> bool:
    """calamine panics on some corrupt .xls files and pyo3 raises that as PanicException, a
    BaseException outside any importable module, so it is recognised by name."""
    return type(exc).__name__ == "PanicException"


@contextmanager
def calamine_errors(path: Path) -> Iterator[None]:
    """calamine's failures (and Rust panics) as the product's one-line file errors."""
    try:
        yield
    except RecipientsFileError:
        raise
    except pc.PasswordError as exc:
        raise file_error("ENCRYPTED", path.name) from exc
    except pc.CalamineError as exc:
        raise file_error("NOT_SPREADSHEET", f"{path.name} ({exc})") from exc
    except BaseException as exc:
        if not _is_panic(exc):
            raise
        raise file_error("NOT_SPREADSHEET", f"{path.name} (file hỏng: {exc})") from exc


_SUFFIX_KIND = {".xlsx": "zip", ".xlsm": "zip", ".xlsb": "zip", ".ods": "zip", ".xls": "ole"}


def _open_workbook(path: Path, kind: str) -> pc.CalamineWorkbook:
    """Calamine picks the format from the extension; renamed files are opened by content."""
    if _SUFFIX_KIND.get(path.suffix.lower()) == kind:
        return pc.CalamineWorkbook.from_path(str(path))
    with path.open("rb") as fh:
        return pc.CalamineWorkbook.from_filelike(fh)


def _pick_sheet(names: list[str], sheet: str | int | None) -> str:
    """Sheet by index (default first) or by name (exact, then ignoring case and diacritics)."""
    listing = ", ".join(f"'{n}'" for n in names)
    if not names:
        raise file_error("NO_HEADER", "file không có sheet nào")
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise file_error("UNKNOWN_SHEET", f"không có sheet số {sheet}; các sheet: {listing}")
    if sheet in names:
        return sheet
    loose = [n for n in names if normalise_name(n) == normalise_name(sheet)]
    if len(loose) == 1:
        return loose[0]
    if sheet.strip().isdigit() and int(sheet) < len(names):
        return names[int(sheet)]
    raise file_error("UNKNOWN_SHEET", f"không có sheet '{sheet}'; các sheet: {listing}")


class CsvTable(Table):
    """A UTF-8 CSV (BOM optional), delimiter detected among `,` `;` and tab."""

    def __init__(self, path: Path, header_row: int, limits: Limits) -> None:
        self._limits = limits
        with path.open("rb") as fh:
            sample = fh.read(64 * 1024)
        if b"\x00" in sample:
            raise file_error("NOT_SPREADSHEET", f"{path.name} là file nhị phân")
        try:
            codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)
        except UnicodeDecodeError as exc:
            raise file_error("BAD_ENCODING", path.name) from exc
        text = sample.decode("utf-8-sig", errors="ignore")
        first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
        self.delimiter = max((",", ";", "\t"), key=first_line.count)
        self._fh = path.open("r", encoding="utf-8-sig", newline="")
        self._reader = csv.reader(_refuse_nul(self._fh, path), delimiter=self.delimiter)
        self._number = 0
        try:
            header: list[str] | None = None
            for record in self._reader:
                self._number += 1
                if self._number > header_row and any(c.strip() for c in record):
                    header = record
                    break
        except (UnicodeDecodeError, csv.Error) as exc:
            self.close()
            raise _csv_error(path, exc) from exc
        except RecipientsFileError:
            self.close()
            raise
        if header is None:
            self.close()
            raise file_error("NO_HEADER", f"{path.name} không có dòng tiêu đề")
        try:
            self.columns = _header(header, f"dòng {self._number}")
        except RecipientsFileError:
            self.close()
            raise
        self._path = path

    def chunks(self, chunk_size: int) -> Iterator[list[Row]]:
        width = len(self.columns)
        limit = self._limits.max_rows
        header_number = self._number
        chunk: list[Row] = []
        try:
            for record in self._reader:
                self._number += 1
                if self._number - header_number > limit:
                    raise file_error("TOO_MANY_ROWS", f"> {limit:,} dòng")
                chunk.append((self._number, _fit(record, width)))
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _csv_error(self._path, exc) from exc
        if chunk:
            yield chunk

    def close(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()


def _refuse_nul(lines: Iterator[str], path: Path) -> Iterator[str]:
    """The NUL check of the first 64 KiB, for the rest of the file: Python's csv accepts NUL,
    PostgreSQL text and Excel cells do not, so a NUL anywhere means a binary file."""
    for line in lines:
        if "\x00" in line:
            raise file_error("NOT_SPREADSHEET", f"{path.name} là file nhị phân (có ký tự NUL)")
        yield line


def _csv_error(path: Path, exc: Exception) -> RecipientsFileError:
    if isinstance(exc, UnicodeDecodeError):
        return file_error("BAD_ENCODING", path.name)
    return file_error("NOT_SPREADSHEET", f"{path.name}: CSV lỗi ({exc})")


class ManualTable(Table):
    """A typed-in list `[{"phone": ..., "values": {...}}]`; row number = position + 1."""

    def __init__(self, recipients: list[dict[str, Any]], limits: Limits) -> None:
        if len(recipients) > limits.max_rows:
            raise file_error("TOO_MANY_ROWS", f"{len(recipients):,} > {limits.max_rows:,}")
        columns: dict[str, None] = {"phone": None}
        records: list[dict[str, Any]] = []
        for n, item in enumerate(recipients, start=1):
            if not isinstance(item, dict):
                raise file_error("BAD_SOURCE", f"người nhận thứ {n} không phải {{phone, values}}")
            values = item.get("values")
            record = {k: v for k, v in item.items() if k != "values"}
            if isinstance(values, dict):
                record.update(values)
            elif values is not None:
                raise file_error("BAD_SOURCE", f"người nhận thứ {n}: 'values' phải là object")
            for key in record:
                columns.setdefault(str(key), None)
            records.append(record)
        self.columns = list(columns)
        self._records = records

    def chunks(self, chunk_size: int) -> Iterator[list[Row]]:
        cols = self.columns
        for start in range(0, len(self._records), chunk_size):
            part = self._records[start : start + chunk_size]
            yield [
                (start + i + 1, tuple(r.get(c) for c in cols)) for i, r in enumerate(part)
            ]


def _check_zip(path: Path, limits: Limits) -> None:
    """Refuse zip containers that are not workbooks or would inflate absurdly (zip bombs)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            is_ods = "mimetype" in names and zf.read("mimetype").startswith(
                b"application/vnd.oasis.opendocument.spreadsheet"
            )
    except Exception as exc:  # noqa: BLE001 - on garbage zipfile also raises NotImplementedError,
        # UnicodeDecodeError (names), EOFError, zlib.error...: all mean "not a readable workbook"
        raise file_error("NOT_SPREADSHEET", f"{path.name} ({exc})") from exc
    if not ({"xl/workbook.xml", "xl/workbook.bin"} & names or is_ods):
        raise file_error("NOT_SPREADSHEET", f"{path.name} là file nén nhưng không phải Excel")
    if len(infos) > limits.max_zip_members:
        raise file_error("ZIP_BOMB", f"{len(infos):,} thành phần")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise file_error("ZIP_BOMB", f"giải nén {total / 2**20:,.0f} MB")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 16 * 2**20 and ratio > limits.max_zip_ratio:
            raise file_error("ZIP_BOMB", f"'{info.filename}' nén {ratio:,.0f} lần")
    _check_sheet_ranges(path, [i.filename for i in infos if _SHEET_PART.fullmatch(i.filename)], limits)


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
MAX_COLUMNS = 1000  # far beyond any customer sheet; calamine allocates rows x columns up front


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check_sheet_ranges(path: Path, parts: list[str], limits: Limits) -> None:
    """The sheet's declared range (its <dimension>, at the top of the part): calamine allocates
    it whole, so a 5 KB file with one cell at XFD1048576 would abort the process."""
    with zipfile.ZipFile(path) as zf:
        for part in parts:
            try:
                with zf.open(part) as fh:
                    head = fh.read(4096)
            except Exception as exc:  # noqa: BLE001 - a corrupt member: not a readable workbook
                raise file_error("NOT_SPREADSHEET", f"{path.name} ({exc})") from exc
            m = _DIMENSION.search(head)
            if m is None or m.group(3) is None:
                continue
            rows = int(m.group(4)) - int(m.group(2)) + 1
            cols = _column_number(m.group(3)) - _column_number(m.group(1)) + 1
            if rows > limits.max_rows + 1000 or cols > MAX_COLUMNS:
                raise file_error("TOO_MANY_ROWS", f"sheet khai báo vùng {rows:,} dòng x {cols:,} cột "
                                 f"({m.group(0).decode(errors='replace')[16:]})")


_XLS_DIMENSIONS = re.compile(rb"\x00\x02\x0e\x00(.{4})(.{4})(.{2})(.{2})", re.DOTALL)


def _check_xls_dimensions(path: Path, limits: Limits) -> None:
    """The .xls DIMENSIONS record (BIFF8 0x0200): calamine trusts it, and a corrupt one (first
    row after last row, absurd sizes) aborts the process instead of raising."""
    data = path.read_bytes()
    for m in _XLS_DIMENSIONS.finditer(data):
        first, last = (int.from_bytes(g, "little") for g in m.group(1, 2))
        first_col, last_col = (int.from_bytes(g, "little") for g in m.group(3, 4))
        if first > last or first_col > last_col or last - first > limits.max_rows + 1000 or last_col > 256:
            raise file_error("NOT_SPREADSHEET", f"{path.name}: vùng dữ liệu của sheet bị hỏng")


def _is_encrypted_ole(path: Path) -> bool:
    """An OOXML file with a password is an OLE container holding an EncryptedPackage stream."""
    return _ENCRYPTED_STREAM in path.read_bytes()


def check_file(path: Path, limits: Limits) -> str:
    """Size, zip-bomb and encryption checks; returns "zip", "ole" or "text" (sniffed, not by name)."""
    if not path.is_file():
        raise file_error("FILE_NOT_FOUND", str(path))
    size = path.stat().st_size
    if size == 0:
        raise file_error("EMPTY_FILE", path.name)
    if size > limits.max_bytes:
        raise file_error(
            "FILE_TOO_LARGE", f"{size / 2**20:,.1f} MB > {limits.max_bytes / 2**20:,.0f} MB"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        _check_zip(path, limits)
        return "zip"
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_ole(path):
            raise file_error("ENCRYPTED", path.name)
        _check_xls_dimensions(path, limits)
        return "ole"
    if suffix in EXCEL_SUFFIXES:
        raise file_error(
            "NOT_SPREADSHEET", f"{path.name} có đuôi {suffix} nhưng nội dung không phải Excel"
        )
    return "text"


def open_file(
    path: Path, *, sheet: str | int | None, header_row: int, limits: Limits
) -> Table:
    """Check the file, then open the reader its content calls for."""
    kind = check_file(path, limits)
    if kind == "text":
        return CsvTable(path, header_row, limits)
    return CalamineTable(path, sheet, header_row, limits, kind=kind)


def read_first_column(path: Path, limits: Limits) -> list[Any]:
    """Every cell of the first column of the first sheet (or CSV field), header included."""
    kind = check_file(path, limits)
    if kind == "text":
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                sample = fh.readline()
                delimiter = max((",", ";", "\t"), key=sample.count)
                fh.seek(0)
                return [rec[0] for rec in csv.reader(fh, delimiter=delimiter) if rec]
        except (UnicodeDecodeError, csv.Error) as exc:  # csv.Error: a field over csv's size limit
            raise _csv_error(path, exc) from exc
    with calamine_errors(path):
        sheet = _open_workbook(path, kind).get_sheet_by_index(0)
        return [row[0] for row in sheet.iter_rows() if row]


class _TempTable(Table):
    """Wraps a table read from a downloaded temp file; deletes the file on close."""

    def __init__(self, inner: Table, temp: Path) -> None:
        self._inner, self._temp = inner, temp
        self.columns, self.sheet = inner.columns, inner.sheet

    def chunks(self, chunk_size: int) -> Iterator[list[Row]]:
        return self._inner.chunks(chunk_size)

    def close(self) -> None:
        self._inner.close()
        self._temp.unlink(missing_ok=True)


def download(url: str, limits: Limits) -> Path:
    """GET an http(s) URL into a temp file, refusing bodies over the size limit."""
    suffix = Path(unquote(urlparse(url).path)).suffix.lower()[:8]
    fd, name = tempfile.mkstemp(prefix="zns-recipients-", suffix=suffix)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, httpx.stream(
            "GET", url, follow_redirects=True, timeout=limits.download_timeout_s
        ) as resp:
            if resp.status_code != 200:
                raise file_error("DOWNLOAD_FAILED", f"HTTP {resp.status_code} từ {_safe_url(url)}")
            declared = int(resp.headers.get("content-length") or 0)
            if declared > limits.max_bytes:
                raise file_error("FILE_TOO_LARGE", f"{declared / 2**20:,.1f} MB")
            received = 0
            for block in resp.iter_bytes(1 << 16):
                received += len(block)
                if received > limits.max_bytes:
                    raise file_error("FILE_TOO_LARGE", f"> {limits.max_bytes / 2**20:,.0f} MB")
                out.write(block)
    except RecipientsFileError:
        temp.unlink(missing_ok=True)
        raise
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
        temp.unlink(missing_ok=True)
        raise file_error("DOWNLOAD_FAILED", f"{_safe_url(url)} ({type(exc).__name__})") from exc
    return temp


def _safe_url(url: str) -> str:
    """URL without query string or credentials (they may carry tokens)."""
    p = urlparse(url)
    return f"{p.scheme}://{p.hostname or ''}{p.path}"


LOCAL_SCHEMES = ("", "file", "http", "https")


def is_fsspec_url(text: str) -> bool:
    """A URL for fsspec (s3://, gs://, memory://…); "C:\\…" (a drive) and "a:b.csv" (a file name) are paths."""
    try:
        scheme = urlparse(text).scheme.lower()
    except ValueError:
        return False
    return "://" in text and len(scheme) > 1 and scheme not in LOCAL_SCHEMES


def _fsspec_open(url: str) -> Any:
    """The fsspec filesystem and path of a URL; an unknown scheme or a missing package is DOWNLOAD_FAILED."""
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except (ImportError, ValueError) as exc:  # "Install s3fs to access S3", "Protocol not known: foo"
        detail = " ".join(str(exc).split())[:200]
        raise file_error("DOWNLOAD_FAILED", f"{_safe_url(url)}: không đọc được giao thức này ({detail})") from exc


def _copy_capped(fs: Any, path: str, out: Any, limits: Limits) -> None:
    """Copy an fsspec object to `out`, refusing it on its size or as soon as it passes the limit."""
    declared = fs.size(path) or 0
    if declared > limits.max_bytes:
        raise file_error("FILE_TOO_LARGE", f"{declared / 2**20:,.1f} MB")
    received = 0
    with fs.open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 16), b""):
            received += len(block)
            if received > limits.max_bytes:
                raise file_error("FILE_TOO_LARGE", f"> {limits.max_bytes / 2**20:,.0f} MB")
            out.write(block)


def fetch(url: str, limits: Limits) -> Path:
    """Copy an fsspec URL (s3://, gs://, memory://…) into a temp file with the download size limit.

    The storage's own exceptions vary by backend, so any of them is one DOWNLOAD_FAILED line.
    """
    fs, path = _fsspec_open(url)
    suffix = Path(unquote(urlparse(url).path)).suffix.lower()[:8]
    fd, name = tempfile.mkstemp(prefix="zns-recipients-", suffix=suffix)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_capped(fs, path, out, limits)
    except RecipientsFileError:
        temp.unlink(missing_ok=True)
        raise
    except FileNotFoundError as exc:
        temp.unlink(missing_ok=True)
        raise file_error("FILE_NOT_FOUND", _safe_url(url)) from exc
    except Exception as exc:  # noqa: BLE001 - s3fs, gcsfs, adlfs… each raise their own errors
        temp.unlink(missing_ok=True)
        raise file_error("DOWNLOAD_FAILED", f"{_safe_url(url)} ({type(exc).__name__})") from exc
    return temp


def _fetched_table(temp: Path, sheet: str | int | None, header_row: int, limits: Limits) -> Table:
    """A table over a downloaded temp file, which is deleted on close (or at once if refused)."""
    try:
        inner = open_file(temp, sheet=sheet, header_row=header_row, limits=limits)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return _TempTable(inner, temp)


def open_source(
    source: str | os.PathLike[str] | None,
    recipients: list[dict[str, Any]] | None,
    *,
    sheet: str | int | None = None,
    header_row: int = 0,
    limits: Limits | None = None,
) -> Table:
    """Open a path, a file://, http(s):// or fsspec URL (s3://…), or a manual list; the caller must `close()`."""
    limits = limits or Limits()
    if (source is None) == (recipients is None):
        raise file_error("BAD_SOURCE", "cần đúng một trong source hoặc recipients")
    if header_row < 0:
        raise file_error("NO_HEADER", f"header_row={header_row} phải >= 0")
    if recipients is not None:
        if not recipients:
            raise file_error("NO_DATA", "danh sách người nhận trống")
        return ManualTable(recipients, limits)
    text = os.fspath(source)  # type: ignore[arg-type]
    try:
        scheme = urlparse(text).scheme.lower()
    except ValueError as exc:  # "http://[::1": urlparse checks IPv6 brackets
        raise file_error("BAD_SOURCE", f"'{text}' ({exc})") from exc
    if scheme in ("http", "https"):
        return _fetched_table(download(text, limits), sheet, header_row, limits)
    if is_fsspec_url(text):
        return _fetched_table(fetch(text, limits), sheet, header_row, limits)
    if scheme == "file":
        parsed = urlparse(text)
        path = Path(url2pathname(unquote(parsed.path)))
    else:
        try:
            path = Path(text).expanduser()
        except RuntimeError as exc:  # "~nouser/...": no such home directory
            raise file_error("FILE_NOT_FOUND", text) from exc
    return open_file(path, sheet=sheet, header_row=header_row, limits=limits)


def read_blank(cells: Sequence[Any]) -> bool:
    """True when every cell of a row is blank (such rows are skipped and counted apart)."""
    return all(is_blank(c) for c in cells)


__all__ = [
    "CalamineTable", "CsvTable", "Limits", "ManualTable", "Row", "Table", "download", "fetch",
    "check_file", "is_fsspec_url", "open_file", "open_source", "read_blank", "read_first_column",
]
