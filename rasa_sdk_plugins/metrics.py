"""The action server's metrics and its GET /metrics (a rasa_sdk plugin).

Counted around rasa_sdk's `ActionExecutor.run`, so for every call of /webhook:

- `sciaticalm_action_runs_total{action}`: calls of each action;
- `sciaticalm_action_errors_total{action, kind}`: calls that did not succeed:
  `rejected` (ActionExecutionRejection, Rasa's normal "action rejected", 400),
  `not_found` (no such action, 404), `exception` (the action raised: 500);
- `sciaticalm_action_seconds{action}`: how long each call took.

`action` is the name of one of the registered actions (the `actions` package),
or "other" for a name the server does not know: a caller cannot make up labels.
"""

from __future__ import annotations

import time
from typing import Any

import pluggy
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from sciaticalm.metrics import OTHER, bounded, scrape

hookimpl = pluggy.HookimplMarker("rasa_sdk")
ROUTE = "/metrics"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ActionMetrics:
    """The action server's metrics, in `registry` (tests pass their own)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.runs = Counter("sciaticalm_action_runs", "Calls of each custom action",
                            ["action"], registry=registry)
        self.errors = Counter("sciaticalm_action_errors",
                              "Action calls that did not succeed, by kind",
                              ["action", "kind"], registry=registry)
        self.seconds = Histogram("sciaticalm_action_seconds", "Time to run an action, seconds",
                                 ["action"], buckets=LATENCY_BUCKETS, registry=registry)

    def record(self, action: str, seconds: float, error: str | None = None) -> None:
        self.runs.labels(action).inc()
        self.seconds.labels(action).observe(seconds)
        if error:
            self.errors.labels(action, error).inc()


METRICS = ActionMetrics()
_ORIGINAL_RUN = ActionExecutor.run


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, ActionExecutionRejection):
        return "rejected"
    if isinstance(exc, ActionNotFoundException):
        return "not_found"
    return "exception"


async def run(self: ActionExecutor, action_call: dict[str, Any]) -> Any:
    """ActionExecutor.run, counted."""
    name = action_call.get("next_action") if isinstance(action_call, dict) else None
    if not name:
        return await _ORIGINAL_RUN(self, action_call)
    label = bounded(name, self.actions.keys(), OTHER)
    started = time.perf_counter()
    try:
        result = await _ORIGINAL_RUN(self, action_call)
    except BaseException as exc:
        METRICS.record(label, time.perf_counter() - started, error_kind(exc))
        raise
    METRICS.record(label, time.perf_counter() - started)
    return result


async def metrics_route(_request: Request) -> HTTPResponse:
    body, content_type = scrape(METRICS.registry)
    return response.raw(body, content_type=content_type)


def install() -> None:
    ActionExecutor.run = run  # type: ignore[method-assign]


def uninstall() -> None:
    ActionExecutor.run = _ORIGINAL_RUN  # type: ignore[method-assign]


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """rasa_sdk's hook: count every action call and serve GET /metrics."""
    install()
    app.add_route(metrics_route, ROUTE, methods=["GET"], name="sciaticalm_metrics")
