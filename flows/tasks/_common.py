"""Glue shared by the task wrappers: credentials (one loader, zns.orchestration.accounts) and
running async service code inside a sync task (zns.blocking)."""

from __future__ import annotations

from esms import EsmsClient
from zns.blocking import run_sync, with_client
from zns.orchestration.accounts import resolve_account

__all__ = ["client_for", "resolve_account", "run_sync", "with_client"]


def client_for(block_name: str | None) -> EsmsClient:
    """A client for the named block (or the environment): the reconcile service's factory."""
    return resolve_account(block_name).client()
