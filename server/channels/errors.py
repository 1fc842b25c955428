"""The JSON error answers of the REST-shaped channels (REST, partner; server/channels/admission.py).

Every refusal is a JSON object with `error` (a code), `detail` (for the
developer) and, when there is something to show the visitor, `messages` in the
channel's reply shape (sciaticalm/service.py). 429 and 503 carry `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import LockError
from sanic import response
from sanic.response import HTTPResponse

RETRY_AFTER_SECONDS = 5


def error(status: int, code: str, detail: str, *, retry_after: int | None = None,
          messages: list[dict[str, Any]] | None = None) -> HTTPResponse:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if messages is not None:
        body["messages"] = messages
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return response.json(body, status=status, headers=headers)


def conversation_busy(exc: BaseException) -> bool:
    """True when Rasa gave up waiting for the conversation's lock because other
    messages of the same conversation held it (a sender flooding several replicas
    at once; Rasa's Redis lock store is not atomic across replicas). The turn was
    never started, so this is "too fast" (429), not a failure (503). A lock store
    that cannot be reached raises LockError with another message: still a 503."""
    return isinstance(exc, LockError) and str(exc).startswith("Could not acquire lock")
