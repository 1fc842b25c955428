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

from staff_console import accounts, audit
from staff_console.views.common import engine, safe_path, settings

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
PUBLIC_ENDPOINTS = {"auth.login", "static"}


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
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    with engine().connect() as conn:
        staff = accounts.get(conn, uid)
    if staff is None or not staff.active or staff.session_version != version:
        return None
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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("conversations.index"))
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = (request.form.get("username") or "").strip()[:80]
    password = request.form.get("password") or ""
    addr = request.remote_addr or "unknown"
    cfg = settings()
    with engine().begin() as conn:
        if accounts.is_locked_out(conn, username, addr, max_failures=cfg.login_max_failures,
                                  window=cfg.login_window_seconds):
            audit.record(conn, username or "?", "login_locked", None, remote_addr=addr)
            return render_template(
                "login.html", next=request.form.get("next", ""),
                error="Too many failed sign-ins. Try again later.",
            ), 429
        staff = accounts.authenticate(conn, username, password)
        if staff is None:
            accounts.record_failure(conn, username, addr)
            audit.record(conn, username or "?", "login_failed", None, remote_addr=addr)
            return render_template("login.html", next=request.form.get("next", ""),
                                   error="Wrong username or password."), 401
        accounts.clear_failures(conn, username)
        audit.record(conn, staff.username, "login", None, remote_addr=addr)
    session.clear()  # a fresh session on sign-in (no fixation)
    session.permanent = True
    login_user(LoginUser(staff))
    session["signed_in_at"] = time.time()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    session.clear()
    flash("Signed out.")
    return redirect(url_for("auth.login"))
