"""Async service code called from blocking code (tasks, the run-form writer, the CLI): one event
loop per call, or a helper thread's loop where one already runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from esms import EsmsClient
from zns.accounts import AccountConfig

T = TypeVar("T")


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
