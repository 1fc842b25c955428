"""What every input channel checks before a message reaches Rasa (pure logic).

Used by the admission pipeline (server/channels/admission.py), which every input
channel goes through, so that hostile or broken input gets the same clear
answer everywhere:

- `sender_problem`: a conversation id must be a printable string of 1 to 128
  characters (PostgreSQL's sender_id column holds 255; a control character
  would make the staff console's lists unreadable);
- `message_problem`: the message must be a string of at most 5,000 characters;
- `clean_text`: NUL and other control characters are removed from the message
  (PostgreSQL text cannot hold NUL); newlines and tabs stay;
- `RateLimiter`: a token bucket per conversation, so one sender flooding the
  server (1,000 messages a second) is refused early and cheaply while every
  other visitor is served. In-process, per replica: with N replicas a sender
  can get at most N times the rate, which is still far below a flood;
- `conversation_id`: every channel's conversations live under its own prefix
  ("rest:<sender>", "socketio:<session>", "telegram:<chat>", "<partner>:<sender>"),
  so a sender id sent on one channel never reaches another channel's conversation;
- `InFlight`: at most 2 messages of one conversation waiting or being processed
  per replica. Rasa processes a conversation's messages one at a time (its lock
  store), so a queue longer than that only grows until the lock's lifetime runs
  out; a message beyond it is refused at once (429) instead.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable

from sciaticalm.service import MAX_MESSAGE_CHARS

MAX_SENDER_CHARS = 128
MAX_MESSAGE_ID_CHARS = 64
_KEEP = {"\n", "\t"}

# 20 messages at once, then one every 2 seconds: a visitor typing never meets it,
# a script sending as fast as it can does after its 20th message.
RATE_ENV = "SCIATICALM_RATE_LIMIT"
DEFAULT_BURST = 20
DEFAULT_PER_SECOND = 0.5


def conversation_id(channel: str, sender: str) -> str:
    """The conversation id of `sender` on `channel` (the channel's own namespace)."""
    return f"{channel}:{sender}"


def raw_sender(channel: str, conversation: str) -> str:
    """The channel's own sender id back from a conversation id (unchanged if the id
    is not in the channel's namespace, as for conversations logged before ids had one)."""
    prefix = f"{channel}:"
    return conversation[len(prefix):] if conversation.startswith(prefix) else conversation


def clean_text(text: str) -> str:
    """The message without NUL and other control characters (newlines and tabs stay)."""
    return "".join(ch for ch in text
                   if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs"))


def sender_problem(sender: object) -> str | None:
    """Why `sender` cannot be a conversation id, or None if it can."""
    if (not isinstance(sender, str) or not sender.strip()
            or len(sender) > MAX_SENDER_CHARS or not sender.isprintable()):
        return f"'sender' must be a printable string of 1 to {MAX_SENDER_CHARS} characters"
    return None


def message_id_problem(message_id: object) -> str | None:
    """Why `message_id` (optional, for safe retries) is unusable, or None."""
    if message_id is None:
        return None
    if (not isinstance(message_id, str) or not message_id
            or len(message_id) > MAX_MESSAGE_ID_CHARS or not message_id.isprintable()):
        return f"'message_id' must be a printable string of 1 to {MAX_MESSAGE_ID_CHARS} characters"
    return None


def message_problem(text: object) -> tuple[int, str] | None:
    """(HTTP status, reason) if `text` cannot be a message, or None if it can."""
    if not isinstance(text, str):
        return 400, "'message' must be a string"
    if len(text) > MAX_MESSAGE_CHARS:
        return 413, f"'message' is longer than {MAX_MESSAGE_CHARS} characters"
    return None


def parse_rate(value: str | None) -> tuple[int, float] | None:
    """SCIATICALM_RATE_LIMIT: "<burst>/<per second>" (e.g. "20/0.5"), "off", or unset
    for the default. None means no limit."""
    if value is None or not value.strip():
        return DEFAULT_BURST, DEFAULT_PER_SECOND
    if value.strip().lower() == "off":
        return None
    burst, _, rate = value.partition("/")
    try:
        parsed = int(burst), float(rate)
    except ValueError as exc:
        raise ValueError(f"{RATE_ENV} must be '<burst>/<per second>' or 'off', "
                         f"not {value!r}") from exc
    if parsed[0] < 1 or parsed[1] <= 0:
        raise ValueError(f"{RATE_ENV}: burst must be >= 1 and the rate > 0")
    return parsed


class RateLimiter:
    """Token bucket per key; remembers at most `max_keys` keys (least recent dropped)."""

    def __init__(self, burst: int, per_second: float, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.per_second, self.max_keys, self.clock = (
            burst, per_second, max_keys, clock)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed

    def retry_after(self) -> int:
        """Whole seconds until one more message is allowed."""
        return max(1, int(1 / self.per_second + 0.999))


class InFlight:
    """How many messages of each key are being handled; refuses beyond `limit`."""

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._count: dict[str, int] = {}
        self._lock = threading.Lock()

    def try_enter(self, key: str) -> bool:
        with self._lock:
            count = self._count.get(key, 0)
            if count >= self.limit:
                return False
            self._count[key] = count + 1
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            count = self._count.get(key, 0) - 1
            if count > 0:
                self._count[key] = count
            else:
                self._count.pop(key, None)


class NoLimit:
    def allow(self, key: str) -> bool:
        return True

    def retry_after(self) -> int:
        return 0


def limiter_for(rate: tuple[int, float] | None) -> RateLimiter | NoLimit:
    """The limiter for a parsed SCIATICALM_RATE_LIMIT (server.settings)."""
    return NoLimit() if rate is None else RateLimiter(*rate)
