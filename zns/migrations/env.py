"""Alembic environment for the ledger; normally driven by zns.ledger.migrate.upgrade()."""

from __future__ import annotations

from alembic import context

from zns.ledger.engine import make_engine
from zns.ledger.schema import metadata

config = context.config
VERSION_TABLE = config.attributes.get("version_table", "zns_ledger_alembic_version")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite ALTERs need batch mode in later revisions
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported for the ledger")
run_migrations_online()
