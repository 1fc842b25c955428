"""Load for the production tests: REST visitors (threads, requests) and socket.io
visitors (one asyncio loop, python-socketio's AsyncClient over WebSocket), each
running a conversation of several turns through nginx, and recording what the
log must hold afterwards.

A REST turn carries a `message_id`; on 502/503/504 or a lost connection the
visitor sends the same turn again with the same id (server/channels/rest.py never
logs a repeated id twice), as the web widget's outbox does.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
import socketio
from engineio.payload import Payload

TURNS = ["hello", "what trainers should I buy for my back?", "how long should I hold a plank",
         "is it ok to run with back pain", "what stretches help", "tell me about core strength",
         "how often should I run", "should I change how my foot lands",
         "how much should I increase my mileage", "thanks, bye"]
RETRY_STATUSES = (429, 502, 503, 504)  # 429: a busy conversation, wait and resend
# These test clients are python-engineio too, whose decoder refuses a long-polling
# response of more than 16 packets and then drops the connection; a flood's replies
# come back in bigger batches. (The widget's JavaScript client has no such limit.)
Payload.max_decode_packets = 10_000


class _Collect(logging.Handler):
    """Keeps engine.io client warnings (why a connection attempt failed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 50:
            self.messages.append(record.getMessage())


EIO_WARNINGS = _Collect()
EIO_LOG = logging.getLogger("tests.prod.engineio")
EIO_LOG.addHandler(EIO_WARNINGS)
EIO_LOG.setLevel(logging.WARNING)
EIO_LOG.propagate = False
Expected = list[tuple[str, str | None]]


@dataclass
class Tally:
    """What the visitors saw, shared by all threads."""

    statuses: Counter = field(default_factory=Counter)
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, code: int | str) -> None:
        with self.lock:
            self.statuses[code] += 1

    def turn_done(self) -> None:
        with self.lock:
            self.answered += 1


def rest_turn(session: requests.Session, url: str, sender: str, text: str, tally: Tally,
              attempts: int = 60) -> list[dict]:
    """One turn, sent again with the same message_id until it is answered."""
    body = {"sender": sender, "message": text, "message_id": uuid.uuid4().hex}
    for attempt in range(attempts):
        try:
            resp = session.post(url, json=body, timeout=90)
        except requests.RequestException:
            tally.status("connection error")
            time.sleep(min(0.25 * (attempt + 1), 2))
            continue
        tally.status(resp.status_code)
        if resp.status_code in RETRY_STATUSES:
            if resp.status_code == 503:  # a clean failure always says what to show
                assert resp.json()["messages"], resp.text[:200]
            time.sleep(min(0.25 * (attempt + 1), 2))
            continue
        assert resp.status_code == 200, (resp.status_code, resp.text[:300])
        replies = resp.json()
        assert replies, f"{sender}: {text!r} got no reply"
        tally.turn_done()
        return replies
    raise AssertionError(f"{sender}: {text!r} never answered ({attempts} attempts)")


def rest_conversation(url: str, sender: str, turns: list[str], tally: Tally) -> Expected:
    expected: Expected = []
    with requests.Session() as session:
        for text in turns:
            replies = rest_turn(session, url, sender, text, tally)
            expected.append(("user", text))
            expected += [("bot", r.get("text")) for r in replies]
    return expected


async def sio_conversation(base_url: str, session_id: str, turns: list[str], tally: Tally,
                           reply_timeout: float = 90, auth: dict | None = None) -> Expected:
    """A widget-like socket.io visitor: session_request, then one message per
    reply. `?visitor=` lets nginx spread socket.io visitors over the replicas.
    HTTP long-polling: the pinned aiohttp 3.9 is older than python-engineio's
    WebSocket client needs (ClientWSTimeout); the widget uses WebSocket."""
    # request_timeout: engine.io's 5 s default is too short for a handshake while
    # 150 REST visitors keep both replicas busy.
    client = socketio.AsyncClient(reconnection=False, request_timeout=60,
                                  engineio_logger=EIO_LOG)
    received: list[dict] = []
    confirmed = asyncio.Event()
    turn_ended = asyncio.Event()

    async def on_confirm(_: object) -> None:
        confirmed.set()

    async def on_bot(data: dict) -> None:
        received.append(data)

    async def on_turn_end(_: object) -> None:
        turn_ended.set()

    client.on("session_confirm", on_confirm)
    client.on("bot_uttered", on_bot)
    client.on("bot_turn_end", on_turn_end)
    for attempt in range(5):  # as the widget does, connect again if the first try fails
        try:
            await client.connect(f"{base_url}?visitor={session_id}", socketio_path="/socket.io",
                                 transports=["polling"], wait_timeout=60, auth=auth)
            break
        except socketio.exceptions.ConnectionError as exc:
            tally.status(f"socket.io connect retry ({exc})")
            if attempt == 4:
                raise
            await asyncio.sleep(1 + attempt)
    expected: Expected = []
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 90)
        for text in turns:
            before = len(received)
            turn_ended.clear()
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
            # bot_turn_end follows the turn's last bot_uttered (server/channels/socketio.py)
            try:
                await asyncio.wait_for(turn_ended.wait(), reply_timeout)
            except asyncio.TimeoutError:
                raise AssertionError(f"{session_id}: no end of turn for {text!r}") from None
            assert len(received) > before, f"{session_id}: no reply to {text!r}"
            tally.status("socket.io reply")
            tally.turn_done()
            expected.append(("user", text))
            expected += [("bot", m.get("text")) for m in received[before:]]
    finally:
        # abort: do not wait up to 30 s for the pending long-poll request to end
        await client.eio.disconnect(abort=True)
    return expected


UNACKNOWLEDGED = "unacknowledged"  # Expected's kind for a turn whose end never arrived
RESEND_REASONS = ("too_fast", "unavailable")  # refused or failed: not logged, send again


def _refused(replies: list[dict]) -> bool:
    """A refusal or failure notice (content/service.yml): the turn is not in the log."""
    return any(((r.get("custom") or {}).get("sciaticalm") or {}).get("reason") in RESEND_REASONS
               for r in replies)


async def sio_conversation_resuming(base_url: str, session_id: str, turns: list[str],
                                    tally: Tally, reply_timeout: float = 90,
                                    auth: dict | None = None) -> Expected:
    """sio_conversation for a link that may break: a lost connection does not end
    the visitor, who connects again (a new engine.io session, through nginx to
    whichever replica answers), asks for the same session and goes on. A turn
    answered with a refusal or failure notice ("send it again") is sent again. A
    turn whose end never arrived is not sent again (a socket.io message has no id,
    so a resent one could be logged twice): it is in the result as
    (UNACKNOWLEDGED, text), and the log may hold it at most once, in its place."""
    received: list[dict] = []
    confirmed, turn_ended, lost = asyncio.Event(), asyncio.Event(), asyncio.Event()
    client: socketio.AsyncClient | None = None

    async def connect() -> socketio.AsyncClient:
        for attempt in range(10):
            new = socketio.AsyncClient(reconnection=False, request_timeout=60,
                                       engineio_logger=EIO_LOG)
            new.on("session_confirm", lambda _: confirmed.set())
            new.on("bot_uttered", lambda data: received.append(data))
            new.on("bot_turn_end", lambda _: turn_ended.set())
            new.on("disconnect", lambda *_: lost.set())
            confirmed.clear()
            lost.clear()
            try:
                await new.connect(f"{base_url}?visitor={session_id}",
                                  socketio_path="/socket.io", transports=["polling"],
                                  wait_timeout=60, auth=auth)
                await new.emit("session_request", {"session_id": session_id})
                await asyncio.wait_for(confirmed.wait(), 60)
                return new
            except (socketio.exceptions.SocketIOError, asyncio.TimeoutError) as exc:
                tally.status(f"socket.io connect retry ({type(exc).__name__})")
                await new.eio.disconnect(abort=True)
                await asyncio.sleep(min(1 + attempt, 5))
        raise AssertionError(f"{session_id}: could not connect again")

    expected: Expected = []
    try:
        for text in turns:
            for _attempt in range(30):
                if client is None:
                    client = await connect()
                before = len(received)
                turn_ended.clear()
                try:
                    await client.emit("user_uttered", {"message": text, "session_id": session_id})
                except socketio.exceptions.SocketIOError:
                    lost.set()  # not sent: send it again once connected
                    await client.eio.disconnect(abort=True)
                    client = None
                    continue
                waiters = [asyncio.ensure_future(turn_ended.wait()),
                           asyncio.ensure_future(lost.wait())]
                await asyncio.wait(waiters, timeout=reply_timeout,
                                   return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
                if turn_ended.is_set():
                    replies = received[before:]
                    assert replies, f"{session_id}: no reply to {text!r}"
                    if _refused(replies):
                        tally.status("socket.io refused, sent again")
                        await asyncio.sleep(1)
                        continue
                    tally.status("socket.io reply")
                    tally.turn_done()
                    expected.append(("user", text))
                    expected += [("bot", m.get("text")) for m in replies]
                else:
                    tally.status("socket.io turn unacknowledged")
                    expected.append((UNACKNOWLEDGED, text))
                    await client.eio.disconnect(abort=True)
                    client = None
                break
            else:
                raise AssertionError(f"{session_id}: {text!r} refused 30 times")
    finally:
        if client is not None:
            await client.eio.disconnect(abort=True)
    return expected


def matches_log(logged: Expected, expected: Expected) -> bool:
    """The log holds exactly the expected turns, in order, each once; a turn marked
    UNACKNOWLEDGED may be there (its user event and the bot events after it) or
    not, at most once, in its place."""
    i = 0
    for kind, text in expected:
        if kind == UNACKNOWLEDGED:
            if i < len(logged) and logged[i] == ("user", text):
                i += 1
                while i < len(logged) and logged[i][0] == "bot":
                    i += 1
            continue
        if i >= len(logged) or logged[i] != (kind, text):
            return False
        i += 1
    return i == len(logged)


def run_mixed(base_url: str, rest_senders: list[str], sio_sessions: list[str],
              turns: list[str], tally: Tally,
              during: Callable[[], None] | None = None,
              sio_auth: dict | None = None, sio_resume: bool = False) -> dict[str, Expected]:
    """Run every conversation at once; call `during()` (a fault) while they run.
    `sio_resume`: socket.io visitors connect again after a lost connection
    (sio_conversation_resuming)."""
    conversation = sio_conversation_resuming if sio_resume else sio_conversation
    results: dict[str, Expected] = {}
    errors: list[BaseException] = []

    def sio_thread() -> None:
        async def main() -> None:
            outcomes = await asyncio.gather(
                *(conversation(base_url, s, turns, tally, auth=sio_auth)
                  for s in sio_sessions),
                return_exceptions=True)
            for session, outcome in zip(sio_sessions, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    errors.append(outcome)
                else:
                    results[session] = outcome
        asyncio.run(main())

    thread = threading.Thread(target=sio_thread) if sio_sessions else None
    if thread:
        thread.start()
    rest_url = f"{base_url}/webhooks/rest/webhook"
    with ThreadPoolExecutor(max(1, len(rest_senders))) as pool:
        futures = {s: pool.submit(rest_conversation, rest_url, s, turns, tally)
                   for s in rest_senders}
        if during is not None:
            during()
        for sender, future in futures.items():
            try:
                results[sender] = future.result()
            except BaseException as exc:  # collect, report all together
                errors.append(exc)
    if thread:
        thread.join()
    assert not errors, f"{len(errors)} conversations failed; first: {errors[0]!r}"
    return results

