"""GET /metrics of the real Rasa server and action server (server/runtime/metrics.py,
rasa_sdk_plugins/metrics.py): scraped before and after a conversation with an ordinary
question, a red flag and refused input, the right counters moved, and nothing the visitor
sent appears anywhere in either scrape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from testkit.servers import Stack, rasa_stack

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
RED_FLAG = "I've wet myself and both legs are numb"
QUESTION = "which stretches help my back?"
HOSTILE = "<script>alert('x')</script> " + "a" * 6000
OFF_TOPIC = "can you book me a table for dinner tonight?"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Its own servers, so that nothing else moves the counters meanwhile."""
    with rasa_stack(tmp_path_factory.mktemp("metrics")) as s:
        yield s


def scrape(url: str) -> tuple[str, Samples]:
    resp = requests.get(f"{url}/metrics", timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return resp.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_conversation_moves_the_right_counters_and_leaks_no_text(stack: Stack) -> None:
    sender = f"metrics-{uuid.uuid4()}"
    _, rasa_before = scrape(stack.rasa_url)
    _, actions_before = scrape(stack.action_url)

    assert stack.say(sender, QUESTION)
    assert stack.say(sender, OFF_TOPIC)
    escalation = stack.say(sender, RED_FLAG)
    assert escalation[0]["text"].startswith("**Please call 999 or go to A&E now.**")
    too_long = requests.post(stack.rest_url, json={"sender": sender, "message": HOSTILE},
                             timeout=30)
    assert too_long.status_code == 413
    bad_sender = requests.post(stack.rest_url, json={"sender": "bad\u0000" + sender,
                                                     "message": RED_FLAG}, timeout=30)
    assert bad_sender.status_code == 400

    rasa_text, rasa_after = scrape(stack.rasa_url)
    actions_text, actions_after = scrape(stack.action_url)

    def moved(after: Samples, before: Samples, name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    def rasa(name: str, **labels: str) -> float:
        return moved(rasa_after, rasa_before, name, **labels)

    def actions(name: str, **labels: str) -> float:
        return moved(actions_after, actions_before, name, **labels)

    assert rasa("sciaticalm_turns_total", channel="rest") == 3
    assert rasa("sciaticalm_turn_seconds_count", channel="rest") == 3
    assert rasa("sciaticalm_turn_seconds_sum", channel="rest") > 0
    assert rasa("sciaticalm_escalations_total", channel="rest", tier="emergency") == 1
    assert rasa("sciaticalm_escalations_total", channel="rest", tier="urgent") == 0
    fallbacks = {kind: rasa("sciaticalm_fallbacks_total", channel="rest", kind=kind)
                 for kind in ("nlu_fallback", "two_stage_fallback", "core_fallback",
                              "out_of_scope")}
    assert sum(fallbacks.values()) >= 1, fallbacks
    assert rasa("sciaticalm_refusals_total", channel="rest", status="413",
                reason="too_long") == 1
    assert rasa("sciaticalm_refusals_total", channel="rest", status="400",
                reason="bad_sender") == 1
    assert rasa("sciaticalm_escalation_path_errors_total", channel="rest",
                stage="followup") == 0
    assert rasa("sciaticalm_actions_unavailable_total", channel="rest") == 0
    assert rasa("sciaticalm_tracker_store_errors_total", operation="write") == 0

    assert actions("sciaticalm_action_runs_total", action="action_stretching_advice") >= 1
    assert actions("sciaticalm_action_runs_total", action="action_escalation_followup") == 1
    assert actions("sciaticalm_action_seconds_count", action="action_escalation_followup") == 1
    assert sum(v for (name, _), v in actions_after.items()
               if name == "sciaticalm_action_errors_total") == 0

    for text in (rasa_text, actions_text):
        for visitor in (sender, "wet myself", "legs are numb", "stretches", "<script", "alert",
                        "aaaa", "dinner"):
            assert visitor not in text, visitor


def test_metrics_is_get_only_and_not_a_webhook(stack: Stack) -> None:
    assert requests.post(f"{stack.rasa_url}/metrics", timeout=10).status_code == 405
    assert requests.get(f"{stack.rasa_url}/webhooks/metrics", timeout=10).status_code == 404
