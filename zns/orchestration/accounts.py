"""The one loader of eSMS credentials for Prefect-facing code: the `EsmsAccount` block named in a
SPEC (or on the page), else the ESMS_* environment. Tasks, the run-form writer and the web page
all call `resolve_account`."""

from __future__ import annotations

from collections.abc import Mapping

from zns.accounts import AccountConfig, AccountError, account_from_env


def resolve_account(block_name: str | None, environ: Mapping[str, str] | None = None) -> AccountConfig:
    """The EsmsAccount block named in the SPEC, else the ESMS_* environment variables."""
    if not block_name:
        return account_from_env(environ)
    from flows.blocks import EsmsAccount  # the block class lives with the flows (prefect.yaml registers it)

    try:
        block = EsmsAccount.load(block_name)
    except ValueError:
        raise AccountError(
            f"EsmsAccount block {block_name!r} not found: create it in the Prefect UI (Blocks > EsmsAccount) "
            f"— Không tìm thấy block tài khoản eSMS"
        ) from None
    return block.config()
