"""The `EsmsAccount` block: step 1 of the eSMS web UI ("log in") as a Prefect block."""

from __future__ import annotations

from typing import ClassVar

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from esms import DEFAULT_BASE_URL
from zns.accounts import AccountConfig


class EsmsAccount(Block):
    """Tài khoản eSMS.vn (ApiKey/SecretKey) dùng để gửi ZNS và SMS Brandname."""

    _block_type_name: ClassVar[str] = "eSMS Account"
    _block_type_slug: ClassVar[str] = "esms-account"
    _logo_url: ClassVar[str | None] = None
    _documentation_url: ClassVar[str | None] = "https://developers.esms.vn/"
    _description: ClassVar[str] = (
        "Tài khoản eSMS.vn (eSMS account): ApiKey, SecretKey, địa chỉ API và chế độ sandbox."
    )
    _code_example: ClassVar[str] = """
```python
from flows.blocks import EsmsAccount

account = EsmsAccount.load("esms-prod")
```
"""

    api_key: SecretStr = Field(title="ApiKey", description="ApiKey trong trang quản trị eSMS (API key)")
    secret_key: SecretStr = Field(title="SecretKey", description="SecretKey trong trang quản trị eSMS (secret key)")
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        title="Địa chỉ API",
        description="Địa chỉ REST của eSMS; đổi sang trình giả lập khi thử nghiệm (API base URL)",
    )
    sandbox: bool = Field(
        default=False,
        title="Sandbox",
        description="eSMS kiểm tra yêu cầu nhưng không gửi, không tính tiền (validate only)",
    )

    def config(self) -> AccountConfig:
        return AccountConfig(
            api_key=self.api_key, secret_key=self.secret_key, base_url=self.base_url, sandbox=self.sandbox
        )
