"""Benchmark of the embedded default (one Rasa server, one action server, SQLite).

Measures the red-flag detector's throughput, server start-up time, REST
round-trip latency (sequential and with concurrent clients), resident memory
of each process, and the last model training time; writes the results into
docs/performance.md between markers. Run with `make bench` (not a test).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import requests
from perfdoc import write_section

from sciaticalm.triage import default_detector
from testkit.servers import REPO, rasa_stack

MESSAGES = ["hello", "what stretches help my back?", "how do I do a plank?",
            "are my trainers the problem?", "how quickly can I build my mileage?",
            "both my legs are numb", "thanks, bye"]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            total += int(match.group(1)) if match else 0
    return total / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def detector_throughput(n: int) -> float:
    detector = default_detector()
    texts = [*MESSAGES, "no numbness, just stiff", "I can't feel my bum when I wipe"]
    start = time.perf_counter()
    for i in range(n):
        detector.detect(texts[i % len(texts)])
    return n / (time.perf_counter() - start)


def conversation(url: str, turns: int) -> list[float]:
    sender = f"bench-{uuid.uuid4()}"
    latencies = []
    with requests.Session() as session:
        for i in range(turns):
            start = time.perf_counter()
            message = MESSAGES[i % len(MESSAGES)]
            resp = session.post(url, json={"sender": sender, "message": message}, timeout=60)
            resp.raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def run(turns: int, concurrency: list[int]) -> str:
    rows = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
            f"{os.cpu_count()} cores by `scripts/bench_assistant.py`.", ""]
    rate = detector_throughput(2000)
    rows.append(f"- Red-flag detector: {rate:,.0f} messages/s (one core, in process).")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with rasa_stack(Path(tmp)) as stack:
            startup = time.perf_counter() - start
            rows.append(f"- Start-up of action server + Rasa server until both answer: "
                        f"{startup:.1f} s.")
            conversation(stack.rest_url, 5)  # warm-up
            rows += ["", "| clients | turns | msg/s | p50 ms | p95 ms | p99 ms |",
                     "| --- | --- | --- | --- | --- | --- |"]
            for clients in concurrency:
                start = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                    results = list(pool.map(lambda _: conversation(stack.rest_url, turns),
                                            range(clients)))
                elapsed = time.perf_counter() - start
                lat = [x for r in results for x in r]
                rows.append(f"| {clients} | {len(lat)} | {len(lat) / elapsed:.1f} | "
                            f"{statistics.median(lat):.0f} | {percentile(lat, 95):.0f} | "
                            f"{percentile(lat, 99):.0f} |")
            actions_mb = rss_mb(stack.action_proc.pid) if stack.action_proc else 0.0
            rows += ["", f"- Resident memory after the runs above: Rasa server "
                     f"{rss_mb(stack.rasa_proc.pid):.0f} MB, action server {actions_mb:.0f} MB."]
    train_time = Path(REPO / "var" / "train-seconds")
    if train_time.exists():
        rows.append(f"- Last `make train`: {float(train_time.read_text()):.0f} s.")
    return "\n".join(rows)


def write(section: str) -> None:
    write_section("assistant", "Assistant, embedded default (SQLite)", section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    section = run(args.turns, args.concurrency)
    print(section)
    write(section)


if __name__ == "__main__":
    main()
