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

Hostile or broken input, floods and failures get the same answers as on the
REST channel (the admission pipeline, server/channels/admission.py): 400 for a malformed
body or sender, 413 for a message over 5,000 characters, control characters
removed, 429 with Retry-After, 503 with the messages to show (the escalation
first if the text had red-flag signs) when the turn fails, and `message_id` for
safe retries. One difference: an empty message is a 400 (a partner's system
sending nothing is a bug worth telling it about).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from server.channels.admission import (
    Admission,
    Refusal,
    Replayed,
    RestBody,
    json_reply,
    parse_rest_body,
    read_rest_body,
    replay_store,
    rest_answer,
)
from server.channels.input_checks import conversation_id
from server.channels.keys import PartnerKeys, parse_env_keys
from server.runtime.metrics import METRICS
from server.settings import settings

logger = logging.getLogger(__name__)

DEFAULT_HEADER = "X-API-Key"


class BadRequest(ValueError):
    """The body is not {"sender": str, "message": str, "metadata": object}."""

    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


def partner_keys_from(credentials: dict[str, Any]) -> PartnerKeys:
    """Keys from the environment; `keys_file` in the credentials if the env names none."""
    config = settings()
    keys_file = config.partner_keys_file or credentials.get("keys_file")
    return PartnerKeys(parse_env_keys(config.partner_keys),
                       Path(keys_file) if keys_file else None)


def parse_body(body: Any) -> tuple[str, str, dict[str, Any]]:
    """(sender, message, metadata) from a partner's body, or BadRequest."""
    parsed = parse_rest_body(body, allow_empty=False)
    if isinstance(parsed, Refusal):
        raise BadRequest(parsed.detail, parsed.status)
    return parsed.sender, parsed.text, parsed.metadata


def unauthorized(header: str) -> HTTPResponse:
    return response.json(
        {"error": "unauthorized", "detail": f"a valid partner key is required in {header}"},
        status=401, headers={"WWW-Authenticate": f'ApiKey header="{header}"'},
    )


CheckedHandler = Callable[[Request, str, RestBody], Awaitable[HTTPResponse]]


class PartnerAuth:
    """Shared by the partner and callback channels: key check, body check, rate
    limit and message building, with one admission pipeline for both."""

    def __init__(self, keys: PartnerKeys, header: str = DEFAULT_HEADER) -> None:
        self.keys = keys
        self.header = header
        # The namespace is per partner (conversation_id), so the pipeline's own
        # channel name only labels its log lines.
        self.admission = Admission("partner")

    def check(self, request: Request) -> tuple[str, RestBody] | HTTPResponse:
        """(partner, body) of an authorised, well-formed request within the rate
        limit, or the 401 / 400 / 413 / 429 response to send instead."""
        partner = self.partner(request)
        if partner is None:
            METRICS.refusal(self.admission.channel, 401, "unauthorized")
            return unauthorized(self.header)
        body = read_rest_body(request, allow_empty=False)
        if isinstance(body, Refusal):
            return rest_answer(self.admission.count(body), partner)
        limited = self.admission.rate_limited(self.conversation_id(partner, body.sender))
        if limited:
            return rest_answer(limited, partner)
        return partner, body

    def partner(self, request: Request) -> str | None:
        return self.keys.partner_for(request.headers.get(self.header))

    def routes(self, name: str, receive: CheckedHandler) -> Blueprint:
        """A channel's two routes: GET / (health) and POST /webhook, which sends
        the 401/400/413/429 answers itself and gives `receive` what passed."""
        webhook = Blueprint(name, __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def checked_receive(request: Request) -> HTTPResponse:
            checked = self.check(request)
            if isinstance(checked, HTTPResponse):
                return checked
            return await receive(request, *checked)

        return webhook

    @staticmethod
    def conversation_id(partner: str, sender: str) -> str:
        return conversation_id(partner, sender)

    def user_message(self, partner: str, body: RestBody, output: OutputChannel) -> UserMessage:
        """The message as Rasa sees it: partner's channel, namespaced id, tagged metadata."""
        metadata = {**copy.deepcopy(body.metadata), "partner": partner}
        return UserMessage(body.text, output, self.conversation_id(partner, body.sender),
                           input_channel=partner, message_id=body.message_id,
                           metadata=metadata)


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
        async def receive(request: Request, partner: str, body: RestBody) -> HTTPResponse:
            collector = CollectingOutputChannel()
            outcome = await self.auth.admission.handle(
                self.auth.user_message(partner, body, collector), on_new_message,
                rate_key="", tracker_store=replay_store(request, body))
            if isinstance(outcome, Refusal):
                return rest_answer(outcome, partner, body.text, recipient_id=body.sender)
            if isinstance(outcome, Replayed):
                return json_reply(outcome.messages, body.sender)
            return json_reply(collector.messages, body.sender)

        return self.auth.routes(f"partner_webhook_{type(self).__name__}", receive)
