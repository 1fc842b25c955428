"""At most one message of a conversation in progress across all replicas.

Rasa's Redis lock store reads, changes and writes its ticket list without
atomicity, so two messages of one conversation arriving at two replicas at the
same moment can both be processed at once, and one of the turns is lost from
the log. One atomic `SET NX` per message in the same Redis prevents that: a
second message of a conversation whose first is still in progress anywhere is
refused (REST and partner: 429, resend after the reply; socket.io: the polite
"too fast" notice). The key expires after TICKET_LOCK_LIFETIME seconds, so a
replica killed mid-turn frees it.

Off when REDIS_HOST is unset: one replica with Rasa's in-memory lock store
needs no guard. Used by the admission pipeline (server/channels/admission.py),
so by every channel.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from server.settings import DEFAULT_LOCK_LIFETIME_SECONDS, RedisGuardSettings

logger = logging.getLogger(__name__)


class ConversationGuard:
    def __init__(self, config: RedisGuardSettings | None) -> None:
        self.red = None
        if config is not None:
            import redis

            self.red = redis.StrictRedis(
                host=config.host, port=config.port, db=config.db, password=config.password,
                socket_timeout=5, socket_connect_timeout=5)
        prefix = config.key_prefix if config else "sciaticalm"
        self.prefix = f"{prefix}:busy:"
        lifetime = config.lock_lifetime_seconds if config else DEFAULT_LOCK_LIFETIME_SECONDS
        self.lifetime_ms = int(lifetime * 1000)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConversationGuard:
        return cls(RedisGuardSettings.from_env(env))

    @property
    def active(self) -> bool:
        return self.red is not None

    def try_enter(self, key: str) -> bool:
        """False if a message of `key` is in progress; raises if Redis is down."""
        if self.red is None:
            return True
        return bool(self.red.set(self.prefix + key, "1", nx=True, px=self.lifetime_ms))

    @contextmanager
    def holding(self, key: str) -> Iterator[bool]:
        """`with guard.holding(key) as entered:` try_enter, and leave on the way
        out if it entered. Raises (as try_enter) if Redis is down: the channels
        answer that as any failed turn, with a clean 503 or polite reply."""
        entered = self.try_enter(key)
        try:
            yield entered
        finally:
            if entered:
                self.leave(key)

    def leave(self, key: str) -> None:
        if self.red is not None:
            try:
                self.red.delete(self.prefix + key)
            except Exception:  # expires by itself
                logger.warning("could not release the conversation guard of %s", key)
