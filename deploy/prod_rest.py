"""Rasa's REST channel hardened for the internet (the production configuration).

Same name ("rest"), URL (/webhooks/rest/webhook) and reply (a JSON list of the
bot's messages) as Rasa's channel. What Rasa 3.6 would turn into a 500, a
silent empty reply or a broken log becomes a clear answer
(channels/input_checks.py, sciaticalm/service.py):

- a body that is not a JSON object (malformed JSON, invalid UTF-8, a list): 400;
- `sender` missing, not a string, empty, over 128 characters or with control
  characters: 400; `message` not a string: 400; over 5,000 characters: 413;
- NUL and other control characters are removed from the message; `metadata`
  that is not an object is ignored; `input_channel` is always "rest";
- more than 20 messages at once from one conversation, then more than one
  every 2 seconds (SCIATICALM_RATE_LIMIT), or a third message while two of the
  same conversation are still waiting for their reply, or a message while
  another of the conversation is in progress on any replica
  (channels/conversation_guard.py): 429 with Retry-After;
- the turn fails (PostgreSQL or Redis down, a timeout): 503 with Retry-After and
  {"error": "temporarily_unavailable", "messages": [...]}: the messages to show,
  the escalation first when the text has red-flag signs. Rasa commits a turn in
  one transaction at its end, so a failed turn leaves nothing in the log;
- optional `message_id` (1 to 64 printable characters): a request that repeats
  the id of a turn already in the log is not processed again; it gets that
  turn's replies. A client that retries after a 502/503/504 or a lost
  connection with the same id can never log a turn twice.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.conversation_guard import ConversationGuard
from channels.errors import bad_request, conversation_busy, too_many, unavailable
from channels.input_checks import (
    InFlight,
    clean_text,
    limiter_from_env,
    message_id_problem,
    message_problem,
    sender_problem,
)

logger = logging.getLogger(__name__)


def parse(request: Request) -> tuple[str, str, str | None, dict[str, Any] | None] | HTTPResponse:
    """(sender, text, message_id, metadata) of a well-formed request, or the 4xx."""
    try:
        body = request.json
    except Exception:  # sanic raises for unparsable JSON and invalid UTF-8
        body = None
    if not isinstance(body, dict):
        return bad_request(400, "the body must be a JSON object")
    sender, text, message_id = body.get("sender"), body.get("message"), body.get("message_id")
    for problem in (sender_problem(sender), message_id_problem(message_id)):
        if problem:
            return bad_request(400, problem)
    checked = message_problem(text)
    if checked:
        status, detail = checked
        return bad_request(status, detail)
    metadata = body.get("metadata")
    return sender, clean_text(text), message_id, metadata if isinstance(metadata, dict) else None


def bot_messages(sender: str, events: list[Any]) -> list[dict[str, Any]]:
    """The replies logged as BotUttered events, in the REST channel's shape."""
    out = []
    for event in events:
        data = {k: v for k, v in (event.data or {}).items() if v}
        out.append({"recipient_id": sender, **({"text": event.text} if event.text else {}),
                    **data})
    return out


async def replies_already_logged(agent: Any, sender: str, message_id: str
                                 ) -> list[dict[str, Any]] | None:
    """The replies of the logged turn whose user message had `message_id`, or None."""
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    found, replies = False, []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            replies.append(event)
    return bot_messages(sender, replies) if found else None


class ProdRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.limiter = limiter_from_env()
        self.in_flight = InFlight()
        self.guard = ConversationGuard.from_env()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed = parse(request)
            if isinstance(parsed, HTTPResponse):
                return parsed
            sender, text, message_id, metadata = parsed
            if not self.in_flight.try_enter(sender):
                return too_many("wait for the reply to the last message", retry_after=1)
            try:
                if not self.limiter.allow(sender):
                    return too_many("too many messages from this sender",
                                    self.limiter.retry_after())
                return await self._handle(request, on_new_message, sender, text,
                                          message_id, metadata)
            finally:
                self.in_flight.leave(sender)

        return webhook

    async def _handle(self, request: Request,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str,
                      text: str, message_id: str | None, metadata: dict[str, Any] | None
                      ) -> HTTPResponse:
        collector = CollectingOutputChannel()
        try:
            with self.guard.holding(sender) as entered:  # raises if Redis is down
                if not entered:
                    return too_many("another message of this conversation is being handled",
                                    retry_after=1)
                if message_id is not None:
                    agent = request.app.ctx.agent
                    logged = await replies_already_logged(agent, sender, message_id)
                    if logged is not None:
                        return response.json(logged)
                await on_new_message(UserMessage(
                    text, collector, sender, input_channel=self.name(),
                    message_id=message_id, metadata=metadata))
        except (CancelledError, Exception) as exc:
            if conversation_busy(exc):
                return too_many("another message of this conversation is being handled",
                                retry_after=1)
            # No visitor text in the log: the sender id and the kind of failure only.
            logger.error("rest: turn of %s failed (%s): 503", sender, type(exc).__name__)
            return unavailable(text, self.name())
        return response.json(collector.messages)
