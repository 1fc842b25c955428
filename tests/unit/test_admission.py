"""server/channels/admission.py: the one pipeline every channel uses, with Rasa's own
message and tracker store classes (no server)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server.channels.admission import (
    UNAVAILABLE,
    Admission,
    RawRecipient,
    Refusal,
    Replayed,
    RestBody,
    parse_rest_body,
)
from server.channels.input_checks import conversation_id, raw_sender

NO_LIMIT = {"SCIATICALM_RATE_LIMIT": "off"}


def test_conversation_ids_are_per_channel_and_map_back() -> None:
    ids = {conversation_id(c, "+447700900123") for c in ("rest", "socketio", "twilio")}
    assert len(ids) == 3
    assert conversation_id("rest", "clinic:p-17") == "rest:clinic:p-17"
    assert raw_sender("twilio", "twilio:whatsapp:+44") == "whatsapp:+44"
    assert raw_sender("rest", "old-id-without-prefix") == "old-id-without-prefix"


@pytest.mark.parametrize(("body", "status"), [
    (None, 400), ([1], 400), ("hello", 400), ({"message": "hi"}, 400),
    ({"sender": "s" * 10_240, "message": "hi"}, 400),
    ({"sender": "a\u0000b", "message": "hi"}, 400),
    ({"sender": "a", "message": 42}, 400), ({"sender": "a", "message": None}, 400),
    ({"sender": "a", "message": "x" * 1_048_576}, 413),
    ({"sender": "a", "message": "hi", "metadata": "x"}, 400),
    ({"sender": "a", "message": "hi", "message_id": "x" * 65}, 400),
])
def test_hostile_bodies_are_refused_with_a_4xx(body: object, status: int) -> None:
    refused = parse_rest_body(body)
    assert isinstance(refused, Refusal) and refused.status == status


def test_a_good_body_is_cleaned() -> None:
    assert parse_rest_body({"sender": 7, "message": "my back\u0000 hurts\u0007",
                            "message_id": "m1"}) == RestBody("7", "my back hurts", "m1", {})
    assert parse_rest_body({"sender": "a", "message": ""}) == RestBody("a", "")
    refused = parse_rest_body({"sender": "a", "message": " \u0000 "}, allow_empty=False)
    assert isinstance(refused, Refusal) and refused.status == 400


def message(sender: str, text: str = "hi", message_id: str | None = None) -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest",
                       message_id=message_id)


def test_a_failed_turn_is_a_503_with_the_escalation_first_when_needed() -> None:
    async def fails(_: UserMessage) -> None:
        raise ConnectionError("PostgreSQL is down")

    outcome = asyncio.run(Admission("rest", env=NO_LIMIT).handle(message("rest:a"), fails))
    assert outcome == UNAVAILABLE and outcome.retry_after
    reasons = [m["custom"]["sciaticalm"].get("reason") or m["custom"]["sciaticalm"]["kind"]
               for m in outcome.messages("rest", "both my legs are numb and I can't feel my bum")]
    assert reasons == ["escalation", "unavailable"]


def test_a_busy_lock_is_too_fast_not_a_failure() -> None:
    async def busy(_: UserMessage) -> None:
        raise LockError("Could not acquire lock for conversation_id 'rest:a'.")

    outcome = asyncio.run(Admission("rest", env=NO_LIMIT).handle(message("rest:a"), busy))
    assert isinstance(outcome, Refusal) and outcome.status == 429


def test_rate_limit_and_in_flight_limit() -> None:
    admission = Admission("rest", env={"SCIATICALM_RATE_LIMIT": "2/0.001"})
    seen: list[str] = []

    async def turn(m: UserMessage) -> None:
        seen.append(m.text)

    async def run() -> list[Any]:
        return [await admission.handle(message("rest:a", str(i)), turn) for i in range(3)]

    outcomes = asyncio.run(run())
    assert outcomes[:2] == [None, None] and outcomes[2].status == 429 and seen == ["0", "1"]

    gate = asyncio.Event()

    async def slow(_: UserMessage) -> None:
        await gate.wait()

    async def parallel() -> list[Any]:
        admission = Admission("rest", in_flight=1, env=NO_LIMIT)
        first = asyncio.create_task(admission.handle(message("rest:b"), slow))
        await asyncio.sleep(0.01)
        second = await admission.handle(message("rest:b"), slow)
        gate.set()
        return [await first, second]

    first, second = asyncio.run(parallel())
    assert first is None and second.status == 429


def test_a_repeated_message_id_is_answered_from_the_log() -> None:
    store = InMemoryTrackerStore(Domain.empty())
    tracker = DialogueStateTracker.from_events("rest:a", [
        UserUttered("hi", message_id="m1"), BotUttered("hello!", {"buttons": [{"title": "x"}]}),
        UserUttered("more", message_id="m2")])
    asyncio.run(store.save(tracker))
    ran: list[str] = []

    async def turn(m: UserMessage) -> None:
        ran.append(m.text)

    admission = Admission("rest", env=NO_LIMIT)
    outcome = asyncio.run(admission.handle(message("rest:a", "hi", "m1"), turn,
                                           tracker_store=store))
    assert outcome == Replayed([{"recipient_id": "a", "text": "hello!",
                                 "buttons": [{"title": "x"}]}])
    assert asyncio.run(admission.handle(message("rest:a", "new", "m3"), turn,
                                        tracker_store=store)) is None
    assert ran == ["new"]


def test_a_messenger_gets_the_namespaced_id_and_replies_go_to_its_own() -> None:
    out = CollectingOutputChannel()
    received: list[str] = []

    async def turn(m: UserMessage) -> None:
        received.append(m.sender_id)
        await m.output_channel.send_response(m.sender_id, {"text": "hello"})

    admit = Admission("telegram", env=NO_LIMIT).guarded(turn)
    asyncio.run(admit(UserMessage("hi", out, "12345", input_channel="telegram")))
    asyncio.run(admit(UserMessage("x" * 1_048_576, out, "12345", input_channel="telegram")))
    asyncio.run(admit(UserMessage("hi", out, "s" * 10_240, input_channel="telegram")))
    assert received == ["telegram:12345"]
    # the reply, then the too-long notice (its text, then its marker); nothing to
    # the unusable id
    assert [m["recipient_id"] for m in out.messages] == ["12345"] * 3
    assert out.messages[0]["text"] == "hello"
    assert out.messages[2]["custom"]["sciaticalm"]["reason"] == "too_long"
    assert RawRecipient(out, "telegram").name() == out.name()
