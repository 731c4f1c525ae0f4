"""Thin Prefect task wrappers around `zns.campaign`; no business rule lives here."""
