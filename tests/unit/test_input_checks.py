"""server/channels/input_checks.py and sciaticalm/service.py: the checks every channel
makes, the rate limiter, and the degraded-mode replies (pure logic)."""

from __future__ import annotations

import pytest
import yaml

from sciaticalm.service import escalation_message, outage_reply, service_message, service_text
from server.channels.input_checks import (
    RateLimiter,
    clean_text,
    limiter_for,
    message_id_problem,
    message_problem,
    parse_rate,
    sender_problem,
)
from testkit.servers import REPO


def test_clean_text_drops_nul_and_controls_keeps_newlines_emoji_rtl() -> None:
    assert clean_text("a\u0000b\u0007c\u001bd") == "abcd"
    assert clean_text("line one\nline\ttwo") == "line one\nline\ttwo"
    assert clean_text("🏃‍♀️ ألم الظهر") == "🏃‍♀️ ألم الظهر"
    assert clean_text("\ud800x") == "x"  # a lone surrogate cannot be stored


@pytest.mark.parametrize("sender", [None, 42, "", "   ", "s" * 129, "a\u0000b", "a\nb", ["a"]])
def test_bad_senders(sender: object) -> None:
    assert sender_problem(sender)


@pytest.mark.parametrize("sender", ["visitor-1", "s" * 128, "ünï cödé 🏃"])
def test_good_senders(sender: str) -> None:
    assert sender_problem(sender) is None


def test_message_checks() -> None:
    assert message_problem("hi") is None and message_problem("") is None
    assert message_problem("a" * 5_000) is None
    assert message_problem("a" * 5_001)[0] == 413
    assert message_problem(42)[0] == 400 and message_problem(None)[0] == 400
    assert message_id_problem(None) is None and message_id_problem("m-1") is None
    assert message_id_problem("") and message_id_problem(5) and message_id_problem("x" * 65)


def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=3, per_second=0.5, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.allow("b")  # another sender is not affected
    now[0] += 2.0  # one token back after 2 s
    assert limiter.allow("a") and not limiter.allow("a")
    assert limiter.retry_after() == 2


def test_rate_limiter_memory_is_bounded() -> None:
    limiter = RateLimiter(burst=1, per_second=1, max_keys=10)
    for i in range(1000):
        limiter.allow(f"s{i}")
    assert len(limiter._buckets) == 10


def test_rate_setting() -> None:
    assert parse_rate(None) == (20, 0.5) and parse_rate("5/2") == (5, 2.0)
    assert parse_rate("off") is None
    assert limiter_for(parse_rate("off")).allow("x")
    for bad in ("fast", "0/1", "3/0"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_service_messages_name_the_help_line() -> None:
    data = yaml.safe_load((REPO / "content" / "service.yml").read_text(encoding="utf-8"))
    for key in data:
        assert "02380 248725" in service_text(key), key
        assert "{" not in service_text(key), key
    assert service_message("too_fast")["custom"]["sciaticalm"]["reason"] == "too_fast"


def test_outage_reply_escalates_red_flags_first() -> None:
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    reply = outage_reply("I've wet myself and both legs are numb", "rest")
    assert reply[0]["text"] == domain["responses"]["utter_escalate"][0]["text"]
    assert reply[0]["custom"]["sciaticalm"]["level"] == "emergency"
    assert reply[-1]["custom"]["sciaticalm"]["reason"] == "unavailable"
    urgent = outage_reply("I've had a high temperature all week")
    assert urgent[0]["text"] == domain["responses"]["utter_escalate"][1]["text"]
    assert [m["custom"]["sciaticalm"]["kind"] for m in outage_reply("what shoes?")] == [
        "service"]


def test_escalation_message_calls() -> None:
    calls = escalation_message("emergency")["custom"]["sciaticalm"]["calls"]
    assert [c["tel"] for c in calls] == ["999", "+442380248725"]


def test_a_busy_conversation_is_told_apart_from_a_lock_store_outage() -> None:
    from rasa.core.lock_store import LockError

    from server.channels.errors import conversation_busy

    assert conversation_busy(LockError("Could not acquire lock for conversation_id 'x'."))
    assert not conversation_busy(LockError("Error while acquiring lock. Error:\nrefused"))
    assert not conversation_busy(ConnectionError("Could not acquire lock"))
