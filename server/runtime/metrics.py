"""Prometheus metrics of a Rasa process and its GET /metrics route.

Each Rasa process (the embedded default, every production replica) serves its
own `/metrics` on its own port; Prometheus scrapes each one (docs/deployment.md,
"Metrics"). Every label comes from a fixed set (channel names, tiers, topics,
fallback kinds, refusal reasons, store operations: sciaticalm/metrics.py), never
from the visitor's text or ids.

What is counted where:

- the admission pipeline (server/channels/admission.py), which every channel goes
  through, counts each turn that ran and its time from admission to the reply, and
  every refusal with its status and reason, through `METRICS`;
- this hook reads each turn's events after the policies ran (MessageProcessor's
  prediction loop) and counts escalations by tier, safety questions by topic,
  fallbacks by kind and the action server's apology (sciaticalm/turn_outcome.py);
  the turn's channel comes from the pipeline (a context variable);
- strict_store counts every failed read or write of the conversation log;
- `install()` also adds GET /metrics to the Sanic app `rasa run` creates
  (rasa.core.run.configure_app), whatever channels or API are switched on.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

from sciaticalm.metrics import bounded, channel_label, scrape
from sciaticalm.turn_outcome import FALLBACK_KINDS, TIERS, TRIAGE_SLOT, TurnOutcome, turn_outcome

logger = logging.getLogger(__name__)

ROUTE = "/metrics"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: Why a message did not become a turn (server/channels/admission.py's Refusal.cause).
REFUSAL_REASONS = frozenset({
    "bad_body", "bad_sender", "bad_message_id", "bad_message", "bad_metadata",
    "bad_feedback", "empty_message", "too_long", "unauthorized", "rate_limit",
    "in_flight", "guard_busy", "lock_busy", "tracker_store_unavailable",
    "lock_store_unavailable", "turn_failed"})
STORE_OPERATIONS = frozenset({"read", "write", "listing"})
ESCALATION_STAGES = frozenset({"failed_turn", "followup"})
SAFETY_TOPICS = frozenset({"continence", "legs", "chest"})


class RasaMetrics:
    """The metrics of one Rasa process, in `registry` (tests pass their own)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.turns = Counter("sciaticalm_turns", "Visitor messages that ran as a turn",
                             ["channel"], registry=registry)
        self.turn_seconds = Histogram(
            "sciaticalm_turn_seconds",
            "Time from a message's admission to its reply (turns that ran), seconds",
            ["channel"], buckets=LATENCY_BUCKETS, registry=registry)
        self.escalations = Counter("sciaticalm_escalations",
                                   "Turns that escalated, by tier", ["channel", "tier"],
                                   registry=registry)
        self.safety_questions = Counter("sciaticalm_safety_questions",
                                        "Safety questions asked, by body system",
                                        ["channel", "topic"], registry=registry)
        self.fallbacks = Counter("sciaticalm_fallbacks", "Turns with a fallback, by kind",
                                 ["channel", "kind"], registry=registry)
        self.actions_unavailable = Counter(
            "sciaticalm_actions_unavailable",
            "Turns answered with the apology because the action server failed",
            ["channel"], registry=registry)
        self.escalation_path_errors = Counter(
            "sciaticalm_escalation_path_errors",
            "Escalations that met a failure: failed_turn (the turn failed, the visitor got "
            "the escalation from the outage reply, nothing logged), followup (the action "
            "server failed during an escalating turn)", ["channel", "stage"],
            registry=registry)
        self.refusals = Counter("sciaticalm_refusals",
                                "Messages refused or failed, by HTTP status and reason",
                                ["channel", "status", "reason"], registry=registry)
        self.tracker_store_errors = Counter(
            "sciaticalm_tracker_store_errors",
            "Failed reads and writes of the conversation log", ["operation"],
            registry=registry)

    def turn(self, channel: str, seconds: float) -> None:
        label = channel_label(channel)
        self.turns.labels(label).inc()
        self.turn_seconds.labels(label).observe(seconds)

    def outcome(self, channel: str, outcome: TurnOutcome) -> None:
        label = channel_label(channel)
        if outcome.escalation:
            self.escalations.labels(label, bounded(outcome.escalation, TIERS)).inc()
            if outcome.actions_unavailable:
                self.escalation_path_errors.labels(label, "followup").inc()
        if outcome.safety_question:
            self.safety_questions.labels(label, bounded(outcome.safety_question,
                                                        SAFETY_TOPICS)).inc()
        for kind in outcome.fallbacks:
            self.fallbacks.labels(label, bounded(kind, FALLBACK_KINDS)).inc()
        if outcome.actions_unavailable:
            self.actions_unavailable.labels(label).inc()

    def refusal(self, channel: str, status: int, reason: str) -> None:
        self.refusals.labels(channel_label(channel), str(int(status)),
                             bounded(reason, REFUSAL_REASONS)).inc()

    def escalation_path_error(self, channel: str, stage: str) -> None:
        self.escalation_path_errors.labels(channel_label(channel),
                                           bounded(stage, ESCALATION_STAGES)).inc()

    def tracker_store_error(self, operation: str) -> None:
        self.tracker_store_errors.labels(bounded(operation, STORE_OPERATIONS)).inc()


METRICS = RasaMetrics()


@dataclass
class TurnRecord:
    """What the processor found about the turn the pipeline is running."""

    outcome: TurnOutcome | None = None


_CURRENT: contextvars.ContextVar[TurnRecord | None] = contextvars.ContextVar(
    "sciaticalm_turn", default=None)


@contextmanager
def recording_turn() -> Iterator[TurnRecord]:
    """`with recording_turn() as record:` around a turn: the processor hook fills it in."""
    record = TurnRecord()
    token = _CURRENT.set(record)
    try:
        yield record
    finally:
        _CURRENT.reset(token)


# ------------------------------------------------------------------ processor hook
START_ATTRIBUTE = "_sciaticalm_turn_start"
_ORIGINAL_EXTRACT = None
_ORIGINAL_LOOP = None


def _events_as_dicts(events: Any) -> list[dict[str, Any]]:
    return [event.as_dict() for event in events]


def _turn_start(events: Any) -> int:
    """Index of the visitor's message just logged (the latest `user` event)."""
    from rasa.shared.core.events import UserUttered

    last = len(events) - 1
    for back, event in enumerate(reversed(events)):
        if isinstance(event, UserUttered):
            return last - back
        if back >= 10:
            break
    return last


async def _extract_slots(self: Any, output_channel: Any, tracker: Any) -> Any:
    # Before the slots are extracted from the visitor's message: the turn starts at
    # that message, and the triage level is still the one from before it.
    setattr(tracker, START_ATTRIBUTE, (_turn_start(tracker.events),
                                       tracker.get_slot(TRIAGE_SLOT)))
    assert _ORIGINAL_EXTRACT is not None
    return await _ORIGINAL_EXTRACT(self, output_channel, tracker)


async def _prediction_loop(self: Any, output_channel: Any, tracker: Any) -> None:
    assert _ORIGINAL_LOOP is not None
    await _ORIGINAL_LOOP(self, output_channel, tracker)
    try:
        start, level_before = getattr(tracker, START_ATTRIBUTE, (None, None))
        if start is None:
            return
        events = itertools.islice(tracker.events, max(start, 0), None)
        outcome = turn_outcome(_events_as_dicts(events), level_before)
        record = _CURRENT.get()
        if record is not None:
            record.outcome = outcome
        else:  # a turn that did not come through the admission pipeline
            METRICS.outcome("other", outcome)
    except Exception as exc:  # counting must never break a turn
        logger.warning("could not count the turn's outcome (%s)", type(exc).__name__)


# ------------------------------------------------------------------ the route
async def metrics_route(_request: Any) -> Any:
    from sanic import response

    body, content_type = scrape(METRICS.registry)
    return response.raw(body, content_type=content_type)


def add_route(app: Any) -> Any:
    """GET /metrics on a Sanic app (once)."""
    if not getattr(app.ctx, "sciaticalm_metrics", False):
        app.add_route(metrics_route, ROUTE, methods=["GET"], name="sciaticalm_metrics")
        app.ctx.sciaticalm_metrics = True
    return app


_ORIGINAL_CONFIGURE = None


def _configure_app(*args: Any, **kwargs: Any) -> Any:
    assert _ORIGINAL_CONFIGURE is not None
    return add_route(_ORIGINAL_CONFIGURE(*args, **kwargs))


def install() -> None:
    global _ORIGINAL_EXTRACT, _ORIGINAL_LOOP, _ORIGINAL_CONFIGURE
    import rasa.core.run
    from rasa.core.processor import MessageProcessor

    if _ORIGINAL_LOOP is None:
        _ORIGINAL_EXTRACT = MessageProcessor.run_action_extract_slots
        _ORIGINAL_LOOP = MessageProcessor._run_prediction_loop
        _ORIGINAL_CONFIGURE = rasa.core.run.configure_app
    MessageProcessor.run_action_extract_slots = _extract_slots  # type: ignore[method-assign]
    MessageProcessor._run_prediction_loop = _prediction_loop  # type: ignore[method-assign]
    rasa.core.run.configure_app = _configure_app


def uninstall() -> None:
    import rasa.core.run
    from rasa.core.processor import MessageProcessor

    if _ORIGINAL_LOOP is not None:
        MessageProcessor.run_action_extract_slots = _ORIGINAL_EXTRACT  # type: ignore
        MessageProcessor._run_prediction_loop = _ORIGINAL_LOOP  # type: ignore[method-assign]
        rasa.core.run.configure_app = _ORIGINAL_CONFIGURE

