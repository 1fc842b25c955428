"""Rasa's Facebook Messenger connector, adjusted for Sciaticalm.

- The webhook checks `X-Hub-Signature-256` (HMAC-SHA256 of the body with the app
  secret) when Meta sends it, else `X-Hub-Signature` (SHA1), in constant time,
  and answers 403 to a bad signature or verify token (Rasa answers 200).
- Markdown becomes plain text; buttons become quick replies (Messenger's button
  template takes at most 3, Rasa then drops them all), titles cut to 20
  characters; our widget-only escalation payload is skipped.
- Every message goes through the admission pipeline (server/channels/admission.py): the
  conversation is "facebook:<PSID>", input checks, rate limit, and a polite reply
  when a message is refused or its turn fails. A signed body that is not a
  Messenger webhook event gets 400.
- `graph_url` points the client at another Graph API base (tests, API versions).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fbmessenger.elements import Text as FBText
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from server.channels.admission import Admission
from server.channels.text import chunks, is_internal_custom, to_plain
from server.runtime.metrics import METRICS

logger = logging.getLogger(__name__)

MAX_QUICK_REPLIES = 13
MAX_TITLE = 20
MAX_TEXT = 2000  # characters: Messenger refuses longer text messages


def short_title(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def valid_signature(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Meta's X-Hub-Signature-256 (preferred) or X-Hub-Signature over the raw body."""
    for header, algorithm in (("X-Hub-Signature-256", "sha256"), ("X-Hub-Signature", "sha1")):
        value = headers.get(header)
        if value:
            method, _, digest = value.partition("=")
            if method != algorithm or not secret:
                return False
            expected = hmac.new(secret.encode(), body, algorithm).hexdigest()
            return hmac.compare_digest(expected, digest)
    return False


class SciaticalmMessengerBot(MessengerBot):
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in chunks(to_plain(text), MAX_TEXT):
            self.send(recipient_id, FBText(text=part))

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        replies = [{"title": short_title(b["title"]), "payload": b["payload"],
                    "content_type": "text"} for b in buttons[:MAX_QUICK_REPLIES]]
        *before, last = chunks(to_plain(text), MAX_TEXT) or [""]
        for part in before:
            self.send(recipient_id, FBText(text=part))
        await self.send_quick_replies(recipient_id, last, replies)

    async def send_custom_json(self, recipient_id: str, json_message: Any,
                               **kwargs: Any) -> None:
        if is_internal_custom(json_message):
            return
        await super().send_custom_json(recipient_id, json_message, **kwargs)


class SciaticalmMessenger(Messenger):
    def __init__(self, page_access_token: str, graph_url: str | None,
                 on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        super().__init__(page_access_token, on_new_message)
        if graph_url:
            self.client.graph_url = graph_url.rstrip("/")

    async def _handle_user_message(self, text: str, sender_id: str,
                                   metadata: dict[str, Any] | None) -> None:
        out_channel = SciaticalmMessengerBot(self.client)
        await out_channel.send_action(sender_id, sender_action="mark_seen")
        await out_channel.send_action(sender_id, sender_action="typing_on")
        try:
            await self.on_new_message(UserMessage(text, out_channel, sender_id,
                                                  input_channel=self.name(), metadata=metadata))
        except Exception:
            logger.exception("facebook: handling a message failed")
        finally:
            await out_channel.send_action(sender_id, sender_action="typing_off")


class SciaticalmFacebookInput(FacebookInput):
    """Messenger through the admission pipeline (Rasa's own channel name, `facebook`)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        channel = cls(credentials.get("verify"), credentials.get("secret"),
                      credentials.get("page-access-token"))
        channel.graph_url = credentials.get("graph_url")
        return channel

    graph_url: str | None = None
    _admission: Admission | None = None

    @property
    def admission(self) -> Admission:
        if self._admission is None:
            self._admission = Admission(self.name())
        return self._admission

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        webhook = Blueprint("sciaticalm_fb_webhook", __name__)
        admit = self.admission.guarded(on_new_message)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token")
            if self.fb_verify and token and hmac.compare_digest(token, self.fb_verify):
                return response.text(request.args.get("hub.challenge") or "")
            return response.text("invalid verify token", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not valid_signature(self.fb_secret or "", request.body, request.headers):
                logger.warning("facebook: webhook with a missing or wrong signature refused")
                METRICS.refusal(self.name(), 403, "unauthorized")
                return response.text("invalid signature", status=403)
            messenger = SciaticalmMessenger(self.fb_access_token, self.graph_url, admit)
            try:
                await messenger.handle(request.json, self.get_metadata(request))
            except (KeyError, TypeError, AttributeError, IndexError, ValueError):
                logger.warning("facebook: signed body that is no webhook event refused")
                METRICS.refusal(self.name(), 400, "bad_body")
                return response.text("not a Messenger webhook event", status=400)
            return response.text("success")

        return webhook
