"""Sign-in, sign-out and the rule that every other route needs a signed-in user."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from staff_console import accounts, audit, metrics
from staff_console.db import writing
from staff_console.views.common import engine, safe_path, settings

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
PUBLIC_ENDPOINTS = {"auth.login", "static", "metrics"}  # /metrics checks its own access
#: A session's last use is written at most this often (seconds): fewer writes.
TOUCH_EVERY = 60.0
#: At most one "sign-in refused" audit row per username in this many seconds.
REFUSED_AUDIT_EVERY = 60.0


class LoginUser(UserMixin):
    """Flask-Login wrapper; the id carries the session version so that a
    password change, role change or deactivation ends existing sessions."""

    def __init__(self, staff: accounts.Staff) -> None:
        self.staff = staff
        self.username = staff.username
        self.role = staff.role
        self.is_admin = staff.is_admin

    def get_id(self) -> str:
        return f"{self.staff.id}:{self.staff.session_version}"


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    """The signed-in user, if the cookie's session is still open on the server.

    The cookie alone is not enough: its session token must have a row in
    console_session (deleted on sign-out, password/role/status change and after
    CONSOLE_SESSION_IDLE_MINUTES unused), so a copied cookie dies with it.
    """
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    with engine().connect() as conn:
        staff = accounts.get(conn, uid)
        last_seen = accounts.session_last_seen(conn, uid, token)
    if staff is None or not staff.active or staff.session_version != version:
        return None
    if last_seen is None:
        return None
    now = time.time()
    idle = settings().session_idle_minutes * 60
    if now - last_seen > idle:
        with writing(engine()) as conn:
            accounts.end_session(conn, token)
        return None
    if now - last_seen > min(TOUCH_EVERY, idle / 4):
        with writing(engine()) as conn:
            accounts.touch_session(conn, token, now)
    return LoginUser(staff)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."

    @app.before_request
    def _require_login() -> Any:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            if request.path.startswith("/api/") or request.method != "GET":
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        started = session.get("signed_in_at", 0)
        if time.time() - started > settings().session_hours * 3600:
            token = session.get("sid")
            if isinstance(token, str) and token:
                with writing(engine()) as conn:
                    accounts.end_session(conn, token)
            logout_user()
            session.clear()
            flash("Your session expired: please sign in again.")
            return redirect(url_for("auth.login"))
        return None

    @app.errorhandler(401)
    def _unauthorised(_e: Any) -> tuple[str, int]:
        return render_template("error.html", code=401, message="Sign in first."), 401


def _safe_next(target: str | None) -> str:
    return safe_path(target, url_for("conversations.index"))


def _refused(username: str, addr: str, wait: float) -> Any:
    """429 while the back-off lasts; audited once a minute per username at most."""
    metrics.of().logins_refused.inc()
    with writing(engine()) as conn:
        if not audit.seen_recently(conn, username or "?", "login_locked", REFUSED_AUDIT_EVERY):
            audit.record(conn, username or "?", "login_locked", None, remote_addr=addr)
    html = render_template("login.html", next=request.form.get("next", ""),
                           error="Too many failed sign-ins. Try again later.")
    return html, 429, {"Retry-After": str(max(1, int(wait + 0.999)))}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("conversations.index"))
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = (request.form.get("username") or "").strip()[:80]
    password = request.form.get("password") or ""
    # The TCP peer, or the client a trusted proxy names (CONSOLE_TRUSTED_PROXIES).
    addr = request.remote_addr or "unknown"
    cfg = settings()
    with engine().connect() as conn:
        wait = accounts.retry_after(conn, username, addr, max_failures=cfg.login_max_failures,
                                    window=cfg.login_window_seconds)
    if wait > 0:
        return _refused(username, addr, wait)
    # argon2 (~0.2 s) runs outside any write transaction; the writes that follow
    # take SQLite's write lock first (BEGIN IMMEDIATE), so a busy file makes
    # them wait rather than fail, and the failure is always counted and audited.
    with engine().connect() as conn:
        row = accounts.get_row(conn, username)
    checked = accounts.verify_password(row, password)  # no transaction open meanwhile
    with writing(engine()) as conn:
        staff = accounts.record_login(conn, *checked) if checked else None
        if staff is None:
            accounts.record_failure(conn, username, addr)
            audit.record(conn, username or "?", "login_failed", None, remote_addr=addr)
        else:
            accounts.clear_failures(conn, username, addr)
            audit.record(conn, staff.username, "login", None, remote_addr=addr)
            accounts.drop_stale_sessions(conn, cfg.session_idle_minutes * 60,
                                         cfg.session_hours * 3600)
            token = accounts.start_session(conn, staff.id)
    if staff is None:
        metrics.of().logins_failed.inc()
        return render_template("login.html", next=request.form.get("next", ""),
                               error="Wrong username or password."), 401
    session.clear()  # a fresh session on sign-in (no fixation)
    session.permanent = True
    session["sid"] = token
    login_user(LoginUser(staff))
    session["signed_in_at"] = time.time()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End the session on the server too: a copy of the cookie no longer signs in."""
    token = session.get("sid")
    if isinstance(token, str) and token:
        with writing(engine()) as conn:
            accounts.end_session(conn, token)
            audit.record(conn, actor_name(), "logout", None)
    logout_user()
    session.clear()
    flash("Signed out.")
    return redirect(url_for("auth.login"))


def actor_name() -> str:
    return str(getattr(current_user, "username", "?"))
