"""Checked before sending: the flow's own ingest on the page's draft, its counts, error rows and previews.

The rows are read by the same `zns.campaign.ingest.ingest` as the flow's `ingest-and-validate`
task, so the page counts what a run today will count.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate, sms_parts
from zns.campaign.ingest import ingest
from zns.campaign.preview import render_zns
from zns.recipients import Limits, RecipientsFileError, ValidationResult, write_error_workbook
from zns.recipients.columns import PHONE_COLUMN_NAMES, ColumnIndex, normalise_name
from zns.recipients.sms_fit import render_sms
from zns.recipients.sources import open_source
from zns.runtime import get_ledger
from zns.spec import CampaignSpec


@dataclass(frozen=True, slots=True)
class ErrorLine:
    """One problem of one row, as the page lists it."""

    row: int
    column: str
    code: str
    message_vi: str


@dataclass(frozen=True, slots=True)
class PreviewRow:
    row: int
    phone: str
    zns_text: str
    sms_text: str | None = None
    sms_length: int = 0
    sms_parts: int = 0


@dataclass(slots=True)
class CheckResult:
    """Counts that add up (rows = valid + invalid), the first problems and the first rendered rows."""

    result: ValidationResult
    errors: list[ErrorLine] = field(default_factory=list)
    sms_unfit: list[ErrorLine] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.result.rows_read

    @property
    def valid(self) -> int:
        return len(self.result.valid)

    @property
    def invalid(self) -> int:
        return len(self.result.invalid)


def read_columns(spec: CampaignSpec, limits: Limits) -> list[str]:
    """The header of the spec's source (sheet and header row as chosen); RecipientsFileError if unusable."""
    recipients = [r.model_dump() for r in spec.recipients] or None
    table = open_source(spec.source, recipients, sheet=spec.sheet_ref, header_row=spec.header_row, limits=limits)
    try:
        return list(table.columns)
    finally:
        table.close()


def prefill(columns: Sequence[str], variables: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Phone column and variable → column as ingest would match them with no mapping given."""
    phone = next((c for c in columns if normalise_name(c) in PHONE_COLUMN_NAMES), "")
    index = ColumnIndex(columns)
    mapping: dict[str, str] = {}
    for name in variables:
        try:
            found = index.find(name)
        except RecipientsFileError:  # several columns fit: the operator picks one
            found = None
        mapping[name] = columns[found] if found is not None else ""
    return phone, mapping


def _lines(result: ValidationResult, limit: int, *, sms_only: bool = False) -> list[ErrorLine]:
    out: list[ErrorLine] = []
    for row in result.invalid:
        for issue in row.issues:
            if sms_only and not issue.code.startswith("SMS_"):
                continue
            out.append(ErrorLine(row.row, issue.column or "", issue.code, issue.message_vi))
            if len(out) >= limit:
                return out
    return out


def _preview(result: ValidationResult, template: ZnsTemplate, sms_template: SmsTemplate | None,
             count: int) -> list[PreviewRow]:
    rows = []
    for r in result.valid[:count]:
        text = render_sms(sms_template, r.sms_values)[0] if sms_template is not None else None
        rows.append(PreviewRow(r.row, r.phone, render_zns(template, r.params), text,
                               len(text or ""), sms_parts(text) if text else 0))
    return rows


def run_check(spec: CampaignSpec, template: ZnsTemplate, sms_template: SmsTemplate | None, *,
              limits: Limits, errors_shown: int = 100, preview_rows: int = 3) -> CheckResult:
    """Validate every row now; RecipientsFileError when the file or the mapping cannot be used."""
    result = ingest(spec, template, sms_template, get_ledger(), limits=limits)
    return CheckResult(
        result=result,
        errors=_lines(result, errors_shown),
        sms_unfit=_lines(result, errors_shown, sms_only=True) if sms_template is not None else [],
        preview=_preview(result, template, sms_template, preview_rows),
    )


def error_workbook_bytes(result: ValidationResult) -> bytes:
    """The error-rows workbook the flow writes, built in a temp file and returned (nothing kept)."""
    fd, name = tempfile.mkstemp(suffix=".xlsx", prefix="zns-error-rows-")
    os.close(fd)
    path = Path(name)
    try:
        write_error_workbook(result, path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
