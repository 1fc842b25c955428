"""Faults of the production topology, each while conversations are running
through nginx, on a private PostgreSQL and Redis (testkit/services.py) so
they can be restarted: PostgreSQL restarted, Redis restarted, the action server
stopped, a Rasa replica killed with SIGKILL. First, the whole topology is
stopped mid-conversation and started again.

The visitors are REST clients that send a turn again with the same message_id
after a 502/503/504 (server/channels/rest.py never logs a repeated id twice). After
each fault the log must hold exactly what the visitors were answered: every
turn once, in order, nothing half-written.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from testkit.load import TURNS, Tally, run_mixed
from testkit.servers import rest_id
from testkit.services import PrivatePostgres, PrivateRedis
from testkit.topology import ProdTopology

VISITORS = 20
APOLOGY = "Sorry, I can't fetch that part of my advice right now"
RED_FLAG = "I've wet myself and both legs are numb"


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    pg, redis = PrivatePostgres(), PrivateRedis()
    try:
        pg.init()
        redis.start()
        yield pg, redis
    finally:
        redis.destroy()
        pg.destroy()


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory,
             services: tuple[PrivatePostgres, PrivateRedis]) -> Iterator[ProdTopology]:
    pg, redis = services
    topo = ProdTopology(tmp_path_factory.mktemp("faults"), extra_env={
        "DB_PORT": str(pg.port), "REDIS_PORT": str(redis.port), "REDIS_DB": "0"})
    try:
        topo.start()
        yield topo
    finally:
        topo.stop()


def say(topo: ProdTopology, sender: str, text: str) -> list[dict]:
    resp = requests.post(topo.rest_url, json={"sender": sender, "message": text}, timeout=120)
    assert resp.status_code == 200, (resp.status_code, resp.text[:200])
    return resp.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def wait_for(tally: Tally, answered: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while tally.answered < answered:
        assert time.monotonic() < deadline, f"only {tally.answered} turns answered"
        time.sleep(0.05)


def under_load(topo: ProdTopology, fault: Callable[[Tally], None], name: str
               ) -> tuple[Tally, dict[str, list]]:
    """Run VISITORS conversations of 10 turns, call fault(tally) meanwhile, then
    check the log holds exactly what every visitor was answered."""
    senders = [f"{name}-{i}-{uuid.uuid4().hex[:6]}" for i in range(VISITORS)]
    tally = Tally()
    expected = run_mixed(topo.url, senders, [], TURNS, tally, during=lambda: fault(tally))
    print(f"{name}: {dict(tally.statuses)}")
    assert tally.answered == VISITORS * len(TURNS)
    assert not [s for s in tally.statuses if isinstance(s, int) and s >= 500
                and s not in (502, 503, 504)], tally.statuses
    logged = topo.events_many([rest_id(s) for s in senders])
    for sender in senders:
        assert logged[rest_id(sender)] == expected[sender], sender
    return tally, expected


def test_restart_everything_mid_conversation(topology: ProdTopology) -> None:
    """Ctrl-C of the launcher mid-assessment, start again: the conversation goes
    on exactly as one that never stopped."""
    control, restarted = f"ctl-{uuid.uuid4().hex[:8]}", f"rst-{uuid.uuid4().hex[:8]}"
    steps = ["help me find the root cause", '/inform{"emergency_screen": "no"}',
             "no none of those"]
    for sender in (control, restarted):
        assert "safety check" in texts(say(topology, sender, steps[0]))
    say(topology, control, steps[1])
    expected_next = say(topology, control, steps[2])
    before = topology.events(rest_id(restarted))

    topology.stop()
    topology.start()

    # nothing lost or duplicated by the restart
    assert topology.events(rest_id(restarted)) == before
    say(topology, restarted, steps[1])
    after = say(topology, restarted, steps[2])
    strip = [{k: v for k, v in r.items() if k != "recipient_id"} for r in after]
    assert strip == [{k: v for k, v in r.items() if k != "recipient_id"} for r in expected_next]
    assert topology.events(rest_id(restarted), ("user",)) == [("user", s) for s in steps]


def check_red_flag_during_outage(topo: ProdTopology) -> None:
    """Safety first: while the log is unreachable, a red flag still gets the escalation."""
    resp = requests.post(topo.rest_url, timeout=60, json={
        "sender": f"outage-{uuid.uuid4().hex[:8]}", "message": RED_FLAG})
    assert resp.status_code == 503, resp.text[:200]
    messages = resp.json()["messages"]
    assert messages[0]["text"].startswith("**Please call 999 or go to A&E now.**")
    assert messages[0]["custom"]["sciaticalm"]["level"] == "emergency"


@pytest.mark.parametrize("service", ["postgresql", "redis"])
def test_restart_under_load(service: str, topology: ProdTopology,
                            services: tuple[PrivatePostgres, PrivateRedis]) -> None:
    """Stopped for 3 s while conversations run: turns fail cleanly (503) during
    the outage, a red flag still escalates, everything succeeds after it."""
    server = services[0] if service == "postgresql" else services[1]
    before = replica_metrics(topology)

    def fault(tally: Tally) -> None:
        wait_for(tally, 40)
        server.stop()
        check_red_flag_during_outage(topology)
        time.sleep(3)
        server.start()

    tally, _ = under_load(topology, fault, service)
    assert tally.statuses[503] > 0  # the outage was felt, and failed cleanly

    # ... and the replicas' /metrics say so, with what failed (docs/deployment.md, Metrics)
    after = replica_metrics(topology)

    def moved(name: str, **labels: str) -> float:
        return sum(value(a, name, **labels) - value(b, name, **labels)
                   for b, a in zip(before, after, strict=True))

    cause = "tracker_store_unavailable" if service == "postgresql" else "lock_store_unavailable"
    refused_503 = sum(moved("sciaticalm_refusals_total", channel="rest", status="503",
                            reason=reason)
                      for reason in ("tracker_store_unavailable", "lock_store_unavailable",
                                     "turn_failed"))
    assert refused_503 >= tally.statuses[503] + 1  # the visitors' and the red flag's
    assert moved("sciaticalm_refusals_total", channel="rest", status="503", reason=cause) > 0
    assert moved("sciaticalm_escalation_path_errors_total", channel="rest",
                 stage="failed_turn") >= 1
    if service == "postgresql":
        assert sum(moved("sciaticalm_tracker_store_errors_total", operation=op)
                   for op in ("read", "write")) > 0


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def replica_metrics(topo: ProdTopology) -> list[Samples]:
    """Each replica's /metrics, parsed."""
    out = []
    for port in topo.rasa_ports:
        resp = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert resp.status_code == 200
        out.append({(s.name, tuple(sorted(s.labels.items()))): s.value
                    for family in text_string_to_metric_families(resp.text)
                    for s in family.samples})
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_action_server_stopped_under_load(topology: ProdTopology) -> None:
    """Advice requests get the apology, never silence; red flags still escalate."""
    stopped_at: list[int] = []

    def fault(tally: Tally) -> None:
        wait_for(tally, 40)
        os.kill(topology.child_pids()["actions"], signal.SIGTERM)
        stopped_at.append(tally.answered)
        time.sleep(2)
        escalation = say(topology, f"noact-{uuid.uuid4().hex[:8]}", RED_FLAG)
        assert texts(escalation).startswith("**Please call 999 or go to A&E now.**")

    _, expected = under_load(topology, fault, "actions")
    bot = [text or "" for conv in expected.values() for kind, text in conv if kind == "bot"]
    assert any(t.startswith(APOLOGY) for t in bot), "no apology after the action server stopped"


def test_replica_sigkill_under_load(topology: ProdTopology) -> None:
    """Its conversations continue on the other replica, nothing lost or doubled."""
    killed_at: list[int] = []

    def fault(tally: Tally) -> None:
        wait_for(tally, 40)
        os.kill(topology.child_pids()["rasa-1"], signal.SIGKILL)
        killed_at.append(tally.answered)

    under_load(topology, fault, "kill")
    assert 0 < killed_at[0] < VISITORS * len(TURNS)
    # After the kill nginx sends everything to the surviving replica.
    assert say(topology, "after-kill", "hello")
