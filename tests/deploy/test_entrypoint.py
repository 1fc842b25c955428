"""Each container runs the command `make run-prod` (deploy/launch.py) runs, or the
Procfile's for the console: compared here, so the two cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deploy import launch
from deploy.container import entrypoint

INTERFACE, PORT = "<interface>", "<port>"


def normalise(argv: list[str], run_dir: Path) -> list[str]:
    out = []
    for i, arg in enumerate(argv):
        prev = argv[i - 1] if i else ""
        if prev == "--interface" or prev == "--host":
            arg = INTERFACE
        elif prev == "--port":
            arg = PORT
        elif prev == "--credentials":
            arg = "<credentials>"
        elif prev == "--out":
            arg = "<out>"
        out.append(arg.replace(str(run_dir), "<run>"))
    return out


@pytest.fixture
def launched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The commands deploy/launch.py starts (nothing is started)."""
    env = {**launch.DEFAULTS, "SCIATICALM_PROD_DIR": str(tmp_path / "prod"),
           "SCIATICALM_RASA_PORTS": "5011", "SCIATICALM_CORS_ORIGINS": "https://a.example",
           "SCIATICALM_SOCKETIO_JWT_KEY": "k" * 32}
    spawned: dict[str, list[str]] = {}
    monkeypatch.setattr(launch.Topology, "spawn",
                        lambda self, name, args: spawned.setdefault(name, args))
    launch.Topology(launch.config(env), env).start()
    return spawned


def container_env() -> dict[str, str]:
    return entrypoint.environment({"SCIATICALM_CORS_ORIGINS": "https://a.example",
                                   "SCIATICALM_SOCKETIO_JWT_KEY": "k" * 32})


def test_rasa_runs_launch_pys_command(launched: dict[str, list[str]], tmp_path: Path) -> None:
    ours = entrypoint.command("rasa", container_env(), tmp_path)
    assert normalise(ours, tmp_path) == normalise(launched["rasa-1"], tmp_path / "prod")
    assert ours[ours.index("--interface") + 1] == "0.0.0.0"
    assert ours[ours.index("--port") + 1] == "5005"


def test_the_action_server_runs_launch_pys_command(launched: dict[str, list[str]],
                                                   tmp_path: Path) -> None:
    ours = entrypoint.command("actions", container_env(), tmp_path)
    assert normalise(ours, tmp_path) == normalise(launched["actions"], tmp_path)
    assert container_env()["SANIC_HOST"] == "0.0.0.0"


def test_the_console_runs_the_procfiles_command(tmp_path: Path) -> None:
    line = next(line.split(":", 1)[1].split() for line in
                (launch.REPO / "Procfile").read_text(encoding="utf-8").splitlines()
                if line.startswith("console:"))
    procfile = [str(launch.REPO / w) if w.startswith(".venv/") else w for w in line]
    ours = entrypoint.command("console", container_env(), tmp_path)
    assert normalise(ours, tmp_path) == normalise(procfile, tmp_path)


def test_the_credentials_are_launch_pys(launched: dict[str, list[str]], tmp_path: Path) -> None:
    theirs = yaml.safe_load((tmp_path / "prod" / "credentials.yml").read_text(encoding="utf-8"))
    path = entrypoint.write_credentials(container_env(), tmp_path / "run")
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == theirs
    assert theirs["server.channels.socketio.SocketIOInput"]["jwt_key"] == "k" * 32
    assert path.stat().st_mode & 0o077 == 0


def test_the_defaults_are_launch_pys() -> None:
    env = entrypoint.environment({})
    assert {k: env[k] for k in launch.DEFAULTS} == launch.DEFAULTS
    assert env["TF_NUM_INTRAOP_THREADS"] == "1"
    assert entrypoint.environment({"DB_HOST": "db"})["DB_HOST"] == "db"


def test_print_shows_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert entrypoint.main(["actions", "--print"]) == 0
    assert "-m rasa_sdk --actions actions --port 5055" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        entrypoint.main(["nginx"])
