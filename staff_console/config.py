"""Console settings, read from the environment (CONSOLE_*)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/conversations.db"
DEFAULT_SECRET_FILE = "var/console-secret.key"


@dataclass(frozen=True)
class Settings:
    """Everything the console can be configured with."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    #: A visitor turn whose top intent confidence is below this counts as low-confidence.
    low_confidence: float = 0.5
    #: `purge` deletes conversations whose last activity is older than this.
    retention_days: int = 90
    session_hours: float = 8.0
    #: A session unused for this long is ended (server side).
    session_idle_minutes: float = 30.0
    page_size: int = 50
    login_max_failures: int = 5
    login_window_seconds: int = 900
    #: Seconds between two incremental summary refreshes triggered by page views.
    refresh_interval: float = 2.0
    #: Most events folded into the summary by one page view (the rest follow).
    refresh_budget: int = 20_000
    secure_cookies: bool = False
    sqlite_wal: bool = True
    #: Reverse proxies in front of the console whose X-Forwarded-For/-Proto are
    #: trusted (0: none, the client address is the TCP peer's).
    trusted_proxies: int = 0
    #: The Rasa domain whose intents and entities reviewers choose from ("": the repo's).
    domain_file: str = ""
    #: Bearer token that GET /metrics requires ("": /metrics from loopback only).
    metrics_token: str = ""


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    return float(raw) if raw not in (None, "") else default


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def dev_secret_key(path: Path) -> str:
    """Read the development secret key from `path`, creating it (mode 0600) if missing."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from CONSOLE_* variables (see docs/console.md)."""
    env = os.environ if env is None else env
    secret = env.get("CONSOLE_SECRET_KEY") or dev_secret_key(
        Path(env.get("CONSOLE_SECRET_FILE", DEFAULT_SECRET_FILE))
    )
    return Settings(
        database_url=env.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        secret_key=secret,
        low_confidence=_float(env, "CONSOLE_LOW_CONFIDENCE", 0.5),
        retention_days=_int(env, "CONSOLE_RETENTION_DAYS", 90),
        session_hours=_float(env, "CONSOLE_SESSION_HOURS", 8.0),
        session_idle_minutes=_float(env, "CONSOLE_SESSION_IDLE_MINUTES", 30.0),
        page_size=_int(env, "CONSOLE_PAGE_SIZE", 50),
        login_max_failures=_int(env, "CONSOLE_LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_int(env, "CONSOLE_LOGIN_WINDOW_SECONDS", 900),
        refresh_interval=_float(env, "CONSOLE_REFRESH_INTERVAL", 2.0),
        refresh_budget=_int(env, "CONSOLE_REFRESH_BUDGET", 20_000),
        secure_cookies=_bool(env, "CONSOLE_SECURE_COOKIES", False),
        sqlite_wal=_bool(env, "CONSOLE_SQLITE_WAL", True),
        trusted_proxies=_int(env, "CONSOLE_TRUSTED_PROXIES", 0),
        domain_file=env.get("CONSOLE_DOMAIN_FILE", ""),
        metrics_token=env.get("CONSOLE_METRICS_TOKEN", ""),
    )
