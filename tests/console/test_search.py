"""The search index (SQLite FTS5 trigram, PostgreSQL pg_trgm) agrees with a plain scan."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from staff_console import migrate, queries, retention, search
from staff_console import tables as t
from staff_console.filters import parse_filters
from staff_console.refresh import refresh

TERMS = ["numb", "HAMSTRING", "100% sure", "sure_thing", "%", "_", "'; drop", "<script>",
         "ache", "zz", "back", "a", "week 3"]


def found(conn, q):
    page = queries.list_conversations(conn, parse_filters({"q": q}), page_size=1000)
    return {r.sender_id for r in page.rows}


def scanned(conn, q):
    """The reference answer: Python substring search over the stored visitor text."""
    return {s for s, body in conn.execute(sa.select(t.search_text.c.sender_id,
                                                    t.search_text.c.body))
            if q.lower() in body}


def test_index_is_in_place(seeded):
    with seeded.engine.connect() as conn:
        if seeded.backend == "sqlite":
            assert search.has_fts(conn)
            n = conn.execute(sa.select(sa.func.count()).select_from(search.fts)).scalar()
            assert n == conn.execute(
                sa.select(sa.func.count()).select_from(t.search_text)).scalar()
        else:
            assert conn.execute(sa.text(
                "SELECT 1 FROM pg_indexes WHERE indexname = "
                "'ix_console_search_text_body_trgm'")).first()


@pytest.mark.parametrize("q", TERMS)
def test_index_agrees_with_a_scan(seeded, q):
    with seeded.engine.connect() as conn:
        assert found(conn, q) == scanned(conn, q)


def test_index_follows_new_text_erasure_and_rebuild(fresh):
    with fresh.engine.begin() as conn:
        conn.execute(t.events.insert().values(
            sender_id="gen-lowconf", type_name="user", timestamp=time.time(), data=json.dumps({
                "event": "user", "text": "Piriformis trouble",
                "parse_data": {"intent": {"name": "describe_pain", "confidence": 0.9}}})))
    refresh(fresh.engine)
    with fresh.engine.connect() as conn:
        assert found(conn, "piriformis") == {"gen-lowconf"}
        assert found(conn, "shoes too old") == {"gen-lowconf"}  # the earlier text stays
    retention.erase_visitor(fresh.engine, "gen-lowconf", "tester")
    with fresh.engine.connect() as conn:
        assert found(conn, "piriformis") == set()
        if fresh.backend == "sqlite":
            assert conn.execute(sa.select(search.fts.c.sender_id).where(
                search.fts.c.sender_id == "gen-lowconf")).first() is None


def test_search_works_without_the_index(fresh):
    migrate.downgrade(fresh.engine, "0001_initial")
    with fresh.engine.connect() as conn:
        assert not search.has_fts(conn)
        for q in TERMS:
            assert found(conn, q) == scanned(conn, q), q
    migrate.upgrade(fresh.engine)  # the index is rebuilt from the stored text
    with fresh.engine.connect() as conn:
        for q in TERMS:
            assert found(conn, q) == scanned(conn, q), q


def test_doc_ids_are_stable_and_positive():
    assert search.doc_id("abc") == search.doc_id("abc") != search.doc_id("abd")
    assert 0 <= search.doc_id("x" * 255) < 2 ** 63


def test_common_terms_walk_the_list_and_cap_the_count(seeded, monkeypatch):
    with seeded.engine.connect() as conn:
        exact = queries.list_conversations(conn, parse_filters({"q": "a"}), page_size=3)
        monkeypatch.setattr(queries, "SELECTIVE_MATCHES", 2)
        monkeypatch.setattr(queries, "COUNT_CAP", 4)
        assert queries.text_is_common(conn, "a") and not queries.text_is_common(conn, "numb")
        walked = queries.list_conversations(conn, parse_filters({"q": "a"}), page_size=3)
        assert [r.sender_id for r in walked.rows] == [r.sender_id for r in exact.rows]
        assert exact.total > 4 and not exact.capped
        assert walked.capped and walked.total == 4 and walked.has_next
        everything = queries.list_conversations(conn, parse_filters({"q": "a"}),
                                                page_size=1000)
        assert {r.sender_id for r in everything.rows} == scanned(conn, "a")
        assert queries.list_conversations(conn, parse_filters({"q": "numb"})).capped is False
