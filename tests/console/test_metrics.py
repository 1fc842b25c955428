"""The console's GET /metrics (staff_console/metrics.py): who may read it, and that it
counts requests by status, failed sign-ins and exports. SQLite only: the counting does
not depend on the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from staff_console.metrics import allowed
from tests.console.conftest import ADMIN, Databases, Env, build_env, csrf_token, sign_in

TOKEN = "metrics-token-" + "y" * 24
OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture()
def env(databases: Databases) -> Iterator[Env]:
    env = build_env(databases, "sqlite")
    yield env
    env.engine.dispose()


def samples(client: FlaskClient, **kwargs: object) -> dict[tuple, float]:
    resp = client.get("/metrics", **kwargs)
    assert resp.status_code == 200, resp.status_code
    assert resp.headers["Content-Type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def get(values: dict[tuple, float], name: str, **labels: str) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


def test_it_counts_requests_failed_sign_ins_and_exports(env: Env) -> None:
    c = env.client()
    before = samples(c)
    assert c.get("/login").status_code == 200
    assert c.get("/no-such-page").status_code in (302, 404)
    token = csrf_token(c)
    wrong = c.post("/login", data={"username": ADMIN[0], "password": "not the password",
                                   "csrf_token": token})
    assert wrong.status_code == 401
    sign_in(c, ADMIN)
    export = c.post("/export.csv", data={"csrf_token": csrf_token(c, "/")})
    assert export.status_code == 200
    export.get_data()  # the streamed body
    after = samples(c)

    def moved(name: str, **labels: str) -> float:
        return get(after, name, **labels) - get(before, name, **labels)

    assert moved("sciaticalm_console_requests_total", endpoint="auth.login",
                 status="200") >= 2
    assert moved("sciaticalm_console_requests_total", endpoint="auth.login", status="401") == 1
    assert moved("sciaticalm_console_logins_failed_total") == 1
    assert moved("sciaticalm_console_exports_total", kind="csv") == 1
    assert moved("sciaticalm_console_exports_total", kind="json") == 0
    assert moved("sciaticalm_console_request_seconds_count") >= 5
    # the scrape itself was counted, and no path or visitor text became a label
    assert get(after, "sciaticalm_console_requests_total", endpoint="metrics",
               status="200") >= 1
    text = c.get("/metrics").get_data(as_text=True)
    assert "no-such-page" not in text and "gen-emergency" not in text


def test_only_loopback_without_a_token(env: Env) -> None:
    c = env.client()
    assert c.get("/metrics").status_code == 200
    assert c.get("/metrics", environ_base=OUTSIDE).status_code == 403
    # never the sign-in page: a scraper gets the metrics or a 403
    assert c.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_with_a_token_only_the_token(databases: Databases) -> None:
    env = build_env(databases, "sqlite", metrics_token=TOKEN)
    try:
        c = env.client()
        assert c.get("/metrics").status_code == 403  # loopback is not enough then
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        ok = c.get("/metrics", environ_base=OUTSIDE,
                   headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and b"sciaticalm_console_requests_total" in ok.data
    finally:
        env.engine.dispose()


def test_allowed() -> None:
    assert allowed("", None, "127.0.0.1") and allowed("", None, "127.8.9.1")
    assert not allowed("", None, "10.0.0.5") and not allowed("", None, None)
    assert not allowed("", "Bearer x", "not an address")
    assert allowed("t0k", "bearer t0k", "198.51.100.1")
    assert not allowed("t0k", "Basic t0k", "127.0.0.1")
    assert not allowed("t0k", None, "127.0.0.1")
