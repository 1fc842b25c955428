"""Benchmark: stock Rasa, the embedded default and the production configuration,
side by side in one run, under the same workloads (REST).

- round trip p50/p95 with 1 and 8 back-to-back clients (10-turn conversations);
- the same for one client that pauses PAUSE seconds after each answer, as a visitor
  reading it would: an idle process answers more slowly on this machine (stock Rasa
  too), and two replicas behind round-robin are each idle half the time even with
  one back-to-back client (docs/performance.md, "Reading the runs");
- latency growth over one 300-turn conversation: median of the last 20 turns
  divided by the median of the first 20;
- resident memory of every process;
- the embedded default's Rasa process before and after the hostile-input set,
  and before and after a soak of --soak short conversations (2 turns each).

Stock Rasa is `rasa init`'s assistant with the same pinned Rasa (testkit/stock_rasa.py),
trained once into var/stock-rasa. Writes its section of docs/performance.md itself
(between <!-- bench:compare:begin --> and <!-- bench:compare:end -->).
Run with `make bench-compare` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_prod import TURNS, Recorder, pct, run_threads, tree_rss_mb  # noqa: E402
from perfdoc import write_section  # noqa: E402

from testkit.hostile import hostile_cases  # noqa: E402
from testkit.servers import rasa_stack  # noqa: E402
from testkit.stock_rasa import stock_rasa  # noqa: E402
from testkit.topology import ProdTopology  # noqa: E402

GROWTH_WINDOW = 20
PAUSE = 0.3  # seconds between an answer and the next message, in the paced workload
#: A visitor cannot send 300 turns back to back (server/channels/input_checks.py);
#: stock Rasa has no such limit, so it is off here for the same workload.
NO_SENDER_LIMIT = {"SCIATICALM_RATE_LIMIT": "off"}


def clients(url: str, n: int, turns_each: int, empty_ok: bool = False,
            pause: float = 0.0) -> Recorder:
    """n clients, each sending `turns_each` messages in 10-turn conversations, back to
    back or `pause` seconds after each answer."""
    rec = Recorder(empty_ok)

    def client(i: int) -> None:
        with requests.Session() as session:
            sender = ""
            for turn in range(turns_each):
                if turn % len(TURNS) == 0:
                    sender = f"cmp-{n}-{i}-{uuid.uuid4().hex[:8]}"
                rec.send(session, url, sender, TURNS[turn % len(TURNS)])
                time.sleep(pause)

    run_threads(n, client)
    return rec


def growth(url: str, turns: int) -> tuple[float, float, int]:
    """(median ms of the first 20 turns, of the last 20, errors) of one long conversation."""
    sender = f"long-{uuid.uuid4().hex[:8]}"
    times: list[float] = []
    errors = 0
    with requests.Session() as session:
        for turn in range(turns):
            start = time.perf_counter()
            resp = session.post(url, json={"sender": sender, "message": TURNS[turn % 8]},
                                timeout=120)
            times.append((time.perf_counter() - start) * 1000)
            errors += resp.status_code != 200
    return (statistics.median(times[:GROWTH_WINDOW]), statistics.median(times[-GROWTH_WINDOW:]),
            errors)


def hostile(url: str) -> int:
    """Send the hostile-input set three times; the number of 5xx answers."""
    sid = uuid.uuid4().hex[:8]
    server_errors = 0
    for _ in range(3):
        for _name, body, _status in hostile_cases(sid):
            resp = requests.post(url, data=body, timeout=120,
                                 headers={"Content-Type": "application/json"})
            server_errors += resp.status_code >= 500
    return server_errors


def soak(url: str, conversations: int, workers: int = 8) -> tuple[int, float]:
    """`conversations` 2-turn conversations over `workers` clients: (errors, seconds)."""
    rec = Recorder()
    start = time.monotonic()

    def one(i: int) -> None:
        with requests.Session() as session:
            sender = f"soak-{i}-{uuid.uuid4().hex[:6]}"
            rec.send(session, url, sender, "hello")
            rec.send(session, url, sender, TURNS[1 + i % (len(TURNS) - 1)])

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(conversations)))
    return rec.errors, time.monotonic() - start


def start_production(tmp: Path) -> ProdTopology:
    """The production topology, started on free ports; once more on new ports if a
    process lost its port first (after the soak's 10,000 connections another socket
    can take a port between `free_port` and the bind; Sanic then exits with 0)."""
    for attempt in (1, 2):
        topo = ProdTopology(tmp / f"prod-{attempt}", extra_env=NO_SENDER_LIMIT)
        try:
            topo.start()
            return topo
        except RuntimeError as exc:
            topo.stop()
            topo.drop_database()
            if attempt == 2:
                raise
            print(f"production did not start, trying new ports: {exc}", flush=True)
            for log in sorted(topo.run_dir.glob("*.log")):
                for line in log.read_text(errors="replace").splitlines():
                    if "Unable to start" in line or "Errno" in line:
                        print(f"{log.name}: {line}", flush=True)
    raise AssertionError("unreachable")


class Figures(dict):
    """name -> figure for one system."""


def measure(name: str, url: str, memory: Callable[[], dict[str, float]],
            args: argparse.Namespace, empty_ok: bool = False) -> Figures:
    figures = Figures()
    requests.post(url, json={"sender": "warmup", "message": "hello"}, timeout=120)
    for n in (1, 8):
        rec = clients(url, n, args.turns_each * (2 if n == 1 else 1), empty_ok)
        figures[f"p50-{n}"], figures[f"p95-{n}"] = pct(rec.latencies, 50), pct(rec.latencies, 95)
        figures[f"errors-{n}"], figures[f"empty-{n}"] = rec.errors, rec.empty
        print(f"{name}: {n} clients p50 {figures[f'p50-{n}']:.0f} ms, "
              f"p95 {figures[f'p95-{n}']:.0f} ms, errors {rec.errors}, "
              f"empty replies {rec.empty}", flush=True)
    rec = clients(url, 1, args.turns_each * 2, empty_ok, pause=PAUSE)
    figures["p50-paced"], figures["p95-paced"] = pct(rec.latencies, 50), pct(rec.latencies, 95)
    figures["errors-paced"] = rec.errors
    print(f"{name}: 1 client, {PAUSE} s pauses, p50 {figures['p50-paced']:.0f} ms, "
          f"p95 {figures['p95-paced']:.0f} ms, errors {rec.errors}", flush=True)
    first, last, errors = growth(url, args.long_turns)
    figures.update(first=first, last=last, growth=last / first, growth_errors=errors)
    print(f"{name}: {args.long_turns} turns, first 20 {first:.0f} ms, last 20 {last:.0f} ms "
          f"(x{last / first:.2f})", flush=True)
    figures["memory"] = memory()
    return figures


def system_rows(name: str, f: Figures, stock: Figures | None) -> list[str]:
    def ratio(key: str) -> str:
        return f" (×{f[key] / stock[key]:.2f})" if stock and stock is not f else ""

    memory = ", ".join(f"{k} {v:.0f} MB" for k, v in f["memory"].items())
    return [f"| {name} | {f['p50-1']:.0f}{ratio('p50-1')} | {f['p95-1']:.0f}{ratio('p95-1')} | "
            f"{f['p50-8']:.0f}{ratio('p50-8')} | {f['p95-8']:.0f}{ratio('p95-8')} | "
            f"{f['p50-paced']:.0f}{ratio('p50-paced')} | {f['p95-paced']:.0f}"
            f"{ratio('p95-paced')} | "
            f"{f['first']:.0f} → {f['last']:.0f} (×{f['growth']:.2f}) | {memory} |"]


def met(condition: bool) -> str:
    return "met" if condition else "not met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns-each", type=int, default=30)
    parser.add_argument("--long-turns", type=int, default=300)
    parser.add_argument("--soak", type=int, default=10_000)
    parser.add_argument("--skip-prod", action="store_true")
    args = parser.parse_args()
    results: dict[str, Figures] = {}
    soak_line = hostile_line = ""
    with tempfile.TemporaryDirectory() as tmp:
        with stock_rasa(Path(tmp) / "stock") as stock:
            results["stock Rasa (`rasa init`)"] = measure(
                "stock", stock.rest_url, lambda: {"Rasa": tree_rss_mb(stock.proc.pid)}, args,
                empty_ok=True)
        with rasa_stack(Path(tmp) / "embedded", env=NO_SENDER_LIMIT) as stack:
            def embedded_memory() -> dict[str, float]:
                out = {"Rasa": tree_rss_mb(stack.rasa_proc.pid)}
                if stack.action_proc is not None:
                    out["action server"] = tree_rss_mb(stack.action_proc.pid)
                return out

            requests.post(stack.rest_url, json={"sender": "w", "message": "hello"}, timeout=120)
            start_mb = tree_rss_mb(stack.rasa_proc.pid)
            server_errors = hostile(stack.rest_url)
            after_hostile = tree_rss_mb(stack.rasa_proc.pid)
            hostile_line = (f"- Hostile-input set ×3 on the embedded default: Rasa "
                            f"{start_mb:.0f} MB → {after_hostile:.0f} MB "
                            f"({after_hostile / start_mb - 1:+.1%}); "
                            f"5xx answers: {server_errors}.")
            print(hostile_line, flush=True)
            results["embedded default"] = measure("embedded", stack.rest_url,
                                                  embedded_memory, args)
            before_soak = tree_rss_mb(stack.rasa_proc.pid)
            errors, seconds = soak(stack.rest_url, args.soak)
            after_soak = tree_rss_mb(stack.rasa_proc.pid)
            soak_line = (f"- Soak of {args.soak:,} two-turn conversations (8 clients, "
                         f"{seconds:.0f} s, {errors} errors) on the embedded default: Rasa "
                         f"{before_soak:.0f} MB → {after_soak:.0f} MB "
                         f"({after_soak / before_soak - 1:+.1%}; {after_soak / start_mb - 1:+.1%} "
                         f"from start-up).")
            print(soak_line, flush=True)
        if not args.skip_prod:
            topo = start_production(Path(tmp))
            try:

                def prod_memory() -> dict[str, float]:
                    return {name: tree_rss_mb(pid) for name, pid in topo.child_pids().items()}

                results["production (nginx, 2 replicas)"] = measure(
                    "prod", topo.rest_url, prod_memory, args)
            finally:
                topo.stop()
                topo.drop_database()
    stock_figures = results["stock Rasa (`rasa init`)"]
    rows = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
            f"{os.cpu_count()} cores by `scripts/bench_compare.py` (`make bench-compare`); "
            "ratios in brackets are to stock Rasa in the same run.", "",
            "| system | p50 1 client ms | p95 1 client ms | p50 8 clients ms | "
            f"p95 8 clients ms | p50 1 client, {PAUSE:g} s pauses ms | "
            f"p95 1 client, {PAUSE:g} s pauses ms | "
            "300-turn conversation, median ms first 20 → last 20 | "
            "resident memory |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, figures in results.items():
        rows += system_rows(name, figures, stock_figures)
    rows.append("")
    for name, f in results.items():
        rows.append(f"- {name}: failed requests {f['errors-1']} (1 client), {f['errors-8']} "
                    f"(8 clients), {f['errors-paced']} (paced), {f['growth_errors']} "
                    f"(300 turns); empty replies, timed as "
                    f"turns: {f['empty-1']}, {f['empty-8']}.")
    rows += ["", hostile_line, soak_line, "", "Targets (issue 16):"]
    for name, f in results.items():
        if f is stock_figures:
            continue
        p95_1, p95_8 = (f[k] / stock_figures[k] for k in ("p95-1", "p95-8"))
        rows.append(f"- {name}: growth ×{f['growth']:.2f} (target ≤ ×1.3: "
                    f"{met(f['growth'] <= 1.3)}); p95 ratio to stock ×{p95_1:.2f} at "
                    f"1 client, ×{p95_8:.2f} at 8 (target ≤ ×1.1: "
                    f"{met(max(p95_1, p95_8) <= 1.1)}); with {PAUSE:g} s pauses "
                    f"×{f['p95-paced'] / stock_figures['p95-paced']:.2f} (for reference).")
    action_mb = results["embedded default"]["memory"].get("action server", 0.0)
    rows.append(f"- Action server {action_mb:.0f} MB (target < 200 MB: "
                f"{met(action_mb < 200)}).")
    section = "\n".join(rows)
    print(section)
    write_section("compare", "Side by side: stock Rasa, embedded default, production", section)


if __name__ == "__main__":
    main()
