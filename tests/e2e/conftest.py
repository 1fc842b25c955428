"""End-to-end fixtures: one real action server + Rasa server for the whole session
(every test uses its own sender ids, so they do not interfere)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.servers import Stack, rasa_stack, rest_id


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with rasa_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s


def stored_events(db_path: Path, sender: str, *, conversation: str | None = None
                  ) -> list[tuple[str, str | None, str | None]]:
    """(type_name, intent_name, action_name) rows of Rasa's events table, in order
    (of the REST sender's conversation, or of the `conversation` id given)."""
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT type_name, intent_name, action_name FROM events "
            "WHERE sender_id = ? ORDER BY id", (conversation or rest_id(sender),)
        ).fetchall()


def slot_values(db_path: Path, sender: str, slot: str, *,
                conversation: str | None = None) -> list[object]:
    import json

    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' ORDER BY id",
            (conversation or rest_id(sender),),
        ).fetchall()
    values = []
    for (data,) in rows:
        event = json.loads(data)
        if event.get("name") == slot:
            values.append(event.get("value"))
    return values
