"""Custom-action calls share one pool of kept-alive connections.

Rasa 3.6's `EndpointConfig.request` makes a new aiohttp session for every
request: each custom action resolves the host name in a thread, opens a TCP
connection and closes it again (0.58 ms of the Rasa process's CPU per call
against 0.14 ms on a kept-alive connection, docs/performance.md). This hook
gives the action endpoint one session, kept for the process's event loop.

- Idle connections are closed after KEEPALIVE_SECONDS, before the action
  server's own keep-alive timeout (Sanic's default: 5 s), so the client never
  sends on a connection the server is about to close. A connection the server
  has closed (it restarted) is dropped from the pool, not reused.
- No resend: a call that fails fails as before (action_outage's apology), so an
  action never runs twice.
- No cap on connections (Rasa's per-call sessions had none).
- Everything else (the request, its headers, token, timeout and certificate;
  the errors Rasa and action_outage handle) is Rasa's own behaviour. With a
  `cafile`, Rasa builds a new TLS context per call, so those calls still open a
  connection each.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import rasa.core.run
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

#: Below the action server's keep-alive timeout (Sanic: 5 s).
KEEPALIVE_SECONDS = 2.0
_ORIGINAL_INIT = AvailableEndpoints.__init__
_ORIGINAL: dict[str, Any] = {}


class PooledEndpointConfig(EndpointConfig):
    """An EndpointConfig whose requests reuse one session, made for the running loop
    (a new loop, in tests or tools, gets a new one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> PooledEndpointConfig:
        return cls(url=endpoint.url, params=endpoint.params, headers=endpoint.headers,
                   basic_auth=endpoint.basic_auth, token=endpoint.token,
                   token_name=endpoint.token_name, cafile=endpoint.cafile,
                   type=endpoint.type, **endpoint.kwargs)

    def shared_session(self) -> aiohttp.ClientSession:
        """The running loop's session, made as Rasa makes its own (headers, auth,
        timeout); a session left by another loop (tests, tools) is let go."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            self._session = aiohttp.ClientSession(
                headers=self.headers, auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS))
            self._loop = loop
        return self._session

    async def close(self) -> None:
        """Close the running loop's session (its kept-alive connections)."""
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = self._loop = None

    def session(self) -> _Borrowed:  # type: ignore[override]
        """What Rasa's `request` opens with `async with`: the shared session, left open."""
        return _Borrowed(self.shared_session())


class _Borrowed:
    """`async with` on the shared session without closing it at the end."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Rasa's shutdown, then the action endpoint's kept-alive connections."""
    try:
        await _ORIGINAL["close"](app, loop)
    finally:
        endpoint = getattr(getattr(app.ctx, "agent", None), "action_endpoint", None)
        if isinstance(endpoint, PooledEndpointConfig):
            await endpoint.close()


def _init(self: AvailableEndpoints, *args: Any, **kwargs: Any) -> None:
    _ORIGINAL_INIT(self, *args, **kwargs)
    if self.action is not None and not isinstance(self.action, PooledEndpointConfig):
        self.action = PooledEndpointConfig.of(self.action)


def install() -> None:
    AvailableEndpoints.__init__ = _init  # type: ignore[method-assign]
    if "close" not in _ORIGINAL:
        _ORIGINAL["close"] = rasa.core.run.close_resources
        rasa.core.run.close_resources = _close_resources


def uninstall() -> None:
    AvailableEndpoints.__init__ = _ORIGINAL_INIT  # type: ignore[method-assign]
    if "close" in _ORIGINAL:
        rasa.core.run.close_resources = _ORIGINAL.pop("close")
