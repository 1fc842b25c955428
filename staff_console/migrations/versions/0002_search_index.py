"""Search index: FTS5 trigram table on SQLite, pg_trgm GIN index on PostgreSQL.

Both are optional: where the SQLite build lacks FTS5's trigram tokenizer, or
the PostgreSQL role may not create the pg_trgm extension, the search works
without them (reading every conversation's text).

Revision ID: 0002_search_index
Revises: 0001_initial
Create Date: 2026-11-29
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002_search_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        from staff_console.search import doc_id

        try:
            op.execute("CREATE VIRTUAL TABLE console_search_fts USING "
                       "fts5(sender_id UNINDEXED, body, tokenize='trigram')")
        except sa.exc.OperationalError as e:
            log.warning("no FTS5 trigram search index on this SQLite build: %s", e)
            return
        rows = bind.execute(sa.text("SELECT sender_id, body FROM console_search_text")).all()
        if rows:
            bind.execute(sa.text("INSERT INTO console_search_fts(rowid, sender_id, body) "
                                 "VALUES (:rowid, :sender_id, :body)"),
                         [{"rowid": doc_id(s), "sender_id": s, "body": b} for s, b in rows])
    elif bind.dialect.name == "postgresql":
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            bind.execute(sa.text(
                "CREATE INDEX ix_console_search_text_body_trgm ON console_search_text "
                "USING gin (body gin_trgm_ops)"))
            savepoint.commit()
        except sa.exc.DBAPIError as e:
            savepoint.rollback()
            log.warning("no pg_trgm search index (the search still works): %s", e)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS console_search_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_console_search_text_body_trgm")
