"""Sign-in, roles, CSRF, escaping, rate limiting and session expiry."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from staff_console import accounts, create_app
from staff_console import tables as t
from tests.console.conftest import ADMIN, REVIEWER, csrf_token, settings_for, sign_in
from tests.console.rasa_log import HTML_TEXT

ARGS = {"sender_id": "gen-emergency", "user_id": "1", "filename": "console.css", "event_id": "1"}


def all_routes(app):
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", ARGS[name]).replace(
                f"<path:{name}>", ARGS[name]).replace(f"<int:{name}>", ARGS[name])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_refuses_an_unauthenticated_request(seeded):
    c = seeded.client()
    checked = 0
    for endpoint, method, path in all_routes(seeded.app):
        if endpoint in ("auth.login", "static"):
            continue
        if endpoint == "metrics":  # its own rule: loopback or its token (test_metrics.py)
            outside = c.open(path, method=method, environ_base={"REMOTE_ADDR": "203.0.113.7"})
            assert outside.status_code == 403 and b"sciaticalm" not in outside.data
            continue
        resp = c.open(path, method=method)
        checked += 1
        assert resp.status_code in (302, 400, 401), (endpoint, method, resp.status_code)
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"], endpoint
        body = resp.get_data(as_text=True)
        assert "gen-emergency" not in body.replace("next=", "") or resp.status_code == 302
        assert "saddle" not in body
    assert checked >= 12


def test_every_route_with_csrf_but_without_session_is_refused(seeded):
    """Even with a valid CSRF token, a POST without a signed-in user is refused."""
    c = seeded.client()
    token = csrf_token(c)
    for endpoint, method, path in all_routes(seeded.app):
        if method != "POST" or endpoint == "auth.login":
            continue
        resp = c.post(path, data={"csrf_token": token, "action": "review"})
        assert resp.status_code == 401, (endpoint, resp.status_code)


def test_reviewer_cannot_reach_admin_pages(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    token = csrf_token(c, "/")
    for endpoint, method, path in all_routes(seeded.app):
        if not endpoint.startswith("admin."):
            continue
        resp = c.open(path, method=method, data={"csrf_token": token, "action": "role",
                                                 "role": "admin", "username": "x",
                                                 "password": "y" * 20})
        assert resp.status_code == 403, (endpoint, method)
    assert "Staff</a>" not in c.get("/").get_data(as_text=True)
    with seeded.engine.connect() as conn:
        assert accounts.get_by_name(conn, REVIEWER[0]).role == "reviewer"


def test_form_without_csrf_token_is_refused(fresh):
    c = fresh.client()
    sign_in(c, ADMIN)
    resp = c.post("/c/gen-emergency", data={"action": "review"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    resp = c.post("/c/gen-emergency", data={"action": "review", "csrf_token": "forged"})
    assert resp.status_code == 400
    resp = c.post("/admin/users", data={"username": "eve", "password": "p" * 20,
                                        "role": "admin"})
    assert resp.status_code == 400
    # Sign-in itself needs the token (login CSRF).
    fresh_client = fresh.client()
    resp = fresh_client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert resp.status_code == 400
    with fresh.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.reviews)).scalar() == 0
        assert accounts.get_by_name(conn, "eve") is None


def test_visitor_html_is_shown_as_text(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    for path in ("/c/gen-html", "/?q=script", "/"):
        html = c.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>bold</b>" not in html, path
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert HTML_TEXT
    resp = c.get("/c/gen-html")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_search_input_with_sql_is_text(seeded):
    c = seeded.client()
    sign_in(c, REVIEWER)
    for q in ("' OR 1=1 --", "'; DROP TABLE events; --", "\" UNION SELECT * FROM console_user"):
        resp = c.get("/api/conversations", query_string={"q": q})
        assert resp.status_code == 200
        got = {r["sender_id"] for r in resp.get_json()["conversations"]}
        assert got == ({"gen-sql"} if "DROP" in q else set()), q
    page = c.get("/", query_string={"q": "<img src=x onerror=alert(1)>"}).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    with seeded.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar() > 0


def test_failed_sign_ins_are_rate_limited(fresh):
    c = fresh.client()
    for _ in range(5):
        token = csrf_token(c)
        resp = c.post("/login", data={"username": REVIEWER[0], "password": "wrong-password",
                                      "csrf_token": token})
        assert resp.status_code == 401
    token = csrf_token(c)
    resp = c.post("/login", data={"username": REVIEWER[0], "password": REVIEWER[1],
                                  "csrf_token": token})
    assert resp.status_code == 429  # even the right password, while locked out
    with fresh.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(sa.select(t.audit_log.c.action))]
    assert actions.count("login_failed") == 5 and "login_locked" in actions
    # The lock is per username (and per address, at a higher count): others still sign in.
    sign_in(fresh.client(), ADMIN)


def test_lockout_window_expires(fresh):
    """Failures outside the window do not count; inside it the wait is a back-off
    that doubles with each further failure and then ends."""
    with fresh.engine.begin() as conn:
        long_ago = time.time() - 3600
        for _ in range(5):
            accounts.record_failure(conn, "rev1", "127.0.0.1", now=long_ago)
        assert not accounts.is_locked_out(conn, "rev1", "127.0.0.1", max_failures=5,
                                          window=900)
        assert accounts.is_locked_out(conn, "rev1", "127.0.0.1", max_failures=5,
                                      window=7200, now=long_ago + 1)
        assert not accounts.is_locked_out(conn, "rev1", "127.0.0.1", max_failures=5,
                                          window=7200, now=long_ago + accounts.BACKOFF_BASE + 1)
        accounts.record_failure(conn, "rev1", "127.0.0.1", now=long_ago + 40)
        wait = accounts.retry_after(conn, "rev1", "127.0.0.1", max_failures=5, window=7200,
                                    now=long_ago + 40)
        assert wait == 2 * accounts.BACKOFF_BASE


def test_lockout_from_another_address_does_not_lock_the_staff_member(fresh):
    """An attacker failing on purpose slows down only their own address."""
    with fresh.engine.begin() as conn:
        for _ in range(50):
            accounts.record_failure(conn, REVIEWER[0], "203.0.113.9")
        assert accounts.is_locked_out(conn, REVIEWER[0], "203.0.113.9", max_failures=5,
                                      window=900)
        assert not accounts.is_locked_out(conn, REVIEWER[0], "127.0.0.1", max_failures=5,
                                          window=900)
    sign_in(fresh.client(), REVIEWER)  # the test client's address is 127.0.0.1


def test_client_address_comes_from_a_trusted_proxy_only(databases):
    from tests.console.conftest import build_env

    for proxies, blocked in ((0, True), (1, False)):
        env = build_env(databases, "sqlite", trusted_proxies=proxies)
        try:
            c = env.client()
            for i in range(5):
                token = csrf_token(c)
                resp = c.post("/login", data={"username": REVIEWER[0], "password": "wrong-pw",
                                              "csrf_token": token},
                              headers={"X-Forwarded-For": f"198.51.100.{i}"})
                assert resp.status_code == 401
            token = csrf_token(c)
            resp = c.post("/login", data={"username": REVIEWER[0], "password": REVIEWER[1],
                                          "csrf_token": token},
                          headers={"X-Forwarded-For": "192.0.2.1"})
            # Without a trusted proxy the header is ignored: all five came from
            # 127.0.0.1 and so does this one. With one, each is its own client.
            assert resp.status_code == (429 if blocked else 302), proxies
        finally:
            env.engine.dispose()


def test_refused_sign_ins_are_audited_at_most_once_a_minute(fresh):
    c = fresh.client()
    for _ in range(25):
        token = csrf_token(c)
        c.post("/login", data={"username": REVIEWER[0], "password": "wrong-password",
                               "csrf_token": token})
    with fresh.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(sa.select(t.audit_log.c.action))]
    assert actions.count("login_failed") == 5
    assert actions.count("login_locked") == 1


def test_passwords_are_stored_as_argon2_hashes(seeded):
    with seeded.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(sa.select(t.users.c.password_hash))]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(ADMIN[1] in h or REVIEWER[1] in h for h in hashes)
    assert len(set(hashes)) == len(hashes)


def test_sessions_expire(databases):
    from tests.console.conftest import assert_signed_out_after, build_env

    env = build_env(databases, "sqlite", session_hours=0.0001)  # 0.36 s
    try:
        assert_signed_out_after(env, 0.5)
    finally:
        env.engine.dispose()


def test_password_change_ends_other_sessions(fresh):
    victim = fresh.client()
    sign_in(victim, REVIEWER)
    admin = fresh.client()
    sign_in(admin, ADMIN)
    with fresh.engine.connect() as conn:
        rev_id = accounts.get_by_name(conn, REVIEWER[0]).id
    token = csrf_token(admin, "/admin/users")
    resp = admin.post(f"/admin/users/{rev_id}", data={
        "csrf_token": token, "action": "password", "password": "a-brand-new-password"})
    assert resp.status_code == 302
    assert victim.get("/").status_code == 302
    sign_in(fresh.client(), (REVIEWER[0], "a-brand-new-password"))


def test_deactivated_user_cannot_sign_in_and_last_admin_stays(fresh):
    admin = fresh.client()
    sign_in(admin, ADMIN)
    with fresh.engine.connect() as conn:
        rev_id = accounts.get_by_name(conn, REVIEWER[0]).id
        admin_id = accounts.get_by_name(conn, ADMIN[0]).id
    token = csrf_token(admin, "/admin/users")
    admin.post(f"/admin/users/{rev_id}", data={"csrf_token": token, "action": "deactivate"})
    c = fresh.client()
    token = csrf_token(c)
    resp = c.post("/login", data={"username": REVIEWER[0], "password": REVIEWER[1],
                                  "csrf_token": token})
    assert resp.status_code == 401
    token = csrf_token(admin, "/admin/users")
    admin.post(f"/admin/users/{admin_id}", data={"csrf_token": token, "action": "role",
                                                 "role": "reviewer"})
    with fresh.engine.connect() as conn:
        assert accounts.get(conn, admin_id).role == "admin"


def test_admin_creates_a_reviewer(fresh):
    admin = fresh.client()
    sign_in(admin, ADMIN)
    token = csrf_token(admin, "/admin/users")
    admin.post("/admin/users", data={"csrf_token": token, "username": "newbie",
                                     "password": "newbie-password-1", "role": "reviewer"})
    c = fresh.client()
    sign_in(c, ("newbie", "newbie-password-1"))
    assert c.get("/admin/users").status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example"])
def test_no_open_redirect_after_sign_in(seeded, target):
    c = seeded.client()
    token = csrf_token(c)
    resp = c.post("/login", data={"username": REVIEWER[0], "password": REVIEWER[1],
                                  "csrf_token": token, "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_dev_secret_key_is_generated_once_and_private(tmp_path):
    from staff_console.config import from_env

    s = from_env({"CONSOLE_SECRET_FILE": str(tmp_path / "k"),
                  "CONSOLE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert len(s.secret_key) == 64
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    again = from_env({"CONSOLE_SECRET_FILE": str(tmp_path / "k")})
    assert again.secret_key == s.secret_key
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'y.db'}"))
    assert app.config["SECRET_KEY"]
