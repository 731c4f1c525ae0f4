"""eSMS credentials from the environment or a Prefect block, as one plain config object."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, SecretStr

from esms import DEFAULT_BASE_URL, EsmsClient, sandbox_for


class AccountError(ValueError):
    """No usable credentials; the message says where they are looked for."""


class AccountConfig(BaseModel):
    api_key: SecretStr
    secret_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False

    def sandbox_for(self, requested: bool) -> bool:
        """Whether this account's sends for a campaign asking `requested` go out as sandbox."""
        return sandbox_for(self.sandbox, requested)

    def client(self, **kwargs: object) -> EsmsClient:
        return EsmsClient(
            self.api_key,
            self.secret_key,
            base_url=self.base_url,
            sandbox=self.sandbox,
            **kwargs,  # type: ignore[arg-type]
        )


def account_from_env(environ: Mapping[str, str] | None = None) -> AccountConfig:
    """ESMS_API_KEY / ESMS_SECRET_KEY / ESMS_BASE_URL / ESMS_SANDBOX (of this process by default)."""
    env = os.environ if environ is None else environ
    api_key = env.get("ESMS_API_KEY", "").strip()
    secret_key = env.get("ESMS_SECRET_KEY", "").strip()
    if not api_key or not secret_key:
        raise AccountError(
            "no eSMS credentials: set `account` (an EsmsAccount block name) in the SPEC, "
            "or ESMS_API_KEY and ESMS_SECRET_KEY — Chưa cấu hình tài khoản eSMS"
        )
    return AccountConfig(
        api_key=SecretStr(api_key),
        secret_key=SecretStr(secret_key),
        base_url=env.get("ESMS_BASE_URL", "").strip() or DEFAULT_BASE_URL,
        sandbox=env.get("ESMS_SANDBOX", "").strip().lower() in ("1", "true", "yes"),
    )
