"""The eSMS account the page works with, and a short-lived cache of what it offers.

Reading the catalog costs 2 + OAs + brandnames requests, so it is kept a few minutes per
account; a chosen template's full rules (GetTemplate + GetZnsTemplateInfo) are cached alike.
Credentials stay inside `AccountConfig` (SecretStr): nothing here renders or logs them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from esms import EsmsClient
from esms.models import ZnsTemplate
from zns.accounts import AccountConfig, account_from_env
from zns.catalog import Catalog, read_catalog

T = TypeVar("T")


def resolve_account(block_name: str | None) -> AccountConfig:
    """The EsmsAccount block when one is named (Prefect imported only then), else the environment."""
    if not block_name:
        return account_from_env()
    from flows.tasks._common import resolve_account as resolve_block

    return resolve_block(block_name)


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
        account = resolve_account(account_name)
        async with self._lock:  # one read per account at a time, not one per concurrent request
            return await self._get(("catalog", account_name or ""), lambda: with_client(account, read_catalog))

    async def template(self, account_name: str | None, oa_id: str, template_id: str, message_type: str) -> ZnsTemplate:
        account = resolve_account(account_name)
        key = ("template", account_name or "", oa_id, template_id, message_type)
        return await self._get(
            key, lambda: with_client(account, lambda c: c.get_template(oa_id, template_id, message_type))  # type: ignore[arg-type]
        )

    def clear(self) -> None:
        self._items.clear()


async def account_summary(account_name: str | None) -> AccountSummary:
    """The balance is read on every page view: it is one cheap request and it changes."""
    account = resolve_account(account_name)
    balance = await with_client(account, lambda c: c.get_balance())
    source = f"block {account_name}" if account_name else "biến môi trường ESMS_API_KEY"
    return AccountSummary(source=source, sandbox=account.sandbox, balance=balance)
