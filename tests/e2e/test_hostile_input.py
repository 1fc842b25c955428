"""Hostile and broken input on the embedded default's REST channel (server/channels/rest.py,
the one `make run` serves): a clear 4xx or a reply, never a 5xx, the server still
answers others, and the Rasa process's memory does not grow with it."""

from __future__ import annotations

import sqlite3
import uuid

import requests

from testkit.hostile import hostile_cases
from testkit.servers import Stack, rest_id, rss_kib


def test_hostile_rest_input_gets_4xx_or_a_reply_and_memory_stays(stack: Stack) -> None:
    assert stack.say(f"warm-{uuid.uuid4().hex[:8]}", "hello")
    before = rss_kib(stack.rasa_proc.pid)
    sid = uuid.uuid4().hex[:8]
    failures = []
    for _ in range(3):  # a high-water mark would show on the first round already
        for name, body, status in hostile_cases(sid):
            resp = requests.post(stack.rest_url, data=body, timeout=60,
                                 headers={"Content-Type": "application/json"})
            if resp.status_code != status:
                failures.append(f"{name}: {resp.status_code} (expected {status})")
            elif status != 200 and "error" not in resp.json():
                failures.append(f"{name}: {status} without a JSON error")
    assert not failures, "\n".join(failures)
    assert stack.say(f"after-{sid}", "hello"), "the server stopped answering"
    after = rss_kib(stack.rasa_proc.pid)
    assert after <= before * 1.10, f"Rasa grew from {before} KiB to {after} KiB"
    # the REST sender's conversation is its own: rest:<sender>
    with sqlite3.connect(stack.db_path) as db:
        ids = {s for (s,) in db.execute("SELECT DISTINCT sender_id FROM events")}
    assert rest_id(f"h-nul-{sid}") in ids and f"h-nul-{sid}" not in ids
