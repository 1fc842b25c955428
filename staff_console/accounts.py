"""Staff accounts: argon2id password hashes, roles, sign-in rate limiting."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from staff_console import tables as t

ROLES = ("reviewer", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MIN_PASSWORD = 12
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


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Password must be at least {MIN_PASSWORD} characters.")


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
    check_password_rules(password)
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


def get_by_name(conn: Connection, username: str) -> Staff | None:
    row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
    return _staff(row) if row else None


def all_users(conn: Connection) -> list[Staff]:
    return [_staff(r) for r in conn.execute(sa.select(t.users).order_by(t.users.c.username))]


def authenticate(conn: Connection, username: str, password: str) -> Staff | None:
    """The active user with this password, or None. Rehashes outdated hashes."""
    row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
    if row is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not row.active:
        return None
    values: dict[str, object] = {"last_login_at": time.time()}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    conn.execute(t.users.update().where(t.users.c.id == row.id).values(**values))
    return get(conn, row.id)


def set_password(conn: Connection, user_id: int, password: str) -> None:
    check_password_rules(password)
    conn.execute(t.users.update().where(t.users.c.id == user_id).values(
        password_hash=hash_password(password),
        session_version=t.users.c.session_version + 1))


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


def count_admins(conn: Connection) -> int:
    u = t.users.c
    return conn.execute(sa.select(sa.func.count()).select_from(t.users)
                        .where(u.role == "admin", u.active.is_(True))).scalar_one()


# ---------------------------------------------------------------- rate limiting

def is_locked_out(conn: Connection, username: str, remote_addr: str, *, max_failures: int,
                  window: float, now: float | None = None) -> bool:
    """Too many failed sign-ins for this username, or from this address, recently."""
    now = time.time() if now is None else now
    lf = t.login_failures.c
    since = now - window
    by_user = conn.execute(sa.select(sa.func.count()).select_from(t.login_failures)
                           .where(lf.username == username[:80], lf.ts > since)).scalar_one()
    by_addr = conn.execute(sa.select(sa.func.count()).select_from(t.login_failures)
                           .where(lf.remote_addr == remote_addr[:64], lf.ts > since)).scalar_one()
    return by_user >= max_failures or by_addr >= max_failures * 4


def record_failure(conn: Connection, username: str, remote_addr: str,
                   now: float | None = None) -> None:
    now = time.time() if now is None else now
    conn.execute(t.login_failures.insert().values(
        username=username[:80], remote_addr=remote_addr[:64], ts=now))
    # Keep the table small: drop failures older than a day.
    conn.execute(t.login_failures.delete().where(t.login_failures.c.ts < now - 86_400))


def clear_failures(conn: Connection, username: str) -> None:
    conn.execute(t.login_failures.delete().where(t.login_failures.c.username == username[:80]))
