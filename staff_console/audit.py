"""The audit log of staff actions."""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import tables as t


def record(conn: Connection, actor: str, action: str, target: str | None = None,
           **detail: Any) -> None:
    """Append one entry (in the caller's transaction, so it commits with the action)."""
    conn.execute(t.audit_log.insert().values(
        ts=time.time(), actor=actor[:80], action=action[:40],
        target=target[:255] if target else None,
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
    ))


def recent(conn: Connection, limit: int = 100, offset: int = 0,
           action: str = "") -> list[Any]:
    a = t.audit_log.c
    stmt = sa.select(t.audit_log).order_by(a.ts.desc(), a.id.desc()).limit(limit).offset(offset)
    if action:
        stmt = stmt.where(a.action == action)
    return conn.execute(stmt).all()


def seen_recently(conn: Connection, actor: str, action: str, within: float,
                  now: float | None = None) -> bool:
    """Whether `actor` has an `action` entry in the last `within` seconds.

    Used to write one "sign-in refused" row a minute per username, however many
    refused attempts a script makes, so the audit log cannot be flooded.
    """
    now = time.time() if now is None else now
    a = t.audit_log.c
    return conn.execute(sa.select(a.id).where(a.actor == actor[:80], a.action == action,
                                              a.ts > now - within).limit(1)).first() is not None
