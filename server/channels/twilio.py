"""Rasa's Twilio connector (SMS and WhatsApp), adjusted for Sciaticalm.

- Buttons become numbered options in the text ("1. Likely causes"), numbered on
  across the messages of one reply; an answer that is just a number is mapped to
  that button's payload, looked up in the conversation (the bot messages since
  the visitor's last message), so it survives restarts.
- Markdown becomes plain text; our widget-only escalation payload is skipped
  (Rasa would pass it to Twilio's API as arguments and fail).
- Inbound requests must carry a valid `X-Twilio-Signature` (Rasa checks none);
  `webhook_url` is the public URL Twilio calls (needed behind a proxy).
- Every message goes through the admission pipeline (server/channels/admission.py): the
  conversation is "twilio:<From>" ("twilio:+44...", "twilio:whatsapp:+44..."),
  input checks, rate limit, and a polite reply when a message is refused or its
  turn fails.
- Replies to "whatsapp:+44..." senders go from `whatsapp_number`, others from
  `twilio_number`. `api_base` points the client at another API host (tests).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from server.channels.admission import Admission
from server.channels.text import chunks, is_internal_custom, numbered_options, to_plain
from server.runtime.metrics import METRICS

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
OPTIONS_HINT = "Reply with a number."
MAX_BODY = 1600  # characters: Twilio refuses longer message bodies (error 21617)


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client sending api.twilio.com requests to another base URL."""

    def __init__(self, api_base: str) -> None:
        super().__init__(timeout=15)
        self.api_base = api_base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class SciaticalmTwilioOutput(TwilioOutput):
    def __init__(self, account_sid: str | None, auth_token: str | None,
                 twilio_number: str | None, whatsapp_number: str | None = None,
                 api_base: str | None = None) -> None:
        http_client = RebasedHttpClient(api_base) if api_base else None
        Client.__init__(self, account_sid, auth_token, http_client=http_client)
        self.twilio_number = twilio_number
        self.whatsapp_number = whatsapp_number
        self.send_retry = 0
        self.max_retry = 5
        self.options_sent = 0  # numbering goes on across the messages of one reply

    def sender_number(self, recipient_id: str) -> str | None:
        if recipient_id.startswith("whatsapp:"):
            return self.whatsapp_number
        return self.twilio_number

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in chunks(to_plain(text), MAX_BODY):
            await self._send_message({"to": recipient_id, "body": part,
                                      "from_": self.sender_number(recipient_id)})

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        options = numbered_options(buttons, start=self.options_sent + 1)
        self.options_sent += len(buttons)
        await self.send_text_message(recipient_id, f"{text}\n{options}\n{OPTIONS_HINT}")

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        if is_internal_custom(json_message):
            return
        json_message.setdefault("from_", self.sender_number(recipient_id))
        await super().send_custom_json(recipient_id, json_message, **kwargs)


def current_options(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Buttons of the bot messages after the visitor's last message, in order."""
    batches: list[list[dict[str, Any]]] = []
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            batches.append(list(event.data["buttons"]))
    return [button for batch in reversed(batches) for button in batch]


def chosen_payload(text: str, options: list[dict[str, Any]]) -> str | None:
    """The payload of option `text` ("2" or "2."), if it names one."""
    choice = text.strip().rstrip(".")
    if choice.isdigit() and 1 <= int(choice) <= len(options):
        payload = options[int(choice) - 1].get("payload")
        return str(payload) if payload else None
    return None


def valid_twilio_signature(auth_token: str | None, url: str, params: dict[str, str],
                           signature: str) -> bool:
    """Twilio's request signature; no auth token, no entry."""
    return bool(auth_token) and bool(signature) and RequestValidator(auth_token).validate(
        url, params, signature)


class SciaticalmTwilioInput(TwilioInput):
    """SMS and WhatsApp through the admission pipeline, signatures checked (Rasa's own
    channel name, `twilio`)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(credentials.get("account_sid"), credentials.get("auth_token"),
                   credentials.get("twilio_number"),
                   whatsapp_number=credentials.get("whatsapp_number"),
                   api_base=credentials.get("api_base"),
                   webhook_url=credentials.get("webhook_url"))

    def __init__(self, account_sid: str | None, auth_token: str | None,
                 twilio_number: str | None, *, whatsapp_number: str | None = None,
                 api_base: str | None = None, webhook_url: str | None = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        self.whatsapp_number = whatsapp_number
        self.api_base = api_base
        self.webhook_url = webhook_url
        self.admission = Admission(self.name())

    def get_output_channel(self) -> SciaticalmTwilioOutput:
        return SciaticalmTwilioOutput(self.account_sid, self.auth_token, self.twilio_number,
                                      self.whatsapp_number, self.api_base)

    def signed(self, request: Request, params: dict[str, str]) -> bool:
        return valid_twilio_signature(self.auth_token, self.webhook_url or request.url, params,
                                      request.headers.get("X-Twilio-Signature", ""))

    async def resolve_choice(self, request: Request, sender: str, text: str) -> str:
        """A bare number answers the numbered options last sent to this sender."""
        if not text.strip().rstrip(".").isdigit():
            return text
        tracker = await request.app.ctx.agent.tracker_store.retrieve(
            self.admission.conversation(sender))
        if tracker is None:
            return text
        return chosen_payload(text, current_options(tracker.events)) or text

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        webhook = Blueprint("sciaticalm_twilio_webhook", __name__)
        admit = self.admission.guarded(on_new_message)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            params = {key: values[0] for key, values in request.form.items()}
            if not self.signed(request, params):
                logger.warning("twilio: request without a valid X-Twilio-Signature refused")
                METRICS.refusal(self.name(), 403, "unauthorized")
                return response.text("invalid signature", status=403)
            sender, text = params.get("From"), params.get("Body")
            if not sender or not text:
                return response.text("", status=204)
            text = await self.resolve_choice(request, sender, text.replace("¡", "@"))
            await admit(UserMessage(text, self.get_output_channel(), sender,
                                    input_channel=self.name(),
                                    metadata=self.get_metadata(request)))
            return response.text("", status=204)

        return webhook
