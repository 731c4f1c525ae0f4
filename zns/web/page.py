"""What the campaign page shows for a draft: account, catalog, template, columns, check, fallback, cost.

One function builds it from the submitted form on every change, so the page is rendered from a
single state and every section agrees with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from esms import EsmsError
from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate
from zns.accounts import AccountError
from zns.campaign.preflight import Preflight, run_preflight
from zns.catalog import Catalog
from zns.recipients import Limits, RecipientsFileError
from zns.recipients.sources import check_file
from zns.uploads import sheet_names, upload_path, upload_source
from zns.web.account import (
    AccountBlocks,
    AccountSummary,
    CatalogCache,
    account_summary,
    resolve_account,
    with_client,
)
from zns.web.check import CheckResult, prefill, read_columns, run_check
from zns.web.forms import Draft, FormError, build_spec
from zns.web.settings import WebSettings


@dataclass(slots=True)
class PageState:
    """Everything the dynamic sections render; a `*_error` is one Vietnamese line with its code."""

    draft: Draft
    blocks: AccountBlocks = field(default_factory=AccountBlocks)
    account: AccountSummary | None = None
    account_error: str | None = None
    catalog: Catalog | None = None
    templates: list[ZnsTemplate] = field(default_factory=list)
    template: ZnsTemplate | None = None
    template_error: str | None = None
    sheets: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    source_error: RecipientsFileError | FormError | None = None
    check: CheckResult | None = None
    sms_templates: list[SmsTemplate] = field(default_factory=list)
    sms_template: SmsTemplate | None = None
    preflight: Preflight | None = None
    preflight_error: str | None = None

    @property
    def account_choices(self) -> list[str]:
        """Saved block names, plus the chosen one if it is not (or no longer) listed."""
        names = list(self.blocks.names)
        if self.draft.account and self.draft.account not in names:
            names.append(self.draft.account)
        return names

    @property
    def send_blocked(self) -> tuple[str, str] | None:
        """(code, what to do) when this page cannot start a campaign: no account or no Prefect."""
        if self.account_error is not None:
            return ("NO_ACCOUNT", "Chưa dùng được tài khoản eSMS nên chưa gửi được: đặt ESMS_API_KEY và "
                    "ESMS_SECRET_KEY (hoặc chọn một block tài khoản) rồi khởi động lại bằng `zns up`")
        problem = self.blocks.problem[0] if self.blocks.problem else None
        if problem == "NO_PREFECT_API":
            return ("NO_PREFECT", "Trang chưa nối với máy chủ Prefect nên chưa gửi được: khởi động bằng "
                    "`zns up` (hoặc đặt PREFECT_API_URL cho máy chủ web) rồi tải lại trang")
        if problem == "BLOCKS_UNAVAILABLE":
            return ("PREFECT_UNAVAILABLE", "Máy chủ Prefect không trả lời nên chưa gửi được: kiểm tra "
                    "`zns status`, chạy `zns up` nếu nó đã dừng, rồi tải lại trang")
        return None

    @property
    def variables(self) -> list[str]:
        return self.template.param_names if self.template is not None else []

    @property
    def sms_targets(self) -> list[str]:
        """What an SMS variable can take its value from: ZNS variables, then the file's columns."""
        extra = [c for c in self.columns if c not in self.variables and c != "phone"]
        return [*self.variables, *extra]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


async def _account(state: PageState) -> None:
    try:
        state.account = await account_summary(state.draft.account or None)
    except (AccountError, EsmsError) as exc:
        state.account_error = _one_line(exc)


async def _catalog(state: PageState, cache: CatalogCache) -> None:
    draft = state.draft
    try:
        state.catalog = await cache.catalog(draft.account or None)
    except (AccountError, EsmsError) as exc:
        state.account_error = state.account_error or _one_line(exc)
        return
    if draft.oa_id not in state.catalog.oas:
        draft.oa_id = next(iter(state.catalog.oas), "")
    state.templates = state.catalog.templates_of(draft.oa_id)
    if draft.template_id and draft.template_id not in {t.template_id for t in state.templates}:
        draft.template_id = ""
    if draft.template_id:
        try:
            state.template = await cache.template(draft.account or None, draft.oa_id, draft.template_id,
                                                  draft.message_type)
        except EsmsError as exc:
            state.template_error = _one_line(exc)
    if draft.brandname and draft.brandname in state.catalog.sms_templates:
        state.sms_templates = state.catalog.sms_templates[draft.brandname]
        chosen = [t for t in state.sms_templates if t.has_id(draft.sms_template_id)]
        state.sms_template = chosen[0] if chosen else (state.sms_templates[0] if len(state.sms_templates) == 1
                                                       else None)
        if state.sms_template is not None:
            draft.sms_template_id = state.sms_template.template_id


def source_path(draft: Draft, limits: Limits | None = None) -> str | None:
    """A local copy of the stored upload, for the page's checks (FILE_NOT_FOUND when not one of ours)."""
    if draft.source_mode != "file" or not draft.upload_id:
        return None
    return str(upload_path(draft.upload_id, limits))


def spec_source(draft: Draft) -> str | None:
    """What the SPEC carries: the upload's absolute path, or its URL in an fsspec uploads location."""
    return upload_source(draft.upload_id) if draft.source_mode == "file" and draft.upload_id else None


def _sheets(path: str, settings: WebSettings) -> list[str]:
    return sheet_names(Path(path), check_file(Path(path), settings.limits), settings.limits)


def _columns(state: PageState, settings: WebSettings) -> None:
    """Sheets, header and the mapping (pre-filled when the file, sheet, header or template changed)."""
    draft = state.draft
    if draft.source_mode == "grid":
        state.columns = ["phone", *state.variables]
        return
    if not draft.upload_id:
        return
    try:
        path = source_path(draft, settings.limits)
        assert path is not None
        state.sheets = _sheets(path, settings)
        if draft.sheet and draft.sheet not in state.sheets:
            draft.sheet = ""
        spec = build_spec(draft, source=path, for_check=True)
        state.columns = read_columns(spec, settings.limits)
    except (RecipientsFileError, FormError) as exc:
        state.source_error = exc
        return
    if draft.mapping_for != draft.mapping_key():
        draft.phone_column, draft.columns = prefill(state.columns, state.variables)
        draft.mapping_for = draft.mapping_key()


def _check(state: PageState, settings: WebSettings) -> None:
    draft = state.draft
    if state.template is None or state.source_error is not None or not state.columns:
        return
    if draft.source_mode == "grid" and not draft.grid_rows():
        return
    sms = state.sms_template if draft.fallback_on else None
    try:  # a fallback without its SMS template yet is checked as no fallback
        spec = build_spec(replace(draft, fallback_on=sms is not None), source=source_path(draft, settings.limits),
                          for_check=True)
        state.check = run_check(spec, state.template, sms, limits=settings.limits,
                                errors_shown=settings.error_rows_shown, preview_rows=settings.preview_rows)
    except (RecipientsFileError, FormError) as exc:
        state.source_error = exc


async def _preflight(state: PageState) -> None:
    check, draft = state.check, state.draft
    if check is None or state.template is None:
        return
    first = check.result.valid[0] if check.result.valid else None
    sms_text = check.preview[0].sms_text if check.preview else None
    template = state.template
    try:
        account = await resolve_account(draft.account or None)
        state.preflight = await with_client(account, lambda client: run_preflight(
            client, oa_id=draft.oa_id, template_id=draft.template_id,
            sample_phone=first.phone if first else None, sample_params=list(first.params) if first else None,
            recipients=check.valid, sms_sample_text=sms_text if draft.fallback_on else None,
            brandname=draft.brandname if draft.fallback_on else None, template_price=template.price,
        ))
    except (AccountError, EsmsError) as exc:
        state.preflight_error = _one_line(exc)


async def build_state(draft: Draft, cache: CatalogCache, settings: WebSettings, *, cost: bool = True,
                      fresh_blocks: bool = False) -> PageState:
    """The page for this draft; gateway and Prefect errors become lines on the page, never exceptions."""
    state = PageState(draft, blocks=await cache.blocks(fresh=fresh_blocks))
    await _account(state)
    if state.account_error is None:
        await _catalog(state, cache)
    await run_in_threadpool(_columns, state, settings)
    await run_in_threadpool(_check, state, settings)
    if cost:
        await _preflight(state)
    return state
