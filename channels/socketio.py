"""Rasa's socket.io channel, mended for the pinned python-socketio and hostile input.

Rasa 3.6.21's `rasa.core.channels.socketio` has two bugs with python-socketio
5.10+ (pinned here at 5.18.1):
- `AsyncServer.enter_room` became a coroutine and Rasa calls it without
  `await`, so with `session_persistence` a client never joins its session
  room and never receives a reply;
- `send_custom_json` passes the custom payload to `emit` as keyword
  arguments, so any `custom` response raises TypeError.
It also trusts the shape of what a client sends: a `user_uttered` payload that
is not an object, or a message that is not text, crashes the handler.

This subclass keeps the channel's name ("socketio"), path and settings, and
re-registers the two event handlers with those fixes. Configure it in
credentials.yml as `channels.socketio.SocketIOInput`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 5_000
MAX_SESSION_ID_CHARS = 128


class SocketIOOutput(RasaSocketIOOutput):
    """Sends custom JSON as the event's body (Rasa passed it as kwargs)."""

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


def clean_session_id(value: object) -> str:
    """The client's session id if it is a sane string, else a new one."""
    if isinstance(value, str) and 0 < len(value) <= MAX_SESSION_ID_CHARS and value.isprintable():
        return value
    return uuid.uuid4().hex


def message_text(data: object) -> str | None:
    """The text of a user_uttered payload, or None when it is not usable."""
    if not isinstance(data, dict):
        return None
    text = data.get("message")
    if not isinstance(text, str):
        return None
    return text[:MAX_MESSAGE_CHARS]


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input channel with the fixes above."""

    def get_output_channel(self) -> SocketIOOutput | None:
        if self.sio is None:
            return super().get_output_channel()  # warns and returns None
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None

        async def session_request(sid: str, data: object) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = clean_session_id(requested)
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: str, data: object) -> None:
            text = message_text(data)
            if text is None:
                logger.debug("Ignored a malformed socket.io message from %s.", sid)
                return
            assert isinstance(data, dict)
            if self.session_persistence:
                session_id = data.get("session_id")
                if not isinstance(session_id, str) or not session_id:
                    return
                sender_id = session_id[:MAX_SESSION_ID_CHARS]
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            await on_new_message(UserMessage(
                text, SocketIOOutput(sio, self.bot_message_evt), sender_id,
                input_channel=self.name(), metadata=metadata,
            ))

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return bp
