"""Helpers for the integration tests (servers come from testkit/servers.py)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

HELP_LINE_LINK = "[02380 248725](tel:+442380248725)"
PARTNER_CHANNEL = "server.channels.partner.PartnerInput:\n"


def new_key() -> str:
    return secrets.token_urlsafe(24)


def user_events(db_path: Path, sender: str | None = None) -> list[dict[str, Any]]:
    """UserUttered events of the SQLite log (all conversations, or one), in order."""
    query = "SELECT sender_id, data FROM events WHERE type_name = 'user'"
    args: tuple[str, ...] = ()
    if sender is not None:
        query += " AND sender_id = ?"
        args = (sender,)
    with sqlite3.connect(db_path) as db:
        rows = db.execute(query + " ORDER BY id", args).fetchall()
    return [{"sender_id": s, **json.loads(d)} for s, d in rows]


def event_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as db:
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.OperationalError:  # no table yet
            return 0


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def eventually(check: Callable[[], T], timeout: float = 20) -> T:
    """Poll `check` until it returns something truthy (the tracker is saved after the
    replies have been sent, so the log can lag behind a callback or messenger)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)
