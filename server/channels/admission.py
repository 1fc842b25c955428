"""The one admission pipeline every input channel sends its messages through.

REST, socket.io, the partner and callback channels, Telegram, Twilio and
Messenger all hand a message to `Admission` instead of calling Rasa directly,
so hostile or broken input, floods and failures get the same answers on every
channel, and a new channel gets all of it by using it:

1. input checks (server/channels/input_checks.py): a printable sender id of 1 to 128
   characters, a text of at most 5,000 characters, control characters removed;
   `/feedback{...}` (sciaticalm/feedback.py) well-formed, else refused as bad input;
2. the conversation id in the channel's namespace ("rest:<sender>",
   "socketio:<session>", "telegram:<chat>", "<partner>:<sender>"): no channel can
   reach another channel's conversations. Replies go back to the channel's own id;
3. the per-sender rate limit (SCIATICALM_RATE_LIMIT) and at most 2 (socket.io: 3)
   messages of one conversation waiting or in progress per replica;
4. the cross-replica guard (server/channels/conversation_guard.py) when REDIS_HOST is set;
5. idempotency: a message whose `message_id` is already in the conversation's log
   is not processed again; its logged replies are returned (REST-shaped channels);
6. the turn; a failure (PostgreSQL, Redis, the model) is caught.

Every turn that ran (with its time from admission to reply) and every refusal
(status and a fixed reason word, `Refusal.cause`) is counted by channel in the
process's metrics (server/runtime/metrics.py, GET /metrics).

What a refused or failed message gets is a `Refusal`: REST-shaped channels answer
it as JSON with its status (400, 413, 429 with Retry-After, 503 with the messages
to show), the others send its polite messages (content/service.yml; the
escalation first when a failed turn's text had red-flag signs) on the channel.
"""

from __future__ import annotations

import logging
import time
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from sciaticalm.feedback import is_feedback, parse_feedback
from sciaticalm.service import outage_reply, red_flag_level, service_message
from server.channels.conversation_guard import ConversationGuard
from server.channels.errors import RETRY_AFTER_SECONDS, conversation_busy, error
from server.channels.input_checks import (
    InFlight,
    clean_text,
    conversation_id,
    limiter_for,
    message_id_problem,
    message_problem,
    raw_sender,
    sender_problem,
)
from server.runtime.metrics import METRICS, recording_turn
from server.settings import ServerSettings, settings

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
NOTICE_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True)
class Refusal:
    """Why a message did not become a turn, in the form every channel answers."""

    status: int  # 400, 413, 429, 503
    code: str  # bad_request, too_long, too_many_requests, temporarily_unavailable
    detail: str  # for the developer
    reason: str  # the content/service.yml message for the visitor
    retry_after: int | None = None
    #: Why, for the metrics (server/runtime/metrics.py REFUSAL_REASONS): a fixed word.
    cause: str = "bad_message"

    def messages(self, channel: str, text: str | None = None) -> list[dict[str, Any]]:
        """What to show the visitor (a failed turn: the escalation first if needed)."""
        if self.reason == "unavailable":
            return outage_reply(text, channel)
        return [service_message(self.reason, channel)]


@dataclass(frozen=True)
class Replayed:
    """The message_id was already answered: these are that turn's logged replies."""

    messages: list[dict[str, Any]]


def bad_input(detail: str, cause: str = "bad_message") -> Refusal:
    return Refusal(400, "bad_request", detail, "unreadable", cause=cause)


def too_fast(detail: str, retry_after: int = 1, cause: str = "rate_limit") -> Refusal:
    return Refusal(429, "too_many_requests", detail, "too_fast", retry_after, cause)


BUSY = too_fast("another message of this conversation is being handled", cause="guard_busy")
LOCK_BUSY = too_fast("another message of this conversation is being handled",
                     cause="lock_busy")
UNAVAILABLE = Refusal(503, "temporarily_unavailable",
                      "the message was not processed; send it again in a moment",
                      "unavailable", RETRY_AFTER_SECONDS, "turn_failed")


def failure_cause(exc: BaseException) -> str:
    """What failed in a turn, by the exception's library: the conversation log
    (SQLAlchemy, its database drivers), Redis (the lock store, the guard), else the turn."""
    module = type(exc).__module__.split(".")[0]
    if module in ("sqlalchemy", "psycopg2", "sqlite3", "asyncpg"):
        return "tracker_store_unavailable"
    if module == "redis" or type(exc).__name__ == "LockError":
        return "lock_store_unavailable"
    return "turn_failed"


def unavailable(exc: BaseException) -> Refusal:
    """UNAVAILABLE, with what failed as its cause."""
    return replace(UNAVAILABLE, cause=failure_cause(exc))


def check_text(text: object, *, allow_empty: bool = True) -> str | Refusal:
    """The message without control characters, or why it cannot be one."""
    problem = message_problem(text)
    if problem:
        status, detail = problem
        return Refusal(413, "too_long", detail, "too_long", cause="too_long") \
            if status == 413 else bad_input(detail)
    assert isinstance(text, str)
    cleaned = clean_text(text)
    if not allow_empty and not cleaned.strip():
        return bad_input("'message' must be a non-empty string", "empty_message")
    if is_feedback(cleaned):  # the widget's 👍/👎: checked, logged in its canonical form
        feedback = parse_feedback(cleaned)
        return bad_input(feedback, "bad_feedback") if isinstance(feedback, str) \
            else feedback.payload()
    return cleaned


@dataclass(frozen=True)
class RestBody:
    """A well-formed REST-shaped request: {"sender", "message", "message_id"?, "metadata"?}."""

    sender: str
    text: str
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_rest_body(body: object, *, allow_empty: bool = True) -> RestBody | Refusal:
    """The checked body of a REST-shaped channel (REST, partner, callback)."""
    if not isinstance(body, dict):
        return bad_input("the body must be a JSON object", "bad_body")
    sender, message_id, metadata = body.get("sender"), body.get("message_id"), body.get(
        "metadata")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    for problem, cause in ((sender_problem(sender), "bad_sender"),
                           (message_id_problem(message_id), "bad_message_id")):
        if problem:
            return bad_input(problem, cause)
    text = check_text(body.get("message"), allow_empty=allow_empty)
    if isinstance(text, Refusal):
        return text
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return bad_input("'metadata' must be a JSON object", "bad_metadata")
    assert isinstance(sender, str)
    return RestBody(sender, text, message_id, metadata)


def read_rest_body(request: Request, *, allow_empty: bool = True) -> RestBody | Refusal:
    """parse_rest_body of the request's JSON (malformed JSON, invalid UTF-8: 400)."""
    try:
        body = request.json
    except Exception:  # sanic raises for unparsable JSON and invalid UTF-8
        body = None
    return parse_rest_body(body, allow_empty=allow_empty)


def rest_answer(outcome: Refusal, channel: str, text: str | None = None,
                recipient_id: str | None = None) -> HTTPResponse:
    """A refusal as JSON: {"error", "detail", "messages"?} with its status."""
    messages = None
    if outcome.status != 400:
        messages = outcome.messages(channel, text)
        if recipient_id is not None:
            messages = [{**m, "recipient_id": recipient_id} for m in messages]
    return error(outcome.status, outcome.code, outcome.detail,
                 retry_after=outcome.retry_after, messages=messages)


def bot_messages(recipient_id: str, events: list[Any]) -> list[dict[str, Any]]:
    """Logged BotUttered events in the REST reply shape."""
    out = []
    for event in events:
        data = {k: v for k, v in (event.data or {}).items() if v}
        out.append({"recipient_id": recipient_id,
                    **({"text": event.text} if event.text else {}), **data})
    return out


def replay_store(request: Any, body: RestBody) -> Any:
    """The tracker store for the replay check, only when the client sent a message_id
    (Rasa gives every message an id of its own; reading the log to look for that one
    cost a whole tracker load per turn)."""
    return request.app.ctx.agent.tracker_store if body.message_id else None


async def replies_already_logged(tracker_store: Any, conversation: str, message_id: str
                                 ) -> list[BotUttered] | None:
    """The replies of the logged turn whose user message had `message_id`, or None."""
    tracker = await tracker_store.retrieve(conversation)
    if tracker is None:
        return None
    found, replies = False, []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            replies.append(event)
    return replies if found else None


class RawRecipient(OutputChannel):
    """An output channel that sends to the channel's own id, not the namespaced one."""

    def __init__(self, inner: OutputChannel, channel: str) -> None:
        self.inner, self.channel = inner, channel

    def name(self) -> str:  # type: ignore[override]
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.inner.send_response(raw_sender(self.channel, recipient_id), message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Admission:
    """The pipeline of one channel: its namespace, rate limit, in-flight count, guard."""

    def __init__(self, channel: str, *, in_flight: int = 2,
                 env: Mapping[str, str] | None = None) -> None:
        config = settings() if env is None else ServerSettings.from_env(env)
        self.channel = channel
        self.limiter = limiter_for(config.rate_limit)
        self.in_flight = InFlight(limit=in_flight)
        self.guard = ConversationGuard(config.redis_guard)
        self._noticed: dict[str, float] = {}

    def conversation(self, sender: str) -> str:
        return conversation_id(self.channel, sender)

    def rate_limited(self, key: str) -> Refusal | None:
        """The 429 when `key` is over its rate (counted), else None."""
        if self.limiter.allow(key):
            return None
        return self.count(too_fast("too many messages from this sender",
                                   self.limiter.retry_after()))

    def count(self, refusal: Refusal) -> Refusal:
        """Count `refusal` in the metrics (by this channel, status and cause); returns it."""
        METRICS.refusal(self.channel, refusal.status, refusal.cause)
        return refusal

    def notice_due(self, key: str) -> bool:
        """True at most once per 10 s per key: a flood gets one "too fast" notice."""
        now = time.monotonic()
        if now - self._noticed.get(key, -NOTICE_INTERVAL_SECONDS) < NOTICE_INTERVAL_SECONDS:
            return False
        if len(self._noticed) > 10_000:
            self._noticed.clear()
        self._noticed[key] = now
        return True

    async def handle(self, message: UserMessage, on_new_message: OnNewMessage, *,
                     rate_key: str | None = None, tracker_store: Any = None
                     ) -> Refusal | Replayed | None:
        """Run `message` (already checked, id namespaced) as a turn unless refused.
        None: the turn ran. `rate_key`: what the rate limit counts (default the
        conversation; "" when the channel has checked it already)."""
        key = message.sender_id
        if rate_key != "":
            refused = self.rate_limited(rate_key or key)
            if refused:
                return refused
        if not self.in_flight.try_enter(key):
            return self.count(too_fast("wait for the reply to the last message",
                                       cause="in_flight"))
        started = time.perf_counter()
        try:
            with self.guard.holding(key) as entered:  # raises if Redis is down
                if not entered:
                    return self.count(BUSY)
                if message.message_id is not None and tracker_store is not None:
                    logged = await replies_already_logged(tracker_store, key,
                                                          message.message_id)
                    if logged is not None:
                        return Replayed(bot_messages(raw_sender(self.channel, key), logged))
                with recording_turn() as record:
                    await on_new_message(message)
        except (CancelledError, Exception) as exc:
            if conversation_busy(exc):
                return self.count(LOCK_BUSY)
            # No visitor text in the log: the conversation and the kind of failure only.
            logger.error("%s: turn of %s failed (%s)", self.channel, key, type(exc).__name__)
            if message.text and red_flag_level(message.text):
                # the outage reply shows the escalation, but the turn is not logged
                METRICS.escalation_path_error(self.channel, "failed_turn")
            return self.count(unavailable(exc))
        finally:
            self.in_flight.leave(key)
        METRICS.turn(self.channel, time.perf_counter() - started)
        if record.outcome is not None:
            METRICS.outcome(self.channel, record.outcome)
        return None

    async def tell(self, output: OutputChannel | None, recipient_id: str, refusal: Refusal,
                   text: str | None = None, *,
                   send: Callable[[dict[str, Any]], Awaitable[Any]] | None = None) -> None:
        """Send the refusal's polite messages on the channel (a too-fast notice at
        most once per 10 s per recipient); a channel that fails to send is logged.
        `send`: for channels that take a whole message (text and custom payload in
        one, as the widget does) instead of the output channel's send_response."""
        if refusal.reason == "too_fast" and not self.notice_due(recipient_id):
            return
        for message in refusal.messages(self.channel, text):
            try:
                if send is not None:
                    await send(message)
                elif output is not None:
                    await output.send_response(recipient_id, message)
            except Exception as exc:
                logger.warning("%s: could not send the %s notice (%s)", self.channel,
                               refusal.reason, type(exc).__name__)

    def guarded(self, on_new_message: OnNewMessage) -> OnNewMessage:
        """`on_new_message` for a messenger connector: each message goes through the
        pipeline under the channel's namespace, replies go to the messenger's own id,
        a refusal or failure is answered politely on the messenger; never raises."""

        async def admit(message: UserMessage) -> None:
            sender = message.sender_id
            output = RawRecipient(message.output_channel, self.channel)
            if sender_problem(sender):
                logger.warning("%s: message with an unusable sender id dropped", self.channel)
                self.count(bad_input("unusable sender id", "bad_sender"))
                return
            text = check_text(message.text)
            if isinstance(text, Refusal):
                await self.tell(output, sender, self.count(text))
                return
            outcome = await self.handle(UserMessage(
                text, output, self.conversation(sender), parse_data=message.parse_data,
                input_channel=message.input_channel, message_id=message.message_id,
                metadata=message.metadata), on_new_message)
            if isinstance(outcome, Refusal):
                await self.tell(output, sender, outcome, text)

        return admit


def json_reply(messages: list[dict[str, Any]], recipient_id: str) -> HTTPResponse:
    """The REST reply shape: the bot's messages, each to the channel's own sender id."""
    return response.json([{**m, "recipient_id": recipient_id} for m in messages])
