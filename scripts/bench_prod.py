"""Benchmark: the embedded default (one Rasa server, SQLite) against the production
configuration (nginx, 2 replicas, PostgreSQL, Redis), in one run, over REST.

- saturation: 1, 8 and 32 back-to-back clients (10-turn conversations), for
  --seconds each: messages per second and round-trip p50/p95/p99;
- realistic load: 50 and 200 visitors, each sending a message every 10 s on
  average (exponential gaps), for --realistic-seconds: p50/p95/p99;
- server start-up time, resident memory of each process, last training time.

Writes its table into docs/performance.md between <!-- bench:prod:begin --> and
<!-- bench:prod:end --> (other sections untouched). Run with `make bench-prod`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from perfdoc import write_section  # noqa: E402

from testkit.servers import rasa_stack  # noqa: E402
from testkit.topology import ProdTopology  # noqa: E402

TURNS = ["hello", "what trainers should I buy for my back?", "how long should I hold a plank",
         "is it ok to run with back pain", "what stretches help", "tell me about core strength",
         "how often should I run", "my back hurts after long runs", "thanks", "bye"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


class Recorder:
    """Latencies of answered turns; `errors`: failed requests, and empty replies
    unless `empty_ok` (stock Rasa's assistant has no answer for much of the
    workload, yet each of those is a whole turn and is timed; `empty` counts them)."""

    def __init__(self, empty_ok: bool = False) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.empty = 0
        self.empty_ok = empty_ok
        self.lock = threading.Lock()

    def send(self, session: requests.Session, url: str, sender: str, text: str) -> None:
        start = time.perf_counter()
        try:
            resp = session.post(url, json={"sender": sender, "message": text}, timeout=60)
            answered = resp.status_code == 200 and bool(resp.json())
            ok = answered or (self.empty_ok and resp.status_code == 200)
        except requests.RequestException:
            answered = ok = False
        elapsed = time.perf_counter() - start
        with self.lock:
            self.empty += ok and not answered
            if ok:
                self.latencies.append(elapsed)
            else:
                self.errors += 1


def run_threads(n: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def saturation(url: str, clients: int, seconds: float) -> tuple[float, Recorder]:
    rec = Recorder()
    stop_at = time.monotonic() + seconds

    def client(i: int) -> None:
        with requests.Session() as session:
            while time.monotonic() < stop_at:
                sender = f"sat-{clients}-{i}-{uuid.uuid4().hex[:6]}"
                for text in TURNS:
                    if time.monotonic() >= stop_at:
                        break
                    rec.send(session, url, sender, text)

    start = time.monotonic()
    run_threads(clients, client)
    return len(rec.latencies) / (time.monotonic() - start), rec


def realistic(url: str, visitors: int, seconds: float) -> Recorder:
    rec = Recorder()
    stop_at = time.monotonic() + seconds

    def visitor(i: int) -> None:
        rnd = random.Random(i)
        sender = f"real-{visitors}-{i}-{uuid.uuid4().hex[:6]}"
        turn = 0
        with requests.Session() as session:
            while True:
                time.sleep(rnd.expovariate(1 / 10))
                if time.monotonic() >= stop_at:
                    return
                rec.send(session, url, sender, TURNS[turn % len(TURNS)])
                turn += 1

    run_threads(visitors, visitor)
    return rec


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (nginx master + workers)."""
    total = rss_mb(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(tree_rss_mb(int(c)) for c in children)


def measure(name: str, url: str, args: argparse.Namespace,
            figures: dict[str, float] | None = None) -> list[str]:
    """The table rows; `figures` gets "sat<N>" (msg/s) and "p95-<N>" (visitors)."""
    rows = []
    figures = figures if figures is not None else {}
    requests.post(url, json={"sender": "warmup", "message": "hello"}, timeout=60)
    for clients in args.clients:
        rate, rec = saturation(url, clients, args.seconds)
        lat = rec.latencies
        figures[f"sat{clients}"] = rate
        rows.append(f"| {name} | saturation, {clients} clients | {rate:.1f} msg/s | "
                    f"{pct(lat, 50):.0f} | {pct(lat, 95):.0f} | {pct(lat, 99):.0f} | "
                    f"{len(lat)} | {rec.errors} |")
        print(rows[-1], flush=True)
    for visitors in args.visitors:
        rec = realistic(url, visitors, args.realistic_seconds)
        lat = rec.latencies
        figures[f"p95-{visitors}"] = pct(lat, 95)
        rows.append(f"| {name} | {visitors} visitors, 1 msg / 10 s each | "
                    f"{len(lat) / args.realistic_seconds:.1f} msg/s | {pct(lat, 50):.0f} | "
                    f"{pct(lat, 95):.0f} | {pct(lat, 99):.0f} | {len(lat)} | {rec.errors} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--visitors", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--realistic-seconds", type=float, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows: list[str] = []
    notes: list[str] = []
    embedded: dict[str, float] = {}
    prod: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-prod-") as tmp:
        begin = time.monotonic()
        with rasa_stack(Path(tmp) / "embedded") as stack:
            notes.append(f"- Embedded default start-up (action server + Rasa, until it "
                         f"answers): {time.monotonic() - begin:.0f} s.")
            rows += measure("embedded (1 Rasa, SQLite)", stack.rest_url, args, embedded)
            notes.append(f"- Embedded default resident memory: Rasa "
                         f"{rss_mb(stack.rasa_proc.pid):.0f} MB, action server "
                         f"{rss_mb(stack.action_proc.pid) if stack.action_proc else 0:.0f} MB.")
        topo = ProdTopology(Path(tmp) / "prod")
        try:
            startup = topo.start()
            notes.append(f"- Production start-up (`make run-prod`: database check, action "
                         f"server, 2 replicas, nginx, until nginx answers): {startup:.0f} s.")
            rows += measure("production (nginx, 2 Rasa, PostgreSQL, Redis)", topo.rest_url,
                            args, prod)
            pids = topo.child_pids()
            mem = ", ".join(f"{name} {tree_rss_mb(pid):.0f} MB" for name, pid in pids.items())
            notes.append(f"- Production resident memory: {mem}.")
        finally:
            topo.stop()
            topo.drop_database()
    train = REPO / "var" / "train-seconds"
    if train.exists():
        notes.append(f"- Last `make train`: {float(train.read_text()):.0f} s.")
    notes.append("- Latencies are REST round trips in ms, measured by the client on the "
                 "same 2-core machine (shared with other work); errors are non-200 or "
                 "empty replies.")
    notes += targets(embedded, prod)
    section = "\n".join([
        "| configuration | workload | throughput | p50 ms | p95 ms | p99 ms | answered | errors |",
        "|---|---|---|---|---|---|---|---|", *rows, "", *notes])
    print(section)
    if not args.no_write:
        write(section)


def targets(embedded: dict[str, float], prod: dict[str, float]) -> list[str]:
    """The issue's two targets, judged on this run's figures."""
    lines = []
    sat = [k for k in prod if k.startswith("sat") and k != "sat1" and embedded.get(k)]
    if sat:
        ratios = ", ".join(f"{prod[k] / embedded[k]:.1f}x at {k[3:]} clients" for k in sat)
        best = max(prod[k] / embedded[k] for k in sat)
        lines.append(f"- Target: production saturation throughput at least 1.4x one replica's: "
                     f"{ratios}: {'met' if best >= 1.4 else 'NOT met'}.")
    if "p95-200" in prod:
        p95 = prod["p95-200"]
        lines.append(f"- Target: p95 under 150 ms with 200 visitors on the production "
                     f"configuration: {p95:.0f} ms: {'met' if p95 < 150 else 'NOT met'}.")
    return lines


def write(section: str) -> None:
    write_section("prod", "Production configuration vs embedded default (REST)",
                  f"Written by `scripts/bench_prod.py` (`make bench-prod`).\n\n{section}")


if __name__ == "__main__":
    main()
