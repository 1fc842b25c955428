"""Engine creation for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url


def normalise_url(url: str) -> str:
    """Accept `postgres://` (as Heroku-style URLs spell it) and relative SQLite paths."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        url = str(parsed.set(database=str(path.resolve())))
    return url


def make_engine(url: str, *, sqlite_wal: bool = True) -> Engine:
    """Create the console's engine.

    SQLite: a 30 s busy timeout (Rasa writes the same file), write-ahead
    logging so a long read (an export) never blocks Rasa's writes, and
    transactions that begin when SQLAlchemy says so (the pysqlite recipe), with
    `BEGIN IMMEDIATE` for connections that ask for it (the summary refresh).
    """
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    elif backend == "postgresql":
        kwargs["executemany_mode"] = "values_plus_batch"
    engine = sa.create_engine(url, **kwargs)
    if backend == "sqlite":
        _sqlite_setup(engine, wal=sqlite_wal)
    return engine


def _sqlite_setup(engine: Engine, *, wal: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def has_events_table(engine: Engine) -> bool:
    """Whether Rasa has created its `events` table yet."""
    return sa.inspect(engine).has_table("events")
