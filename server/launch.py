"""The one way to start the Rasa server (`python -m server`), in both topologies.

`make run` (Procfile), `make run-prod` (deploy/launch.py, one per replica) and
the tests (testkit/servers.py) all start Rasa here. Rasa expands ${VAR} in
credentials.yml / endpoints.yml and stops when one is unset, so the committed
files name no variables. This reads them, adds each messenger, the callback
channel and the Pika event broker whose variables are all set (a partly
configured one stays off, with a warning naming the missing variables), writes
the result to --out (mode 0600: it holds secrets), installs the hooks of
server.runtime and runs `rasa run --credentials ... --endpoints ...` in this
process.

    python -m server [--credentials F] [--endpoints F] [--out DIR] [--dry-run]
                     [-- <more rasa run arguments>]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Switch:
    """A credentials section built from environment variables."""

    name: str
    section: str
    required: dict[str, str]
    any_of: dict[str, str] = field(default_factory=dict)
    optional: dict[str, str] = field(default_factory=dict)


SWITCHES = [
    Switch("telegram", "server.channels.telegram.SciaticalmTelegramInput",
           # No secret, no Telegram: without it anyone could post forged updates.
           required={"access_token": "TELEGRAM_ACCESS_TOKEN", "verify": "TELEGRAM_BOT_USERNAME",
                     "secret_token": "TELEGRAM_SECRET_TOKEN"},
           optional={"webhook_url": "TELEGRAM_WEBHOOK_URL", "api_base": "TELEGRAM_API_BASE"}),
    Switch("twilio", "server.channels.twilio.SciaticalmTwilioInput",
           required={"account_sid": "TWILIO_ACCOUNT_SID", "auth_token": "TWILIO_AUTH_TOKEN"},
           any_of={"twilio_number": "TWILIO_NUMBER",
                   "whatsapp_number": "TWILIO_WHATSAPP_NUMBER"},
           optional={"webhook_url": "TWILIO_WEBHOOK_URL", "api_base": "TWILIO_API_BASE"}),
    Switch("facebook", "server.channels.facebook.SciaticalmFacebookInput",
           required={"verify": "FACEBOOK_VERIFY_TOKEN", "secret": "FACEBOOK_APP_SECRET",
                     "page-access-token": "FACEBOOK_PAGE_ACCESS_TOKEN"},
           optional={"graph_url": "FACEBOOK_GRAPH_URL"}),
    Switch("callback", "server.channels.callback.PartnerCallbackInput",
           required={"url": "CALLBACK_URL", "token": "CALLBACK_TOKEN"}),
]
#: One TensorFlow and one OpenMP/OpenBLAS thread per Rasa process unless the environment
#: says otherwise: on a shared machine more threads per process only compete for the
#: same cores (docs/performance.md, "One thread per process"). Every topology starts
#: Rasa here; deploy/launch.py and the container entry point give the same to each process.
ONE_THREAD_PER_PROCESS = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
                          "OMP_NUM_THREADS": "1"}
BROKER_URL_ENV = "RABBITMQ_URL"
BROKER_QUEUE_ENV = "RABBITMQ_QUEUE"
DEFAULT_QUEUE = "sciaticalm_events"


def channel_section(switch: Switch, env: Mapping[str, str]) -> tuple[dict[str, Any] | None,
                                                                        list[str]]:
    """(credentials of the channel or None, the variables it still misses)."""
    missing = [var for var in switch.required.values() if not env.get(var)]
    if switch.any_of and not any(env.get(var) for var in switch.any_of.values()):
        missing.append(" or ".join(switch.any_of.values()))
    if missing:
        return None, missing
    values = {**switch.required, **switch.any_of, **switch.optional}
    section = {key: env[var] for key, var in values.items() if env.get(var)}
    if switch.name == "callback":  # Rasa's EndpointConfig sends these headers
        section["headers"] = {"Authorization": f"Bearer {section.pop('token')}"}
    return section, []


def broker_section(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Rasa's Pika event broker from RABBITMQ_URL (amqp://user:password@host:port/vhost)."""
    url = env.get(BROKER_URL_ENV)
    if not url:
        return None
    parts = urlsplit(url)
    host = f"{parts.scheme}://{parts.hostname}:{parts.port or 5672}{parts.path}"
    return {
        "type": "pika", "url": host, "port": parts.port or 5672,
        "username": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
        "queues": [env.get(BROKER_QUEUE_ENV) or DEFAULT_QUEUE],
        "raise_on_failure": False,
    }


def effective(credentials: dict[str, Any], endpoints: dict[str, Any],
              env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The credentials and endpoints to run with, and a report line per switch."""
    credentials, endpoints = dict(credentials), dict(endpoints)
    report: list[str] = []
    for switch in SWITCHES:
        section, missing = channel_section(switch, env)
        if section is not None:
            credentials[switch.section] = section
            report.append(f"{switch.name}: on")
        elif len(missing) < len(switch.required) + bool(switch.any_of):
            report.append(f"{switch.name}: OFF, missing {', '.join(missing)}")
        else:
            report.append(f"{switch.name}: off")
    broker = broker_section(env)
    if broker is not None:
        endpoints["event_broker"] = broker
        report.append(f"event broker: RabbitMQ queue {broker['queues'][0]}")
    else:
        report.append("event broker: off")
    return credentials, endpoints, report


def thread_defaults(env: MutableMapping[str, str]) -> None:
    """Set ONE_THREAD_PER_PROCESS's variables that `env` does not set already."""
    for key, value in ONE_THREAD_PER_PROCESS.items():
        env.setdefault(key, value)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Written by `python -m server` from the environment: do not edit.\n")
        yaml.safe_dump(data, handle, sort_keys=False, default_flow_style=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=Path, default=REPO / "credentials.yml")
    parser.add_argument("--endpoints", type=Path, default=REPO / "endpoints.yml")
    parser.add_argument("--out", type=Path, default=REPO / "var")
    parser.add_argument("--dry-run", action="store_true", help="write the files, print, exit")
    parser.add_argument("rasa_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    thread_defaults(os.environ)  # before TensorFlow and NumPy are imported (run_rasa)
    credentials, endpoints, report = effective(
        _load(args.credentials), _load(args.endpoints), os.environ)
    out_credentials = args.out / "credentials.effective.yml"
    out_endpoints = args.out / "endpoints.effective.yml"
    _write(out_credentials, credentials)
    _write(out_endpoints, endpoints)
    print("server: " + "; ".join(report), file=sys.stderr, flush=True)
    if args.dry_run:
        return 0
    rest = [a for a in args.rasa_args if a != "--"]
    run_rasa(["run", "--credentials", str(out_credentials),
              "--endpoints", str(out_endpoints), *rest])
    return 0


def run_rasa(arguments: list[str]) -> None:
    """Rasa's command line with the hooks of server.runtime installed."""
    from server.runtime import install

    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments]
    rasa_main()
