"""Rasa's Pika event broker against the local RabbitMQ: a conversation held over
REST produces its events, in order, on a queue; the example escalation consumer
prints the escalation."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from testkit.servers import REPO, Stack, rasa_stack, rest_id
from tests.integrations.conftest import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
QUEUE = f"sciaticalm_test_events_{uuid.uuid4().hex[:8]}"
ESCALATION = "both my legs are numb and I can't feel my bum"


async def _drain(queue_name: str, sender: str, want: int, timeout: float) -> list[dict]:
    """Consume the queue until `want` events of `sender` arrived (others are acked too)."""
    got: list[dict[str, Any]] = []
    connection = await aio_pika.connect_robust(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(got) < want and loop.time() < deadline:
            message = await queue.get(fail=False, no_ack=True)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            event = json.loads(message.body)
            if event.get("sender_id") == sender:
                got.append(event)
    return got


async def _delete(queue_name: str) -> None:
    connection = await aio_pika.connect_robust(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)


def logged(db_path: Path, sender: str) -> list[dict[str, Any]]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                          (sender,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["event"], event.get("timestamp"), event.get("name"), event.get("text"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        with rasa_stack(tmp_path_factory.mktemp("broker"),
                        env={"RABBITMQ_URL": RABBITMQ_URL, "RABBITMQ_QUEUE": QUEUE}) as s:
            yield s
    finally:
        asyncio.run(_delete(QUEUE))


@pytest.fixture
def consumer() -> Iterator[subprocess.Popen]:
    queue = f"sciaticalm_test_escalations_{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "escalation_consumer.py"), "--url",
         RABBITMQ_URL, "--queue", queue, "--max", "1", "--delete-queue"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(f"listening on queue {queue}")
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
        asyncio.run(_delete(queue))


def test_every_event_of_a_rest_conversation_reaches_rabbitmq_in_order(stack: Stack) -> None:
    sender = f"stream-{uuid.uuid4()}"
    stack.say(sender, "hello")
    stack.say(sender, "are my trainers causing my back pain?")
    stack.say(sender, ESCALATION)
    log = eventually(lambda: (lambda e: e if any(x["event"] == "slot" and
                                                  x.get("name") == "red_flags" for x in e)
                              else [])(logged(stack.db_path, rest_id(sender))))
    streamed = asyncio.run(_drain(QUEUE, rest_id(sender), len(log), timeout=30))
    assert [key(e) for e in streamed] == [key(e) for e in log]
    kinds = [e["event"] for e in streamed]
    assert kinds[:3] == ["action", "session_started", "action"]  # session start
    user = [e for e in streamed if e["event"] == "user"]
    assert [e["text"] for e in user] == ["hello", "are my trainers causing my back pain?",
                                         ESCALATION]
    assert {e["input_channel"] for e in user} == {"rest"}
    escalation = [e for e in streamed if e["event"] == "bot"
                  and (e.get("data") or {}).get("custom")]
    assert escalation[0]["data"]["custom"]["sciaticalm"]["level"] == "emergency"


def test_the_example_consumer_prints_the_escalation(stack: Stack,
                                                    consumer: subprocess.Popen) -> None:
    sender = f"consumer-{uuid.uuid4()}"
    stack.say(sender, "I have a fever and my back pain wakes me at night")
    out, _ = consumer.communicate(timeout=60)
    assert consumer.returncode == 0
    assert f"ESCALATION urgent conversation={rest_id(sender)} channel=rest" in out


def test_a_long_conversation_streams_each_event_once(stack: Stack) -> None:
    """Past the bounded store's window (60 events, server/runtime/bounded_store.py)
    each turn still streams exactly the events it adds: the stream equals the log."""
    sender = f"long-stream-{uuid.uuid4()}"
    texts = ["thanks", "which stretches help my back?", "hello",
             "how long should I hold a plank", "what can you do?", "ok"]
    for i in range(18):  # under the per-sender burst of 20; turns of unequal length
        assert stack.say(sender, texts[i % len(texts)])
    log = logged(stack.db_path, rest_id(sender))
    assert len(log) > 60
    streamed = asyncio.run(_drain(QUEUE, rest_id(sender), len(log) + 10, timeout=15))
    assert [key(e) for e in streamed] == [key(e) for e in log]
