"""Stock Rasa for side-by-side benchmarks: `rasa init`'s assistant with the same
pinned Rasa, created and trained once into var/stock-rasa, run with its own
defaults (REST channel, in-memory tracker store, no action server)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testkit.servers import REPO, VENV_BIN, free_port, stop, wait_for_http

PROJECT = REPO / "var" / "stock-rasa"


@dataclass
class StockRasa:
    url: str
    proc: subprocess.Popen

    @property
    def rest_url(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"


def ensure_project() -> Path:
    """Create and train `rasa init`'s assistant once (a few minutes); its model path."""
    models = PROJECT / "models"
    if not any(models.glob("*.tar.gz")):
        PROJECT.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir",
                        str(PROJECT)], cwd=PROJECT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return max(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)


@contextmanager
def stock_rasa(workdir: Path) -> Iterator[StockRasa]:
    model = ensure_project()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "credentials.yml").write_text("rest:\n")
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "--model", str(model), "--interface", "127.0.0.1",
         "--port", str(port), "--endpoints", str(PROJECT / "endpoints.yml"),
         "--credentials", str(workdir / "credentials.yml")],
        cwd=PROJECT, stdout=(workdir / "stock-rasa.log").open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", 300, proc)
        yield StockRasa(f"http://127.0.0.1:{port}", proc)
    finally:
        stop(proc)
