"""Free-text search over what visitors wrote.

The text lives in `console_search_text` (lower-cased, one row per
conversation). On SQLite, migration 0002 adds an FTS5 table with the trigram
tokenizer (`console_search_fts`), whose index answers `LIKE '%words%'`
without reading every conversation's text; on PostgreSQL it adds a pg_trgm GIN
index on `console_search_text.body`. Either way the search is a bound
parameter with LIKE wildcards escaped: SQL syntax and `%` `_` are plain text.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import tables as t

FTS_TABLE = "console_search_fts"
fts = sa.Table(
    FTS_TABLE, sa.MetaData(),
    sa.Column("rowid", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String),
    sa.Column("body", sa.Text),
)
_fts_present: dict[str, bool] = {}


def doc_id(sender_id: str) -> int:
    """The FTS row id of a conversation: 63 bits of a hash of its sender id."""
    digest = hashlib.blake2b(sender_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)


def has_fts(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    key = str(conn.engine.url)
    if key not in _fts_present:
        _fts_present[key] = conn.execute(sa.text(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"),
            {"n": FTS_TABLE}).first() is not None
    return _fts_present[key]


def forget(conn: Connection) -> None:
    """Forget the cached answer of has_fts (after a migration up or down)."""
    _fts_present.pop(str(conn.engine.url), None)


def pattern(q: str) -> tuple[str, str | None]:
    """LIKE pattern and escape character for a literal, lower-cased search."""
    q = q.lower()
    if any(ch in q for ch in "%_/"):
        escaped = q.replace("/", "//").replace("%", "/%").replace("_", "/_")
        return f"%{escaped}%", "/"
    return f"%{q}%", None


def contains(conn: Connection | None, column: sa.sql.ColumnElement, q: str
             ) -> sa.sql.ColumnElement:
    """`column` contains q, as a plain substring test that no index answers.

    Used when walking the newest conversations: LIKE would tempt PostgreSQL to
    join every match through the trigram index (it underestimates common terms).
    """
    dialect = conn.dialect.name if conn is not None else ""
    if dialect == "postgresql":
        return sa.func.strpos(column, q.lower()) > 0
    if dialect == "sqlite":
        return sa.func.instr(column, q.lower()) > 0
    like, escape = pattern(q)
    return column.like(like, escape=escape)


def matching_senders(conn: Connection, q: str) -> sa.sql.Select:
    """SELECT sender_id of the conversations whose visitor text contains q."""
    like, escape = pattern(q)
    if has_fts(conn):
        return sa.select(fts.c.sender_id).where(fts.c.body.like(like, escape=escape))
    st = t.search_text.c
    return sa.select(st.sender_id).where(st.body.like(like, escape=escape))


def sync_fts(conn: Connection, senders: list[str]) -> None:
    """Copy the current text of these conversations into the FTS table."""
    if not senders or not has_fts(conn):
        return
    delete_fts(conn, senders)
    st = t.search_text.c
    rows = [{"rowid": doc_id(s), "sender_id": s, "body": b} for s, b in conn.execute(
        sa.select(st.sender_id, st.body).where(st.sender_id.in_(senders)))]
    if rows:
        conn.execute(fts.insert(), rows)


def delete_fts(conn: Connection, senders: list[str]) -> None:
    if senders and has_fts(conn):
        conn.execute(fts.delete().where(fts.c.rowid.in_([doc_id(s) for s in senders])))
