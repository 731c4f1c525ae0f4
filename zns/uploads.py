"""Uploaded recipient files: checked, then stored content-addressed where workers can read them.

A file is written to a temporary name on this machine, checked with the product's own file checks
(size, type sniffing, zip bombs, declared ranges, encryption, CSV encoding), and only then kept
as `<sha256><ext>`; a refused file leaves nothing anywhere. `ZNS_UPLOADS_URL` says where: a local
path or file:// URL (renamed into place), or any fsspec URL (s3://, gs://, memory://…: copied
there; a local copy stays in `<data home>/web/upload-cache` for the page's own checks).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import python_calamine as pc

from zns.home import data_home, uploads_root
from zns.recipients import Limits, RecipientsFileError
from zns.recipients.errors import file_error
from zns.recipients.sources import CsvTable, calamine_errors, check_file, fetch, is_fsspec_url

ENV_VAR = "ZNS_UPLOADS_URL"
SUFFIXES = (".xlsx", ".xls", ".csv")
_ID = re.compile(r"^[0-9a-f]{64}\.(xlsx|xls|csv)$")


class UploadConfigError(RuntimeError):
    """The uploads location cannot be used (no fsspec package for it, storage refused the write)."""

    def __init__(self, code: str, message_vi: str) -> None:
        self.code, self.message_vi = code, message_vi
        super().__init__(f"{code}: {message_vi}")


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A checked, stored file: `upload_id` is its name, `source` what a SPEC carries, `path` a local copy."""

    upload_id: str
    path: Path
    sheets: list[str]
    source: str


def remote_url() -> str | None:
    """$ZNS_UPLOADS_URL when it is an fsspec URL (s3://…), without its trailing slash; else None."""
    raw = os.environ.get(ENV_VAR, "").strip()
    return raw.rstrip("/") if is_fsspec_url(raw) else None


def uploads_dir() -> Path:
    """The local uploads folder ($ZNS_UPLOADS_URL path or file:// URL, else <data home>/uploads), or
    the local copies of a remote location; created on first use."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        folder = uploads_root()
    elif is_fsspec_url(raw):
        folder = data_home() / "web" / "upload-cache"
    elif urlparse(raw).scheme == "file":
        folder = Path(url2pathname(unquote(urlparse(raw).path)))
    else:
        folder = Path(raw).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def _filesystem(url: str) -> tuple[Any, str]:
    """fsspec's filesystem and root path for the uploads URL; a missing package is a config error."""
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except (ImportError, ValueError) as exc:  # "Install s3fs to access S3", "Protocol not known"
        raise UploadConfigError("UPLOADS_CONFIG", f"{ENV_VAR}: không dùng được vị trí này "
                                f"({' '.join(str(exc).split())[:200]}); cài gói fsspec tương ứng, ví dụ s3fs") from exc


def _not_found() -> RecipientsFileError:
    """The one answer for an id that is not (or no longer) a stored upload."""
    return file_error("FILE_NOT_FOUND", "file đã tải lên không còn; hãy tải file lên lại")


def upload_source(upload_id: str) -> str:
    """What a SPEC's `source` says for a stored upload: its local absolute path or its fsspec URL."""
    if not _ID.fullmatch(upload_id):
        raise _not_found()
    url = remote_url()
    if url is None:
        return str(upload_path(upload_id))
    fs, root = _filesystem(url)
    try:
        found = fs.exists(f"{root}/{upload_id}")
    except Exception as exc:  # noqa: BLE001 - each storage backend raises its own errors
        raise file_error("DOWNLOAD_FAILED", f"{ENV_VAR}: không đọc được ({type(exc).__name__})") from exc
    if not found:
        raise _not_found()
    return f"{url}/{upload_id}"


def upload_path(upload_id: str, limits: Limits | None = None) -> Path:
    """A local copy of an upload the page handed out (fetched again from a remote location when
    this machine has none); anything else is FILE_NOT_FOUND."""
    if not _ID.fullmatch(upload_id):
        raise _not_found()
    path = uploads_dir() / upload_id
    if path.is_file():
        return path
    url = remote_url()
    if url is None:
        raise _not_found()
    return _refetch(f"{url}/{upload_id}", path, limits or Limits())


def _refetch(url: str, path: Path, limits: Limits) -> Path:
    """Copy a remote upload back into the local cache, only if its content still has its id's hash."""
    temp = fetch(url, limits)
    try:
        if _sha256(temp) != path.name.split(".", 1)[0]:
            raise file_error("FILE_NOT_FOUND", "file đã tải lên đã bị thay đổi; hãy tải file lên lại")
        shutil.move(temp, path)  # the temp folder may be another filesystem
    finally:
        temp.unlink(missing_ok=True)
    return path


def _sha256(path: Path) -> str:
    """The content hash an upload id starts with."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    with calamine_errors(path), path.open("rb") as fh:
        workbook = pc.CalamineWorkbook.from_filelike(fh)
        names = list(workbook.sheet_names)
        for name in names:  # every sheet within the row limit: the operator may pick any of them
            rows = workbook.get_sheet_by_name(name).height
            if rows > limits.max_rows + 1:
                raise file_error("TOO_MANY_ROWS", f"sheet '{name}': {rows - 1:,} dòng > {limits.max_rows:,}")
        return names


def _check_csv_rows(path: Path, limits: Limits) -> None:
    """A CSV's row limit up front (ingest checks it while reading; the page refuses on upload)."""
    lines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            lines += block.count(b"\n")
    if lines > limits.max_rows + 1:
        raise file_error("TOO_MANY_ROWS", f"{lines:,} dòng > {limits.max_rows:,}")


def _put_remote(local: Path, url: str, upload_id: str) -> None:
    """Copy a checked file to the remote location (skipped when that content is already there)."""
    fs, root = _filesystem(url)
    target = f"{root}/{upload_id}"
    try:
        if fs.exists(target):
            return
        with local.open("rb") as src, fs.open(target, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                out.write(block)
    except Exception as exc:  # noqa: BLE001 - each storage backend raises its own errors
        _remove_quietly(fs, target)
        raise UploadConfigError("UPLOAD_STORE_FAILED",
                                f"không lưu được file vào {ENV_VAR} ({type(exc).__name__})") from exc


def _remove_quietly(fs: Any, target: str) -> None:
    """Best effort: a copy that failed half way must not stay as a truncated upload."""
    with contextlib.suppress(Exception):  # the write error is what is reported
        fs.rm(target)


def _checked_temp(filename: str, suffix: str, folder: Path, chunks: Iterable[bytes],
                  limits: Limits) -> tuple[Path, str, list[str]]:
    """The upload in a temp file of `folder`, checked; (temp, sha256, sheets). Refused: no temp left,
    and the refusal names the operator's file, not the temp file."""
    fd, name = tempfile.mkstemp(prefix=".incoming-", suffix=suffix, dir=folder)
    os.close(fd)
    temp = Path(name)
    try:
        digest = _write_capped(chunks, temp, limits)
        kind = check_file(temp, limits)
        return temp, digest, sheet_names(temp, kind, limits)
    except RecipientsFileError as exc:
        temp.unlink(missing_ok=True)
        shown = Path(filename).name or "file"
        message = exc.message_vi.replace(str(temp), shown).replace(temp.name, shown)
        raise RecipientsFileError(exc.code, message) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def store_upload(filename: str, chunks: Iterable[bytes], limits: Limits) -> StoredUpload:
    """Check an uploaded file and keep it under its content hash; RecipientsFileError when refused."""
    suffix = _suffix(filename)
    folder, url = uploads_dir(), remote_url()
    temp, digest, sheets = _checked_temp(filename, suffix, folder, chunks, limits)
    upload_id = digest + suffix
    try:
        if url is not None:
            _put_remote(temp, url, upload_id)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    final = folder / upload_id
    if final.exists():
        temp.unlink(missing_ok=True)
    else:
        os.replace(temp, final)
    return StoredUpload(upload_id, final, sheets, f"{url}/{upload_id}" if url is not None else str(final))


__all__ = [
    "RecipientsFileError", "StoredUpload", "UploadConfigError", "remote_url", "store_upload", "upload_path",
    "upload_source", "uploads_dir",
]
