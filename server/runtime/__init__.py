"""Runtime hooks for the Rasa server process (not pure logic: Rasa plumbing).

`python -m server` installs them, then runs Rasa; these behaviours are added before
Rasa starts:

- action_outage: a custom action whose server cannot be reached (or fails)
  sends the domain response `utter_actions_unavailable` instead of silence;
- log_privacy: visitor text is never written to the server log above debug level;
- strict_store: an unreachable conversation log is an error the channel turns
  into a clean 503, not Rasa's silent switch to an in-memory store;
- action_client: custom-action calls reuse kept-alive connections instead of
  opening one per call (Rasa's EndpointConfig makes a new HTTP session each time);
- action_schema: action server replies are validated with a validator built
  once, not by re-checking Rasa's schema on every call (half a turn's CPU);
- forged_payloads: a typed `/red_flag{...}` or triage/safety-screen slot payload
  is refused unless it is a button the assistant offered (every channel);
- event_types: stored events are turned back into objects without walking all
  of Rasa's event classes for each one;
- bounded_store: a turn loads the session's latest events and a snapshot of the
  older state, so its cost does not grow with the conversation;
- session_carry: a new session (after the idle time in domain.yml) carries the
  triage level, red flags and disclaimer state, and nothing else;
- sqlite_store: the SQLite log is opened with the console's busy timeout and
  created 0600, and a turn in flight never writes back an erased conversation;
- feedback: a `/feedback{...}` message (the widget's 👍/👎) is logged as intent
  `feedback` then rewound, never answered, and leaves the dialogue unchanged;
- metrics: GET /metrics on Rasa's app (Prometheus text) and each turn's outcome
  (escalation tier, safety question, fallbacks) read from its events; turns,
  latency and refusals are counted by the admission pipeline, log errors by
  strict_store (docs/deployment.md, "Metrics");
- warm_up: Rasa does its first-use work (TensorFlow tracing, the reply validator,
  the readers' tables) while it starts, so the first visitor's turn is ordinary.

"""

from __future__ import annotations


def install() -> None:
    """Install every hook (idempotent)."""
    from server.runtime import (
        action_client,
        action_outage,
        action_schema,
        bounded_store,
        event_types,
        feedback,
        forged_payloads,
        log_privacy,
        metrics,
        session_carry,
        sqlite_store,
        strict_store,
        warm_up,
    )

    action_outage.install()
    action_client.install()
    action_schema.install()
    log_privacy.install()
    strict_store.install()
    bounded_store.install()
    event_types.install()
    # after strict_store (it wraps its engine options) and bounded_store (it
    # filters the events that one picks for saving)
    sqlite_store.install()
    forged_payloads.install()
    session_carry.install()
    feedback.install()
    metrics.install()
    warm_up.install()
