"""Rasa's socket.io channel, mended for the pinned python-socketio and hostile input.

Rasa 3.6.21's `rasa.core.channels.socketio` has two bugs with python-socketio
5.10+ (pinned here at 5.18.1):
- `AsyncServer.enter_room` became a coroutine and Rasa calls it without
  `await`, so with `session_persistence` a client never joins its session
  room and never receives a reply;
- `send_custom_json` passes the custom payload to `emit` as keyword
  arguments, so any `custom` response raises TypeError.
It also trusts what a client sends: a `user_uttered` payload that is not an
object, or a message that is not text, crashes the handler; NUL characters
break the PostgreSQL log; nothing stops one client flooding the server; a turn
that fails (PostgreSQL or Redis down) is silence.

Here every message goes through the admission pipeline (server/channels/admission.py)
and every refused or failed message gets a polite reply instead
(sciaticalm/service.py; the escalation first when a failed turn had red-flag
signs): control characters removed, at most 5,000 characters, a per-connection
rate limit, and one message of a conversation in progress at a time across
replicas (two tabs with one session id on two replicas). The conversation is
"socketio:<session id>", so a client cannot reach another channel's
conversations; replies go to the session's room.

This subclass keeps the channel's name ("socketio"), path and settings, and
re-registers the two event handlers with those fixes. It adds one event: after
the last `bot_uttered` of every `user_uttered` (answered, refused, rate-limited
or failed), the client gets exactly one `bot_turn_end` (an empty object), so a
client knows the answer is complete. Configure it in
credentials.yml as `server.channels.socketio.SocketIOInput`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from engineio.payload import Payload
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint

from server.channels.admission import Admission, RawRecipient, Refusal, check_text
from server.channels.input_checks import MAX_SENDER_CHARS

logger = logging.getLogger(__name__)
MAX_SESSION_ID_CHARS = MAX_SENDER_CHARS
TURN_END_EVENT = "bot_turn_end"
MAX_PACKETS_PER_POST = 50


UNREADABLE = Refusal(400, "bad_request", "unreadable message", "unreadable")
TOO_LONG = Refusal(413, "too_long", "message too long", "too_long", cause="too_long")
BAD_SESSION = Refusal(400, "bad_request", "unusable session id", "unreadable",
                      cause="bad_sender")


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


def message_text(data: object) -> tuple[str | None, str | None]:
    """(text, None) of a usable user_uttered payload, else (None, the service
    message to answer with: "unreadable" or "too_long")."""
    if not isinstance(data, dict):
        return None, "unreadable"
    text = check_text(data.get("message"))
    if isinstance(text, Refusal):
        return None, text.reason
    return text, None


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input channel with the fixes above."""

    def get_output_channel(self) -> SocketIOOutput | None:
        if self.sio is None:
            return super().get_output_channel()  # warns and returns None
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # python-engineio discards a long-polling POST of more than 16 packets
        # (with an error line). socket.io-client sends everything it queued while
        # offline in one POST, so a visitor who typed 17 messages offline would
        # lose all of them. Above the rate limit's burst, a flood is still dropped.
        Payload.max_decode_packets = max(Payload.max_decode_packets, MAX_PACKETS_PER_POST)
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        # Up to 3 messages of one conversation queued for Rasa: a visitor may send
        # a few quick messages; a flood cannot build a queue that outlives the lock.
        admission = Admission(self.name(), in_flight=3)

        async def tell(sid: str, refusal: Refusal, text: str | None = None) -> None:
            """The refusal's polite messages to this client (too fast: once per 10 s),
            each emitted whole (text and its custom payload), as the widget expects."""

            async def emit(message: dict[str, Any]) -> None:
                await sio.emit(self.bot_message_evt, message, room=sid)

            await admission.tell(None, sid, refusal, text, send=emit)

        async def session_request(sid: str, data: object) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = clean_session_id(requested)
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: str, data: object) -> None:
            try:
                # The rate limit per connection comes first: a flood of anything
                # is cheap to refuse.
                limited = admission.rate_limited(sid)
                if limited:
                    await tell(sid, limited)
                    return
                await handle_allowed(sid, data)
            finally:
                # After the last bot_uttered of this message (if any): the answer
                # is complete. Every user_uttered gets exactly one.
                await sio.emit(TURN_END_EVENT, {}, room=sid)

        async def handle_allowed(sid: str, data: object) -> None:
            text, refusal = message_text(data)
            if text is None:
                logger.debug("Refused a socket.io message from %s: %s.", sid, refusal)
                await tell(sid, admission.count(
                    UNREADABLE if refusal != "too_long" else TOO_LONG))
                return
            assert isinstance(data, dict)
            if self.session_persistence:
                session_id = data.get("session_id")
                if clean_session_id(session_id) != session_id:
                    # missing, too long or not printable: a reply to it could not
                    # reach this client, so say so now instead
                    await tell(sid, admission.count(BAD_SESSION))
                    return
                assert isinstance(session_id, str)
                sender_id = session_id
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
            output = RawRecipient(SocketIOOutput(sio, self.bot_message_evt), self.name())
            outcome = await admission.handle(UserMessage(
                text, output, admission.conversation(sender_id), input_channel=self.name(),
                metadata=metadata), on_new_message, rate_key="")
            if isinstance(outcome, Refusal):
                await tell(sid, outcome, text)

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return bp
