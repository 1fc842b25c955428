"""Command line: `python -m staff_console COMMAND` (see --help)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
import time
from collections.abc import Sequence

from sqlalchemy.engine import Engine

from staff_console import accounts, audit, migrate, refresh, retention
from staff_console.config import Settings, from_env
from staff_console.db import make_engine

log = logging.getLogger("staff_console")


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url, sqlite_wal=settings.sqlite_wal)
    migrate.upgrade(engine)
    return engine


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (12+ characters): ")
    if first != getpass.getpass("Repeat the password: "):
        raise SystemExit("The passwords differ.")
    return first


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    engine = _engine(settings)
    print(f"console tables at revision {migrate.current(engine)}")
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    engine = _engine(settings)
    password = _read_password(args)
    try:
        with engine.begin() as conn:
            user = accounts.create_user(conn, args.username, password, args.role)
            audit.record(conn, "cli", "user_create", user.username, role=user.role)
    except accounts.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.username}")
    return 0


def cmd_refresh(settings: Settings, _args: argparse.Namespace) -> int:
    started = time.perf_counter()
    r = refresh.refresh(_engine(settings))
    print(f"folded {r.events} events into {r.conversations} conversation updates "
          f"in {time.perf_counter() - started:.1f}s (watermark {r.watermark})")
    return 0


def cmd_rebuild(settings: Settings, _args: argparse.Namespace) -> int:
    r = refresh.rebuild(_engine(settings))
    print(f"rebuilt the summary from {r.events} events")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    days = args.days if args.days is not None else settings.retention_days
    if days <= 0:
        print("error: --days must be positive", file=sys.stderr)
        return 1
    d = retention.purge(_engine(settings), days, actor="cli")
    print(f"purged {d.conversations} conversations ({d.events} events) "
          f"with no activity in the last {days:g} days")
    return 0


def cmd_erase(settings: Settings, args: argparse.Namespace) -> int:
    d = retention.erase_visitor(_engine(settings), args.sender_id, actor="cli")
    print(f"erased {args.sender_id}: {d.events} events")
    return 0


def cmd_export_training(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from staff_console import export_training, intents

    domain = Path(settings.domain_file) if settings.domain_file else intents.DEFAULT_DOMAIN
    offered = intents.trainable(intents.domain_intents(domain))
    result = export_training.export(_engine(settings), offered, "cli", via="cli")
    for path in export_training.write_dir(result, Path(args.out)):
        print(f"wrote {path}")
    print(result.report.summary())
    return 0


def _background_refresh(engine: Engine, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            refresh.refresh(engine, blocking=False)
        except Exception:  # keep serving; the next tick retries
            log.exception("summary refresh failed")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from waitress import serve

    from staff_console import create_app

    engine = _engine(settings)
    started = time.perf_counter()
    r = refresh.refresh(engine)
    log.info("summary up to date: %d new events folded in %.1fs", r.events,
             time.perf_counter() - started)
    app = create_app(settings, engine, migrate=False)
    stop = threading.Event()
    threading.Thread(target=_background_refresh, args=(engine, settings.refresh_interval, stop),
                     daemon=True, name="summary-refresh").start()
    log.info("staff console on http://%s:%d/", args.host, args.port)
    try:
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="console")
    finally:
        stop.set()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m staff_console",
                                description="Sciaticalm staff console")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run migrations, catch up the summary, serve the console")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8001)
    s.add_argument("--threads", type=int, default=8)
    s.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="create/upgrade the console tables (Alembic)"
                   ).set_defaults(func=cmd_migrate)
    for name, role, text in (("create-admin", "admin", "create an admin account"),
                             ("create-user", None, "create a staff account")):
        s = sub.add_parser(name, help=text)
        s.add_argument("username")
        if role is None:
            s.add_argument("--role", choices=accounts.ROLES, default="reviewer")
        else:
            s.set_defaults(role=role)
        s.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
        s.set_defaults(func=cmd_create_user)
    sub.add_parser("refresh", help="fold new events into the summary"
                   ).set_defaults(func=cmd_refresh)
    sub.add_parser("rebuild-summary", help="drop and rebuild the summary from all events"
                   ).set_defaults(func=cmd_rebuild)
    s = sub.add_parser("purge", help="delete conversations older than the retention period")
    s.add_argument("--days", type=float, default=None,
                   help="last activity older than this many days (default CONSOLE_RETENTION_DAYS)")
    s.set_defaults(func=cmd_purge)
    s = sub.add_parser("export-training", help="write nlu.yml, triage_cases.yml and "
                       "test_stories.yml from the reviewers' annotations")
    s.add_argument("--out", required=True, help="folder to write into (created if missing)")
    s.set_defaults(func=cmd_export_training)
    s = sub.add_parser("erase", help="delete one visitor's conversations (erasure request)")
    s.add_argument("sender_id")
    s.set_defaults(func=cmd_erase)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parser().parse_args(argv)
    return int(args.func(from_env(), args))
