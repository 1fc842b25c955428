"""Sciaticalm staff console: a Flask app over Rasa's SQL conversation log."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from flask import Flask, g, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from staff_console.config import Settings, from_env
from staff_console.db import is_busy, make_engine

#: Strict-Transport-Security sent on every HTTPS response (one year).
HSTS = "max-age=31536000; includeSubDomains"


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over HTTPS.

    CONSOLE_SECURE_COOKIES=1 forces it for every response; without it the
    flag follows the request's scheme (behind a proxy that terminates TLS the
    scheme comes from X-Forwarded-Proto, trusted with CONSOLE_TRUSTED_PROXIES).
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure)

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, engine: Engine | None = None,
               *, migrate: bool = True) -> Flask:
    """Application factory.

    Runs the Alembic migrations on start-up (migrate=False skips them).
    """
    settings = settings or from_env()
    engine = engine or make_engine(settings.database_url, sqlite_wal=settings.sqlite_wal)
    if migrate:
        from staff_console.migrate import upgrade

        upgrade(engine)

    app = Flask(__name__)
    app.session_interface = SessionInterface()
    if settings.trusted_proxies > 0:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="sciaticalm_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=1_000_000,
    )
    app.jinja_env.autoescape = True  # every template, whatever its extension
    app.extensions["console"] = ConsoleState(settings=settings, engine=engine)

    csrf.init_app(app)
    from staff_console import metrics
    from staff_console.views import admin, auth, conversations, inbox, overview

    metrics.init_app(app, settings.metrics_token)  # first: it times every request

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(conversations.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(admin.bp)
    _register_filters(app)

    @app.errorhandler(CSRFError)
    def _csrf_error(e: CSRFError) -> tuple[str, int]:
        return render_template("error.html", code=400, message=e.description), 400

    @app.errorhandler(403)
    def _forbidden(_e: Any) -> tuple[str, int]:
        return render_template("error.html", code=403, message="Admins only."), 403

    @app.errorhandler(404)
    def _not_found(_e: Any) -> tuple[str, int]:
        return render_template("error.html", code=404, message="Not found."), 404

    @app.errorhandler(OperationalError)
    def _busy(e: OperationalError) -> Any:
        """A database still busy after the retries: 503 and "try again", not a 500."""
        if not is_busy(e):
            raise e
        html = render_template("error.html", code=503,
                               message="The database is busy: please try again.")
        return html, 503, {"Retry-After": "2"}

    @app.after_request
    def _headers(resp: Any) -> Any:
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.before_request
    def _timer() -> None:
        g.started = time.perf_counter()

    return app


class ConsoleState:
    """Per-app objects: settings, engine, refresh throttle and small caches."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.last_refresh = 0.0
        self.cache: dict[str, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def maybe_refresh(self) -> None:
        """Fold new events if the last refresh is older than the interval."""
        from staff_console.refresh import refresh

        now = time.monotonic()
        if now - self.last_refresh < self.settings.refresh_interval:
            return
        self.last_refresh = now
        try:
            refresh(self.engine, budget=self.settings.refresh_budget, blocking=False)
        except OperationalError as error:
            # A page view's refresh is opportunistic: if the file stayed busy past the
            # timeout, show the page from the summary as it is; the next view folds.
            if not is_busy(error):
                raise

    def cached(self, key: str, ttl: float, compute: Any) -> Any:
        hit = self.cache.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < ttl:
            return hit[1]
        value = compute()
        self.cache[key] = (now, value)
        return value


def _register_filters(app: Flask) -> None:
    def fmt_ts(ts: float | None) -> str:
        if ts is None:
            return ""
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")

    def fmt_conf(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    app.jinja_env.filters["ts"] = fmt_ts
    app.jinja_env.filters["conf"] = fmt_conf
