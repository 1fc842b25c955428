"""server/settings.py: the Rasa process's variables, parsed once and typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.channels.conversation_guard import ConversationGuard
from server.settings import RedisGuardSettings, ServerSettings


def test_defaults_without_variables() -> None:
    s = ServerSettings.from_env({})
    assert s.rate_limit == (20, 0.5)
    assert s.redis_guard is None and not ConversationGuard(s.redis_guard).active
    assert s.partner_keys == "" and s.partner_keys_file is None


def test_every_variable_is_read() -> None:
    s = ServerSettings.from_env({
        "SCIATICALM_RATE_LIMIT": "off", "REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6380",
        "REDIS_DB": "3", "REDIS_PASSWORD": "pw", "REDIS_KEY_PREFIX": "clinic",
        "TICKET_LOCK_LIFETIME": "7.5", "SCIATICALM_PARTNER_KEYS": "acme=k1",
        "SCIATICALM_PARTNER_KEYS_FILE": "/etc/keys.json"})
    assert s.rate_limit is None
    assert s.redis_guard == RedisGuardSettings("10.0.0.5", 6380, 3, "pw", "clinic", 7.5)
    assert s.partner_keys == "acme=k1" and s.partner_keys_file == Path("/etc/keys.json")
    guard = ConversationGuard(s.redis_guard)
    assert guard.prefix == "clinic:busy:" and guard.lifetime_ms == 7500


def test_a_malformed_rate_fails_at_start_up() -> None:
    with pytest.raises(ValueError):
        ServerSettings.from_env({"SCIATICALM_RATE_LIMIT": "fast"})
