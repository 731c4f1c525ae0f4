"""The eSMS account the page works with, the saved accounts it offers, and a short-lived cache.

Reading the catalog costs 2 + OAs + brandnames requests, so it is kept a few minutes per
account; a chosen template's full rules (GetTemplate + GetZnsTemplateInfo) are cached alike.
The saved `EsmsAccount` blocks are listed by name through Prefect's client (imported lazily).
Credentials stay inside `AccountConfig` (SecretStr): nothing here renders or logs them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from esms import EsmsClient
from esms.models import ZnsTemplate
from zns.accounts import AccountConfig, AccountError, account_from_env
from zns.catalog import Catalog, read_catalog

T = TypeVar("T")
BLOCK_TYPE = "esms-account"  # flows/blocks/esms_account.py `_block_type_slug`
BLOCKS_TIMEOUT_S = 5.0
ENV_ACCOUNT_LABEL = "biến môi trường (ESMS_*)"


def _load_block(block_name: str) -> AccountConfig:
    """The block's account, read in a worker thread (Prefect's `load` is async inside an event loop)."""
    from zns.orchestration.accounts import resolve_account as resolve_block
    from zns.orchestration.runs import prefect_api

    try:
        with prefect_api():
            return resolve_block(block_name)
    except AccountError:
        raise
    except Exception as exc:  # noqa: BLE001 - no Prefect server, HTTP errors: one line on the page
        raise AccountError(f"không đọc được block {block_name!r} từ Prefect ({type(exc).__name__})") from None


async def resolve_account(block_name: str | None) -> AccountConfig:
    """The EsmsAccount block when one is named (Prefect imported only then), else the environment."""
    if not block_name:
        return account_from_env()
    return await run_in_threadpool(_load_block, block_name)


@dataclass(frozen=True, slots=True)
class AccountBlocks:
    """Names of the saved EsmsAccount blocks, or why they are not listed (code and one Vietnamese line)."""

    names: tuple[str, ...] = ()
    problem: tuple[str, str] | None = None


def _prefect_configured() -> bool:
    """A Prefect API is set; without one Prefect's client would start a throw-away server instead."""
    if os.environ.get("PREFECT_API_URL", "").strip():
        return True
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


async def _block_names() -> tuple[str, ...]:
    """Names of the saved block documents of type `esms-account` (secrets not requested)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    from zns.orchestration.runs import prefect_api

    with prefect_api():
        async with get_client() as client:
            try:
                docs = await client.read_block_documents_by_type(BLOCK_TYPE, include_secrets=False)
            except ObjectNotFound:  # the block type was never registered: no saved accounts
                return ()
            except PrefectHTTPStatusError as exc:  # Prefect 3.9 answers that case with a plain 404
                if exc.response.status_code == 404:
                    return ()
                raise
    return tuple(sorted(d.name for d in docs if d.name and not d.is_anonymous))


async def list_account_blocks() -> AccountBlocks:
    """The saved accounts for the dropdown; an unreachable Prefect server is one line, never an error."""
    if not _prefect_configured():
        return AccountBlocks(problem=("NO_PREFECT_API", "chưa đặt PREFECT_API_URL nên không liệt kê được các "
                                      "block tài khoản; đang dùng tài khoản trong biến môi trường"))
    try:
        return AccountBlocks(names=await asyncio.wait_for(_block_names(), BLOCKS_TIMEOUT_S))
    except Exception as exc:  # noqa: BLE001 - connection refused, timeout, HTTP errors: all one line
        return AccountBlocks(problem=("BLOCKS_UNAVAILABLE", "máy chủ Prefect không trả lời nên không liệt kê "
                                      f"được các block tài khoản ({type(exc).__name__}); dùng biến môi trường"))


async def with_client(account: AccountConfig, work: Callable[[EsmsClient], Awaitable[T]]) -> T:
    """Run gateway calls with a client that is closed afterwards."""
    async with account.client() as client:
        return await work(client)


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """What the page shows about the account: where it comes from, sandbox, balance."""

    source: str
    sandbox: bool
    balance: float


class CatalogCache:
    """Per-process TTL cache of catalogs and templates, keyed by account name ('' = environment)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[tuple[str, ...], tuple[float, object]] = {}
        self._lock = asyncio.Lock()

    async def _get(self, key: tuple[str, ...], make: Callable[[], Awaitable[T]]) -> T:
        hit = self._items.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]  # type: ignore[return-value]
        value = await make()
        self._items[key] = (time.monotonic(), value)
        return value

    async def catalog(self, account_name: str | None) -> Catalog:
        account = await resolve_account(account_name)
        async with self._lock:  # one read per account at a time, not one per concurrent request
            return await self._get(("catalog", account_name or ""), lambda: with_client(account, read_catalog))

    async def template(self, account_name: str | None, oa_id: str, template_id: str, message_type: str) -> ZnsTemplate:
        account = await resolve_account(account_name)
        key = ("template", account_name or "", oa_id, template_id, message_type)
        return await self._get(
            key, lambda: with_client(account, lambda c: c.get_template(oa_id, template_id, message_type))  # type: ignore[arg-type]
        )

    async def blocks(self, *, fresh: bool = False) -> AccountBlocks:
        """Saved accounts: read again on every page load, cached for the refreshes in between."""
        if fresh:
            self._items.pop(("blocks",), None)
        return await self._get(("blocks",), list_account_blocks)

    def clear(self) -> None:
        self._items.clear()


async def account_summary(account_name: str | None) -> AccountSummary:
    """The balance is read on every page view: it is one cheap request and it changes."""
    account = await resolve_account(account_name)
    balance = await with_client(account, lambda c: c.get_balance())
    source = f"block {account_name}" if account_name else "biến môi trường ESMS_API_KEY"
    return AccountSummary(source=source, sandbox=account.sandbox, balance=balance)
