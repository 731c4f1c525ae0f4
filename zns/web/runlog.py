"""Which Prefect flow run the page created for a campaign: `<data home>/web/runs.jsonl`.

The ledger's campaign row is written by the flow itself (first definition wins; the lifecycle sets its status)
and its `stats` are replaced when the run ends, so the page cannot keep the run id there before
the run starts; a one-line-per-run file next to the ledger keeps the mapping instead.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from zns.home import data_home

FILE_NAME = "runs.jsonl"


def runs_file() -> Path:
    """The mapping file in the data home (its folder created on first use)."""
    folder = data_home() / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / FILE_NAME


def record_run(campaign_id: str, run_id: str) -> None:
    """Append campaign → run; one short O_APPEND write, so concurrent page processes do not interleave."""
    line = json.dumps({"campaign_id": campaign_id, "run_id": run_id, "at": datetime.now(UTC).isoformat()})
    path = runs_file()
    lead = "" if _ends_cleanly(path) else "\n"  # a line torn by a crash must not swallow this one
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (lead + line + "\n").encode())
    finally:
        os.close(fd)


def _ends_cleanly(path: Path) -> bool:
    """True when the file is missing, empty or ends with a newline."""
    try:
        with path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
    except OSError:  # missing file, or a seek before the start of an empty one
        return True


def _entries(path: Path) -> list[dict[str, object]]:
    """Readable lines of the file; a torn or hand-edited line is skipped, not fatal."""
    out: list[dict[str, object]] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
    return out


def run_for(campaign_id: str) -> str | None:
    """The latest run the page created for this campaign, None for campaigns from the CLI or a schedule."""
    path = runs_file()
    if not path.is_file():
        return None
    found = [e["run_id"] for e in _entries(path) if e.get("campaign_id") == campaign_id]
    return str(found[-1]) if found and found[-1] else None
