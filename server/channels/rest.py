"""The REST channel of both topologies, in place of Rasa's stock `rest` channel.

Same name ("rest"), URL (/webhooks/rest/webhook) and reply (a JSON list of the
bot's messages, each with the sender's `recipient_id`) as Rasa's channel, with
the admission pipeline (server/channels/admission.py) in front. What Rasa 3.6 would
turn into a 500, a silent empty reply or a broken log becomes a clear answer:

- a body that is not a JSON object (malformed JSON, invalid UTF-8, a list): 400;
- `sender` missing, not a string, empty, over 128 characters or with control
  characters: 400; `message` not a string: 400; over 5,000 characters: 413;
  `metadata` not an object: 400; an empty message is passed on (Rasa answers it);
- NUL and other control characters are removed from the message;
- the conversation is "rest:<sender>": a REST visitor cannot reach another
  channel's conversation by sending its id;
- more than 20 messages at once from one conversation, then more than one
  every 2 seconds (SCIATICALM_RATE_LIMIT), or a third message while two of the
  same conversation are still waiting for their reply, or a message while
  another of the conversation is in progress on any replica: 429 with Retry-After;
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

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from server.channels.admission import (
    Admission,
    Refusal,
    Replayed,
    json_reply,
    read_rest_body,
    replay_store,
    rest_answer,
)


class RestInput(RasaRestInput):
    """Rasa's REST channel through the admission pipeline (its name stays `rest`)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        self.admission = Admission(self.name())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = read_rest_body(request)
            if isinstance(body, Refusal):
                return rest_answer(self.admission.count(body), self.name())
            collector = CollectingOutputChannel()
            outcome = await self.admission.handle(
                UserMessage(body.text, collector, self.admission.conversation(body.sender),
                            input_channel=self.name(), message_id=body.message_id,
                            metadata=body.metadata),
                on_new_message, tracker_store=replay_store(request, body))
            if isinstance(outcome, Refusal):
                return rest_answer(outcome, self.name(), body.text)
            if isinstance(outcome, Replayed):
                return response.json(outcome.messages)
            return json_reply(collector.messages, body.sender)

        return webhook
