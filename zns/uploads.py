"""Uploaded recipient files: checked, then stored content-addressed in the data home.

A file is written to a temporary name in the uploads folder, checked with the product's own
file checks (size, type sniffing, zip bombs, declared ranges, encryption, CSV encoding), and
only then renamed to `<sha256><ext>`; a refused file leaves nothing behind. Workers on this
machine read the stored path. `ZNS_UPLOADS_URL` moves the folder (a local path or file:// URL;
fsspec URLs such as s3:// are not supported yet).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import python_calamine as pc

from zns.home import uploads_root
from zns.recipients import Limits, RecipientsFileError
from zns.recipients.errors import file_error
from zns.recipients.sources import CsvTable, check_file

ENV_VAR = "ZNS_UPLOADS_URL"
SUFFIXES = (".xlsx", ".xls", ".csv")
_ID = re.compile(r"^[0-9a-f]{64}\.(xlsx|xls|csv)$")


class UploadConfigError(RuntimeError):
    """ZNS_UPLOADS_URL names a location this version cannot write to."""


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A checked file in the uploads folder; `upload_id` is its file name."""

    upload_id: str
    path: Path
    sheets: list[str]


def uploads_dir() -> Path:
    """$ZNS_UPLOADS_URL (path or file:// URL), else <data home>/uploads; created on first use."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        folder = uploads_root()
    else:
        parsed = urlparse(raw)
        if parsed.scheme == "file":
            folder = Path(url2pathname(unquote(parsed.path)))
        elif parsed.scheme and len(parsed.scheme) > 1:  # "C:\..." is a path, "s3://" is not
            raise UploadConfigError(f"{ENV_VAR}={raw!r}: only local paths and file:// URLs are supported")
        else:
            folder = Path(raw).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def upload_path(upload_id: str) -> Path:
    """The stored file of an id the page handed out; anything else is FILE_NOT_FOUND."""
    path = uploads_dir() / upload_id
    if not _ID.fullmatch(upload_id) or not path.is_file():
        raise file_error("FILE_NOT_FOUND", "file đã tải lên không còn; hãy tải file lên lại")
    return path


def _suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise file_error("NOT_SPREADSHEET", f"'{Path(filename).name}' không phải .xlsx/.xls/.csv")
    return suffix


def _write_capped(chunks: Iterable[bytes], target: Path, limits: Limits) -> str:
    """Copy the upload to `target`, refusing it as soon as it passes the size limit; its sha256."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limits.max_bytes:
                raise file_error("FILE_TOO_LARGE", f"> {limits.max_bytes / 2**20:,.0f} MB")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def sheet_names(path: Path, kind: str, limits: Limits) -> list[str]:
    """Sheets of a checked workbook (a CSV has none); unreadable content is the usual file error."""
    if kind == "text":
        CsvTable(path, 0, limits).close()  # binary or non-UTF-8 text is refused here
        _check_csv_rows(path, limits)
        return []
    try:
        with path.open("rb") as fh:
            workbook = pc.CalamineWorkbook.from_filelike(fh)
            names = list(workbook.sheet_names)
            for name in names:  # every sheet within the row limit: the operator may pick any of them
                rows = workbook.get_sheet_by_name(name).height
                if rows > limits.max_rows + 1:
                    raise file_error("TOO_MANY_ROWS", f"sheet '{name}': {rows - 1:,} dòng > {limits.max_rows:,}")
            return names
    except RecipientsFileError:
        raise
    except pc.PasswordError as exc:
        raise file_error("ENCRYPTED", path.name) from exc
    except pc.CalamineError as exc:
        raise file_error("NOT_SPREADSHEET", f"{path.name} ({exc})") from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":  # calamine's Rust panics, as sources.py says
            raise
        raise file_error("NOT_SPREADSHEET", f"{path.name} (file hỏng)") from exc


def _check_csv_rows(path: Path, limits: Limits) -> None:
    """A CSV's row limit up front (ingest checks it while reading; the page refuses on upload)."""
    lines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines += block.count(b"\n")
    if lines > limits.max_rows + 1:
        raise file_error("TOO_MANY_ROWS", f"{lines:,} dòng > {limits.max_rows:,}")


def store_upload(filename: str, chunks: Iterable[bytes], limits: Limits) -> StoredUpload:
    """Check an uploaded file and keep it under its content hash; RecipientsFileError when refused."""
    suffix = _suffix(filename)
    folder = uploads_dir()
    fd, name = tempfile.mkstemp(prefix=".incoming-", suffix=suffix, dir=folder)
    os.close(fd)
    temp = Path(name)
    try:
        digest = _write_capped(chunks, temp, limits)
        kind = check_file(temp, limits)
        sheets = sheet_names(temp, kind, limits)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    upload_id = digest + suffix
    final = folder / upload_id
    if final.exists():
        temp.unlink(missing_ok=True)
    else:
        os.replace(temp, final)
    return StoredUpload(upload_id, final, sheets)


__all__ = ["RecipientsFileError", "StoredUpload", "UploadConfigError", "store_upload", "upload_path", "uploads_dir"]
