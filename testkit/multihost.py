"""The production topology over real network boundaries: each piece on its own
"host", a Linux network namespace (testkit/netns.py), for tests/multihost.

    client (root namespace) --10.213.8.0/30-- edge: nginx
    switch (a bridge in its own namespace), 10.213.7.0/24:
        data     10.213.7.10  PostgreSQL (private: initdb), Redis (private)
        app1     10.213.7.21  Rasa replica 1
        app2     10.213.7.22  Rasa replica 2
        actions  10.213.7.30  action server
        edge     10.213.7.40  nginx's side towards the replicas

Every process listens on its host's address only; the processes are started by
deploy/launch.py's Topology (the same commands, configuration and environment
variables as `make run-prod`), each under `ip netns exec <host>`. The client
reaches only the edge's 10.213.8.2; the log is read through PostgreSQL's Unix
socket (a file, not the network), as an administrator on the data host would.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy import launch
from testkit import netns
from testkit.servers import REPO, VENV_BIN
from testkit.topology import events_many

PREFIX = "sciaticalm-mh-"
SWITCH = f"{PREFIX}switch"
BRIDGE = "br0"
HOSTS = {"data": "10.213.7.10", "app1": "10.213.7.21", "app2": "10.213.7.22",
         "actions": "10.213.7.30", "edge": "10.213.7.40"}
SUBNET, SUBNET_BITS = "10.213.7.0", 24
CLIENT_LINK = "sciaticalm-mh"  # the client's end, in the root namespace
CLIENT_ADDRESS, EDGE_CLIENT_ADDRESS = "10.213.8.1", "10.213.8.2"
HOST_LINK = "eth0"  # each host's link to the switch
PG_PORT, REDIS_PORT, RASA_PORT, ACTION_PORT, EDGE_PORT = 5432, 6379, 5005, 5055, 8080
DB_NAME = "sciaticalm"


def ns(host: str) -> str:
    """The namespace of a host ("app1" -> "sciaticalm-mh-app1")."""
    return f"{PREFIX}{host}"


def remove_stale() -> list[str]:
    """What an earlier run left behind (namespaces with our prefix, the client link)."""
    return netns.remove_stale(PREFIX, [CLIENT_LINK])


def build_network() -> None:
    """The switch, one namespace per host with its link, the client's link to the edge."""
    netns.add_namespace(SWITCH)
    netns.add_bridge(SWITCH, BRIDGE)
    for host, addr in HOSTS.items():
        netns.add_namespace(ns(host))
        netns.add_veth(HOST_LINK, ns(host), host, SWITCH)
        netns.attach(SWITCH, host, BRIDGE)
        netns.address(ns(host), HOST_LINK, f"{addr}/{SUBNET_BITS}")
    netns.add_veth(CLIENT_LINK, None, "client0", ns("edge"))
    netns.address(None, CLIENT_LINK, f"{CLIENT_ADDRESS}/30")
    netns.address(ns("edge"), "client0", f"{EDGE_CLIENT_ADDRESS}/30")
    # The client sends what it has for the hosts' subnet to the edge too (else it
    # would leave by the machine's default route): the edge does not forward it.
    netns.ip("route", "add", f"{SUBNET}/{SUBNET_BITS}", "dev", CLIENT_LINK)


def cut(host: str, up: bool = False) -> None:
    """`ip link set eth0 down` (or up again) on the host's link to the switch."""
    netns.set_link(ns(host), HOST_LINK, up)


def run_in(host: str, *command: str, timeout: float = 30,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command inside `host` (in the repository, with `env`) and wait for it."""
    return subprocess.run([*netns.exec_prefix(ns(host)), *command], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env=env)


def answers_from(host: str, url: str, timeout: float = 3) -> bool:
    """True when `url` answers 200 to a GET made from inside `host`."""
    try:
        done = run_in(host, "curl", "-fsS", "-o", "/dev/null", "-m", str(timeout), url,
                      timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def listeners(host: str) -> set[str]:
    """The TCP listen addresses in `host` ("10.213.7.21:5005")."""
    out = run_in(host, "ss", "-Hltn").stdout
    return {line.split()[3] for line in out.splitlines() if line.strip()}


@dataclass
class DataHost:
    """A private PostgreSQL and Redis in the data namespace, on the data address
    only, nothing kept on disk beyond a temporary directory."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sciaticalm-mh-pg-")))
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def socket_dir(self) -> str:
        return str(self.root)

    def pg_bin(self) -> Path:
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                          key=lambda p: int(Path(p).parts[4]))
        if not versions:
            raise RuntimeError("PostgreSQL is not installed")
        return Path(versions[-1]).parent

    def start(self) -> None:
        pg_bin, data = self.pg_bin(), self.root / "data"
        shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(["runuser", "-u", "postgres", "--", str(pg_bin / "initdb"), "-D",
                        str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}/{SUBNET_BITS} trust\n")
        # Keepalives: a backend whose client host vanished (a cut link) is ended
        # within ~8 s, its open transaction rolled back, so a replica cut off
        # mid-turn cannot commit that turn when its link comes back.
        self.procs["postgres"] = subprocess.Popen(
            [*netns.exec_prefix(ns("data")), "runuser", "-u", "postgres", "--",
             str(pg_bin / "postgres"), "-D", str(data), "-p", str(PG_PORT), "-k", str(self.root),
             "-c", f"listen_addresses={HOSTS['data']}", "-c", "fsync=off",
             "-c", "max_connections=200", "-c", "tcp_keepalives_idle=5",
             "-c", "tcp_keepalives_interval=1", "-c", "tcp_keepalives_count=3"],
            stdout=(self.root / "postgres.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self.procs["redis"] = subprocess.Popen(
            [*netns.exec_prefix(ns("data")), shutil.which("redis-server") or "redis-server",
             "--port", str(REDIS_PORT), "--bind", HOSTS["data"], "--protected-mode", "no",
             "--save", "", "--appendonly", "no", "--dir", str(self.root)],
            stdout=(self.root / "redis.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while not {f"{HOSTS['data']}:{PG_PORT}", f"{HOSTS['data']}:{REDIS_PORT}"} <= listeners(
                "data"):
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited: see {self.root}/{name}.log")
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL or Redis did not listen in 60 s")
            time.sleep(0.2)

    def connect_args(self) -> dict:
        """psycopg2.connect's arguments for the log, over the Unix socket."""
        return dict(host=self.socket_dir, port=PG_PORT, user="postgres", dbname=DB_NAME)

    def stop(self) -> None:
        for proc in self.procs.values():
            stop_group(proc)
        self.procs.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def environment(run_dir: Path) -> dict[str, str]:
    """launch.py's variables for this layout: each piece at its host's address."""
    return dict(
        os.environ,
        SCIATICALM_PROD_HOST=EDGE_CLIENT_ADDRESS, SCIATICALM_PROD_PORT=str(EDGE_PORT),
        SCIATICALM_RASA_HOSTS=f"{HOSTS['app1']},{HOSTS['app2']}",
        SCIATICALM_RASA_PORTS=f"{RASA_PORT},{RASA_PORT}",
        SCIATICALM_ACTION_HOST=HOSTS["actions"], SCIATICALM_ACTION_PORT=str(ACTION_PORT),
        SCIATICALM_PROD_DIR=str(run_dir),
        DB_HOST=HOSTS["data"], DB_PORT=str(PG_PORT), DB_NAME=DB_NAME, DB_USER="postgres",
        REDIS_HOST=HOSTS["data"], REDIS_PORT=str(REDIS_PORT), REDIS_DB="0",
    )


class MultiHost:
    """The whole layout: network, data host, then launch.py's processes per host."""

    WRAP = {"actions": "actions", "rasa-1": "app1", "rasa-2": "app2", "nginx": "edge"}

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data = DataHost()
        self.topology: launch.Topology | None = None
        self.network = False

    @property
    def url(self) -> str:
        return f"http://{EDGE_CLIENT_ADDRESS}:{EDGE_PORT}"

    @property
    def run_dir(self) -> Path:
        return self.workdir / "run"

    def start(self, timeout: float = 420) -> float:
        """Build everything; the seconds until nginx answered the client."""
        begin = time.monotonic()
        remove_stale()
        self.network = True
        build_network()
        self.data.start()
        cfg = launch.config(environment(self.run_dir))
        env = launch.prepare_env(environment(self.run_dir), cfg)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # launch.py's database step, run from an application host.
        done = run_in("app1", str(VENV_BIN / "python"), "-c",
                      "import os; from deploy.launch import ensure_database; "
                      "ensure_database(dict(os.environ))", timeout=120, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"ensure_database failed: {done.stderr[-2000:]}")
        self.topology = launch.Topology(
            cfg, env, wrap={name: netns.exec_prefix(ns(host))
                            for name, host in self.WRAP.items()})
        self.topology.start()
        # Every readiness URL probed from the edge host (the client reaches only nginx).
        self.topology.wait_ready(timeout, probe=lambda url: answers_from("edge", url))
        return time.monotonic() - begin

    def events_many(self, senders: list[str]) -> dict[str, list[tuple]]:
        return events_many(self.data.connect_args(), senders)

    def stop(self) -> None:
        """Everything, whatever state it is in: processes, data host, namespaces."""
        try:
            if self.topology is not None:
                self.topology.stop()
        finally:
            self.topology = None
            try:
                self.data.stop()
            finally:
                if self.network:
                    remove_stale()
                    self.network = False

