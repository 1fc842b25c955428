"""Start the production topology on one machine and stop it cleanly (Ctrl-C / SIGTERM).

    python -m deploy.launch        (what `make run-prod` runs)

PostgreSQL and Redis must be running (`make run-prod` starts the machine's own);
this creates the database and Rasa's events table if missing, then starts one
action server, N Rasa replicas (`rasa run` without --enable-api, so Rasa's HTTP
API is off; CORS limited to SCIATICALM_CORS_ORIGINS) through `python -m server`,
and nginx in front, and prints the URL. Configuration comes only from the
environment (docs/deployment.md):

  SCIATICALM_PROD_HOST / _PORT    nginx address (127.0.0.1 / 8080)
  SCIATICALM_RASA_PORTS           one port per replica ("5011,5012")
  SCIATICALM_RASA_HOSTS           the address each replica listens on and nginx
                                  reaches it at, one per replica or one for all (127.0.0.1)
  SCIATICALM_ACTION_PORT          action server port (5065)
  SCIATICALM_ACTION_HOST          the address the action server listens on (127.0.0.1)
  ACTION_SERVER_URL               where the replicas reach it
                                  (http://<action host>:<action port>/webhook)
  SCIATICALM_CORS_ORIGINS         allowed site origins, comma separated
                                  (default http://localhost:<port>,http://127.0.0.1:<port>)
  SCIATICALM_MAX_BODY             nginx client_max_body_size (64k)
  SCIATICALM_SOCKETIO_JWT_KEY     when set, socket.io clients must send a JWT (HS256)
  SCIATICALM_PROD_DIR             run directory: logs, rendered config (var/prod)
  DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD            (127.0.0.1 5432 sciaticalm postgres "")
  REDIS_HOST REDIS_PORT REDIS_DB REDIS_PASSWORD REDIS_KEY_PREFIX (127.0.0.1 6379 1 "" sciaticalm)
  TICKET_LOCK_LIFETIME            seconds a conversation lock outlives a dead replica (20)
  TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS, OMP_NUM_THREADS   per process (1)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests
import yaml

from actions import action_server_command
from server.launch import thread_defaults

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
VENV_BIN = REPO / ".venv" / "bin"
MODEL = REPO / "models" / "sciaticalm.tar.gz"

DEFAULTS = {
    "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": "sciaticalm",
    "DB_USER": "postgres", "DB_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "1",
    "REDIS_PASSWORD": "", "REDIS_KEY_PREFIX": "sciaticalm",
    # A replica killed while it holds a conversation's lock leaves it in Redis
    # until it expires: 20 s instead of Rasa's 60 (nginx waits up to 60 s).
    "TICKET_LOCK_LIFETIME": "20",
}
READY_LINE = "Sciaticalm production topology is up:"


def config(env: dict[str, str]) -> dict[str, object]:
    host = env.get("SCIATICALM_PROD_HOST", "127.0.0.1")
    port = int(env.get("SCIATICALM_PROD_PORT", "8080"))
    origins = env.get("SCIATICALM_CORS_ORIGINS") or f"http://localhost:{port},http://127.0.0.1:{port}"
    rasa_ports = [int(p) for p in env.get("SCIATICALM_RASA_PORTS", "5011,5012").split(",")
                  if p.strip()]
    rasa_hosts = [h.strip() for h in env.get("SCIATICALM_RASA_HOSTS", "127.0.0.1").split(",")
                  if h.strip()]
    if len(rasa_hosts) == 1:
        rasa_hosts *= len(rasa_ports)
    if len(rasa_hosts) != len(rasa_ports):
        raise ValueError("SCIATICALM_RASA_HOSTS: one address per replica, or one for all")
    return {
        "host": host, "port": port,
        "rasa_ports": rasa_ports,
        "rasa_hosts": rasa_hosts,
        "action_port": int(env.get("SCIATICALM_ACTION_PORT", "5065")),
        "action_host": env.get("SCIATICALM_ACTION_HOST", "127.0.0.1"),
        "origins": [o.strip() for o in origins.replace(" ", ",").split(",") if o.strip()],
        "max_body": env.get("SCIATICALM_MAX_BODY", "64k"),
        "jwt_key": env.get("SCIATICALM_SOCKETIO_JWT_KEY", ""),
        "run_dir": Path(env.get("SCIATICALM_PROD_DIR", str(REPO / "var" / "prod"))).resolve(),
    }


def log(msg: str) -> None:
    print(f"deploy.launch: {msg}", file=sys.stderr, flush=True)


def ensure_database(env: dict[str, str]) -> None:
    """Create the database, Rasa's events table and its indexes if missing (before the
    replicas start, so two replicas never race to create the same table)."""
    import psycopg2
    from psycopg2 import sql

    common = dict(host=env["DB_HOST"], port=env["DB_PORT"], user=env["DB_USER"],
                  password=env["DB_PASSWORD"] or None, connect_timeout=10)
    conn = psycopg2.connect(dbname="postgres", **common)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (env["DB_NAME"],))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(env["DB_NAME"])))
                log(f"created database {env['DB_NAME']}")
    finally:
        conn.close()
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    url = sa.engine.URL.create("postgresql", username=env["DB_USER"],
                               password=env["DB_PASSWORD"] or None, host=env["DB_HOST"],
                               port=int(env["DB_PORT"]), database=env["DB_NAME"])
    engine = sa.create_engine(url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    # The indexes that keep a long conversation's turns as cheap as its first ones,
    # built without blocking replicas that already serve (a rolling update).
    from server.runtime.bounded_store import INDEXES, ensure_indexes

    if not ensure_indexes(engine):
        # Logged, not fatal: the assistant works without them (long conversations
        # get slower), and the red-flag path must not wait on an index.
        log(f"ERROR: could not create the events table's indexes "
            f"{sorted(INDEXES['postgresql'])}: long conversations will slow down")
    engine.dispose()


def upstreams(cfg: dict[str, object]) -> list[tuple[str, int]]:
    """(address, port) of each replica, as nginx reaches it."""
    return list(zip(cfg["rasa_hosts"], cfg["rasa_ports"], strict=True))  # type: ignore[call-overload]


def prepare_env(env: dict[str, str], cfg: dict[str, object]) -> dict[str, str]:
    """The environment every process gets: DEFAULTS, the action server's URL, one
    thread per process, and the action server's listen address (SANIC_HOST)."""
    env = dict(env)
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    env.setdefault("ACTION_SERVER_URL",
                   f"http://{cfg['action_host']}:{cfg['action_port']}/webhook")
    # One TensorFlow / OpenMP thread per process: the replicas share the machine's
    # cores, and more threads per replica only made them compete (docs/performance.md).
    thread_defaults(env)
    # The action server (rasa_sdk reads SANIC_HOST) and the replicas (--interface)
    # listen on their own address only (loopback by default): nginx is the one door.
    env.update(SANIC_HOST=str(cfg["action_host"]), SQLALCHEMY_SILENCE_UBER_WARNING="1",
               TF_CPP_MIN_LOG_LEVEL="2")
    return env


def render(cfg: dict[str, object], env: dict[str, str]) -> tuple[Path, Path]:
    run_dir: Path = cfg["run_dir"]  # type: ignore[assignment]
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {h}:{p} max_fails=1 fail_timeout=5s;"
                        for h, p in upstreams(cfg))
    text = (DEPLOY / "nginx.conf.template").read_text(encoding="utf-8")
    for key, value in {"RUN_DIR": str(run_dir), "HOST": cfg["host"], "PORT": cfg["port"],
                       "MAX_BODY": cfg["max_body"], "UPSTREAM_SERVERS": servers}.items():
        text = text.replace("{{" + key + "}}", str(value))
    nginx_conf = run_dir / "nginx.conf"
    nginx_conf.write_text(text, encoding="utf-8")
    credentials = yaml.safe_load((DEPLOY / "credentials.prod.yml").read_text(encoding="utf-8"))
    if cfg["jwt_key"]:
        credentials["server.channels.socketio.SocketIOInput"].update(
            jwt_key=cfg["jwt_key"], jwt_method="HS256")
    cred_path = run_dir / "credentials.yml"
    fd = os.open(cred_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(credentials, handle, sort_keys=False)
    return nginx_conf, cred_path


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=3).status_code == 200
    except requests.RequestException:
        return False


class Topology:
    """The processes: "actions", "rasa-1" ... "rasa-N", "nginx". `wrap` maps a
    process name to a command prefix it is started under (testkit/multihost.py
    starts each in its own network namespace with `ip netns exec <host>`)."""

    def __init__(self, cfg: dict[str, object], env: dict[str, str],
                 wrap: Mapping[str, Sequence[str]] | None = None) -> None:
        self.cfg, self.env = cfg, env
        self.wrap = dict(wrap or {})
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.cred_path: Path | None = None
        self.nginx_conf: Path | None = None

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        run_dir: Path = self.cfg["run_dir"]  # type: ignore[assignment]
        out = (run_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen([*self.wrap.get(name, ()), *args], cwd=REPO, env=self.env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))
        log(f"started {name} (pid {proc.pid}), log {run_dir / (name + '.log')}")
        return proc

    def start(self) -> None:
        """Every process: the action server, the replicas, nginx."""
        self.start_actions()
        for i in range(1, len(self.cfg["rasa_ports"]) + 1):  # type: ignore[arg-type]
            self.start_replica(i)
        self.start_nginx()

    def rendered(self) -> tuple[Path, Path]:
        """nginx.conf and credentials.yml in the run directory (written once)."""
        if self.nginx_conf is None or self.cred_path is None:
            self.nginx_conf, self.cred_path = render(self.cfg, self.env)
        return self.nginx_conf, self.cred_path

    def start_actions(self) -> subprocess.Popen:
        return self.spawn("actions", action_server_command(str(VENV_BIN / "python"),
                                                           int(self.cfg["action_port"])))

    def start_replica(self, i: int) -> subprocess.Popen:
        """Replica i (1-based) on its address and port."""
        cfg = self.cfg
        run_dir: Path = cfg["run_dir"]  # type: ignore[assignment]
        _, cred_path = self.rendered()
        host, port = upstreams(cfg)[i - 1]
        cors: list[str] = []
        for origin in cfg["origins"]:  # type: ignore[union-attr]
            cors += ["--cors", origin]
        return self.spawn(f"rasa-{i}", [
            str(VENV_BIN / "python"), "-m", "server",
            "--credentials", str(cred_path),
            "--endpoints", str(DEPLOY / "endpoints.prod.yml"),
            "--out", str(run_dir / f"rasa-{i}"), "--",
            "--model", str(MODEL), "--interface", host, "--port", str(port), *cors])

    def start_nginx(self) -> subprocess.Popen:
        run_dir: Path = self.cfg["run_dir"]  # type: ignore[assignment]
        nginx_conf, _ = self.rendered()
        return self.spawn("nginx", [shutil.which("nginx") or "/usr/sbin/nginx",
                                    "-p", str(run_dir), "-c", str(nginx_conf),
                                    "-e", str(run_dir / "nginx-error.log")])

    def ready_urls(self) -> list[str]:
        """What answers 200 once everything is up: action server, replicas, nginx."""
        cfg = self.cfg
        urls = [f"http://{cfg['action_host']}:{cfg['action_port']}/health"]
        urls += [f"http://{h}:{p}/" for h, p in upstreams(cfg)]
        urls.append(f"http://{cfg['host']}:{cfg['port']}/")
        return urls

    def wait_ready(self, timeout: float = 600,
                   probe: Callable[[str], bool] | None = None) -> None:
        """Until every ready_urls() answers 200 (`probe(url)`: True when it does;
        by default a GET from here)."""
        probe = probe or _answers
        deadline = time.monotonic() + timeout
        for url in self.ready_urls():
            while True:
                for name, proc in self.procs:
                    if proc.poll() is not None:
                        raise RuntimeError(f"{name} exited with {proc.returncode}: see its log")
                if probe(url):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not answer within {timeout}s")
                time.sleep(0.5)

    def stop(self) -> None:
        # nginx first (no new requests), then the replicas, then the action server.
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in 20 s: SIGKILL")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        log("stopped")


def main() -> int:
    cfg = config(dict(os.environ))
    env = prepare_env(dict(os.environ), cfg)
    if not MODEL.exists():
        log(f"no trained model at {MODEL}: run `make train` first")
        return 1
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        log("nginx is not installed: `make run-prod` installs Debian's package")
        return 1
    run_dir: Path = cfg["run_dir"]  # type: ignore[assignment]
    run_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(env)
    topology = Topology(cfg, env)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        topology.start()
        started = time.monotonic()
        topology.wait_ready()
        print(f"{READY_LINE} http://{cfg['host']}:{cfg['port']}/ "
              f"(REST: /webhooks/rest/webhook, socket.io: /socket.io/; "
              f"{len(cfg['rasa_ports'])} replicas; "  # type: ignore[arg-type]
              f"ready in {time.monotonic() - started:.0f} s; Ctrl-C stops)", flush=True)
        while True:
            for name, proc in topology.procs:
                if proc.poll() is not None:
                    log(f"{name} exited with {proc.returncode}")
                    if name == "nginx":
                        raise KeyboardInterrupt
            time.sleep(1)
    except KeyboardInterrupt:
        log("stopping")
    except Exception as exc:
        log(f"failed: {exc}")
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        topology.stop()
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    topology.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
