"""Typed client for the eSMS.vn API (Zalo ZNS + SMS Brandname); no Prefect import."""

from esms._exceptions import (
    EsmsConfigError,
    EsmsError,
    EsmsRejected,
    EsmsTimeout,
    EsmsTransientError,
)
from esms.client import DEFAULT_BASE_URL, BulkItem, EsmsClient, RetryPolicy, SentRecord, sandbox_for
from esms.codes import CodeInfo, ResultClass, esms_code, zalo_code

__all__ = [
    "DEFAULT_BASE_URL",
    "BulkItem",
    "CodeInfo",
    "EsmsClient",
    "EsmsConfigError",
    "EsmsError",
    "EsmsRejected",
    "EsmsTimeout",
    "EsmsTransientError",
    "ResultClass",
    "RetryPolicy",
    "SentRecord",
    "esms_code",
    "sandbox_for",
    "zalo_code",
]
