"""Local HTTP servers that record what they receive: fake provider APIs
(Telegram Bot API, Twilio REST API, Facebook Graph API), a partner's callback
receiver and a recording proxy in front of the action server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None


# A handler gets the recorded request and returns (status, JSON body).
Handler = Callable[[Recorded], tuple[int, Any]]


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 that records every request."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[Recorded] = []
        self._changed = threading.Condition()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path,
                               {k: v[0] for k, v in parse_qs(parts.query).items()},
                               {k.lower(): v for k, v in self.headers.items()}, raw)
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype and raw:
                    rec.json = json.loads(raw)
                elif "x-www-form-urlencoded" in ctype:
                    rec.form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, body = handler(rec)
                with fake._changed:
                    fake.requests.append(rec)
                    fake._changed.notify_all()
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, predicate: Callable[[list[Recorded]], bool], timeout: float = 60
                 ) -> list[Recorded]:
        """Wait until predicate(requests so far) holds; return the requests."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(list(self.requests)), timeout):
                raise TimeoutError(f"condition not met; got {len(self.requests)} request(s): "
                                   f"{[r.path for r in self.requests]}")
            return list(self.requests)

    def since(self, start: int) -> list[Recorded]:
        with self._changed:
            return list(self.requests[start:])


# ---------------------------------------------------------------- providers

TELEGRAM_BOT = {"id": 424242, "is_bot": True, "first_name": "Sciaticalm",
                "username": "sciaticalm_test_bot"}


def telegram_api(rec: Recorded) -> tuple[int, Any]:
    """Telegram Bot API: /bot<token>/<method> (form or JSON parameters)."""
    method = rec.path.rsplit("/", 1)[-1]
    params = rec.form or rec.json or {}
    if method == "getMe":
        return 200, {"ok": True, "result": TELEGRAM_BOT}
    if method == "setWebhook":
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}
    if method == "sendMessage":
        return 200, {"ok": True, "result": {
            "message_id": len(params), "date": 1_700_000_000,
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
            "text": params.get("text", "")}}
    return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


def twilio_api(rec: Recorded) -> tuple[int, Any]:
    """Twilio REST API: POST /2010-04-01/Accounts/<sid>/Messages.json."""
    parts = rec.path.split("/")
    if rec.method == "POST" and rec.path.endswith("/Messages.json") and len(parts) == 5:
        return 201, {"sid": f"SM{len(rec.raw):032d}", "account_sid": parts[3],
                     "to": rec.form.get("To"), "from": rec.form.get("From"),
                     "body": rec.form.get("Body"), "status": "queued", "num_segments": "1"}
    return 404, {"code": 20404, "message": "not found", "status": 404}


def graph_api(rec: Recorded) -> tuple[int, Any]:
    """Facebook Graph API: POST /me/messages."""
    if rec.path.endswith("/me/messages"):
        recipient = ((rec.json or {}).get("recipient") or {}).get("id")
        return 200, {"recipient_id": recipient, "message_id": "m_test"}
    return 404, {"error": {"message": "unknown path"}}


def accept(_: Recorded) -> tuple[int, Any]:
    return 200, {"status": "ok"}


def forwarding_to(target: str) -> Handler:
    """A recording proxy: forwards each POST body to target + path."""

    def forward(rec: Recorded) -> tuple[int, Any]:
        resp = requests.post(target + rec.path, data=rec.raw, timeout=60,
                             headers={"Content-Type": "application/json"})
        return resp.status_code, resp.json()

    return forward
