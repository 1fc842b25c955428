"""Alembic migrations from an empty database, beside (and never touching) Rasa's table."""

from __future__ import annotations

import sqlalchemy as sa

from staff_console import migrate
from staff_console import tables as t
from staff_console.db import make_engine
from tests.console.rasa_log import write_log

HEAD = "0004_annotations"


def console_tables(engine):
    """The console's tables, without SQLite's FTS5 search table and its shadow tables."""
    return {n for n in sa.inspect(engine).get_table_names()
            if n.startswith("console_") and not n.startswith("console_search_fts")}


def search_index_present(engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE name = 'console_search_fts'"
        else:
            sql = "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_console_search_text_body_trgm'"
        return conn.execute(sa.text(sql)).first() is not None


def test_migrations_from_empty_and_back(databases):
    for backend in ("sqlite", "postgresql"):
        url = databases.new(backend)
        engine = make_engine(url)
        try:
            assert console_tables(engine) == set()
            migrate.upgrade(engine)
            expected = {tbl.name for tbl in t.metadata.sorted_tables} | {
                "console_alembic_version"}
            assert console_tables(engine) == expected
            assert migrate.current(engine) == HEAD and search_index_present(engine)
            assert "events" not in sa.inspect(engine).get_table_names()
            migrate.upgrade(engine)  # idempotent
            migrate.downgrade(engine, "0003_sessions")
            assert console_tables(engine) == expected - {"console_annotation",
                                                         "console_saved_test"}
            migrate.downgrade(engine, "0001_initial")
            assert not search_index_present(engine)
            assert console_tables(engine) == expected - {
                "console_session", "console_erasure", "console_annotation", "console_saved_test"}
            migrate.downgrade(engine, "base")
            assert console_tables(engine) == {"console_alembic_version"}
            migrate.upgrade(engine)
            assert migrate.current(engine) == HEAD
        finally:
            engine.dispose()


def test_migrations_beside_rasas_table_leave_it_alone(databases):
    for backend in ("sqlite", "postgresql"):
        url = databases.new(backend)
        write_log(url)
        engine = make_engine(url)
        try:
            before_cols = [c["name"] for c in sa.inspect(engine).get_columns("events")]
            with engine.connect() as conn:
                before = conn.execute(sa.select(t.events).order_by(t.events.c.id)).all()
            migrate.upgrade(engine)
            migrate.downgrade(engine, "base")
            migrate.upgrade(engine)
            assert [c["name"] for c in sa.inspect(engine).get_columns("events")] == before_cols
            with engine.connect() as conn:
                assert conn.execute(sa.select(t.events).order_by(t.events.c.id)).all() == before
        finally:
            engine.dispose()


def test_tables_match_the_migration(databases):
    """The Core tables the code uses are what the migration creates."""
    for backend in ("sqlite", "postgresql"):
        engine = make_engine(databases.new(backend))
        try:
            migrate.upgrade(engine)
            insp = sa.inspect(engine)
            for table in t.metadata.sorted_tables:
                cols = {c["name"] for c in insp.get_columns(table.name)}
                assert cols == {c.name for c in table.columns}, table.name
        finally:
            engine.dispose()
