"""Helpers shared by the blueprints."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from sqlalchemy.engine import Engine

from staff_console import ConsoleState
from staff_console.config import Settings


def state() -> ConsoleState:
    return current_app.extensions["console"]


def engine() -> Engine:
    return state().engine


def settings() -> Settings:
    return state().settings


def actor() -> str:
    """The signed-in staff member's username (for audit and review records)."""
    return str(current_user.username)


def safe_path(target: str | None, default: str) -> str:
    """`target` if it is a same-site relative path, else `default` (no open redirects)."""
    from urllib.parse import urlsplit

    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target
