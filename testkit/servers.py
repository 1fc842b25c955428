"""Start the real action server and Rasa server for end-to-end tests.

Used by tests/e2e and the browser tests: each stack gets free ports, its own
SQLite conversation log in a temporary folder, and is torn down afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from actions import action_server_command
from server.channels.input_checks import conversation_id

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
MODEL = REPO / "models" / "sciaticalm.tar.gz"


def rest_id(sender: str) -> str:
    """The conversation id (the log's sender_id) of a REST sender."""
    return conversation_id("rest", sender)


def socketio_id(session: str) -> str:
    """The conversation id (the log's sender_id) of a socket.io session."""
    return conversation_id("socketio", session)


def rss_kib(pid: int) -> int:
    """Resident memory of a process (KiB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException as exc:  # not up yet
            last_error = exc
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout}s: {last_error}")


@dataclass
class Stack:
    rasa_url: str
    action_url: str
    db_path: Path
    workdir: Path
    rasa_proc: subprocess.Popen
    action_proc: subprocess.Popen | None

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def say(self, sender: str, text: str, timeout: float = 30) -> list[dict]:
        """Send one message over the REST channel and return the bot's replies."""
        resp = requests.post(
            self.rest_url, json={"sender": sender, "message": text}, timeout=timeout
        )
        resp.raise_for_status()
        return resp.json()

    def stop_actions(self) -> None:
        if self.action_proc is not None:
            stop(self.action_proc)
            self.action_proc = None


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to the process group, SIGKILL if it has not ended within `timeout` s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


@contextmanager
def rasa_stack(
    workdir: Path,
    *,
    with_actions: bool = True,
    cors: tuple[str, ...] = (),
    extra_credentials: str = "",
    env: Mapping[str, str] | None = None,
    action_url: Callable[[str], str] | None = None,
) -> Iterator[Stack]:
    """Run action server (optional) + Rasa server; yield a Stack; stop both.

    Rasa starts as `make run` starts it, through `python -m server` (with the channels
    and event broker that `env` switches on), both servers on 127.0.0.1.
    env: extra environment variables for both servers; action_url: given the action
    server's URL, the URL Rasa should call instead (e.g. a recording proxy in front of it).
    """
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = free_port(), free_port()
    db_path = workdir / "conversations.db"
    real_action_url = f"http://127.0.0.1:{action_port}"
    rasa_action_url = action_url(real_action_url) if action_url else real_action_url
    (workdir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "{rasa_action_url}/webhook"\n'
        "  enable_selective_domain: true\n"
        "tracker_store:\n  type: SQL\n  dialect: sqlite\n"
        f'  db: "{db_path}"\n'
    )
    (workdir / "credentials.yml").write_text(
        "server.channels.rest.RestInput:\n\n"
        "server.channels.socketio.SocketIOInput:\n  user_message_evt: user_uttered\n"
        "  bot_message_evt: bot_uttered\n  session_persistence: true\n" + extra_credentials
    )
    env = dict(os.environ, SQLALCHEMY_SILENCE_UBER_WARNING="1", TF_CPP_MIN_LOG_LEVEL="2",
               SANIC_HOST="127.0.0.1", **(env or {}))
    action_proc = None
    if with_actions:
        action_proc = _spawn(
            action_server_command(str(VENV_BIN / "python"), action_port),
            workdir / "actions.log", env,
        )
    cors_args: list[str] = []
    for origin in cors:
        cors_args += ["--cors", origin]
    run_args = ["--model", str(MODEL), "--interface", "127.0.0.1", "--port", str(rasa_port),
                *cors_args]
    config_args = ["--endpoints", str(workdir / "endpoints.yml"),
                   "--credentials", str(workdir / "credentials.yml")]
    command = [str(VENV_BIN / "python"), "-m", "server", *config_args,
               "--out", str(workdir / "effective"), "--", *run_args]
    rasa_proc = _spawn(command, workdir / "rasa.log", env)
    stack = Stack(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=real_action_url,
        db_path=db_path, workdir=workdir, rasa_proc=rasa_proc, action_proc=action_proc,
    )
    try:
        if action_proc is not None:
            wait_for_http(f"{stack.action_url}/health", 120, action_proc)
        wait_for_http(f"{stack.rasa_url}/", 300, rasa_proc)
        yield stack
    finally:
        stop(rasa_proc)
        if stack.action_proc is not None:
            stop(stack.action_proc)
