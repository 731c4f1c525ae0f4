"""Glue shared by the task wrappers: credentials, the ledger, and running async domain code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from esms import EsmsClient
from zns.accounts import AccountConfig, AccountError, account_from_env

T = TypeVar("T")


def resolve_account(block_name: str | None, environ: Mapping[str, str] | None = None) -> AccountConfig:
    """The EsmsAccount block named in the SPEC, else the ESMS_* environment variables."""
    if not block_name:
        return account_from_env(environ)
    from flows.blocks import EsmsAccount

    try:
        block = EsmsAccount.load(block_name)
    except ValueError:
        raise AccountError(
            f"EsmsAccount block {block_name!r} not found: create it in the Prefect UI (Blocks) "
            f"or with `zns account save` — Không tìm thấy block tài khoản eSMS"
        ) from None
    return block.config()


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run async service code from a (sync) task, even where an event loop already runs."""

    async def main() -> T:
        return await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # Called where an event loop already runs in this thread (a notebook, an async caller):
    # give the coroutine its own loop in a helper thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def with_client(account: AccountConfig, work: Callable[[EsmsClient], Awaitable[T]]) -> T:
    """Run async domain code with a client bound to this call's event loop, then close it."""

    async def main() -> T:
        async with account.client() as client:
            return await work(client)

    return run_sync(main)


def client_for(block_name: str | None) -> EsmsClient:
    """A client for the named block (or the environment): the reconcile service's factory."""
    return resolve_account(block_name).client()
