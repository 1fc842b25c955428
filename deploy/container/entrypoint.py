"""One process of the production topology per container (docs/deployment.md, On Kubernetes).

    python -m deploy.container.entrypoint rasa|actions|console|migrate [--print]

Each command is the one `make run-prod` (deploy/launch.py) or `make run` (Procfile, for
the console) starts, with the same defaults from the environment, except that it listens
on every interface of the container on a fixed port, and Rasa writes its run-time files
under /tmp. `migrate` does what launch.py does before the replicas start (the database and
Rasa's events table) plus the console's migrations, as the Kubernetes migration Job.
--print shows the command instead of running it. tests/deploy/ checks that these are
launch.py's and the Procfile's commands.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import yaml

from actions import action_server_command
from deploy.launch import DEFAULTS, DEPLOY, MODEL, REPO, VENV_BIN, config
from server.launch import thread_defaults

#: The container ports (the Kubernetes manifests and the Containerfile use the same).
PORTS = {"rasa": 5005, "actions": 5055, "console": 8001}
INTERFACE = "0.0.0.0"
PROCESSES = ("rasa", "actions", "console", "migrate")


def environment(env: dict[str, str]) -> dict[str, str]:
    """launch.py's defaults: non-secret DB/Redis values, one TensorFlow thread, loopback
    replaced by every interface (the pod network is the door; NetworkPolicies guard it)."""
    env = dict(env)
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    thread_defaults(env)
    env.setdefault("ACTION_SERVER_URL", f"http://127.0.0.1:{PORTS['actions']}/webhook")
    env.update(SANIC_HOST=INTERFACE, SQLALCHEMY_SILENCE_UBER_WARNING="1",
               TF_CPP_MIN_LOG_LEVEL="2")
    return env


def credentials(env: dict[str, str]) -> dict[str, object]:
    """deploy/credentials.prod.yml plus socket.io JWT when its key is set (as launch.render)."""
    data = yaml.safe_load((DEPLOY / "credentials.prod.yml").read_text(encoding="utf-8"))
    jwt_key = config(env)["jwt_key"]
    if jwt_key:
        data["server.channels.socketio.SocketIOInput"].update(jwt_key=jwt_key,
                                                              jwt_method="HS256")
    return data


def write_credentials(env: dict[str, str], run_dir: Path) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "credentials.yml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(credentials(env), handle, sort_keys=False)
    return path


def command(process: str, env: dict[str, str], run_dir: Path) -> list[str]:
    """The argv of `process` (deploy/launch.py's for rasa and actions, the Procfile's
    for the console)."""
    if process == "rasa":
        cors: list[str] = []
        for origin in config(env)["origins"]:  # type: ignore[union-attr]
            cors += ["--cors", origin]
        return [str(VENV_BIN / "python"), "-m", "server",
                "--credentials", str(run_dir / "credentials.yml"),
                "--endpoints", str(DEPLOY / "endpoints.prod.yml"),
                "--out", str(run_dir / "rasa"), "--",
                "--model", str(MODEL), "--interface", INTERFACE,
                "--port", str(PORTS["rasa"]), *cors]
    if process == "actions":
        return action_server_command(str(VENV_BIN / "python"), PORTS["actions"])
    if process == "console":
        return [str(VENV_BIN / "python"), "-m", "staff_console", "serve",
                "--host", INTERFACE, "--port", str(PORTS["console"])]
    raise ValueError(f"unknown process {process!r}")


def migrate(env: dict[str, str]) -> int:
    """Create the database and Rasa's events table if missing, then the console's tables."""
    from deploy.launch import ensure_database

    ensure_database(env)
    return os.spawnve(os.P_WAIT, str(VENV_BIN / "python"),
                      [str(VENV_BIN / "python"), "-m", "staff_console", "migrate"], env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("process", choices=PROCESSES)
    parser.add_argument("--print", action="store_true", help="print the command, run nothing")
    args = parser.parse_args(argv)
    env = environment(dict(os.environ))
    run_dir = Path(env.get("SCIATICALM_PROD_DIR") or tempfile.gettempdir()) / "sciaticalm"
    if args.process == "migrate":
        return 0 if args.print else migrate(env)
    argv_ = command(args.process, env, run_dir)
    if args.print:
        print(" ".join(argv_))
        return 0
    if args.process == "rasa":
        if not MODEL.exists():
            print(f"entrypoint: no model at {MODEL}", file=sys.stderr)
            return 1
        write_credentials(env, run_dir)
    os.chdir(REPO)
    os.execve(argv_[0], argv_, env)
    return 1  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
