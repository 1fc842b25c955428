"""Benchmark: stock Rasa, the embedded default and the production configuration,
side by side in one run, under the same workloads (REST). All three run at once and
take turns: each timed workload is cut into SLICES slices, and in each slice every
system runs its share, the first system changing from slice to slice, so that every
ratio of p50s and p95s compares turns timed over the same minutes (on this shared
virtual machine, production's one-client p50 was 33 ms in one run and 49 ms in a run
of the same code 34 minutes later; docs/performance.md, "Reading the runs"). Before
anything is timed, every Rasa process (stock's, the embedded default's, each
production replica) answers the same warm-up conversation, WARM_UP_CONVERSATION, and
it gets one untimed message of that conversation right before each of its slices.
The workloads:

- round trip p50/p95 with 1 and 8 back-to-back clients (10-turn conversations);
- the same for one client that pauses PAUSE seconds after each answer, as a visitor
  reading it would: an idle process answers more slowly on this machine (stock Rasa
  too), and two replicas behind round-robin are each idle half the time even with
  one back-to-back client (docs/performance.md, "Reading the runs");
- latency growth over one 300-turn conversation: median of the last 20 turns
  divided by the median of the first 20 (a ratio within one system: each system's
  conversation is sent back to back, one system after the other);
- resident memory of every process;
- the embedded default's Rasa process before and after the hostile-input set (before
  the timed workloads), and before and after a soak of --soak short conversations
  (2 turns each; after them, once the other systems are stopped).

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
from dataclasses import dataclass
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
#: Each timed workload is cut into this many slices; the systems take turns in each.
SLICES = 3
#: Each Rasa process answers this conversation before anything is timed. A process
#: just started pays first-use costs through its first conversation (connections,
#: code paths): about 5 ms a turn on this machine, on the embedded default and on a
#: production replica alike (docs/performance.md, "Reading the runs"). None of these
#: texts is in the timed workload, so no answer the timing reads is cached by it.
WARM_UP_CONVERSATION = ["hi there", "which running shoes suit a sore back",
                        "how long do I hold a side plank",
                        "should I keep running when my back hurts", "what stretching should I do",
                        "exercises for my core", "how many runs a week is enough",
                        "my lower back aches after a long run", "thank you", "goodbye"]
PAUSE = 0.3  # seconds between an answer and the next message, in the paced workload
#: A visitor cannot send 300 turns back to back (server/channels/input_checks.py);
#: stock Rasa has no such limit, so it is off here for the same workload.
NO_SENDER_LIMIT = {"SCIATICALM_RATE_LIMIT": "off"}


def clients(url: str, n: int, turns_each: int, empty_ok: bool = False,
            pause: float = 0.0, rec: Recorder | None = None) -> Recorder:
    """n clients, each sending `turns_each` messages in 10-turn conversations, back to
    back or `pause` seconds after each answer; timed into `rec` (a new one if None)."""
    rec = rec if rec is not None else Recorder(empty_ok)

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


def warm_up(urls: list[str], texts: list[str] = WARM_UP_CONVERSATION) -> None:
    """`texts` as one untimed conversation on each Rasa process (its own URL)."""
    for url in urls:
        sender = f"warm-up-{uuid.uuid4().hex[:8]}"
        with requests.Session() as session:
            for text in texts:
                resp = session.post(url, json={"sender": sender, "message": text}, timeout=120)
                resp.raise_for_status()


def wake(urls: list[str]) -> None:
    """One untimed message to each Rasa process, right before a system's slice: a
    process that sat idle while the others ran answers its first message 5-10 ms more
    slowly on this machine, and that turn would otherwise fall among every system's
    slowest few (the p95 of 60 turns), making all three alike."""
    warm_up(urls, WARM_UP_CONVERSATION[:1])


def growth(url: str, turns: int) -> tuple[float, float, int]:
    """(median ms of the first 20 turns, of the last 20, errors) of one long conversation,
    sent back to back. Not interleaved with the other systems: growth is a ratio within
    one system, and taking turns would put minutes between its first and last 20."""
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


@dataclass
class System:
    """One system under test: `url` its front door, `processes` the REST URL of each
    Rasa process behind it (for the warm-up)."""

    name: str
    short: str
    url: str
    memory: Callable[[], dict[str, float]]
    processes: list[str]
    empty_ok: bool = False


def in_turn(systems: list[System], slice_no: int) -> list[System]:
    """The systems in the order of one slice: the first one moves on each slice."""
    k = slice_no % len(systems)
    return systems[k:] + systems[:k]


def measure_all(systems: list[System], args: argparse.Namespace) -> dict[str, Figures]:
    """Every timed workload, cut into SLICES slices in which the systems take turns, so
    that all of them are timed over the same minutes of a machine whose speed drifts."""
    for system in systems:
        warm_up(system.processes)
    workloads = {"1": (1, args.turns_each * 2, 0.0), "8": (8, args.turns_each, 0.0),
                 "paced": (1, args.turns_each * 2, PAUSE)}
    recorders = {s.name: {key: Recorder(s.empty_ok) for key in workloads} for s in systems}
    results = {s.name: Figures() for s in systems}
    for key, (n, turns_each, pause) in workloads.items():
        for slice_no in range(SLICES):
            for system in in_turn(systems, slice_no):
                wake(system.processes)
                clients(system.url, n, turns_each // SLICES, system.empty_ok, pause,
                        recorders[system.name][key])
        for system in systems:
            rec, figures = recorders[system.name][key], results[system.name]
            figures[f"p50-{key}"], figures[f"p95-{key}"] = (pct(rec.latencies, 50),
                                                            pct(rec.latencies, 95))
            figures[f"errors-{key}"], figures[f"empty-{key}"] = rec.errors, rec.empty
            print(f"{system.short}: workload {key} (clients, or paced): p50 "
                  f"{figures[f'p50-{key}']:.0f} ms, p95 {figures[f'p95-{key}']:.0f} ms, "
                  f"errors {rec.errors}, empty replies {rec.empty}", flush=True)
    for system in systems:
        wake(system.processes)
        first, last, errors = growth(system.url, args.long_turns)
        results[system.name].update(first=first, last=last, growth=last / first,
                                    growth_errors=errors)
        print(f"{system.short}: {args.long_turns} turns, first 20 {first:.0f} ms, last 20 "
              f"{last:.0f} ms (x{last / first:.2f})", flush=True)
    for system in systems:
        results[system.name]["memory"] = system.memory()
    return results


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
    if args.turns_each % (SLICES * len(TURNS)):
        parser.error(f"--turns-each must be a multiple of {SLICES * len(TURNS)}: every slice "
                     "sends whole conversations")
    soak_line = hostile_line = ""
    with tempfile.TemporaryDirectory() as tmp, stock_rasa(Path(tmp) / "stock") as stock, \
            rasa_stack(Path(tmp) / "embedded", env=NO_SENDER_LIMIT) as stack:
        def embedded_memory() -> dict[str, float]:
            out = {"Rasa": tree_rss_mb(stack.rasa_proc.pid)}
            if stack.action_proc is not None:
                out["action server"] = tree_rss_mb(stack.action_proc.pid)
            return out

        warm_up([stack.rest_url], WARM_UP_CONVERSATION[:1])
        start_mb = tree_rss_mb(stack.rasa_proc.pid)
        server_errors = hostile(stack.rest_url)
        after_hostile = tree_rss_mb(stack.rasa_proc.pid)
        hostile_line = (f"- Hostile-input set ×3 on the embedded default: Rasa "
                        f"{start_mb:.0f} MB → {after_hostile:.0f} MB "
                        f"({after_hostile / start_mb - 1:+.1%}); "
                        f"5xx answers: {server_errors}.")
        print(hostile_line, flush=True)
        systems = [
            System("stock Rasa (`rasa init`)", "stock", stock.rest_url,
                   lambda: {"Rasa": tree_rss_mb(stock.proc.pid)}, [stock.rest_url],
                   empty_ok=True),
            System("embedded default", "embedded", stack.rest_url, embedded_memory,
                   [stack.rest_url])]
        topo = None if args.skip_prod else start_production(Path(tmp))
        try:
            if topo is not None:
                running = topo

                def prod_memory() -> dict[str, float]:
                    return {name: tree_rss_mb(pid) for name, pid in running.child_pids().items()}

                systems.append(System(
                    "production (nginx, 2 replicas)", "prod", topo.rest_url, prod_memory,
                    [f"http://127.0.0.1:{port}/webhooks/rest/webhook"
                     for port in topo.rasa_ports]))
            results = measure_all(systems, args)
        finally:
            if topo is not None:
                try:
                    topo.stop()
                finally:
                    topo.drop_database()
        before_soak = tree_rss_mb(stack.rasa_proc.pid)
        errors, seconds = soak(stack.rest_url, args.soak)
        after_soak = tree_rss_mb(stack.rasa_proc.pid)
        soak_line = (f"- Soak of {args.soak:,} two-turn conversations (8 clients, "
                     f"{seconds:.0f} s, {errors} errors) on the embedded default: Rasa "
                     f"{before_soak:.0f} MB → {after_soak:.0f} MB "
                     f"({after_soak / before_soak - 1:+.1%}; {after_soak / start_mb - 1:+.1%} "
                     f"from start-up).")
        print(soak_line, flush=True)
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
