"""Unit of work: one transaction, rolled back unless `commit()` was called (cosmicpython)."""

from __future__ import annotations

from types import TracebackType

import sqlalchemy as sa

from zns.ledger.engine import WRITE_OPTION
from zns.ledger.repository import Repository


class UnitOfWork:
    """`with UnitOfWork(engine) as uow: uow.repo...; uow.commit()`."""

    def __init__(self, engine: sa.Engine, *, write: bool = True) -> None:
        self._engine = engine
        self._write = write
        self._conn: sa.Connection | None = None
        self._tx: sa.RootTransaction | None = None
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        conn = self._engine.connect()
        if self._write:
            conn.execution_options(**{WRITE_OPTION: True})
        self._conn = conn
        self._tx = conn.begin()
        self.repo = Repository(conn)
        return self

    def commit(self) -> None:
        assert self._tx is not None, "UnitOfWork used outside its with-block"
        self._tx.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None
