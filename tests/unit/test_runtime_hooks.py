"""server.runtime: a failing action server gives the apology, not silence;
visitor text stays out of the log above debug. No Rasa server needed: the
action server is a closed port or a tiny local HTTP server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import rasa.core.tracker_store as tracker_store_module
import rasa.utils.log_utils as log_utils
import structlog
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from server.runtime import action_outage, log_privacy, strict_store
from testkit.servers import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


@pytest.fixture()
def hooked() -> Iterator[None]:
    action_outage.install()
    yield
    action_outage.uninstall()


class _Handler(BaseHTTPRequestHandler):
    status = 500
    body = b"{}"

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def action_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook", handler
    server.shutdown()


def run(action_name: str, url: str, domain: Domain, tracker: DialogueStateTracker
        ) -> tuple[list, CollectingOutputChannel]:
    out = CollectingOutputChannel()
    action = RemoteAction(action_name, EndpointConfig(url=url))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return asyncio.run(action.run(out, nlg, tracker, domain)), out


def tracker_after(text: str, domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), UserUttered(text, {"name": "ask_footwear"})],
        slots=domain.slots)


def test_unreachable_action_server_gives_the_apology(hooked: None, domain: Domain) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"  # nothing listens here
    events, _ = run("action_footwear_advice", url, domain, tracker_after("shoes?", domain))
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    expected = domain.responses["utter_actions_unavailable"][0]["text"]
    assert events[0].text == expected
    assert "02380 248725" in expected and "999" in expected


def test_action_server_error_gives_the_apology(hooked: None, domain: Domain,
                                              action_server: tuple[str, type]) -> None:
    url, handler = action_server
    handler.status = 500
    events, _ = run("action_stretching_advice", url, domain, tracker_after("stretch", domain))
    assert [type(e) for e in events] == [BotUttered]


def test_failed_validation_unsets_the_candidate_slots(hooked: None, domain: Domain) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook"
    tracker = DialogueStateTracker.from_events("t", [
        ActionExecuted("action_listen"), UserUttered("no", {"name": "deny"}),
        SlotSet("requested_slot", "emergency_screen"), ActionExecuted("assessment_form"),
        SlotSet("emergency_screen", "no"),
    ], slots=domain.slots)
    events, _ = run("validate_assessment_form", url, domain, tracker)
    assert isinstance(events[0], BotUttered)
    assert events[1:] == [SlotSet("emergency_screen", None)]


def test_a_rejection_still_passes_through(hooked: None, domain: Domain,
                                        action_server: tuple[str, type]) -> None:
    url, handler = action_server
    handler.status = 400
    handler.body = json.dumps({"action_name": "validate_assessment_form",
                               "error": "rejected"}).encode()
    with pytest.raises(ActionExecutionRejection):
        run("validate_assessment_form", url, domain, tracker_after("x", domain))


def test_a_working_action_server_is_untouched(hooked: None, domain: Domain,
                                             action_server: tuple[str, type]) -> None:
    url, handler = action_server
    handler.status = 200
    handler.body = json.dumps({"events": [], "responses": [{"text": "real advice"}]}).encode()
    events, _ = run("action_footwear_advice", url, domain, tracker_after("shoes", domain))
    assert [e.text for e in events] == ["real advice"]


def test_without_the_hook_rasa_would_stay_silent(domain: Domain) -> None:
    """What the hook is for: Rasa's own RemoteAction raises, and its processor
    swallows the exception with no reply."""
    url = f"http://127.0.0.1:{free_port()}/webhook"
    with pytest.raises(Exception, match="Failed to execute custom action"):
        run("action_footwear_advice", url, domain, tracker_after("shoes?", domain))


@pytest.mark.parametrize("level", ["info", "warning", "error"])
def test_visitor_text_is_redacted_above_debug(level: str) -> None:
    event = {"event": "rest.message.received.timeout", "text": "my secret back pain",
             "user_message": {"text": "secret"}, "sender_id": "abc"}
    out = log_privacy.redact(None, level, dict(event))
    assert "secret" not in json.dumps(out)
    assert out["text"] == "[redacted: 19 chars]"
    assert out["sender_id"] == "abc" and out["event"] == event["event"]


def test_debug_keeps_the_text() -> None:
    out = log_privacy.redact(None, "debug", {"event": "x", "text": "hello"})
    assert out["text"] == "hello"


def test_rasa_structlog_configuration_uses_the_redactor(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    log_privacy.install()
    try:
        log_utils.configure_structlog(logging.INFO)
        with caplog.at_level(logging.INFO):
            structlog.get_logger().error("rest.message.received.timeout",
                                         text="my secret back pain")
        assert "rest.message.received.timeout" in caplog.text
        assert "my secret back pain" not in caplog.text
        assert "[redacted: 19 chars]" in caplog.text
    finally:
        log_privacy.uninstall()


class _BrokenStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise ConnectionError("database down")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise ConnectionError("database down")


def test_without_the_hook_rasa_silently_switches_to_memory(domain: Domain) -> None:
    """What strict_store is for: Rasa's FailSafeTrackerStore hides the outage."""
    store = FailSafeTrackerStore(_BrokenStore(domain))
    assert asyncio.run(store.retrieve("x")) is None  # the conversation would restart
    asyncio.run(store.save(DialogueStateTracker("x", domain.slots)))  # "saved" to memory


def test_strict_store_raises_so_the_channel_answers_503(domain: Domain) -> None:
    strict_store.install()
    try:
        store = FailSafeTrackerStore(_BrokenStore(domain))
        with pytest.raises(ConnectionError):
            asyncio.run(store.retrieve("x"))
        with pytest.raises(ConnectionError):
            asyncio.run(store.save(DialogueStateTracker("x", domain.slots)))
        kwargs = tracker_store_module.create_engine_kwargs("postgresql://u@h/db")
        assert kwargs["pool_pre_ping"] is True and kwargs["hide_parameters"] is True
        working = FailSafeTrackerStore(InMemoryTrackerStore(domain))
        asyncio.run(working.save(DialogueStateTracker("y", domain.slots)))
        assert asyncio.run(working.retrieve("y")) is not None
    finally:
        strict_store.uninstall()


def test_tracebacks_in_the_log_carry_no_local_variables(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    log_privacy.install()
    json_logging = log_utils.FORCE_JSON_LOGGING
    try:
        log_utils.FORCE_JSON_LOGGING = True
        log_utils.configure_structlog(logging.INFO)

        def fails(secret_slot_value: str) -> None:
            raise KeyError("x")

        with caplog.at_level(logging.INFO):
            try:
                fails("my private symptom")
            except KeyError:
                structlog.get_logger().exception("something.failed")
        assert "something.failed" in caplog.text and "KeyError" in caplog.text
        assert "my private symptom" not in caplog.text
    finally:
        log_utils.FORCE_JSON_LOGGING = json_logging
        log_privacy.uninstall()
