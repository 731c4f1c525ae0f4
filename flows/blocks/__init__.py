"""Prefect blocks of the product; register with `prefect block register -m flows.blocks`."""

from flows.blocks.esms_account import EsmsAccount

__all__ = ["EsmsAccount"]
