"""The Rasa process's own settings: read from the environment once, typed.

Every channel's admission pipeline, the cross-replica guard and the partner
keys take their values from here, so a variable is parsed (and refused when
malformed) in one place. docs/deployment.md lists the variables; Rasa's own
files (credentials.yml, endpoints.yml) are read by server/launch.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from server.channels.input_checks import RATE_ENV, parse_rate
from server.channels.keys import KEYS_ENV, KEYS_FILE_ENV

DEFAULT_LOCK_LIFETIME_SECONDS = 20.0


@dataclass(frozen=True)
class RedisGuardSettings:
    """Where the cross-replica guard keeps its keys (the lock store's Redis)."""

    host: str
    port: int = 6379
    db: int = 1
    password: str | None = None
    key_prefix: str = "sciaticalm"
    lock_lifetime_seconds: float = DEFAULT_LOCK_LIFETIME_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RedisGuardSettings | None:
        """None when REDIS_HOST is unset: one replica needs no guard."""
        if not env.get("REDIS_HOST"):
            return None
        return cls(host=env["REDIS_HOST"], port=int(env.get("REDIS_PORT") or 6379),
                   db=int(env.get("REDIS_DB") or 1),
                   password=env.get("REDIS_PASSWORD") or None,
                   key_prefix=env.get("REDIS_KEY_PREFIX") or "sciaticalm",
                   lock_lifetime_seconds=float(env.get("TICKET_LOCK_LIFETIME")
                                               or DEFAULT_LOCK_LIFETIME_SECONDS))


@dataclass(frozen=True)
class ServerSettings:
    """What the channels need: the per-sender rate limit (None: off), the guard's
    Redis (None: off) and the partner keys (raw variable, optional file)."""

    rate_limit: tuple[int, float] | None
    redis_guard: RedisGuardSettings | None
    partner_keys: str = ""
    partner_keys_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServerSettings:
        keys_file = env.get(KEYS_FILE_ENV)
        return cls(rate_limit=parse_rate(env.get(RATE_ENV)),
                   redis_guard=RedisGuardSettings.from_env(env),
                   partner_keys=env.get(KEYS_ENV, ""),
                   partner_keys_file=Path(keys_file) if keys_file else None)


@lru_cache(maxsize=1)
def settings() -> ServerSettings:
    """This process's settings, read once (a malformed variable fails at start-up)."""
    return ServerSettings.from_env(os.environ)
