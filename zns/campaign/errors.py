"""Errors the campaign service raises for the operator: one line, no traceback."""

from __future__ import annotations


class CampaignStopped(RuntimeError):
    """The campaign stopped before sending everything; the message is one line for the operator."""
