"""Which column feeds the phone, each ZNS param and each SMS variable.

Names match ignoring case, surrounding spaces, Vietnamese diacritics and `_`/`-`/`.`
("Số điện thoại" == "so dien thoai" == "SO_DIEN_THOAI"). Every failure is a
`RecipientsFileError` raised before any row is validated, listing the available columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate, to_ascii
from zns.recipients.errors import file_error

_SEPS = re.compile(r"[\s_\-.]+")

# Normalised names a phone column is usually given in Vietnamese and English sheets.
PHONE_COLUMN_NAMES: tuple[str, ...] = (
    "phone", "sdt", "so dien thoai", "mobile", "dien thoai", "phone number", "so dt",
    "dtdd", "di dong", "so di dong", "mobile phone", "tel", "telephone", "dt", "so dtdd",
    "so dien thoai di dong", "msisdn", "phone no", "so phone",
)


def normalise_name(name: str) -> str:
    """Comparison key of a column name: no diacritics, lower case, one space between words."""
    return _SEPS.sub(" ", to_ascii(name).lower()).strip()


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Resolved column indices for one source."""

    phone_index: int
    param_indices: tuple[int, ...]  # in template order
    sms_indices: tuple[int, ...]  # in SmsTemplate.variables order
    phone_column: str
    column_map: dict[str, str]
    sms_column_map: dict[str, str]


class ColumnIndex:
    """Looks column names up in one header row."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self._exact: dict[str, list[int]] = {}
        self._loose: dict[str, list[int]] = {}
        for i, name in enumerate(self.columns):
            self._exact.setdefault(name.strip(), []).append(i)
            self._loose.setdefault(normalise_name(name), []).append(i)

    def available(self) -> str:
        return ", ".join(f"'{c}'" for c in self.columns if c.strip()) or "(không có)"

    def find(self, name: str) -> int | None:
        """Index of `name`, None when absent; raise when several columns fit equally well."""
        for table, key in ((self._exact, name.strip()), (self._loose, normalise_name(name))):
            hits = table.get(key, [])
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise file_error("AMBIGUOUS_COLUMN", f"'{name}' khớp nhiều cột ({len(hits)})")
        return None

    def require(self, name: str, what: str) -> int:
        index = self.find(name)
        if index is None:
            raise file_error(
                "UNKNOWN_COLUMN",
                f"không có cột '{name}' ({what}); các cột có trong file: {self.available()}",
            )
        return index


def plan_columns(
    columns: Sequence[str],
    template: ZnsTemplate,
    *,
    phone_column: str | None,
    mapping: dict[str, str] | None,
    sms_template: SmsTemplate | None,
    sms_columns: dict[str, str] | None,
) -> ColumnPlan:
    """Resolve the mapping against the header, or raise a `RecipientsFileError`."""
    index = ColumnIndex(columns)
    param_names = template.param_names
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(param_names))
    if unknown:
        raise file_error(
            "UNKNOWN_COLUMN",
            f"mẫu {template.template_id} không có biến {', '.join(unknown)}; "
            f"các biến của mẫu: {', '.join(param_names)}",
        )
    if phone_column:
        phone_index = index.require(phone_column, "số điện thoại")
    else:
        phone_index = next(
            (i for i, c in enumerate(columns) if normalise_name(c) in PHONE_COLUMN_NAMES), -1
        )
        if phone_index < 0:
            raise file_error(
                "NO_PHONE_COLUMN", f"các cột có trong file: {index.available()}"
            )
    param_indices: list[int] = []
    column_map: dict[str, str] = {}
    for name in param_names:
        if name in mapping:
            i = index.require(mapping[name], f"biến '{name}'")
        else:
            found = index.find(name)
            if found is None:
                raise file_error(
                    "MISSING_COLUMN",
                    f"biến '{name}' của mẫu {template.template_id} chưa có cột; "
                    f"các cột có trong file: {index.available()}",
                )
            i = found
        param_indices.append(i)
        column_map[name] = columns[i]
    sms_indices: list[int] = []
    sms_map: dict[str, str] = {}
    if sms_template is None:
        if sms_columns:
            raise file_error("BAD_SOURCE", "có sms_columns nhưng chưa chọn mẫu SMS dự phòng")
    else:
        sms_columns = dict(sms_columns or {})
        variables = [v.name for v in sms_template.variables]
        extra = sorted(set(sms_columns) - set(variables))
        if extra:
            raise file_error(
                "UNKNOWN_COLUMN",
                f"mẫu SMS không có biến {', '.join(extra)}; các biến: {', '.join(variables)}",
            )
        for var in variables:
            if var not in sms_columns:
                raise file_error("MISSING_COLUMN", f"biến SMS {var} chưa được gán cột")
            i = index.require(sms_columns[var], f"biến SMS {var}")
            sms_indices.append(i)
            sms_map[var] = columns[i]
    return ColumnPlan(
        phone_index=phone_index,
        param_indices=tuple(param_indices),
        sms_indices=tuple(sms_indices),
        phone_column=columns[phone_index],
        column_map=column_map,
        sms_column_map=sms_map,
    )
