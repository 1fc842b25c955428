"""Review state, tags and notes of a conversation (each change audited)."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import audit
from staff_console import tables as t
from staff_console.refresh import _upsert

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9 _.-]{0,63}$")
MAX_NOTE = 10_000


class ReviewError(ValueError):
    pass


def set_reviewed(conn: Connection, sender_id: str, actor: str, reviewed: bool = True) -> None:
    _upsert(conn, t.reviews, [{
        "sender_id": sender_id, "reviewed": reviewed,
        "reviewed_by": actor if reviewed else None,
        "reviewed_at": time.time() if reviewed else None,
    }], ["sender_id"])
    audit.record(conn, actor, "review" if reviewed else "unreview", sender_id)


def normalise_tag(name: str) -> str:
    tag = " ".join(name.strip().lower().split())
    if not TAG_RE.match(tag):
        raise ReviewError("Tag: 1-64 lower-case letters, digits, space . _ -")
    return tag


def add_tag(conn: Connection, sender_id: str, name: str, actor: str) -> str:
    tag = normalise_tag(name)
    tag_id = conn.execute(sa.select(t.tags.c.id).where(t.tags.c.name == tag)).scalar()
    if tag_id is None:
        tag_id = conn.execute(t.tags.insert().values(name=tag)).inserted_primary_key[0]
    exists = conn.execute(sa.select(t.conversation_tags.c.tag_id).where(
        t.conversation_tags.c.sender_id == sender_id,
        t.conversation_tags.c.tag_id == tag_id)).first()
    if exists is None:
        conn.execute(t.conversation_tags.insert().values(sender_id=sender_id, tag_id=tag_id))
        audit.record(conn, actor, "tag", sender_id, tag=tag)
    return tag


def remove_tag(conn: Connection, sender_id: str, name: str, actor: str) -> None:
    tag_id = conn.execute(sa.select(t.tags.c.id).where(t.tags.c.name == name)).scalar()
    if tag_id is None:
        return
    deleted = conn.execute(t.conversation_tags.delete().where(
        t.conversation_tags.c.sender_id == sender_id,
        t.conversation_tags.c.tag_id == tag_id)).rowcount
    if deleted:
        audit.record(conn, actor, "untag", sender_id, tag=name)


def add_note(conn: Connection, sender_id: str, body: str, actor: str) -> None:
    body = body.strip()
    if not body:
        raise ReviewError("The note is empty.")
    if len(body) > MAX_NOTE:
        raise ReviewError(f"Notes are limited to {MAX_NOTE} characters.")
    conn.execute(t.notes.insert().values(sender_id=sender_id, author=actor, body=body,
                                         created_at=time.time()))
    # The note's text is private: the audit log records only that one was added.
    audit.record(conn, actor, "note", sender_id, chars=len(body))
