#!/usr/bin/env python
"""Staff console benchmark: 100,000 conversations / 2,000,000 events.

For each database (SQLite file, local PostgreSQL), creates Rasa's `events`
table with Rasa's own SQLTrackerStore, bulk-inserts Rasa-shaped events with
SQLAlchemy Core, builds the console summary (timed), then times list, filter,
search, queue, transcript and overview pages through the Flask app (median and
p95 of repeated requests, signed in, CSRF on). Results are printed and written
into docs/console.md between the BENCH markers.

    .venv/bin/python scripts/bench_console.py [--conversations N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg2
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from staff_console import accounts, create_app, review  # noqa: E402
from staff_console import tables as t  # noqa: E402
from staff_console.config import Settings  # noqa: E402
from staff_console.db import make_engine  # noqa: E402
from staff_console.migrate import upgrade  # noqa: E402
from staff_console.refresh import refresh  # noqa: E402

DOC = REPO / "docs" / "console.md"
PG = dict(host="127.0.0.1", port=5432, user="postgres")
PG_DB = "console_bench"
SQLITE_FILE = REPO / "var" / "bench" / "console-bench.db"
EVENTS_PER_CONVERSATION = 20
DAYS = 90
INTENTS = ["greet", "describe_pain", "ask_causes", "ask_running_form", "ask_strengthening",
           "ask_stretching", "ask_footwear", "ask_training_load", "ask_when_to_seek_help",
           "thank", "affirm", "deny", "out_of_scope", "inform", "goodbye"]
WORDS = ("lower back pain after running hamstring glute hip knee calf shoes cadence tempo "
         "interval marathon trail stretch plank bridge foam roller mileage soreness stiffness "
         "morning evening sitting desk posture overstride heel forefoot sprint hill").split()
CHANNELS = ["rest"] * 3 + ["socketio"] * 6 + ["telegram"]
FLAGS_EMERGENCY = ["saddle_numbness", "bladder_dysfunction", "bilateral_leg_symptoms"]
FLAGS_URGENT = ["unilateral_leg_symptoms", "fever", "night_pain"]


def rasa_table(url: str) -> None:
    """Rasa creates its own table (exact schema, index on sender_id)."""
    from rasa.core.tracker_store import SQLTrackerStore

    if url.startswith("sqlite"):
        store = SQLTrackerStore(dialect="sqlite", db=str(SQLITE_FILE))
    else:
        store = SQLTrackerStore(dialect="postgresql", host=url)
    store.engine.dispose()


def fresh_database(backend: str) -> str:
    if backend == "sqlite":
        SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(SQLITE_FILE) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{PG_DB}"')
    conn.close()
    return f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG_DB}"


def ev(sender: str, type_name: str, ts: float, data: dict[str, Any]) -> dict[str, Any]:
    data = {"event": type_name, "timestamp": ts, **data}
    intent = (data.get("parse_data") or {}).get("intent", {}).get("name")
    return {"sender_id": sender, "type_name": type_name, "timestamp": ts,
            "intent_name": intent, "action_name": data.get("name"), "data": json.dumps(data)}


def user(sender: str, ts: float, text: str, intent: str, conf: float, channel: str,
         entities: list[dict] | None = None) -> dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": conf},
             "entities": entities or [],
             "intent_ranking": [{"name": intent, "confidence": conf},
                                {"name": "out_of_scope", "confidence": round(1 - conf, 4)}]}
    return ev(sender, "user", ts, {"text": text, "parse_data": parse, "input_channel": channel,
                                   "message_id": f"{sender}-{ts:.3f}", "metadata": {}})


def action(sender: str, ts: float, name: str) -> dict[str, Any]:
    return ev(sender, "action", ts, {"name": name, "policy": "RulePolicy", "confidence": 1.0})


def conversation(i: int, rng: random.Random, start: float) -> list[dict[str, Any]]:
    """Exactly 20 Rasa-shaped events: session start, 4 turns, one extra event."""
    sender = f"bench-{i:06d}-{rng.getrandbits(32):08x}"
    channel = rng.choice(CHANNELS)
    ts = start
    out = [action(sender, ts, "action_session_start"),
           ev(sender, "session_started", ts + 0.01, {}),
           action(sender, ts + 0.02, "action_listen")]
    kind = rng.random()
    for turn in range(4):
        ts += rng.uniform(5, 60)
        if kind < 0.05 and turn == 1:  # escalation
            emergency = rng.random() < 0.4
            flag = rng.choice(FLAGS_EMERGENCY if emergency else FLAGS_URGENT)
            level = "emergency" if emergency else "urgent"
            out.append(user(sender, ts, f"I have {flag.replace('_', ' ')} since my run",
                            "red_flag", 1.0, channel,
                            [{"entity": "red_flag", "value": flag},
                             {"entity": "triage_level", "value": level}]))
            out.append(ev(sender, "slot", ts + 0.1, {"name": "triage_level", "value": level}))
            out.append(ev(sender, "bot", ts + 0.2, {"text": "Please get help now.",
                                                    "data": {}, "metadata": {}}))
            out.append(ev(sender, "slot", ts + 0.3, {"name": "red_flags", "value": [flag]}))
            continue
        if kind > 0.93 and turn == 2:
            conf = rng.uniform(0.1, 0.45)
            intent = "nlu_fallback"
        else:
            conf = rng.uniform(0.45, 1.0)
            intent = rng.choice(INTENTS)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        out.append(user(sender, ts, text, intent, conf, channel))
        out.append(action(sender, ts + 0.1, f"utter_{intent}"))
        out.append(ev(sender, "bot", ts + 0.2, {"text": f"Answer about {intent}.",
                                                "data": {}, "metadata": {}}))
        out.append(action(sender, ts + 0.3, "action_listen"))
    if 0.05 <= kind < 0.25:
        out.append(ev(sender, "slot", ts + 1, {"name": "assessment_complete", "value": True}))
    else:
        out.append(ev(sender, "active_loop", ts + 1, {"name": None}))
    return out


def generate(engine: sa.engine.Engine, n: int, seed: int = 7) -> tuple[int, float]:
    """Bulk-insert n conversations (20 events each), interleaved as a live log is."""
    rng = random.Random(seed)
    now = time.time()
    first = now - DAYS * 86_400
    starts = sorted(rng.uniform(first, now - 600) for _ in range(n))
    total, started = 0, time.perf_counter()
    group = 25  # conversations whose events interleave
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for g in range(0, n, group):
            convs = [conversation(i, rng, starts[i]) for i in range(g, min(n, g + group))]
            for k in range(EVENTS_PER_CONVERSATION):
                batch.extend(c[k] for c in convs if k < len(c))
            if len(batch) >= 20_000:
                conn.execute(t.events.insert(), batch)
                total += len(batch)
                batch = []
        if batch:
            conn.execute(t.events.insert(), batch)
            total += len(batch)
    return total, time.perf_counter() - started


def staff_activity(engine: sa.engine.Engine) -> None:
    """Reviews and tags on some conversations, so those filters have work to do."""
    with engine.begin() as conn:
        accounts.create_user(conn, "bench", "bench-password-1", "admin")
        senders = [r[0] for r in conn.execute(
            sa.select(t.conversations.c.sender_id).order_by(t.conversations.c.last_ts.desc())
            .limit(4000))]
        for i, s in enumerate(senders):
            if i % 2 == 0:
                review.set_reviewed(conn, s, "bench")
            if i % 5 == 0:
                review.add_tag(conn, s, "follow up" if i % 10 else "called back", "bench")


def timed(client: Any, path: str, repeat: int) -> tuple[float, float, str]:
    def fetch() -> Any:
        if not path.startswith("/export."):
            return client.get(path)
        # Exports are POSTed with the CSRF token (the filters in the query string).
        html = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        return client.post(path, data={"csrf_token": token})

    fetch()  # warm-up (and the first refresh check)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = fetch()
        resp.get_data()  # the whole body (exports stream)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (path, resp.status_code)
    body = resp.get_data(as_text=True)
    m = re.search(r"([\d,]+)(\+?) found", body)
    found = f"{m.group(1)}{m.group(2)}" if m else ""
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], found


def pages(sample_sender: str) -> list[tuple[str, str]]:
    today = dt.datetime.now(dt.timezone.utc).date()
    week = today - dt.timedelta(days=6)
    return [
        ("list, page 1", "/"),
        ("list, page 200", "/?page=200"),
        ("escalations queue", "/escalations"),
        ("filter: triage emergency", "/?triage=emergency"),
        ("filter: channel telegram", "/?channel=telegram"),
        ("filter: intent ask_footwear", "/?intent=ask_footwear"),
        ("filter: fallback or low confidence", "/?failures=any"),
        ("filter: confidence below 0.2", "/?failures=low_confidence&confidence_below=0.2"),
        ("filter: assessment completed", "/?assessment=completed"),
        ("filter: unreviewed", "/?review=unreviewed"),
        ("filter: tag", "/?tag=called+back"),
        ("filter: last 7 days", f"/?date_from={week}&date_to={today}"),
        ("filter: today, escalated, unreviewed",
         f"/?date_from={today}&date_to={today}&triage=escalated&review=unreviewed"),
        ("search: common word", "/?q=hamstring"),
        ("search: rare phrase", "/?q=saddle+numbness"),
        ("search: no match", "/?q=zzqxj"),
        ("search: common word + escalated", "/?q=hamstring&triage=escalated"),
        ("export CSV: today, escalated", f"/export.csv?date_from={today}&triage=escalated"),
        ("transcript", f"/c/{sample_sender}"),
        ("overview (30 days)", "/overview"),
    ]


def existing_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{SQLITE_FILE}"
    return f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG_DB}"


def bench_backend(backend: str, n: int, repeat: int, reuse: bool = False) -> dict[str, Any]:
    if reuse:  # time the pages on the log a previous run left (after any new migration)
        url = existing_url(backend)
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            events = conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar()
        gen_s = build_s = float("nan")
        refresh(engine)
    else:
        url = fresh_database(backend)
        rasa_table(url)
        engine = make_engine(url)
        print(f"[{backend}] generating {n:,} conversations ...", flush=True)
        events, gen_s = generate(engine, n)
        print(f"[{backend}] {events:,} events inserted in {gen_s:.0f}s", flush=True)
        upgrade(engine)
        t0 = time.perf_counter()
        r = refresh(engine)
        build_s = time.perf_counter() - t0
        print(f"[{backend}] summary built from {r.events:,} events in {build_s:.0f}s",
              flush=True)
        staff_activity(engine)
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
    # Incremental refresh: 1,000 new events (50 conversations) after the build.
    rng = random.Random(99)
    new = [e for i in range(50) for e in conversation(n + i, rng, time.time() - 60)]
    with engine.begin() as conn:
        conn.execute(t.events.insert(), new)
    t0 = time.perf_counter()
    inc = refresh(engine)
    inc_ms = (time.perf_counter() - t0) * 1000
    with engine.connect() as conn:
        sample = conn.execute(sa.select(t.conversations.c.sender_id)
                              .where(t.conversations.c.triage_rank == 2)
                              .order_by(t.conversations.c.last_ts.desc()).limit(1)).scalar()
    app = create_app(Settings(database_url=url, secret_key="bench", refresh_interval=1.0),
                     engine, migrate=False)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/login", data={"username": "bench", "password": "bench-password-1",
                                       "csrf_token": token}).status_code == 302
    results = []
    for name, path in pages(sample):
        med, p95, found = timed(client, path, repeat)
        results.append((name, med, p95, found))
        print(f"[{backend}] {name:40s} median {med:7.1f} ms  p95 {p95:7.1f} ms  "
              f"({found or '-'} found)", flush=True)
    engine.dispose()
    return {"backend": backend, "events": events, "generate_s": gen_s, "build_s": build_s,
            "incremental": (inc.events, inc_ms), "pages": results}


def markdown(runs: list[dict[str, Any]], n: int, repeat: int) -> str:
    lines = [f"Measured {dt.date.today()} on this machine (2 shared cores), "
             f"{n:,} conversations / {runs[0]['events']:,} events, Flask test client "
             f"(signed in; the time includes the query, rendering and the refresh check), "
             f"median and p95 of {repeat} requests after one warm-up.", ""]
    header = "| page | " + " | ".join(f"{r['backend']} median / p95 (ms)" for r in runs) + \
             " | matches |"
    lines += [header, "|" + " --- |" * (len(runs) + 2)]
    for i, (name, *_rest) in enumerate(runs[0]["pages"]):
        cells = [f"{r['pages'][i][1]:.0f} / {r['pages'][i][2]:.0f}" for r in runs]
        found = runs[0]["pages"][i][3]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {found} |")
    lines.append("")
    for r in runs:
        ev, ms = r["incremental"]
        lines.append(f"- {r['backend']}: bulk insert of the log {r['generate_s']:.0f} s; "
                     f"first summary build (every event folded once) {r['build_s']:.0f} s; "
                     f"incremental refresh of {ev:,} new events {ms:.0f} ms.")
    return "\n".join(lines) + "\n"


def write_doc(text: str) -> None:
    if not DOC.exists():
        return
    doc = DOC.read_text(encoding="utf-8")
    start, end = "<!-- BENCH:START -->", "<!-- BENCH:END -->"
    if start in doc and end in doc:
        before, rest = doc.split(start, 1)
        after = rest.split(end, 1)[1]
        DOC.write_text(f"{before}{start}\n{text}{end}{after}", encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--no-doc", action="store_true", help="do not update docs/console.md")
    p.add_argument("--reuse", action="store_true",
                   help="time the pages on the databases a previous run left")
    args = p.parse_args()
    runs = [bench_backend(b, args.conversations, args.repeat, args.reuse)
            for b in args.backends.split(",")]
    text = markdown(runs, args.conversations, args.repeat)
    print(text)
    if not args.no_doc:
        write_doc(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
