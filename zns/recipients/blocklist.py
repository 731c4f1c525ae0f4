"""Blocklists: phones that must never receive a campaign (opt-outs, complaints, staff)."""

from __future__ import annotations

import os
from pathlib import Path

from zns.phones import PhoneError, normalize_phone
from zns.recipients.sources import Limits, read_first_column


def load_blocklist(path: str | os.PathLike[str], limits: Limits | None = None) -> set[str]:
    """Phones of the first column of a .txt/.csv/.xlsx/.xls file, normalised.

    A header line and cells that are not mobile numbers are skipped (they cannot match a
    valid recipient anyway). Raises RecipientsFileError for missing or unreadable files.
    """
    phones: set[str] = set()
    for value in read_first_column(Path(path), limits or Limits()):
        try:
            phones.add(normalize_phone(value))
        except PhoneError:
            continue
    return phones
