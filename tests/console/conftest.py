"""Fixtures: fresh SQLite and PostgreSQL databases, the scripted Rasa log, apps, sign-in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from staff_console import accounts, create_app
from staff_console.config import Settings
from staff_console.db import make_engine
from staff_console.migrate import upgrade
from staff_console.refresh import refresh
from testkit.servers import free_port, wait_for_http
from tests.console.rasa_log import Expect, write_log

PG_ADMIN = dict(host=os.environ.get("CONSOLE_TEST_PGHOST", "127.0.0.1"),
                port=int(os.environ.get("CONSOLE_TEST_PGPORT", "5432")),
                user=os.environ.get("CONSOLE_TEST_PGUSER", "postgres"), dbname="postgres")
ADMIN = ("admin1", "admin-password-1")
REVIEWER = ("rev1", "reviewer-password-1")
BACKENDS = ["sqlite", "postgresql"]


class Databases:
    """Creates fresh empty databases; drops them at the end of the session."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg_names: list[str] = []

    def new(self, backend: str) -> str:
        name = f"console_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        conn = psycopg2.connect(**PG_ADMIN)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        self.pg_names.append(name)
        return (f"postgresql://{PG_ADMIN['user']}@{PG_ADMIN['host']}:{PG_ADMIN['port']}/{name}")

    def drop_all(self) -> None:
        if not self.pg_names:
            return
        conn = psycopg2.connect(**PG_ADMIN)
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in self.pg_names:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("console-db"))
    yield dbs
    dbs.drop_all()


@dataclass
class Env:
    """One database with the scripted log, migrated and summarised, with staff users."""

    backend: str
    url: str
    engine: Engine
    app: Flask
    expected: dict[str, Expect]

    def client(self) -> FlaskClient:
        return self.app.test_client()


def settings_for(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = dict(database_url=url, secret_key="test-secret-" + "x" * 32,
                                     refresh_interval=0.0, low_confidence=0.5)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def build_env(databases: Databases, backend: str, **overrides: object) -> Env:
    url = databases.new(backend)
    expected = write_log(url)
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        accounts.create_user(conn, ADMIN[0], ADMIN[1], "admin")
        accounts.create_user(conn, REVIEWER[0], REVIEWER[1], "reviewer")
    refresh(engine)
    app = create_app(settings_for(url, **overrides), engine, migrate=False)
    app.config["TESTING"] = True
    return Env(backend, url, engine, app, expected)


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Env]:
    """Shared, read-only: tests using it must not change the data."""
    env = build_env(databases, request.param)
    yield env
    env.engine.dispose()


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Env]:
    """A database of its own, for tests that review, tag, erase or purge."""
    env = build_env(databases, request.param)
    yield env
    env.engine.dispose()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, user: tuple[str, str] = ADMIN) -> None:
    token = csrf_token(client)
    resp = client.post("/login", data={"username": user[0], "password": user[1],
                                       "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)


@pytest.fixture
def signed_in() -> Callable[[FlaskClient, tuple[str, str]], None]:
    return sign_in


def assert_signed_out_after(env: Env, seconds: float) -> None:
    """A reviewer signed in on `env` is sent back to the login page `seconds` later."""
    c = env.client()
    sign_in(c, REVIEWER)
    assert c.get("/").status_code == 200
    time.sleep(seconds)
    resp = c.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def build_inbox_env(databases: Databases, backend: str, **overrides: object) -> Env:
    """`build_env` plus the Inbox conversations (tests/console/inbox_log.py)."""
    from tests.console.inbox_log import write_inbox_log

    env = build_env(databases, backend, **overrides)
    write_inbox_log(env.url)
    refresh(env.engine)
    return env


@pytest.fixture(params=BACKENDS)
def inbox_env(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Env]:
    """A database of its own with the Inbox conversations, for annotation tests."""
    env = build_inbox_env(databases, request.param)
    yield env
    env.engine.dispose()


def serve_console(build: Callable[..., Env], request: pytest.FixtureRequest,
                  databases: Databases, log_dir: Path) -> Iterator[tuple[Env, str]]:
    """For a browser test's fixture: the console served on `build`'s environment for the
    fixture's backend parameter, as (env, URL)."""
    env = build(databases, request.param)
    with console_served(env, log_dir) as url:
        yield env, url


@contextmanager
def console_served(env: Env, log_dir: Path) -> Iterator[str]:
    """`python -m staff_console serve` on `env`'s database, for the browser tests: its URL."""
    port = free_port()
    log = (log_dir / "console.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "staff_console", "serve", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env=dict(os.environ, CONSOLE_DATABASE_URL=env.url, CONSOLE_SECRET_KEY="browser-test",
                 PYTHONPATH=str(Path(__file__).resolve().parents[2])),
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/login", 60, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        env.engine.dispose()
