"""The authenticated partner channel: Rasa's REST request/reply shape behind API keys.

POST /webhooks/partner/webhook with the header `X-API-Key: <partner key>` and
{"sender": "...", "message": "...", "metadata": {...}} returns the bot's
messages as a JSON list, exactly like the `rest` channel. Differences:

- no valid key: 401 and the message never reaches Rasa (nothing is logged);
- the conversation's channel (`input_channel`) is the partner's name;
- the conversation id is "<partner>:<sender>", so two partners' senders never
  share a conversation; replies carry the partner's own sender id back;
- the partner's metadata reaches the actions (`tracker.latest_message["metadata"]`)
  with `"partner": "<name>"` set by the server (a partner cannot override it).

Hostile or broken input gets the same answers as the production REST channel
(channels/input_checks.py): 400 for a malformed body or sender, 413 for a message
over 5,000 characters, control characters removed, 429 with Retry-After when one
conversation sends faster than the rate limit or sends while another of its
messages is in progress on any replica (channels/conversation_guard.py), and
503 with the messages to show
(the escalation first if the text had red-flag signs) when the turn fails.
"""

from __future__ import annotations

import copy
import logging
import os
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.conversation_guard import ConversationGuard
from channels.errors import bad_request, conversation_busy, too_many, unavailable
from channels.input_checks import (
    InFlight,
    clean_text,
    limiter_from_env,
    message_problem,
    sender_problem,
)
from channels.keys import KEYS_ENV, KEYS_FILE_ENV, PartnerKeys, parse_env_keys

logger = logging.getLogger(__name__)

DEFAULT_HEADER = "X-API-Key"


class BadRequest(ValueError):
    """The body is not {"sender": str, "message": str, "metadata": object}."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


def partner_keys_from(credentials: dict[str, Any]) -> PartnerKeys:
    """Keys from the environment; `keys_file` in the credentials if the env names none."""
    keys_file = os.environ.get(KEYS_FILE_ENV) or credentials.get("keys_file")
    return PartnerKeys(parse_env_keys(os.environ.get(KEYS_ENV, "")),
                       Path(keys_file) if keys_file else None)


def parse_body(body: Any) -> tuple[str, str, dict[str, Any]]:
    """(sender, message, metadata) from a REST-shaped body, or BadRequest."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    problem = sender_problem(sender)
    if problem:
        raise BadRequest(problem)
    checked = message_problem(text)
    if checked:
        raise BadRequest(checked[1], checked[0])
    assert isinstance(sender, str) and isinstance(text, str)
    text = clean_text(text)
    if not text.strip():
        raise BadRequest("'message' must be a non-empty string")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    return sender, text, metadata


def unauthorized(header: str) -> HTTPResponse:
    return response.json(
        {"error": "unauthorized", "detail": f"a valid partner key is required in {header}"},
        status=401, headers={"WWW-Authenticate": f'ApiKey header="{header}"'},
    )


class PartnerAuth:
    """Shared by the partner and callback channels: key check and message building."""

    def __init__(self, keys: PartnerKeys, header: str = DEFAULT_HEADER) -> None:
        self.keys = keys
        self.header = header
        self.limiter = limiter_from_env()
        self.in_flight = InFlight()

    def check(self, request: Request) -> tuple[str, str, str, dict[str, Any]] | HTTPResponse:
        """(partner, sender, text, metadata) of an authorised, well-formed request,
        or the 401 / 400 / 413 / 429 response to send instead."""
        partner = self.partner(request)
        if partner is None:
            return unauthorized(self.header)
        try:
            try:
                body = request.json
            except Exception as exc:  # malformed JSON, invalid UTF-8
                raise BadRequest("the body must be a JSON object") from exc
            sender, text, metadata = parse_body(body)
        except BadRequest as exc:
            return bad_request(exc.status, str(exc))
        if not self.limiter.allow(self.conversation_id(partner, sender)):
            return too_many("too many messages from this sender", self.limiter.retry_after())
        return partner, sender, text, metadata

    def partner(self, request: Request) -> str | None:
        return self.keys.partner_for(request.headers.get(self.header))

    @staticmethod
    def conversation_id(partner: str, sender: str) -> str:
        return f"{partner}:{sender}"

    def user_message(self, partner: str, sender: str, text: str, metadata: dict[str, Any],
                     output: CollectingOutputChannel) -> UserMessage:
        """The message as Rasa sees it: partner's channel, namespaced id, tagged metadata."""
        metadata = {**copy.deepcopy(metadata), "partner": partner}
        return UserMessage(text, output, self.conversation_id(partner, sender),
                           input_channel=partner, metadata=metadata)


class PartnerInput(RestInput):
    """REST-shaped input channel that needs a per-partner API key."""

    @classmethod
    def name(cls) -> str:
        return "partner"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        auth = PartnerAuth(partner_keys_from(credentials),
                           str(credentials.get("header") or DEFAULT_HEADER))
        return cls(auth)

    def __init__(self, auth: PartnerAuth) -> None:
        self.auth = auth
        self.guard = ConversationGuard.from_env()
        partners = auth.keys.partners()
        logger.info("partner channel: %d partner(s) configured: %s", len(partners),
                    ", ".join(partners) or "none (every request gets 401)")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        webhook = Blueprint(f"partner_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            checked = self.auth.check(request)
            if isinstance(checked, HTTPResponse):
                return checked
            partner, sender, text, metadata = checked
            collector = CollectingOutputChannel()
            message = self.auth.user_message(partner, sender, text, metadata, collector)
            key = message.sender_id
            if not self.auth.in_flight.try_enter(key):
                return too_many("wait for the reply to the last message", retry_after=1)
            try:
                with self.guard.holding(key) as entered:  # raises if Redis is down
                    if not entered:
                        return too_many("another message of this conversation is being "
                                        "handled", retry_after=1)
                    await on_new_message(message)
            except (CancelledError, Exception) as exc:
                if conversation_busy(exc):
                    return too_many("another message of this conversation is being handled",
                                    retry_after=1)
                # No partner text in the log: the partner and the kind of failure only.
                logger.error("partner %s: turn failed (%s): 503", partner, type(exc).__name__)
                return unavailable(text, partner, recipient_id=sender)
            finally:
                self.auth.in_flight.leave(key)
            return response.json([{**m, "recipient_id": sender} for m in collector.messages])

        return webhook
