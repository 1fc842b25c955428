"""Rasa's REST channel with input checks, for the production configuration.

Same name ("rest") and URL (/webhooks/rest/webhook) as Rasa's channel; what
Rasa 3.6 would turn into a 500 or a broken log becomes a clear 4xx:
- a body that is not a JSON object (malformed JSON, a list, a string): 400;
- `sender` missing, not a string, empty, longer than 128 characters or with
  control characters: 400 (PostgreSQL's sender_id column holds 255);
- `message` missing or not a string: 400; longer than 5,000 characters: 413;
- NUL and other control characters in the message (PostgreSQL text cannot
  hold NUL) are removed; `metadata` that is not an object is ignored;
- `input_channel` is always "rest" (a client cannot choose what the log says).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

MAX_SENDER_CHARS = 128
MAX_MESSAGE_CHARS = 5_000
_KEEP = {"\n", "\t"}


def _body(request: Request) -> dict[str, Any]:
    try:
        data = request.json
    except Exception as exc:  # sanic raises InvalidUsage for unparsable JSON
        raise InvalidUsage("the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise InvalidUsage("the body must be a JSON object")
    return data


def clean_text(text: str) -> str:
    """The message without NUL and other control characters (newlines and tabs stay)."""
    return "".join(ch for ch in text
                   if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs"))


class ProdRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str:
        sender = _body(req).get("sender")
        if (not isinstance(sender, str) or not sender.strip()
                or len(sender) > MAX_SENDER_CHARS or not sender.isprintable()):
            raise InvalidUsage(
                f"'sender' must be a printable string of 1 to {MAX_SENDER_CHARS} characters")
        return sender

    def _extract_message(self, req: Request) -> str:
        text = _body(req).get("message")
        if not isinstance(text, str):
            raise InvalidUsage("'message' must be a string")
        if len(text) > MAX_MESSAGE_CHARS:
            raise PayloadTooLarge(f"'message' is longer than {MAX_MESSAGE_CHARS} characters")
        return clean_text(text)

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None
