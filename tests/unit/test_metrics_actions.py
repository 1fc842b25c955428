"""The action server's metrics plugin (rasa_sdk_plugins/metrics.py) without a server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionNotFoundException
from sanic import Sanic

from rasa_sdk_plugins import metrics
from rasa_sdk_plugins.metrics import ActionMetrics


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture()
def executor() -> Iterator[ActionExecutor]:
    metrics.install()
    executor = ActionExecutor()
    executor.register_package("actions")
    yield executor
    metrics.uninstall()


def call(name: str) -> dict:
    tracker = {"sender_id": "rest:t", "slots": {}, "latest_message": {}, "events": [],
               "paused": False, "latest_event_time": 0, "followup_action": None,
               "active_loop": {}}
    return {"next_action": name, "tracker": tracker, "domain": {}}


def test_the_registry() -> None:
    m = ActionMetrics(CollectorRegistry())
    m.record("action_show_disclaimer", 0.02)
    m.record("action_show_disclaimer", 0.2, "exception")
    get = m.registry.get_sample_value
    assert get("sciaticalm_action_runs_total", {"action": "action_show_disclaimer"}) == 2
    assert get("sciaticalm_action_errors_total",
               {"action": "action_show_disclaimer", "kind": "exception"}) == 1
    assert get("sciaticalm_action_seconds_bucket",
               {"action": "action_show_disclaimer", "le": "0.025"}) == 1


def test_each_call_is_counted_by_its_registered_name(executor: ActionExecutor) -> None:
    name = "action_show_disclaimer"
    runs = value("sciaticalm_action_runs_total", action=name)
    seconds = value("sciaticalm_action_seconds_count", action=name)
    result = asyncio.run(executor.run(call(name)))
    assert result and result["responses"]
    assert value("sciaticalm_action_runs_total", action=name) == runs + 1
    assert value("sciaticalm_action_seconds_count", action=name) == seconds + 1
    assert value("sciaticalm_action_errors_total", action=name, kind="exception") == 0


def test_an_unknown_name_never_becomes_a_label(executor: ActionExecutor) -> None:
    before = value("sciaticalm_action_errors_total", action="other", kind="not_found")
    with pytest.raises(ActionNotFoundException):
        asyncio.run(executor.run(call("I've wet myself")))
    assert value("sciaticalm_action_errors_total", action="other", kind="not_found") == (
        before + 1)
    text = metrics.scrape(REGISTRY)[0].decode()
    assert "wet myself" not in text


def test_an_action_that_raises_is_an_error(executor: ActionExecutor,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    name = "action_show_disclaimer"

    async def broken(*_: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(executor.actions, name, broken)
    before = value("sciaticalm_action_errors_total", action=name, kind="exception")
    with pytest.raises(RuntimeError):
        asyncio.run(executor.run(call(name)))
    assert value("sciaticalm_action_errors_total", action=name, kind="exception") == before + 1


def test_rasa_sdk_finds_the_plugin_and_it_adds_the_route() -> None:
    from rasa_sdk.plugin import plugin_manager

    assert metrics in plugin_manager().get_plugins()
    app = Sanic("action_metrics_test")
    try:
        plugin_manager().hook.attach_sanic_app_extensions(app=app)
        assert ActionExecutor.run is metrics.run
        assert [r.methods for r in app.router.routes if r.path.strip("/") == "metrics"] == [
            {"GET"}]
    finally:
        metrics.uninstall()
