"""deploy/launch.py's per-host addresses (SCIATICALM_RASA_HOSTS, SCIATICALM_ACTION_HOST)
and testkit/load.py's log check for turns whose end never arrived. No servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy import launch
from testkit.load import UNACKNOWLEDGED, matches_log


def test_by_default_every_piece_is_on_loopback(tmp_path: Path) -> None:
    env = {"SCIATICALM_PROD_DIR": str(tmp_path)}
    cfg = launch.config(env)
    assert launch.upstreams(cfg) == [("127.0.0.1", 5011), ("127.0.0.1", 5012)]
    prepared = launch.prepare_env(env, cfg)
    assert prepared["SANIC_HOST"] == "127.0.0.1"
    assert prepared["ACTION_SERVER_URL"] == "http://127.0.0.1:5065/webhook"
    assert {k: prepared[k] for k in launch.DEFAULTS} == launch.DEFAULTS
    nginx_conf, _ = launch.render(cfg, prepared)
    assert nginx_conf.read_text().count("server 127.0.0.1:5011 max_fails=1") == 2


def test_each_replica_and_the_action_server_on_its_own_address(tmp_path: Path) -> None:
    env = {"SCIATICALM_PROD_DIR": str(tmp_path), "SCIATICALM_RASA_PORTS": "5005,5005",
           "SCIATICALM_RASA_HOSTS": "10.0.0.21, 10.0.0.22", "SCIATICALM_ACTION_HOST": "10.0.0.30",
           "SCIATICALM_ACTION_PORT": "5055"}
    cfg = launch.config(env)
    assert launch.upstreams(cfg) == [("10.0.0.21", 5005), ("10.0.0.22", 5005)]
    prepared = launch.prepare_env(env, cfg)
    assert prepared["SANIC_HOST"] == "10.0.0.30"
    assert prepared["ACTION_SERVER_URL"] == "http://10.0.0.30:5055/webhook"
    text = launch.render(cfg, prepared)[0].read_text()
    assert "server 10.0.0.21:5005" in text and "server 10.0.0.22:5005" in text
    assert "127.0.0.1:5005" not in text
    spawned: dict[str, list[str]] = {}
    topology = launch.Topology(cfg, prepared, wrap={"rasa-2": ["ip", "netns", "exec", "app2"]})
    topology.spawn = lambda name, args: spawned.setdefault(  # type: ignore[method-assign]
        name, [*topology.wrap.get(name, ()), *args])
    topology.start()
    assert spawned["rasa-2"][:4] == ["ip", "netns", "exec", "app2"]
    assert spawned["rasa-2"][spawned["rasa-2"].index("--interface") + 1] == "10.0.0.22"
    assert spawned["rasa-1"][spawned["rasa-1"].index("--interface") + 1] == "10.0.0.21"
    assert topology.ready_urls()[0] == "http://10.0.0.30:5055/health"


def test_one_address_for_all_replicas_or_one_each(tmp_path: Path) -> None:
    base = {"SCIATICALM_PROD_DIR": str(tmp_path), "SCIATICALM_RASA_PORTS": "1,2,3"}
    cfg = launch.config({**base, "SCIATICALM_RASA_HOSTS": "10.0.0.5"})
    assert [h for h, _ in launch.upstreams(cfg)] == ["10.0.0.5"] * 3
    with pytest.raises(ValueError):
        launch.config({**base, "SCIATICALM_RASA_HOSTS": "10.0.0.5,10.0.0.6"})


def test_an_unacknowledged_turn_may_be_logged_at_most_once_in_its_place() -> None:
    expected = [("user", "a"), ("bot", "A"), (UNACKNOWLEDGED, "b"), ("user", "c"), ("bot", "C")]
    assert matches_log([("user", "a"), ("bot", "A"), ("user", "c"), ("bot", "C")], expected)
    assert matches_log([("user", "a"), ("bot", "A"), ("user", "b"), ("bot", "B"),
                        ("user", "c"), ("bot", "C")], expected)
    # twice, out of place, or an acknowledged turn missing or doubled: no
    assert not matches_log([("user", "a"), ("bot", "A"), ("user", "b"), ("user", "b"),
                            ("user", "c"), ("bot", "C")], expected)
    assert not matches_log([("user", "a"), ("bot", "A"), ("user", "c"), ("bot", "C"),
                            ("user", "b")], expected)
    assert not matches_log([("user", "a"), ("bot", "A")], expected)
    assert not matches_log([("user", "a"), ("bot", "A"), ("user", "a"), ("bot", "A"),
                            ("user", "c"), ("bot", "C")], expected)
