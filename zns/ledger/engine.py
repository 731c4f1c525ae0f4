"""Engine factory: URL from argument, env ZNS_LEDGER_URL or the data home's SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from zns.home import ledger_url

ENV_VAR = "ZNS_LEDGER_URL"
WRITE_OPTION = "zns_write"  # execution option: open the SQLite transaction with BEGIN IMMEDIATE
SQLITE_BUSY_MS = 30_000


def resolve_url(url: str | URL | None = None) -> URL:
    """Pick the URL and make a relative SQLite path absolute now, so a later chdir is harmless."""
    chosen = make_url(url or ledger_url())
    if chosen.get_backend_name() == "sqlite" and chosen.database not in (None, "", ":memory:"):
        path = Path(chosen.database).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        chosen = chosen.set(database=str(path))
    return chosen


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and explicit BEGIN for writers."""
    resolved = resolve_url(url)
    if not is_sqlite(resolved):
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(resolved, **kwargs)
    memory = resolved.database in (None, "", ":memory:")
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    else:
        Path(resolved.database or "").parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_MS / 1000})
    engine = sa.create_engine(resolved, **kwargs)
    _install_sqlite_hooks(engine, wal=not memory)
    return engine


def _install_sqlite_hooks(engine: Engine, *, wal: bool) -> None:
    """pysqlite's implicit BEGIN is DEFERRED: two writers then fail with 'database is locked'
    instead of waiting. Take transaction control and use BEGIN IMMEDIATE for writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
