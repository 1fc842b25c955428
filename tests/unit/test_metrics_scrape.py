"""sciaticalm/metrics.py: label values from fixed sets only, and the scrape of several
worker processes with PROMETHEUS_MULTIPROC_DIR (each process counts on its own; the
scrape adds them up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from sciaticalm.metrics import bounded, channel_label, scrape
from testkit.servers import REPO

WORKER = """
from prometheus_client import CollectorRegistry, Counter
registry = CollectorRegistry()
Counter("sciaticalm_turns", "turns", ["channel"], registry=registry).labels("rest").inc(2)
"""
SCRAPER = """
from prometheus_client import CollectorRegistry
from sciaticalm.metrics import scrape
print(scrape(CollectorRegistry())[0].decode())
"""


def test_labels_come_from_fixed_sets() -> None:
    assert channel_label("socketio") == "socketio"
    assert channel_label("I've wet myself") == "other" and channel_label(None) == "other"
    assert bounded("urgent", ("urgent", "emergency")) == "urgent"
    assert bounded(["urgent"], ("urgent",)) == "other"


def test_a_single_process_scrape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    registry = CollectorRegistry()
    Counter("sciaticalm_x", "x", registry=registry).inc()
    body, content_type = scrape(registry)
    assert b"sciaticalm_x_total 1.0" in body and content_type.startswith("text/plain")


def test_several_worker_processes_add_up(tmp_path: Path) -> None:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER], env=env, cwd=REPO, check=True)
    out = subprocess.run([sys.executable, "-c", SCRAPER], env=env, cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    assert 'sciaticalm_turns_total{channel="rest"} 4.0' in out
