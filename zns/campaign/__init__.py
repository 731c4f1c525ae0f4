"""The campaign engine in plain Python: sends, delivery polling, fallback, preflight.

Flows in `flows/` wrap these functions as Prefect tasks; nothing here imports Prefect.
"""
