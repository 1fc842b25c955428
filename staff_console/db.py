"""Engine creation for SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
        private_file(path)
        url = str(parsed.set(database=str(path.resolve())))
    return url


def private_file(path: Path) -> None:
    """Create `path` (empty) readable by its owner only, or tighten an existing one.

    The SQLite file holds visitors' health text and staff password hashes: it
    must not be world-readable whatever the umask (the WAL and shm files that
    SQLite creates beside it take the database file's mode).
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:  # read-only mount or a file owned by someone else: leave it
        pass


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
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT, "check_same_thread": False}
    elif backend == "postgresql":
        kwargs["executemany_mode"] = "values_plus_batch"
    engine = sa.create_engine(url, **kwargs)
    if backend == "sqlite":
        _sqlite_setup(engine, wal=sqlite_wal)
    return engine


BUSY_TIMEOUT = 30  # seconds, for the console and (server/runtime) Rasa's store alike


def _sqlite_setup(engine: Engine, *, wal: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # Explicit as well as through the driver's timeout, so that every
        # statement (the journal-mode switch included) waits for Rasa's writes.
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free pages (erasure).
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


#: Attempts of a write transaction that SQLite refused as busy (after its timeout).
WRITE_ATTEMPTS = 5


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's "database is locked/busy" (worth a retry)."""
    text = str(getattr(error, "orig", error)).lower()
    return isinstance(error, sa.exc.OperationalError) and (
        "database is locked" in text or "database is busy" in text
        or "database table is locked" in text)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction that does not fail because Rasa is writing the same file.

    On SQLite the transaction starts with `BEGIN IMMEDIATE`: it takes the write
    lock first (waiting up to the busy timeout) instead of reading under a
    deferred transaction and then failing to upgrade it, which SQLite refuses
    at once when another connection has written in between. Only the opening
    of the transaction is retried (with back-off), so the body runs once. On
    PostgreSQL this is `engine.begin()`.
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    for attempt in range(WRITE_ATTEMPTS):
        conn = engine.connect().execution_options(sqlite_immediate=True)
        try:
            trans = conn.begin()
        except sa.exc.OperationalError as error:
            # A connection whose BEGIN failed is not reused (SQLAlchemy leaves it
            # without a transaction object): a fresh one per attempt.
            conn.invalidate()
            conn.close()
            if not is_busy(error) or attempt == WRITE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * 2 ** attempt + random.random() * 0.05)
            continue
        try:
            with trans:
                yield conn
        finally:
            conn.close()
        return


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def has_events_table(engine: Engine) -> bool:
    """Whether Rasa has created its `events` table yet."""
    return sa.inspect(engine).has_table("events")
