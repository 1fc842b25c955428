"""server.channels.conversation_guard against a private Redis: one message of a
conversation at a time across replicas, freed on leave or by expiry, and an
error (which the channels turn into a clean 503) when Redis is down."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from server.channels.conversation_guard import ConversationGuard
from testkit.services import PrivateRedis


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


def guard_on(server: PrivateRedis, lifetime: str = "20") -> ConversationGuard:
    return ConversationGuard.from_env({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(server.port),
                              "TICKET_LOCK_LIFETIME": lifetime})


def test_without_redis_the_guard_is_off() -> None:
    guard = ConversationGuard.from_env({})
    assert not guard.active
    assert guard.try_enter("a") and guard.try_enter("a")
    guard.leave("a")


def test_one_message_per_conversation_across_replicas(private_redis: PrivateRedis) -> None:
    replica_1, replica_2 = guard_on(private_redis), guard_on(private_redis)
    assert replica_1.try_enter("visitor-1")
    assert not replica_2.try_enter("visitor-1")  # same conversation, other replica
    assert not replica_1.try_enter("visitor-1")
    assert replica_2.try_enter("visitor-2")  # other conversations go on
    replica_1.leave("visitor-1")
    assert replica_2.try_enter("visitor-1")


def test_a_killed_replica_frees_the_conversation_by_expiry(private_redis: PrivateRedis) -> None:
    dead, alive = guard_on(private_redis, "0.5"), guard_on(private_redis, "0.5")
    assert dead.try_enter("visitor")  # and never leaves
    assert not alive.try_enter("visitor")
    time.sleep(0.8)
    assert alive.try_enter("visitor")


def test_redis_down_is_an_error_and_leave_never_raises(private_redis: PrivateRedis) -> None:
    guard = guard_on(private_redis)
    assert guard.try_enter("visitor")
    private_redis.stop()
    with pytest.raises(redis.RedisError):
        guard.try_enter("visitor")
    guard.leave("visitor")  # logged, not raised; the key would expire by itself


def test_holding_leaves_only_what_it_entered(private_redis: PrivateRedis) -> None:
    replica_1, replica_2 = guard_on(private_redis), guard_on(private_redis)
    with pytest.raises(RuntimeError), replica_1.holding("visitor") as entered:
        assert entered
        with replica_2.holding("visitor") as second:
            assert not second  # refused, and must not free the first holder's key
        assert not replica_2.try_enter("visitor")
        raise RuntimeError("the turn failed")
    assert replica_2.try_enter("visitor")  # freed on the way out, even after an error
