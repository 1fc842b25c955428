"""The Rasa process's metrics (server/runtime/metrics.py) without a server: the registry,
what the admission pipeline counts, the processor hook, the log errors and the route."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import rasa.core.run
from prometheus_client import REGISTRY, CollectorRegistry
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from sciaticalm.turn_outcome import TurnOutcome
from server.channels.admission import Admission, Refusal, read_rest_body
from server.runtime import metrics, strict_store
from server.runtime.metrics import METRICS, RasaMetrics, add_route, recording_turn

NO_LIMIT = {"SCIATICALM_RATE_LIMIT": "off"}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_registry_counts_with_labels_from_fixed_sets_only() -> None:
    registry = CollectorRegistry()
    m = RasaMetrics(registry)
    m.turn("rest", 0.3)
    m.turn("<visitor text>", 0.1)
    m.outcome("socketio", TurnOutcome("emergency", "legs", frozenset({"out_of_scope"}), True))
    m.outcome("rest", TurnOutcome("made-up tier", "made-up topic", frozenset({"odd"})))
    m.refusal("rest", 429, "rate_limit")
    m.refusal("rest", 400, "I've wet myself")
    m.tracker_store_error("write")

    def get(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert get("sciaticalm_turns_total", channel="rest") == 1
    assert get("sciaticalm_turns_total", channel="other") == 1
    assert get("sciaticalm_turn_seconds_bucket", channel="rest", le="0.5") == 1
    assert get("sciaticalm_turn_seconds_bucket", channel="rest", le="0.25") == 0
    assert get("sciaticalm_escalations_total", channel="socketio", tier="emergency") == 1
    assert get("sciaticalm_escalations_total", channel="rest", tier="other") == 1
    assert get("sciaticalm_escalation_path_errors_total", channel="socketio",
               stage="followup") == 1
    assert get("sciaticalm_safety_questions_total", channel="socketio", topic="legs") == 1
    assert get("sciaticalm_safety_questions_total", channel="rest", topic="other") == 1
    assert get("sciaticalm_fallbacks_total", channel="socketio", kind="out_of_scope") == 1
    assert get("sciaticalm_fallbacks_total", channel="rest", kind="other") == 1
    assert get("sciaticalm_actions_unavailable_total", channel="socketio") == 1
    assert get("sciaticalm_refusals_total", channel="rest", status="429",
               reason="rate_limit") == 1
    assert get("sciaticalm_refusals_total", channel="rest", status="400", reason="other") == 1
    assert get("sciaticalm_tracker_store_errors_total", operation="write") == 1


def message(sender: str, text: str = "hi") -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest")


def test_the_pipeline_counts_turns_refusals_and_the_outcome() -> None:
    admission = Admission("rest", env={"SCIATICALM_RATE_LIMIT": "1/0.001"})
    before = {
        "turns": value("sciaticalm_turns_total", channel="rest"),
        "rate": value("sciaticalm_refusals_total", channel="rest", status="429",
                      reason="rate_limit"),
        "urgent": value("sciaticalm_escalations_total", channel="rest", tier="urgent"),
    }

    async def turn(_: UserMessage) -> None:
        # what the processor hook does inside a turn
        record = metrics._CURRENT.get()
        assert record is not None
        record.outcome = TurnOutcome("urgent")

    assert asyncio.run(admission.handle(message("rest:m1"), turn)) is None
    refused = asyncio.run(admission.handle(message("rest:m1"), turn))
    assert isinstance(refused, Refusal) and refused.cause == "rate_limit"
    assert value("sciaticalm_turns_total", channel="rest") == before["turns"] + 1
    assert value("sciaticalm_refusals_total", channel="rest", status="429",
                 reason="rate_limit") == before["rate"] + 1
    assert value("sciaticalm_escalations_total", channel="rest", tier="urgent") == (
        before["urgent"] + 1)


def test_a_failed_turn_counts_its_cause_and_an_escalation_it_carried() -> None:
    class OperationalError(Exception):
        pass

    OperationalError.__module__ = "sqlalchemy.exc"  # as SQLAlchemy's own

    async def fails(_: UserMessage) -> None:
        raise OperationalError("database down")

    labels = {"channel": "rest", "status": "503", "reason": "tracker_store_unavailable"}
    before = value("sciaticalm_refusals_total", **labels)
    errors = value("sciaticalm_escalation_path_errors_total", channel="rest",
                   stage="failed_turn")
    outcome = asyncio.run(Admission("rest", env=NO_LIMIT).handle(
        message("rest:f1", "I've wet myself and both legs are numb"), fails))
    assert isinstance(outcome, Refusal) and outcome.status == 503
    assert value("sciaticalm_refusals_total", **labels) == before + 1
    assert value("sciaticalm_escalation_path_errors_total", channel="rest",
                 stage="failed_turn") == errors + 1
    # an ordinary message that fails is no escalation error
    asyncio.run(Admission("rest", env=NO_LIMIT).handle(message("rest:f2", "hello"), fails))
    assert value("sciaticalm_escalation_path_errors_total", channel="rest",
                 stage="failed_turn") == errors + 1


def test_a_refused_body_is_counted_by_its_reason() -> None:
    class Request:
        json = {"sender": "a\u0000b", "message": "hi"}

    body = read_rest_body(Request())  # type: ignore[arg-type]
    assert isinstance(body, Refusal) and body.cause == "bad_sender"
    labels = {"channel": "rest", "status": "400", "reason": "bad_sender"}
    before = value("sciaticalm_refusals_total", **labels)
    Admission("rest", env=NO_LIMIT).count(body)
    assert value("sciaticalm_refusals_total", **labels) == before + 1


@pytest.fixture(scope="module")
def domain() -> Domain:
    from testkit.servers import REPO

    return Domain.load(str(REPO / "domain.yml"))


@pytest.mark.parametrize("escalating", [True, False])
def test_the_processor_hook_reads_the_turns_events(monkeypatch: pytest.MonkeyPatch,
                                                   domain: Domain, escalating: bool) -> None:
    tracker = DialogueStateTracker.from_events("rest:p", [
        ActionExecuted("action_listen"), SlotSet("triage_level", "urgent"),
        BotUttered("earlier", {"custom": {"sciaticalm": {"kind": "escalation"}}}),
        ActionExecuted("action_listen"),
        UserUttered("both legs are numb", {"name": "red_flag", "confidence": 1.0}),
    ], domain.slots)

    async def extract(self: object, output: object, t: DialogueStateTracker) -> None:
        if escalating:
            t.update(SlotSet("triage_level", "emergency"))

    async def loop(self: object, output: object, t: DialogueStateTracker) -> None:
        if not escalating:
            t.update(BotUttered("Here are some stretches"))
            return
        t.update(ActionExecuted("utter_escalate"))
        t.update(BotUttered("Please call 999", {"custom": {"sciaticalm": {
            "kind": "escalation", "level": "emergency"}}}, {"utter_action": "utter_escalate"}))
        t.update(ActionExecuted("action_listen"))

    monkeypatch.setattr(metrics, "_ORIGINAL_EXTRACT", extract)
    monkeypatch.setattr(metrics, "_ORIGINAL_LOOP", loop)

    async def turn() -> TurnOutcome | None:
        with recording_turn() as record:
            await metrics._extract_slots(None, None, tracker)
            await metrics._prediction_loop(None, None, tracker)
        return record.outcome

    # the earlier escalation (before the visitor's message) is not this turn's
    assert asyncio.run(turn()) == (TurnOutcome("emergency") if escalating else TurnOutcome())


class _BrokenStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise ConnectionError("database down")


def test_a_failed_read_of_the_log_is_counted(domain: Domain) -> None:
    strict_store.install()
    try:
        before = value("sciaticalm_tracker_store_errors_total", operation="read")
        with pytest.raises(ConnectionError):
            asyncio.run(FailSafeTrackerStore(_BrokenStore(domain)).retrieve("x"))
        assert value("sciaticalm_tracker_store_errors_total", operation="read") == before + 1
    finally:
        strict_store.uninstall()


@pytest.fixture()
def hooked() -> Iterator[None]:
    metrics.install()
    yield
    metrics.uninstall()


def test_rasas_app_gets_get_metrics(hooked: None) -> None:
    assert rasa.core.run.configure_app is metrics._configure_app
    app = add_route(Sanic("metrics_route_test"))
    add_route(app)  # once only
    routes = [r for r in app.router.routes if r.path.strip("/") == "metrics"]
    assert len(routes) == 1 and routes[0].methods == {"GET"}

    METRICS.turn("rest", 0.01)
    reply = asyncio.run(metrics.metrics_route(None))
    assert reply.status == 200 and reply.content_type.startswith("text/plain")
    assert b"sciaticalm_turns_total{channel=\"rest\"}" in reply.body
