"""Issue 14: busy SQLite files, sessions that really end, exports, query strings,
file modes and HTTPS headers (each on SQLite and PostgreSQL where it applies)."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from staff_console import tables as t
from staff_console.db import make_engine
from tests.console.conftest import (
    ADMIN,
    REVIEWER,
    assert_signed_out_after,
    build_env,
    csrf_token,
    sign_in,
)


@contextmanager
def busy_writer(db_path: str) -> Iterator[list[int]]:
    """Another process's writer (as Rasa is): short write transactions back to back,
    through its own connection, for as long as the block runs."""
    stop = threading.Event()
    done: list[int] = [0]

    def run() -> None:
        db = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        db.execute("CREATE TABLE IF NOT EXISTS other_writer (id INTEGER PRIMARY KEY, v TEXT)")
        while not stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO other_writer (v) VALUES (?)", ("x" * 200,))
            time.sleep(0.002)
            db.execute("COMMIT")
            done[0] += 1
            time.sleep(0.001)
        db.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        time.sleep(0.1)
        yield done
    finally:
        stop.set()
        thread.join(10)


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _login(client, user: tuple[str, str]) -> int:
    token = csrf_token(client)
    return client.post("/login", data={"username": user[0], "password": user[1],
                                       "csrf_token": token}).status_code


def test_sign_in_and_review_while_another_process_writes(databases):
    env = build_env(databases, "sqlite")
    try:
        with busy_writer(_sqlite_path(env.url)) as writes:
            statuses = [_login(env.client(), ADMIN) for _ in range(12)]
            with ThreadPoolExecutor(6) as pool:
                statuses += list(pool.map(lambda _: _login(env.client(), REVIEWER), range(12)))
            wrong = [_login(env.client(), (REVIEWER[0], "not-the-password")) for _ in range(3)]
            c = env.client()
            sign_in(c, ADMIN)
            token = csrf_token(c, "/c/gen-emergency")
            review = c.post("/c/gen-emergency", data={"action": "review", "csrf_token": token})
        assert writes[0] > 50  # the other writer really was busy throughout
        assert statuses == [302] * 24
        assert wrong == [401, 401, 401]
        assert review.status_code == 302
        with env.engine.connect() as conn:
            failures = conn.execute(sa.select(sa.func.count()).select_from(t.login_failures)
                                    ).scalar_one()
            actions = [r[0] for r in conn.execute(sa.select(t.audit_log.c.action))]
            reviewed = conn.execute(sa.select(t.reviews.c.reviewed).where(
                t.reviews.c.sender_id == "gen-emergency")).scalar()
        assert failures == 3 and actions.count("login_failed") == 3
        assert actions.count("login") == 25 and reviewed
    finally:
        env.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_copied_cookie_stops_working_after_sign_out(databases, backend):
    env = build_env(databases, backend)
    try:
        c = env.client()
        sign_in(c, REVIEWER)
        assert c.get("/").status_code == 200
        stolen = c.get_cookie("sciaticalm_console").value
        token = csrf_token(c, "/")
        assert c.post("/logout", data={"csrf_token": token}).status_code == 302
        replay = env.client()
        replay.set_cookie("sciaticalm_console", stolen)
        resp = replay.get("/")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
        assert replay.get("/api/conversations").status_code == 401
    finally:
        env.engine.dispose()


def test_a_password_change_ends_a_copied_cookie_too(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    stolen = c.get_cookie("sciaticalm_console").value
    admin = fresh.client()
    sign_in(admin, ADMIN)
    with fresh.engine.connect() as conn:
        rev_id = conn.execute(sa.select(t.users.c.id).where(
            t.users.c.username == REVIEWER[0])).scalar_one()
    token = csrf_token(admin, "/admin/users")
    admin.post(f"/admin/users/{rev_id}", data={"action": "password", "csrf_token": token,
                                               "password": "Glacier-Tulip-Harbour-92"})
    replay = fresh.client()
    replay.set_cookie("sciaticalm_console", stolen)
    assert replay.get("/api/conversations").status_code == 401
    with fresh.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(t.sessions).where(
            t.sessions.c.user_id == rev_id)).scalar_one()
    assert rows == 0


def test_idle_sessions_end(databases):
    env = build_env(databases, "sqlite", session_idle_minutes=0.01)  # 0.6 s
    try:
        assert_signed_out_after(env, 1.0)
        with env.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(t.sessions)
                                ).scalar_one() == 0
    finally:
        env.engine.dispose()


def test_database_and_key_files_are_private(tmp_path: Path):
    import os

    from staff_console.config import dev_secret_key

    old = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'conversations.db'}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE x (id INTEGER)"))
        engine.dispose()
        dev_secret_key(tmp_path / "var" / "console-secret.key")
        for name in ("conversations.db", "conversations.db-wal", "console-secret.key"):
            path = tmp_path / "var" / name
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        # An existing world-readable file is tightened.
        loose = tmp_path / "loose.db"
        loose.touch(mode=0o644)
        os.chmod(loose, 0o644)
        make_engine(f"sqlite:///{loose}").dispose()
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_secure_cookie_and_hsts_over_https(seeded):
    import re

    https = "https://console.example"
    c = seeded.client()
    page = c.get("/login", base_url=https)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    resp = c.post("/login", base_url=https,
                  data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": token},
                  headers={"Referer": https + "/login"})
    assert resp.status_code == 302
    cookie = resp.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie
    plain = seeded.client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    assert "Secure" not in plain.headers.get("Set-Cookie", "")


# ---------------------------------------------------------------- exports, query strings, lists

def save_conversation(url: str, sender: str, texts: list[str]) -> None:
    """One more conversation written by Rasa's own tracker store."""
    import asyncio

    from rasa.shared.core.trackers import DialogueStateTracker

    from staff_console.refresh import refresh
    from tests.console.rasa_log import SLOTS, Script, anchor_now, tracker_store

    script = Script(anchor_now() + 30).session()
    for text in texts:
        script.user(text, "describe_pain", 0.9).bot("Noted.")
    store = tracker_store(url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, script.events,
                                                            slots=SLOTS)))
    store.engine.dispose()
    engine = make_engine(url)
    refresh(engine)
    engine.dispose()


def test_export_of_a_message_with_control_characters(fresh):
    import csv
    import io
    import json

    from tests.console.test_review_export import export_post

    save_conversation(fresh.url, "gen-nul", ["my back\x00 hurts\x1b[31m\x07 badly\r\nreally"])
    c = fresh.client()
    sign_in(c, REVIEWER)
    resp = export_post(c, "/export.csv")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert not any(ch in body for ch in "\x00\x1b\x07")
    rows = [r for r in csv.DictReader(io.StringIO(body)) if r["sender_id"] == "gen-nul"]
    assert rows[0]["text"] == "my back hurts[31m badly\nreally"
    assert len({r["sender_id"] for r in csv.DictReader(io.StringIO(body))}) == len(
        fresh.expected) + 1
    doc = json.loads(export_post(c, "/export.json").get_data(as_text=True))
    texts = [i["text"] for conv in doc["conversations"] if conv["sender_id"] == "gen-nul"
             for i in conv["sessions"][0]["transcript"] if i["kind"] == "user"]
    assert texts == ["my back hurts[31m badly\nreally"]


def test_exports_need_a_post_with_the_csrf_token(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    assert c.get("/export.csv").status_code == 405
    assert c.post("/export.csv").status_code == 400  # no token
    assert c.post("/export.json", data={"csrf_token": "forged"}).status_code == 400
    with fresh.engine.connect() as conn:
        exports = conn.execute(sa.select(sa.func.count()).select_from(t.audit_log).where(
            t.audit_log.c.action == "export")).scalar_one()
    assert exports == 0
    page = c.get("/?triage=escalated").get_data(as_text=True)
    assert 'method="post"' in page and "/export.csv?triage=escalated" in page


CRAFTED = ["/?q=&endpoint=x", "/?endpoint=x", "/?_external=1&_scheme=javascript",
           "/?q=&_anchor=x&values=1", "/escalations?q=&endpoint=x",
           "/api/conversations?endpoint=x&_method=DELETE",
           "/?date_to=0001-01-01", "/?date_from=9999-12-31", "/?date_to=9999-12-31",
           "/?date_from=0001-01-01&date_to=9999-12-31", "/?page=99999999999999999999",
           "/?confidence_below=nan", "/?confidence_below=inf", "/?q=" + "x" * 5000,
           "/overview?date_to=0001-01-01", "/overview?date_from=0001-01-01",
           "/overview?date_to=9999-12-31", "/overview?date_from=9999-12-31&date_to=0001-01-02",
           "/overview?date_to=2026-01-01T00:00", "/admin/audit?page=99999999999999999999",
           "/admin/audit?page=-1&action=" + "x" * 500, "/c/gen-emergency?back=//evil.example",
           "/login?next=" + "x" * 5000]


def test_crafted_query_strings_never_give_a_500(seeded):
    c = seeded.client()
    sign_in(c, ADMIN)
    for path in CRAFTED:
        resp = c.get(path)
        assert resp.status_code in (200, 302), (path, resp.status_code)
        if resp.status_code == 302:
            target = resp.headers["Location"]
            assert "endpoint" not in target and "_external" not in target, (path, target)
            assert c.get(target).status_code == 200, (path, target)


def test_a_long_visitor_id_is_cut_in_the_list_and_whole_on_its_page(fresh):
    long_id = "v" + "0123456789" * 1000  # 10 KB
    save_conversation(fresh.url, long_id[:255], ["long id " + "w" * 3000])
    c = fresh.client()
    sign_in(c, REVIEWER)
    listing = c.get("/").get_data(as_text=True)
    assert long_id[:40] in listing and long_id[:255] not in listing.replace(
        f'title="{long_id[:255]}"', "").replace(long_id[:255] + "?", "").replace(
        long_id[:255] + "&", "")
    assert "w" * 200 not in listing
    detail = c.get(f"/c/{long_id[:255]}").get_data(as_text=True)
    assert f"<code>{long_id[:255]}</code>" in detail


# ---------------------------------------------------------------- erasure

SECRET_TEXT = "zebra quokka lives at 12 Marigold Lane"
SECRET_ID = "visitor-erase-me-5919"


def test_erasure_leaves_nothing_readable(fresh):
    from staff_console import retention
    from tests.console.test_review_export import export_post, post_action

    save_conversation(fresh.url, SECRET_ID, [SECRET_TEXT, "and my back hurts " + SECRET_TEXT])
    c = fresh.client()
    sign_in(c, ADMIN)
    assert SECRET_ID in c.get("/", query_string={"q": "marigold lane"}).get_data(as_text=True)
    export_post(c, "/export.csv?q=marigold+lane")
    post_action(c, SECRET_ID, action="review")
    post_action(c, SECRET_ID, action="tag", tag="called")
    resp = post_action(c, SECRET_ID, action="erase", confirm=SECRET_ID)
    assert resp.status_code == 302
    with fresh.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.select(t.audit_log))]
        tomb = conn.execute(sa.select(t.erasures.c.sender_hash)).scalars().all()
    dump = repr(rows)
    assert SECRET_ID not in dump and "marigold" not in dump.lower(), dump
    assert retention.erased_name(SECRET_ID) in dump and "review" in dump
    assert tomb == [retention.sender_hash(SECRET_ID)]
    if fresh.backend == "sqlite":
        path = Path(_sqlite_path(fresh.url))
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                data = file.read_bytes()
                assert b"Marigold" not in data and b"marigold" not in data, file.name
                assert SECRET_ID.encode() not in data, file.name
        assert not path.with_name(path.name + "-wal").exists() or \
            path.with_name(path.name + "-wal").stat().st_size == 0


# ---------------------------------------------------------------- passwords

@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "password1234", "qwertyuiop123",
                                      "abcabcabcabc", "123456789012", "rev1rev1rev1rev1",
                                      "iloveyou2024!"])
def test_common_and_repeated_passwords_are_refused(fresh, password: str) -> None:
    from staff_console import accounts

    with fresh.engine.begin() as conn:
        with pytest.raises(accounts.AccountError):
            accounts.create_user(conn, "newbie", password, "reviewer")
        rev = accounts.get_by_name(conn, REVIEWER[0])
        with pytest.raises(accounts.AccountError):
            accounts.set_password(conn, rev.id, password)
    c = fresh.client()
    sign_in(c, ADMIN)
    token = csrf_token(c, "/admin/users")
    resp = c.post("/admin/users", data={"username": "newbie", "password": password,
                                        "role": "reviewer", "csrf_token": token},
                  follow_redirects=True)
    assert "Password refused" in resp.get_data(as_text=True)
    with fresh.engine.connect() as conn:
        assert accounts.get_by_name(conn, "newbie") is None


def test_a_write_retries_while_the_file_is_locked_then_answers_503(databases, monkeypatch):
    import staff_console.db as db

    monkeypatch.setattr(db, "BUSY_TIMEOUT", 0.2)  # so that the test need not wait 30 s
    env = build_env(databases, "sqlite")
    try:
        c = env.client()
        sign_in(c, REVIEWER)
        token = csrf_token(c, "/c/gen-emergency")
        blocker = sqlite3.connect(_sqlite_path(env.url), isolation_level=None,
                                  check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        # Released after the first attempts: the write waits and succeeds.
        threading.Thread(target=lambda: (time.sleep(0.6), blocker.execute("COMMIT"))).start()
        resp = c.post("/c/gen-emergency", data={"action": "review", "csrf_token": token})
        assert resp.status_code == 302
        # Never released: 503 with Retry-After, not a 500.
        blocker.execute("BEGIN IMMEDIATE")
        resp = c.post("/c/gen-emergency", data={"action": "unreview", "csrf_token": token})
        blocker.execute("ROLLBACK")
        blocker.close()
        assert resp.status_code == 503 and resp.headers["Retry-After"]
        with env.engine.connect() as conn:
            assert conn.execute(sa.select(t.reviews.c.reviewed).where(
                t.reviews.c.sender_id == "gen-emergency")).scalar()
    finally:
        env.engine.dispose()
