"""Helpers shared by the blueprints."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.engine import Engine

from staff_console import ConsoleState
from staff_console.config import Settings
from staff_console.filters import FILTER_KEYS


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


def clean_filter_url(endpoint: str) -> Any | None:
    """A redirect to the same list without empty fields and keys that are not filters
    (the filter form sends every field; a stray key could also clash with url_for's
    own arguments), for a clean, shareable URL; None when the URL is clean already."""
    if not any(v == "" or k not in FILTER_KEYS for k, v in request.args.items()):
        return None
    return redirect(url_for(endpoint, **{k: v for k, v in request.args.items()
                                         if v and k in FILTER_KEYS}))
