"""The JSON error answers the REST-shaped channels share (production REST, partner).

Every refusal is a JSON object with `error` (a code), `detail` (for the
developer) and, when there is something to show the visitor, `messages` in the
channel's reply shape (sciaticalm/service.py). 429 and 503 carry `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import LockError
from sanic import response
from sanic.response import HTTPResponse

from sciaticalm.service import outage_reply, service_message

RETRY_AFTER_SECONDS = 5


def error(status: int, code: str, detail: str, *, retry_after: int | None = None,
          messages: list[dict[str, Any]] | None = None) -> HTTPResponse:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if messages is not None:
        body["messages"] = messages
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return response.json(body, status=status, headers=headers)


def bad_request(status: int, detail: str) -> HTTPResponse:
    """400 for a malformed request; 413 (with a message to show) for a too-long one."""
    if status == 413:
        return error(413, "too_long", detail, messages=[service_message("too_long")])
    return error(400, "bad_request", detail)


def too_many(detail: str, retry_after: int) -> HTTPResponse:
    return error(429, "too_many_requests", detail, retry_after=retry_after,
                 messages=[service_message("too_fast")])


def conversation_busy(exc: BaseException) -> bool:
    """True when Rasa gave up waiting for the conversation's lock because other
    messages of the same conversation held it (a sender flooding several replicas
    at once; Rasa's Redis lock store is not atomic across replicas). The turn was
    never started, so this is "too fast" (429), not a failure (503). A lock store
    that cannot be reached raises LockError with another message: still a 503."""
    return isinstance(exc, LockError) and str(exc).startswith("Could not acquire lock")


def unavailable(text: str, channel: str, recipient_id: str | None = None) -> HTTPResponse:
    """503: the turn failed and nothing was logged; the messages to show (the
    escalation first when `text` has red-flag signs) and when to try again."""
    messages = outage_reply(text, channel)
    if recipient_id is not None:
        messages = [{**m, "recipient_id": recipient_id} for m in messages]
    return error(503, "temporarily_unavailable",
                 "the message was not processed; send it again in a moment",
                 retry_after=RETRY_AFTER_SECONDS, messages=messages)
