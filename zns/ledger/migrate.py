"""Run the ledger's Alembic migrations from code, safely when several workers start at once."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from zns.ledger.engine import WRITE_OPTION, make_engine, resolve_url

SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "zns_ledger_alembic_version"  # not alembic_version: Prefect may share the DB
_PG_LOCK_ID = 0x7A6E_735F_6C65  # "zns_le": serialises concurrent upgrades on PostgreSQL
_lock = threading.Lock()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Config located by this file, not by a cwd-relative alembic.ini (works when installed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.attributes["version_table"] = VERSION_TABLE
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(url: str | URL | None = None, engine: sa.Engine | None = None) -> None:
    """Upgrade to head; idempotent. One transaction, locked against concurrent upgraders."""
    own = engine is None
    eng = engine if engine is not None else make_engine(resolve_url(url))
    try:
        with _lock, eng.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})  # SQLite: BEGIN IMMEDIATE
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
                if current_revision(conn) != head_revision():
                    command.upgrade(alembic_config(conn), "head")
    finally:
        if own:
            eng.dispose()
