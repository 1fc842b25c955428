"""The console's Prometheus metrics and GET /metrics (docs/deployment.md, "Metrics").

Counted per app (each app has its own registry):

- `sciaticalm_console_requests_total{endpoint, status}`: every response, by the
  Flask endpoint that served it ("unmatched" for an unknown path) and its status;
- `sciaticalm_console_request_seconds`: how long requests took;
- `sciaticalm_console_logins_failed_total`: wrong username or password;
- `sciaticalm_console_logins_refused_total`: sign-ins refused while a back-off lasts;
- `sciaticalm_console_exports_total{kind}`: conversation exports (csv, json) and
  training exports from the Inbox (training_zip).

Who may read /metrics (the console is staff-only and its counts are not public):
with CONSOLE_METRICS_TOKEN set, only a request with `Authorization: Bearer <token>`
(Prometheus's `authorization` setting of the scrape job); without it, only a request
from the machine itself (the client address is 127.0.0.1 or ::1, as the console sees
it: behind a reverse proxy on the same machine, set CONSOLE_TRUSTED_PROXIES so that
the proxy's visitors are not taken for local, or set the token). Anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram

from sciaticalm.metrics import bounded, scrape

EXPORT_KINDS = ("csv", "json", "training_zip")
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
EXTENSION = "console_metrics"


class ConsoleMetrics:
    """One app's metrics, in a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter("sciaticalm_console_requests", "Responses by endpoint and status",
                                ["endpoint", "status"], registry=self.registry)
        self.seconds = Histogram("sciaticalm_console_request_seconds",
                                 "Time to answer a request, seconds", buckets=BUCKETS,
                                 registry=self.registry)
        self.logins_failed = Counter("sciaticalm_console_logins_failed",
                                     "Sign-ins with a wrong username or password",
                                     registry=self.registry)
        self.logins_refused = Counter("sciaticalm_console_logins_refused",
                                      "Sign-ins refused while a back-off lasts",
                                      registry=self.registry)
        self.exports = Counter("sciaticalm_console_exports", "Exports, by kind", ["kind"],
                               registry=self.registry)

    def export(self, kind: str) -> None:
        self.exports.labels(bounded(kind, EXPORT_KINDS)).inc()


def of(app: Flask | None = None) -> ConsoleMetrics:
    """The metrics of `app` (default: the current one)."""
    return (app or current_app).extensions[EXTENSION]


def allowed(token: str, authorization: str | None, remote_addr: str | None) -> bool:
    """May this request read /metrics? (pure: see the module's docstring)"""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False


def init_app(app: Flask, token: str) -> None:
    """Count every response and serve GET /metrics (endpoint "metrics")."""
    metrics = ConsoleMetrics()
    app.extensions[EXTENSION] = metrics

    @app.before_request
    def _metrics_start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _metrics_count(resp: Response) -> Response:
        endpoint = request.endpoint if request.url_rule is not None else None
        metrics.requests.labels(endpoint or "unmatched", str(resp.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            metrics.seconds.observe(time.perf_counter() - started)
        return resp

    def metrics_view() -> Response:
        if not allowed(token, request.headers.get("Authorization"), request.remote_addr):
            return Response("metrics: loopback or bearer token only\n", status=403,
                            mimetype="text/plain")
        body, content_type = scrape(metrics.registry)
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
