"""Start `python -m deploy.launch` (what `make run-prod` runs) on free ports, with
its own PostgreSQL database and Redis key prefix, for the tests and the benchmark."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql

from deploy.launch import READY_LINE
from testkit.servers import REPO, VENV_BIN, free_port

PG = dict(host="127.0.0.1", port=5432, user="postgres")


def events_many(connect: dict, senders: list[str], types: tuple[str, ...] = ("user", "bot")
                ) -> dict[str, list[tuple]]:
    """(type_name, text) of each sender's events in a PostgreSQL log, in order, in one
    query (`connect`: psycopg2.connect's arguments)."""
    import json

    out: dict[str, list[tuple]] = {s: [] for s in senders}
    with psycopg2.connect(**connect) as conn, conn.cursor() as cur:
        cur.execute("SELECT sender_id, type_name, data FROM events WHERE sender_id = ANY(%s) "
                    "AND type_name = ANY(%s) ORDER BY id", (senders, list(types)))
        for sender, type_name, data in cur.fetchall():
            out[sender].append((type_name, json.loads(data).get("text")))
    conn.close()
    return out


class ProdTopology:
    def __init__(self, workdir: Path, replicas: int = 2,
                 extra_env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.db_name = f"sciaticalm_test_{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.rasa_ports = [free_port() for _ in range(replicas)]
        self.action_port = free_port()
        self.env = dict(
            os.environ,
            SCIATICALM_PROD_PORT=str(self.port),
            SCIATICALM_RASA_PORTS=",".join(map(str, self.rasa_ports)),
            SCIATICALM_ACTION_PORT=str(self.action_port),
            SCIATICALM_PROD_DIR=str(workdir / "run"),
            DB_NAME=self.db_name,
            REDIS_KEY_PREFIX=f"sciaticalmtest{uuid.uuid4().hex[:8]}",
            **(extra_env or {}),
        )
        self.pg = dict(PG, host=self.env.get("DB_HOST", PG["host"]),
                       port=int(self.env.get("DB_PORT", PG["port"])))
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    @property
    def run_dir(self) -> Path:
        return self.workdir / "run"

    def start(self, timeout: float = 420) -> float:
        """Start everything; return the seconds until the URL answered."""
        self.starts += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = self.workdir / f"launch-{self.starts}.log"
        begin = time.monotonic()
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "deploy.launch"], cwd=REPO, env=self.env,
            stdout=out.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = begin + timeout
        while time.monotonic() < deadline:
            if READY_LINE in out.read_text(errors="replace"):
                return time.monotonic() - begin
            if self.proc.poll() is not None:
                raise RuntimeError(f"deploy.launch exited: {out.read_text(errors='replace')}")
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"not up in {timeout}s: {out.read_text(errors='replace')}")

    def stop(self) -> None:
        """What Ctrl-C does: SIGINT to the launcher, which stops everything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None

    def child_pids(self) -> dict[str, int]:
        """name -> pid of each child, from the launcher's log."""
        pids: dict[str, int] = {}
        text = (self.workdir / f"launch-{self.starts}.log").read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith("deploy.launch: started "):
                name, rest = line[len("deploy.launch: started "):].split(" (pid ", 1)
                pids[name] = int(rest.split(")", 1)[0])
        return pids

    def events(self, sender: str, types: tuple[str, ...] = ("user", "bot")) -> list[tuple]:
        """(type_name, text) of a conversation's events in the PostgreSQL log, in order
        (`sender`: the conversation id, e.g. rest_id(...), "<partner>:...")."""
        import json

        with psycopg2.connect(dbname=self.db_name, **self.pg) as conn, conn.cursor() as cur:
            cur.execute("SELECT type_name, data FROM events WHERE sender_id = %s "
                        "AND type_name = ANY(%s) ORDER BY id", (sender, list(types)))
            rows = cur.fetchall()
        conn.close()
        return [(t, json.loads(d).get("text")) for t, d in rows]

    def events_many(self, senders: list[str], types: tuple[str, ...] = ("user", "bot")
                    ) -> dict[str, list[tuple]]:
        """events() of many senders in one query."""
        return events_many(dict(self.pg, dbname=self.db_name), senders, types)

    def drop_database(self) -> None:
        conn = psycopg2.connect(dbname="postgres", **self.pg)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(self.db_name)))
        conn.close()
