"""Exception hierarchy of the eSMS client.

    EsmsError
    ├── EsmsConfigError      account/config problem (101, 103, 104, 789, 790, 799 ...): stop the campaign
    ├── EsmsRejected         the whole request was refused for a permanent reason (687, 110, Invalid request)
    └── EsmsTransientError   retries exhausted on 5xx, timeouts, dropped connections or 160
        └── EsmsTimeout      no answer at all; the request may or may not have been processed

No message or repr ever includes the ApiKey/SecretKey: exceptions carry codes, endpoints and
the provider's own error text only.
"""

from __future__ import annotations

from esms.codes import CodeInfo


class EsmsError(Exception):
    """Base class; `info` is the classified result code when there is one."""

    def __init__(self, message: str, *, endpoint: str, info: CodeInfo | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.info = info

    @property
    def code(self) -> str | None:
        return self.info.code if self.info else None


class EsmsConfigError(EsmsError):
    """An operator must fix the account, keys, brandname, template or OA before sending."""


class EsmsRejected(EsmsError):
    """The gateway refused this request as a whole; retrying the same request will not help."""


class EsmsTransientError(EsmsError):
    """The gateway kept failing after the client's retries; a later retry may succeed."""


class EsmsTimeout(EsmsTransientError):
    """No answer; with a RequestId the resend is safe because eSMS answers 124 to duplicates."""
