"""Print red-flag escalations as they happen, from Rasa's event stream on RabbitMQ.

Rasa's Pika event broker publishes every conversation event (JSON, one per
message) to the fanout exchange `rasa-exchange`. This consumer binds its own
durable queue to that exchange, so it sees every event without taking them from
other consumers, and prints one line per escalation:

    2026-11-29T06:10:02Z ESCALATION emergency conversation=clinic:p-17 channel=clinic

Run it beside the assistant (RABBITMQ_URL as for the server, default the local
broker):

    RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/ .venv/bin/python examples/escalation_consumer.py

Options: --queue NAME (default sciaticalm_escalations), --max N (stop after N
escalations), --delete-queue (remove the queue on exit, for throw-away runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime, timezone
from typing import Any

import aio_pika

EXCHANGE = "rasa-exchange"  # rasa.core.brokers.pika.RABBITMQ_EXCHANGE
DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"


def escalation_level(event: dict[str, Any]) -> str | None:
    """The level of an escalation message (a bot event with our custom payload)."""
    if event.get("event") != "bot":
        return None
    custom = ((event.get("data") or {}).get("custom") or {}).get("sciaticalm") or {}
    if custom.get("kind") != "escalation":
        return None
    return str(custom.get("level") or "emergency")


class EscalationPrinter:
    """Remembers each conversation's channel (from its user events) for the report."""

    def __init__(self) -> None:
        self.channels: dict[str, str] = {}

    def line(self, event: dict[str, Any]) -> str | None:
        sender = str(event.get("sender_id", "?"))
        if event.get("event") == "user" and event.get("input_channel"):
            self.channels[sender] = str(event["input_channel"])
        level = escalation_level(event)
        if level is None:
            return None
        when = datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)
        return (f"{when:%Y-%m-%dT%H:%M:%SZ} ESCALATION {level} conversation={sender} "
                f"channel={self.channels.get(sender, '?')}")


async def consume(url: str, queue_name: str, max_escalations: int | None,
                  delete_queue: bool) -> int:
    connection = await aio_pika.connect_robust(url)
    printed = 0
    async with connection:
        channel = await connection.channel()
        # Declared exactly as Rasa declares it (a non-durable fanout exchange).
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, "")
        print(f"listening on queue {queue_name}", flush=True)
        printer = EscalationPrinter()
        try:
            async with queue.iterator() as messages:
                async for message in messages:
                    async with message.process():
                        line = printer.line(json.loads(message.body))
                    if line:
                        print(line, flush=True)
                        printed += 1
                        if max_escalations and printed >= max_escalations:
                            break
        finally:
            if delete_queue:
                await queue.delete(if_unused=False, if_empty=False)
    return printed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("RABBITMQ_URL", DEFAULT_URL))
    parser.add_argument("--queue", default="sciaticalm_escalations")
    parser.add_argument("--max", type=int, default=None, dest="max_escalations")
    parser.add_argument("--delete-queue", action="store_true")
    args = parser.parse_args(argv)
    try:
        asyncio.run(consume(args.url, args.queue, args.max_escalations, args.delete_queue))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
