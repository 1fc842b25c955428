"""Rasa's Telegram connector, adjusted for Sciaticalm.

- `api_base`: another Bot API server (a self-hosted one, or the fake in tests);
  aiogram's `Bot(server=TelegramAPIServer.from_base(...))` supports it.
- `secret_token` (required: the channel does not start without it): sent with
  setWebhook; updates without the matching `X-Telegram-Bot-Api-Secret-Token`
  header (compared in constant time) get 401. Rasa only compares the bot's
  username, which anyone can send.
- Every message goes through the admission pipeline (server/channels/admission.py): the
  conversation is "telegram:<chat id>", input checks, rate limit, and a polite
  reply in the chat when a message is refused or its turn fails. A body that is
  not a Telegram update gets 400.
- Markdown becomes Telegram HTML (bold, web links; tel: links become the number,
  which Telegram's apps make tappable). Buttons are a vertical inline keyboard,
  so long titles stay readable; our widget-only escalation payload is skipped.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from server.channels.admission import Admission
from server.channels.text import chunks, is_internal_custom, to_telegram_html
from server.runtime.metrics import METRICS

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit for a button's callback_data
MAX_TEXT = 3500  # characters before HTML escaping (Telegram's limit is 4096 after entities)


def valid_secret(expected: str | None, given: str | None) -> bool:
    """The webhook's secret token, compared in constant time; no secret, no entry."""
    return bool(expected) and bool(given) and hmac.compare_digest(
        str(given).encode(), str(expected).encode())


def is_update(request: Request) -> bool:
    """True if the body reads as a Telegram update with the fields Rasa's handler uses
    (so malformed JSON, invalid UTF-8 or wrong types get 400, not a 500)."""
    try:
        body = request.json
        if isinstance(body, str):
            body = json.loads(body)
        if not isinstance(body, dict):
            return False
        update = Update(**body)
        msg = update.callback_query.message if update.callback_query else (
            update.edited_message or update.message)
        if msg is None:
            return True  # another kind of update: Rasa's handler answers "success"
        text = update.callback_query.data if update.callback_query else msg.text
        return (msg.chat is not None and isinstance(msg.chat.id, int)
                and (text is None or isinstance(text, str)))
    except Exception:
        return False


class SciaticalmTelegramOutput(TelegramOutput):
    def __init__(self, access_token: str | None, api_base: str | None = None) -> None:
        server = TelegramAPIServer.from_base(api_base) if api_base else TELEGRAM_PRODUCTION
        Bot.__init__(self, access_token, server=server, parse_mode="HTML")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in chunks(text, MAX_TEXT):
            await self.send_message(recipient_id, to_telegram_html(part))

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        markup = InlineKeyboardMarkup()
        for button in buttons:
            payload = str(button.get("payload", ""))
            if len(payload.encode()) > MAX_CALLBACK_DATA:
                logger.warning("telegram: button payload longer than 64 bytes: %s", payload)
            markup.row(InlineKeyboardButton(button["title"], callback_data=payload))
        await self.send_message(recipient_id, to_telegram_html(text), reply_markup=markup)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        if is_internal_custom(json_message):
            return
        await super().send_custom_json(recipient_id, json_message, **kwargs)


class SciaticalmTelegramInput(TelegramInput):
    """Telegram through the admission pipeline, only with its secret token (Rasa's own
    channel name, `telegram`)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        if not credentials.get("secret_token"):
            raise RasaException("telegram: secret_token (TELEGRAM_SECRET_TOKEN) is required; "
                                "without it anyone could post forged updates")
        return cls(credentials.get("access_token"), credentials.get("verify"),
                   credentials.get("webhook_url"), api_base=credentials.get("api_base"),
                   secret_token=credentials.get("secret_token"), debug_mode=False)

    def __init__(self, access_token: str | None, verify: str | None, webhook_url: str | None,
                 *, api_base: str | None = None, secret_token: str | None = None,
                 debug_mode: bool = False) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode)
        if not secret_token:
            raise RasaException("telegram: a secret_token is required")
        self.api_base = api_base
        self.secret_token = secret_token
        self.admission = Admission(self.name())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        webhook = super().blueprint(self.admission.guarded(on_new_message))

        @webhook.middleware("request")
        async def check_secret(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            if not valid_secret(self.secret_token, request.headers.get(SECRET_HEADER)):
                logger.warning("telegram: update without the webhook's secret token refused")
                METRICS.refusal(self.name(), 401, "unauthorized")
                return response.text("unauthorized", status=401)
            if request.path.endswith("/webhook") and not is_update(request):
                METRICS.refusal(self.name(), 400, "bad_body")
                return response.text("not a Telegram update", status=400)
            return None

        return webhook

    def get_output_channel(self) -> SciaticalmTelegramOutput:
        channel = SciaticalmTelegramOutput(self.access_token, self.api_base)
        if self.webhook_url:
            try:
                asyncio.run(self._set_webhook(channel))
            except TelegramAPIError as error:
                raise RasaException(f"Failed to set channel webhook: {error}") from error
        return channel

    async def _set_webhook(self, channel: SciaticalmTelegramOutput) -> None:
        payload: dict[str, Any] = {"url": self.webhook_url, "secret_token": self.secret_token}
        try:
            await channel.request("setWebhook", payload)
        finally:
            await channel.close()  # the session belonged to this short-lived loop
