"""Staff accounts: argon2id password hashes, roles, sign-in rate limiting."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection
from zxcvbn import zxcvbn

from staff_console import tables as t

ROLES = ("reviewer", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MIN_PASSWORD = 12
#: zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable: moderate
#: protection from offline slow-hash scenario" (argon2id here).
MIN_STRENGTH = 3
_hasher = PasswordHasher()  # argon2id with the library's current defaults
# Verified when the username does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


class AccountError(ValueError):
    pass


@dataclass
class Staff:
    id: int
    username: str
    role: str
    active: bool
    session_version: int
    last_login_at: float | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, username: str = "") -> None:
    """At least MIN_PASSWORD characters, and not guessable: zxcvbn (Dropbox's
    estimator, with its lists of common passwords, words, names, keyboard
    patterns, repeats and sequences) must score it MIN_STRENGTH or more."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Password must be at least {MIN_PASSWORD} characters.")
    result = zxcvbn(password[:200], user_inputs=[username, "sciaticalm", "console", "staff"])
    if result["score"] < MIN_STRENGTH:
        hint = result["feedback"].get("warning") or "It is too easy to guess."
        raise AccountError(f"Password refused: {hint} Use a few unrelated words.")


def _staff(row: object) -> Staff:
    m = row._mapping  # type: ignore[attr-defined]
    return Staff(id=m["id"], username=m["username"], role=m["role"], active=bool(m["active"]),
                 session_version=m["session_version"], last_login_at=m["last_login_at"])


def create_user(conn: Connection, username: str, password: str, role: str) -> Staff:
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError("Username: 2-80 letters, digits or . _ @ -")
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}.")
    check_password_rules(password, username)
    if get_by_name(conn, username) is not None:
        raise AccountError(f"User {username!r} already exists.")
    new_id = conn.execute(t.users.insert().values(
        username=username, password_hash=hash_password(password), role=role, active=True,
        session_version=1, created_at=time.time(),
    )).inserted_primary_key[0]
    user = get(conn, new_id)
    assert user is not None
    return user


def get(conn: Connection, user_id: int) -> Staff | None:
    row = conn.execute(sa.select(t.users).where(t.users.c.id == user_id)).first()
    return _staff(row) if row else None


def get_row(conn: Connection, username: str) -> object | None:
    """The console_user row of this username (password hash included), or None."""
    return conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()


def get_by_name(conn: Connection, username: str) -> Staff | None:
    row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
    return _staff(row) if row else None


def all_users(conn: Connection) -> list[Staff]:
    return [_staff(r) for r in conn.execute(sa.select(t.users).order_by(t.users.c.username))]


def authenticate(conn: Connection, username: str, password: str) -> Staff | None:
    """The active user with this password, or None. Rehashes outdated hashes.

    One call on one connection (the CLI's); the sign-in view uses
    `check_credentials` outside any transaction and `record_login` in a short
    write transaction, so that argon2's work never holds the database.
    """
    checked = check_credentials(conn, username, password)
    if checked is None:
        return None
    return record_login(conn, *checked)


def check_credentials(conn: Connection, username: str, password: str
                      ) -> tuple[int, str | None] | None:
    """(user id, new hash or None) if the password is right for an active user.

    Reads only, so it can run outside a write transaction; the new hash is set
    when the stored one uses outdated parameters.
    """
    row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
    return verify_password(row, password)


def verify_password(row: object | None, password: str) -> tuple[int, str | None] | None:
    """check_credentials on a console_user row already read (None: no such user).

    Pure CPU (argon2, ~0.2 s): the sign-in view calls it with no transaction open.
    """
    if row is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    m = row._mapping  # type: ignore[attr-defined]
    try:
        _hasher.verify(m["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if not m["active"]:
        return None
    rehash = hash_password(password) if _hasher.check_needs_rehash(m["password_hash"]) else None
    return m["id"], rehash


def record_login(conn: Connection, user_id: int, new_hash: str | None = None) -> Staff | None:
    """Stamp the sign-in (and store a rehashed password); the user, if still active."""
    values: dict[str, object] = {"last_login_at": time.time()}
    if new_hash:
        values["password_hash"] = new_hash
    conn.execute(t.users.update().where(t.users.c.id == user_id).values(**values))
    user = get(conn, user_id)
    return user if user is not None and user.active else None


def set_password(conn: Connection, user_id: int, password: str) -> None:
    user = get(conn, user_id)
    check_password_rules(password, user.username if user else "")
    conn.execute(t.users.update().where(t.users.c.id == user_id).values(
        password_hash=hash_password(password),
        session_version=t.users.c.session_version + 1))
    end_sessions(conn, user_id)


def update_user(conn: Connection, user_id: int, *, role: str | None = None,
                active: bool | None = None) -> None:
    values: dict[str, object] = {}
    if role is not None:
        if role not in ROLES:
            raise AccountError("Unknown role.")
        values["role"] = role
    if active is not None:
        values["active"] = active
    if values:
        values["session_version"] = t.users.c.session_version + 1
        conn.execute(t.users.update().where(t.users.c.id == user_id).values(**values))
        end_sessions(conn, user_id)


def count_admins(conn: Connection) -> int:
    u = t.users.c
    return conn.execute(sa.select(sa.func.count()).select_from(t.users)
                        .where(u.role == "admin", u.active.is_(True))).scalar_one()


# ---------------------------------------------------------------- sessions

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(conn: Connection, user_id: int, now: float | None = None) -> str:
    """A new session token for the cookie; only its hash is stored."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    conn.execute(t.sessions.insert().values(token_hash=_token_hash(token), user_id=user_id,
                                            created_at=now, last_seen=now))
    return token


def session_last_seen(conn: Connection, user_id: int, token: str) -> float | None:
    """When this user's session was last used, or None if it was ended (or never was)."""
    s = t.sessions.c
    return conn.execute(sa.select(s.last_seen).where(
        s.token_hash == _token_hash(token), s.user_id == user_id)).scalar()


def touch_session(conn: Connection, token: str, now: float | None = None) -> None:
    conn.execute(t.sessions.update().where(t.sessions.c.token_hash == _token_hash(token))
                 .values(last_seen=time.time() if now is None else now))


def end_session(conn: Connection, token: str) -> None:
    conn.execute(t.sessions.delete().where(t.sessions.c.token_hash == _token_hash(token)))


def end_sessions(conn: Connection, user_id: int) -> None:
    """End every session of one user (password, role or status change)."""
    conn.execute(t.sessions.delete().where(t.sessions.c.user_id == user_id))


def drop_stale_sessions(conn: Connection, idle_seconds: float, max_age_seconds: float,
                        now: float | None = None) -> None:
    now = time.time() if now is None else now
    s = t.sessions.c
    conn.execute(t.sessions.delete().where(sa.or_(s.last_seen < now - idle_seconds,
                                                  s.created_at < now - max_age_seconds)))


# ---------------------------------------------------------------- rate limiting
#
# Failures are counted per (username, address) pair, and per address: a third
# party who fails on purpose slows down only their own address, never the
# staff member signing in from elsewhere. Past the limit each further failure
# doubles the wait (from BACKOFF_BASE seconds, at most the window): a back-off,
# not a lock that holds for the whole window.

BACKOFF_BASE = 30.0
ADDRESS_FACTOR = 4


def retry_after(conn: Connection, username: str, remote_addr: str, *, max_failures: int,
                window: float, now: float | None = None) -> float:
    """Seconds this username may not be tried from this address (0: go ahead)."""
    now = time.time() if now is None else now
    lf = t.login_failures.c
    since = now - window
    waits = []
    for where, limit in (
        (sa.and_(lf.username == username[:80], lf.remote_addr == remote_addr[:64]),
         max_failures),
        (lf.remote_addr == remote_addr[:64], max_failures * ADDRESS_FACTOR),
    ):
        count, last = conn.execute(sa.select(sa.func.count(), sa.func.max(lf.ts))
                                   .where(where, lf.ts > since)).one()
        if count >= limit and last is not None:
            wait = min(window, BACKOFF_BASE * 2 ** (count - limit))
            waits.append(max(0.0, last + wait - now))
    return max(waits, default=0.0)


def is_locked_out(conn: Connection, username: str, remote_addr: str, *, max_failures: int,
                  window: float, now: float | None = None) -> bool:
    """Too many recent failed sign-ins for this username from this address, or from it."""
    return retry_after(conn, username, remote_addr, max_failures=max_failures, window=window,
                       now=now) > 0


def record_failure(conn: Connection, username: str, remote_addr: str,
                   now: float | None = None) -> None:
    now = time.time() if now is None else now
    conn.execute(t.login_failures.insert().values(
        username=username[:80], remote_addr=remote_addr[:64], ts=now))
    # Keep the table small: drop failures older than a day.
    conn.execute(t.login_failures.delete().where(t.login_failures.c.ts < now - 86_400))


def clear_failures(conn: Connection, username: str, remote_addr: str | None = None) -> None:
    """Forget a username's failures (from one address when given) after a sign-in."""
    lf = t.login_failures.c
    where = lf.username == username[:80]
    if remote_addr is not None:
        where = sa.and_(where, lf.remote_addr == remote_addr[:64])
    conn.execute(t.login_failures.delete().where(where))
