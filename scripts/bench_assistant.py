"""Benchmark of the embedded default (one Rasa server, one action server, SQLite).

Measures the red-flag detector's throughput, server start-up time, the first
answers after start-up, REST round-trip latency (sequential and with concurrent
clients, on a few repeated messages and on messages the server has never seen),
resident memory of each process, and the last model training time; writes the
results into docs/performance.md between markers. Run with `make bench` (not a test).
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
from staff_console.reviewed_import import nlu_examples
from testkit.servers import REPO, rasa_stack

MESSAGES = ["hello", "what stretches help my back?", "how do I do a plank?",
            "are my trainers the problem?", "how quickly can I build my mileage?",
            "both my legs are numb", "thanks, bye"]


#: Messages no process has seen before (the held-out NLU sets): every real visitor's
#: message is new, so per-text caches (the sentence encoder's) do not help them.
FRESH_SOURCES = ["tests/nlu_holdout.yml", "tests/nlu_holdout_blind_r2.yml"]


def fresh_messages(limit: int) -> list[str]:
    """Up to `limit` distinct texts from the held-out sets, in a fixed order."""
    seen: dict[str, None] = {}
    for name in FRESH_SOURCES:
        for examples in nlu_examples((REPO / name).read_text(encoding="utf-8")).values():
            seen.update((text, None) for text in examples if text and text not in MESSAGES)
    return list(seen)[:limit]


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


def conversation(url: str, turns: int, messages: list[str] = MESSAGES) -> list[float]:
    sender = f"bench-{uuid.uuid4()}"
    latencies = []
    with requests.Session() as session:
        for i in range(turns):
            start = time.perf_counter()
            message = messages[i % len(messages)]
            resp = session.post(url, json={"sender": sender, "message": message}, timeout=60)
            resp.raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def latency_row(label: str, clients: int, results: list[list[float]], elapsed: float) -> str:
    lat = [x for r in results for x in r]
    return (f"| {label} | {clients} | {len(lat)} | {len(lat) / elapsed:.1f} | "
            f"{statistics.median(lat):.0f} | {percentile(lat, 95):.0f} | "
            f"{percentile(lat, 99):.0f} |")


def run(turns: int, concurrency: list[int], fresh: int) -> str:
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
            first = conversation(stack.rest_url, 5)  # also the warm-up for the table
            rows.append("- First answers after start-up (one conversation, ms): "
                        + ", ".join(f"{x:.0f}" for x in first) + ".")
            rows += ["", "| messages | clients | turns | msg/s | p50 ms | p95 ms | p99 ms |",
                     "| --- | --- | --- | --- | --- | --- | --- |"]
            for clients in concurrency:
                start = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                    results = list(pool.map(lambda _: conversation(stack.rest_url, turns),
                                            range(clients)))
                rows.append(latency_row(f"{len(MESSAGES)} repeated", clients, results,
                                        time.perf_counter() - start))
            new = fresh_messages(fresh)
            start = time.perf_counter()
            results = [conversation(stack.rest_url, len(new[i:i + 10]), new[i:i + 10])
                       for i in range(0, len(new), 10)]
            rows.append(latency_row("each new (held-out sets)", 1, results,
                                    time.perf_counter() - start))
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
    parser.add_argument("--fresh", type=int, default=200, help="new messages, one client")
    args = parser.parse_args()
    section = run(args.turns, args.concurrency, args.fresh)
    print(section)
    write(section)


if __name__ == "__main__":
    main()
