"""Rasa's callback channel behind the partner keys.

Replies are POSTed one by one to the partner's URL by Rasa's own `CallbackOutput`:
its `EndpointConfig` sends the `headers` given in the channel's credentials
(`Authorization: Bearer <token>`, written by `python -m server` from CALLBACK_TOKEN).
What this subclass adds to Rasa's `callback` channel:

- the inbound webhook needs a partner key like `server.channels.partner` (401 without);
- it answers at once and handles the message in the background (Rasa's own
  channel holds the request open until every reply has been posted), through
  the partner channel's admission pipeline (server/channels/admission.py): the same
  4xx answers at once, and a message refused later (too fast, or the turn
  failed) gets its polite messages posted to the URL like any reply;
- the conversation's channel is the partner's name, its id "<partner>:<sender>",
  and each posted reply carries the partner's own sender id as `recipient_id`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.callback import CallbackInput, CallbackOutput
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from server.channels.admission import Refusal, RestBody
from server.channels.partner import DEFAULT_HEADER, PartnerAuth, partner_keys_from

logger = logging.getLogger(__name__)


class PartnerCallbackOutput(CallbackOutput):
    """CallbackOutput that posts the partner's sender id, not the namespaced one."""

    def __init__(self, endpoint: EndpointConfig, sender: str) -> None:
        super().__init__(endpoint)
        self.sender = sender

    async def _persist_message(self, message: dict[str, Any]) -> None:
        await super()._persist_message({**message, "recipient_id": self.sender})


class PartnerCallbackInput(CallbackInput):
    """POST /webhooks/callback/webhook with a partner key; replies go to the URL
    (Rasa's own channel name, `callback`)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = dict(credentials or {})
        header = str(credentials.pop("key_header", None) or DEFAULT_HEADER)
        keys = partner_keys_from({"keys_file": credentials.pop("keys_file", None)})
        if not credentials.get("url"):
            cls.raise_missing_credentials_exception()
        return cls(EndpointConfig.from_dict(credentials), PartnerAuth(keys, header))

    def __init__(self, endpoint: EndpointConfig, auth: PartnerAuth) -> None:
        super().__init__(endpoint)
        self.auth = auth
        self._tasks: set[asyncio.Task] = set()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        async def handle(message: UserMessage, sender: str) -> None:
            admission = self.auth.admission
            try:
                outcome = await admission.handle(message, on_new_message, rate_key="")
                if isinstance(outcome, Refusal):
                    # posted whole, in the reply shape (text and custom payload in one)
                    output = message.output_channel
                    assert isinstance(output, PartnerCallbackOutput)
                    await admission.tell(output, sender, outcome, message.text,
                                         send=output._persist_message)
            except Exception:
                logger.exception("callback: handling a message of %s failed",
                                 message.input_channel)

        async def receive(_: Request, partner: str, body: RestBody) -> HTTPResponse:
            output = PartnerCallbackOutput(self.callback_endpoint, body.sender)
            message = self.auth.user_message(partner, body, output)
            task = asyncio.create_task(handle(message, body.sender))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return response.text("success")

        return self.auth.routes("partner_callback_webhook", receive)
