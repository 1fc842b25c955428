"""Shared by every process's /metrics (no Rasa, no web server): label values from
fixed sets only, and the scrape body.

A label value is always one of a small fixed set (channel names, tiers, reasons,
action names): `bounded` turns anything outside its set into "other", so a value
that came from outside (a visitor, a caller of the action server) can never become
a label and the number of series stays bounded.

`scrape(registry)` renders a registry in Prometheus's text format. With several
worker processes of one server (SANIC_WORKERS / ACTION_SERVER_SANIC_WORKERS > 1,
or a WSGI server with worker processes), set PROMETHEUS_MULTIPROC_DIR to an empty
folder before the processes start: prometheus-client then keeps each process's
values in files there and the scrape adds them up, whichever worker answers it.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
OTHER = "other"

#: The input channels' own names (server/channels/), the labels of Rasa's metrics.
CHANNELS = frozenset({"rest", "socketio", "partner", "telegram", "twilio", "facebook"})


def bounded(value: object, allowed: Collection[str], other: str = OTHER) -> str:
    """`value` when it is one of `allowed`, else `other`."""
    return value if isinstance(value, str) and value in allowed else other


def channel_label(name: object) -> str:
    """A channel's label: its name when it is one of ours, else "other"."""
    return bounded(name, CHANNELS)


def scrape(registry: CollectorRegistry) -> tuple[bytes, str]:
    """(body, content type) of a scrape of `registry`; with PROMETHEUS_MULTIPROC_DIR
    set, of every worker process's values instead."""
    if os.environ.get(MULTIPROC_ENV):
        combined = CollectorRegistry()
        MultiProcessCollector(combined)
        return generate_latest(combined), CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE_LATEST
