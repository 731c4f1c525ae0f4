"""Prefect-facing code outside the flows: deployments and scheduling, the local server, run reads
and cancels for the page, the approval resume, the run form's writer and the account block loader.

Below `flows/` (the flows call it to schedule a continuation or start shards) and above the
service layer; the web page and the CLI reach Prefect only through it.
"""
