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

from channels.keys import KEYS_ENV, KEYS_FILE_ENV, PartnerKeys, parse_env_keys

logger = logging.getLogger(__name__)

DEFAULT_HEADER = "X-API-Key"
MAX_SENDER_LENGTH = 128


class BadRequest(ValueError):
    """The body is not {"sender": str, "message": str, "metadata": object}."""


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
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_LENGTH:
        raise BadRequest(f"'sender' must be a string of 1 to {MAX_SENDER_LENGTH} characters")
    if not isinstance(text, str) or not text.strip():
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

    def check(self, request: Request) -> tuple[str, str, str, dict[str, Any]] | HTTPResponse:
        """(partner, sender, text, metadata) of an authorised, well-formed request,
        or the 401 / 400 response to send instead."""
        partner = self.partner(request)
        if partner is None:
            return unauthorized(self.header)
        try:
            sender, text, metadata = parse_body(request.json)
        except BadRequest as exc:
            return response.json({"error": "bad_request", "detail": str(exc)}, status=400)
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
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("partner %s: message handling timed out", partner)
            except Exception:
                logger.exception("partner %s: message handling failed", partner)
            return response.json([{**m, "recipient_id": sender} for m in collector.messages])

        return webhook
