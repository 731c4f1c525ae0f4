"""Validate recipient rows against a ZNS template (and the fallback SMS template), streaming.

Rules are compiled once per campaign into one small closure per column; a row then costs a
phone normalisation, one call per param and, with a fallback, one render plus one regex match.
The only state that grows with the file is the phone -> first row map used for DUPLICATE.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from esms.models import ParamType, ZnsParam, ZnsTemplate
from esms.sms_templates import SmsTemplate
from zns.phones import PhoneError, normalize_phone
from zns.progress import progress
from zns.recipients.cells import (
    cell_date,
    cell_number,
    cell_text,
    clean_text,
    is_blank,
    is_url,
)
from zns.recipients.columns import ColumnPlan, plan_columns
from zns.recipients.date_filter import DateFilter
from zns.recipients.errors import file_error, row_message
from zns.recipients.models import (
    InvalidRow,
    Issue,
    Recipient,
    ValidatedChunk,
    ValidationResult,
)
from zns.recipients.sms_fit import MISMATCH, MISSING, TOO_LONG, sms_value, text_problem, value_problem
from zns.recipients.sources import Limits, Row, Table, open_source, read_blank

MAX_NUMBER_DIGITS = 12  # docs/esms-api.md §3.1 type_number



class ParamProblem(Exception):
    """Raised by a compiled param rule; `text` is the cell as the operator typed it."""

    def __init__(self, code: str, detail: str, text: str = "") -> None:
        super().__init__(code)
        self.code, self.detail, self.text = code, detail, text


Rule = Callable[[Any], str]  # cell -> the template string, or raise ParamProblem


def _text(cell: Any) -> str:
    return clean_text(cell) if cell.__class__ is str else cell_text(cell)


def compile_param(param: ZnsParam) -> Rule:
    """One closure per template param: cell -> string in the form ZNS wants, or ParamProblem."""
    name, kind = param.name, param.type
    max_len, min_len = param.max_length, param.min_length
    accept_null = param.accept_null

    def missing() -> str:
        if accept_null:
            return ""
        raise ParamProblem("MISSING_PARAM", f"thiếu giá trị cho biến '{name}' của mẫu ZNS")

    def lengths(value: str) -> str:
        n = len(value)
        if max_len is not None and n > max_len:
            raise ParamProblem(
                "TOO_LONG", f"dài {n} ký tự, tối đa {max_len} ký tự cho biến '{name}'", value
            )
        if n < min_len:
            raise ParamProblem(
                "TOO_SHORT", f"dài {n} ký tự, cần ít nhất {min_len} ký tự cho biến '{name}'", value
            )
        return value

    if kind is ParamType.DATE:

        def rule(cell: Any) -> str:
            value = cell_date(cell)
            if value is None:
                if is_blank(cell):
                    return missing()
                text = _text(cell)
                raise ParamProblem("BAD_DATE", f"'{text}' không phải ngày hợp lệ", text)
            return lengths(value)

    elif kind is ParamType.NUMBER:

        def rule(cell: Any) -> str:
            if cell.__class__ is float and cell >= 0 and cell.is_integer() and cell < 1e15:
                value = "%d" % cell  # noqa: UP031 - hot path
            else:
                if is_blank(cell):
                    return missing()
                number = cell_number(cell)
                if number is None:
                    text = _text(cell)
                    raise ParamProblem("BAD_NUMBER", f"'{text}' không phải số nguyên không âm", text)
                value = number
            if len(value) > MAX_NUMBER_DIGITS:
                raise ParamProblem(
                    "BAD_NUMBER", f"'{value}' có {len(value)} chữ số, tối đa {MAX_NUMBER_DIGITS}",
                    value,
                )
            return lengths(value)

    elif kind is ParamType.URL:

        def rule(cell: Any) -> str:
            value = _text(cell)
            if not value:
                return missing()
            if not is_url(value):
                raise ParamProblem("BAD_URL", f"'{value}' không phải đường dẫn http(s)", value)
            return lengths(value)

    else:

        def rule(cell: Any) -> str:
            if cell.__class__ is str:
                value = cell.strip()
                if value and (value[0] in "'#" or not value.isascii()):
                    value = clean_text(value)  # neutralised / error / Unicode text
            else:
                value = cell_text(cell)
            if not value:
                return missing()
            if (max_len is not None and len(value) > max_len) or len(value) < min_len:
                return lengths(value)
            return value

    return rule


def _canonical(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except PhoneError:
        return str(raw).strip()


def normalise_blocklist(phones: Iterable[str]) -> frozenset[str]:
    """Blocklist entries in the canonical phone form (unparseable entries kept as typed)."""
    return frozenset(_canonical(raw) for raw in phones)


REFUSAL_DETAIL = {  # what a row refused by phone says after "Cột '...' dòng N: "
    "BLOCKED": "số {phone} nằm trong danh sách chặn",
    "FREQUENCY_CAP": "số {phone} đã nhận đủ số tin ZNS cho phép từ OA trong kỳ",
}


def refused_phones(blocklist: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """Phone → the row code it is refused with: a plain list is the blocklist (BLOCKED); a mapping
    names each phone's code (FREQUENCY_CAP for the campaign's frequency cap)."""
    if not blocklist:
        return {}
    if isinstance(blocklist, Mapping):
        return {_canonical(phone): code for phone, code in blocklist.items()}
    return dict.fromkeys(normalise_blocklist(blocklist), "BLOCKED")


class _SmsProblem(Exception):
    """A fallback SMS check failed in the fast path (the slow path says which and where)."""


class RowValidator:
    """Validates rows of one source; holds the compiled rules and the duplicate map.

    `validate` tries a fast path that assumes the row is valid; on the first problem it
    re-checks the row in `_collect`, which lists every problem with its message.
    """

    def __init__(
        self,
        template: ZnsTemplate,
        plan: ColumnPlan,
        columns: list[str],
        *,
        sms_template: SmsTemplate | None = None,
        blocklist: Iterable[str] | Mapping[str, str] | None = None,
    ) -> None:
        self.columns = tuple(columns)
        params = sorted(template.params, key=lambda p: p.order)
        self._phone_index = plan.phone_index
        self._phone_column = plan.phone_column
        self._rules = [
            (index, compile_param(p)) for p, index in zip(params, plan.param_indices, strict=True)
        ]
        self._rule_columns = [columns[i] for i in plan.param_indices]
        param_pos = {index: pos for pos, index in enumerate(plan.param_indices)}
        self._sms = sms_template
        # (var name, max length, column index, column name, position among ZNS params or -1)
        self._sms_vars: list[tuple[str, int | None, int, str, int]] = []
        if sms_template is not None:
            for var, index in zip(sms_template.variables, plan.sms_indices, strict=True):
                self._sms_vars.append(
                    (var.name, var.max_length, index, columns[index], param_pos.get(index, -1))
                )
            self._sms_pattern = sms_template.pattern()  # SmsTemplate.matches, compiled once
            self._sms_format = _render_format(sms_template)
        self._sms_fast = [
            (name, 1 << 30 if m is None else m, i, p) for name, m, i, _, p in self._sms_vars
        ]
        self._blocked = refused_phones(blocklist)
        self.first_row: dict[str, int] = {}  # phone -> row number of its first valid row

    def validate(self, number: int, cells: Sequence[Any]) -> Recipient | InvalidRow:
        """Check one row; an invalid row lists every problem, not only the first."""
        try:
            phone = normalize_phone(cells[self._phone_index])
            if phone in self.first_row or phone in self._blocked:
                return self._collect(number, cells)
            params = [rule(cells[i]) for i, rule in self._rules]
            sms_values = self._sms_values(cells, params) if self._sms is not None else {}
        except (PhoneError, ParamProblem, _SmsProblem):
            return self._collect(number, cells)
        self.first_row[phone] = number
        return Recipient(number, phone, params, sms_values, cells, self.columns)

    def _sms_values(self, cells: Sequence[Any], params: list[str]) -> dict[str, str]:
        """Fast path of the fallback checks: ASCII values within limits, text fits the template."""
        values: dict[str, str] = {}
        for name, max_len, index, pos in self._sms_fast:
            value = sms_value(params[pos] if pos >= 0 else _text(cells[index]))
            if value_problem(value, max_len):
                raise _SmsProblem
            values[name] = value
        if text_problem(self._sms_format.format_map(values), self._sms_pattern):
            raise _SmsProblem
        return values

    def _collect(self, number: int, cells: Sequence[Any]) -> Recipient | InvalidRow:
        """Slow path: run every check and keep every problem with its Vietnamese message."""
        issues: list[Issue] = []
        phone_cell = cells[self._phone_index]
        phone_column = self._phone_column
        try:
            phone = normalize_phone(phone_cell)
        except PhoneError as exc:
            phone = cell_text(phone_cell)
            if exc.code == "MISSING_PHONE":
                detail = "thiếu số điện thoại"
            else:
                detail = f"'{phone}': {exc.reason_vi[0].lower()}{exc.reason_vi[1:]}"
            issues.append(Issue(exc.code, phone_column, row_message(
                exc.code, number, phone_column, detail)))
        else:
            if phone in self._blocked:
                code = self._blocked[phone]
                issues.append(Issue(code, phone_column, row_message(
                    code, number, phone_column, REFUSAL_DETAIL[code].format(phone=phone))))
            first = self.first_row.get(phone)
            if first is not None:
                issues.append(Issue("DUPLICATE", phone_column, row_message(
                    "DUPLICATE", number, phone_column,
                    f"số {phone} trùng với dòng {first} (dòng {first} được gửi)")))
        params: list[str] = []
        bad_params: set[int] = set()
        for pos, (index, rule) in enumerate(self._rules):
            try:
                params.append(rule(cells[index]))
            except ParamProblem as problem:
                column = self._rule_columns[pos]
                issues.append(Issue(problem.code, column, row_message(
                    problem.code, number, column, problem.detail)))
                bad_params.add(pos)
                params.append(problem.text)
        sms_values: dict[str, str] = {}
        if self._sms is not None:
            self._check_sms(number, cells, params, bad_params, sms_values, issues)
        if issues:
            return InvalidRow(number, phone, issues, cells, self.columns)
        self.first_row[phone] = number  # pragma: no cover - the fast path accepts such rows
        return Recipient(number, phone, params, sms_values, cells, self.columns)

    def _check_sms(
        self,
        number: int,
        cells: Sequence[Any],
        params: list[str],
        bad_params: set[int],
        out: dict[str, str],
        issues: list[Issue],
    ) -> None:
        """Fallback SMS variables (ASCII, within {Pn,max}) and the rendered text, with reasons."""
        complete = True
        for name, max_len, index, column, pos in self._sms_vars:
            if pos >= 0:
                if pos in bad_params:  # already reported on the ZNS side
                    complete = False
                    continue
                value = params[pos]
            else:
                value = _text(cells[index])
            value = sms_value(value)
            problem = value_problem(value, max_len)
            if problem == MISSING:
                complete = False
                issues.append(Issue(MISSING, column, row_message(
                    MISSING, number, column,
                    f"thiếu giá trị (không dấu) cho biến {name} của tin SMS dự phòng")))
            elif problem == TOO_LONG:
                complete = False
                issues.append(Issue(TOO_LONG, column, row_message(
                    TOO_LONG, number, column,
                    f"'{value}' dài {len(value)} ký tự sau khi bỏ dấu, mẫu SMS cho phép "
                    f"tối đa {max_len} ký tự cho {name}")))
            out[name] = value
        if not complete:
            return
        sms = self._sms
        assert sms is not None
        text = sms.render(out)
        problem = text_problem(text, self._sms_pattern)
        if problem == TOO_LONG:
            issues.append(Issue(TOO_LONG, None, row_message(
                TOO_LONG, number, None, f"tin SMS dự phòng dài {len(text)} ký tự, vượt giới hạn gửi")))
        elif problem == MISMATCH:
            issues.append(Issue(MISMATCH, None, row_message(
                MISMATCH, number, None,
                f"tin SMS dự phòng không khớp mẫu {sms.template_id} của brandname {sms.brandname}")))


def _render_format(template: SmsTemplate) -> str:
    """`template.render` as a str.format_map pattern ({P1}, {P2}, ...).

    Found by rendering sentinels through SmsTemplate itself, so the placeholder syntax stays
    in one place; literal braces of the template are escaped.
    """
    names = [v.name for v in template.variables]
    rendered = template.render({n: f"\x00{i}\x00" for i, n in enumerate(names)})
    pieces = re.split("\x00(\\d+)\x00", rendered)
    return "".join(
        "{" + names[int(piece)] + "}" if k % 2 else piece.replace("{", "{{").replace("}", "}}")
        for k, piece in enumerate(pieces)
    )


class IngestStream:
    """Iterable of `ValidatedChunk`s over one source; the mapping is checked on creation.

    Close it (or use `with`) when not iterating to the end; iterating to the end closes it.
    """

    def __init__(
        self,
        template: ZnsTemplate,
        table: Table,
        *,
        phone_column: str | None,
        columns: dict[str, str] | None,
        sms_template: SmsTemplate | None,
        sms_columns: dict[str, str] | None,
        blocklist: Iterable[str] | Mapping[str, str] | None,
        chunk_size: int,
        source: str | None = None,
        row_filter: DateFilter | None = None,
    ) -> None:
        self.table = table
        self.columns = list(table.columns)
        self.sheet = table.sheet
        self.source = source
        self.template = template
        self.chunk_size = chunk_size
        self.plan = plan_columns(
            self.columns, template, phone_column=phone_column, mapping=columns,
            sms_template=sms_template, sms_columns=sms_columns,
        )
        self.validator = RowValidator(
            template, self.plan, self.columns, sms_template=sms_template, blocklist=blocklist
        )
        self.keep = row_filter.bind(self.columns) if row_filter is not None else None
        self.rows_read = 0
        self.blank_rows = 0
        self.filtered_rows = 0

    def __enter__(self) -> IngestStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.table.close()

    def __iter__(self) -> Iterator[ValidatedChunk]:
        validate = self.validator.validate
        try:
            for rows in self.table.chunks(self.chunk_size):
                yield self._chunk(rows, validate)
            if self.rows_read == 0 and self.filtered_rows == 0:
                raise file_error("NO_DATA", "không có dòng dữ liệu dưới dòng tiêu đề")
        finally:
            self.close()

    def _chunk(
        self, rows: list[Row], validate: Callable[[int, Sequence[Any]], Recipient | InvalidRow]
    ) -> ValidatedChunk:
        out = ValidatedChunk()
        valid, invalid = out.valid, out.invalid
        phone_index = self.plan.phone_index
        keep = self.keep
        # Thousands of new acyclic containers per chunk would run the cyclic GC over and over
        # (~10-15 % of ingest time); pause it for the chunk, restore it as it was.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for number, cells in rows:
                first = cells[phone_index]
                if first.__class__ is not float and is_blank(first) and read_blank(cells):
                    out.blank_rows += 1
                    continue
                if keep is not None and not keep(cells):
                    out.filtered_rows += 1
                    continue
                item = validate(number, cells)
                if item.__class__ is Recipient:
                    valid.append(item)  # type: ignore[arg-type]
                else:
                    invalid.append(item)  # type: ignore[arg-type]
        finally:
            if gc_was_enabled:
                gc.enable()
        self.rows_read += len(valid) + len(invalid)
        self.blank_rows += out.blank_rows
        self.filtered_rows += out.filtered_rows
        return out


def iter_validated(
    template: ZnsTemplate,
    *,
    source: str | os.PathLike[str] | None = None,
    sheet: str | int | None = None,
    header_row: int = 0,
    phone_column: str | None = None,
    columns: dict[str, str] | None = None,
    recipients: list[dict[str, Any]] | None = None,
    sms_template: SmsTemplate | None = None,
    sms_columns: dict[str, str] | None = None,
    blocklist: Iterable[str] | Mapping[str, str] | None = None,
    chunk_size: int = 5000,
    limits: Limits | None = None,
    row_filter: DateFilter | None = None,
) -> IngestStream:
    """Open the source and check the mapping now (RecipientsFileError), validate while iterated.

    Same arguments as `load_recipients`. Yields `ValidatedChunk`s of up to `chunk_size` rows;
    a limit hit while reading a CSV (rows) or a file without data rows raises during iteration.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    table = open_source(source, recipients, sheet=sheet, header_row=header_row, limits=limits)
    try:
        return IngestStream(
            template, table, phone_column=phone_column, columns=columns,
            sms_template=sms_template, sms_columns=sms_columns, blocklist=blocklist,
            chunk_size=chunk_size, source=None if source is None else _display(os.fspath(source)),
            row_filter=row_filter,
        )
    except BaseException:
        table.close()
        raise


def _display(source: str) -> str:
    """Source as reports may show it: URLs without query string or credentials."""
    parsed = urlparse(source)
    if parsed.scheme in ("http", "https"):
        return f"{parsed.scheme}://{parsed.hostname or ''}{parsed.path}"
    return source


def load_recipients(
    template: ZnsTemplate,
    *,
    source: str | os.PathLike[str] | None = None,
    sheet: str | int | None = None,
    header_row: int = 0,
    phone_column: str | None = None,
    columns: dict[str, str] | None = None,
    recipients: list[dict[str, Any]] | None = None,
    sms_template: SmsTemplate | None = None,
    sms_columns: dict[str, str] | None = None,
    blocklist: Iterable[str] | Mapping[str, str] | None = None,
    chunk_size: int = 5000,
    limits: Limits | None = None,
    row_filter: DateFilter | None = None,
) -> ValidationResult:
    """Read and validate a whole source; raises RecipientsFileError when it is unusable.

    `source` is a path or a file:// / http(s):// URL (.xlsx/.xlsm/.xls/.csv, sniffed by content);
    `recipients` a typed-in list `[{"phone": ..., "values": {param: value}}]` instead.
    `header_row` is the 0-based sheet row of the header (0 = Excel row 1; empty rows above the
    first non-empty row are skipped), so the first data row is numbered `header_row + 2`.
    `columns` maps template params to columns (default: columns named like the params);
    `sms_columns` maps fallback SMS variables (P1, ...) to columns. Fully blank rows are
    skipped and counted in `blank_rows`, not in `rows_read`.
    """
    stream = iter_validated(
        template, source=source, sheet=sheet, header_row=header_row, phone_column=phone_column,
        columns=columns, recipients=recipients, sms_template=sms_template,
        sms_columns=sms_columns, blocklist=blocklist, chunk_size=chunk_size, limits=limits,
        row_filter=row_filter,
    )
    valid: list[Recipient] = []
    invalid: list[InvalidRow] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as in IngestStream._chunk, and the growing lists need no cycle scans either
    try:
        for chunk in stream:
            valid.extend(chunk.valid)
            invalid.extend(chunk.invalid)
            progress("ingest", stream.rows_read)
    finally:
        if gc_was_enabled:
            gc.enable()
    return ValidationResult(
        valid=valid,
        invalid=invalid,
        rows_read=stream.rows_read,
        columns=stream.columns,
        blank_rows=stream.blank_rows,
        filtered_rows=stream.filtered_rows,
        sheet=stream.sheet,
        source=stream.source,
        param_names=template.param_names,
        phone_column=stream.plan.phone_column,
        column_map=stream.plan.column_map,
        sms_column_map=stream.plan.sms_column_map,
    )
