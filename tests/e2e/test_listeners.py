"""`make run` listens on loopback only: the Procfile's processes (Rasa, the action
server, the web page, the staff console) started by honcho as `make run` starts
them, then `ss -ltn`. The ports are swapped for free ones so the test can run
beside a developer's `make run`."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from testkit.servers import MODEL, REPO, VENV_BIN, free_port, stop

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PORTS = ("5005", "5055", "8000", "8001")


def listeners() -> list[tuple[str, int]]:
    """(address, port) of every listening TCP socket on the machine."""
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        local = line.split()[3]
        address, _, port = local.rpartition(":")
        found.append((address.strip("[]"), int(port)))
    return found


def test_make_run_listens_on_loopback_only(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.skip("no trained model")
    ports = {old: str(free_port()) for old in PORTS}
    procfile = (REPO / "Procfile").read_text()
    for old, new in ports.items():
        procfile = re.sub(rf"\b{old}\b", new, procfile)
    (tmp_path / "Procfile").write_text(procfile)
    env = {k: v for k, v in os.environ.items() if k != "SCIATICALM_BIND_HOST"}
    env["CONSOLE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
    proc = subprocess.Popen(
        [str(VENV_BIN / "honcho"), "-f", str(tmp_path / "Procfile"), "-d", str(REPO), "start"],
        cwd=REPO, env=env, stdout=(tmp_path / "honcho.log").open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True)
    wanted = {int(p) for p in ports.values()}
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            up = {port for _, port in listeners() if port in wanted}
            if up == wanted or proc.poll() is not None:
                break
            time.sleep(1)
        log = (tmp_path / "honcho.log").read_text(errors="replace")
        assert {port for _, port in listeners() if port in wanted} == wanted, log[-3000:]
        ours = [(address, port) for address, port in listeners() if port in wanted]
        assert ours and all(address == "127.0.0.1" for address, _ in ours), ours
    finally:
        stop(proc, timeout=30)
