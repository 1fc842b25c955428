"""Admin pages: staff accounts and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from staff_console import accounts, audit
from staff_console.db import writing
from staff_console.views.common import actor, engine

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 100


@bp.before_request
def _admins_only() -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.is_admin:
        abort(403)


@bp.route("/users")
def users() -> Any:
    with engine().connect() as conn:
        staff = accounts.all_users(conn)
    return render_template("admin_users.html", users=staff, roles=accounts.ROLES)


@bp.route("/users", methods=["POST"])
def create_user() -> Any:
    try:
        with writing(engine()) as conn:
            user = accounts.create_user(conn, request.form.get("username", ""),
                                        request.form.get("password", ""),
                                        request.form.get("role", "reviewer"))
            audit.record(conn, actor(), "user_create", user.username, role=user.role)
        flash(f"Created {user.username} ({user.role}).")
    except accounts.AccountError as e:
        flash(str(e))
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>", methods=["POST"])
def update_user(user_id: int) -> Any:
    action = request.form.get("action", "")
    try:
        with writing(engine()) as conn:
            user = accounts.get(conn, user_id)
            if user is None:
                abort(404)
            if action == "password":
                accounts.set_password(conn, user_id, request.form.get("password", ""))
                audit.record(conn, actor(), "user_password", user.username)
            elif action in ("role", "deactivate", "activate"):
                role = request.form.get("role") if action == "role" else None
                active = {"deactivate": False, "activate": True}.get(action)
                demoting = (role is not None and role != "admin") or active is False
                if user.is_admin and demoting and accounts.count_admins(conn) <= 1:
                    raise accounts.AccountError("The last active admin cannot be removed.")
                accounts.update_user(conn, user_id, role=role, active=active)
                audit.record(conn, actor(), f"user_{action}", user.username,
                             role=role, active=active)
            else:
                abort(400)
        flash(f"Updated {user.username}.")
    except accounts.AccountError as e:
        flash(str(e))
    return redirect(url_for(".users"))


@bp.route("/audit")
def audit_log() -> Any:
    try:
        page = max(1, min(int(request.args.get("page", "1")[:12]), 100_000))
    except ValueError:
        page = 1
    action = request.args.get("action", "")[:40]
    with engine().connect() as conn:
        entries = audit.recent(conn, AUDIT_PAGE, (page - 1) * AUDIT_PAGE, action)
    return render_template("admin_audit.html", entries=entries, page=page, action=action,
                           more=len(entries) == AUDIT_PAGE)
