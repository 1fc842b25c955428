"""Custom-action calls on kept-alive connections (server/runtime/action_client.py),
against a real HTTP server on a local port that counts its connections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from server.runtime import action_client


class CountingServer:
    """HTTP/1.1 with keep-alive; answers every request with its connection's number.

    With `close_each`, the server closes each connection after its answer, as a
    restarted action server closes the connections it had. `status` is the answer's."""

    def __init__(self, close_each: bool = False, status: int = 200) -> None:
        self.close_each = close_each
        self.status = status
        self.connections = 0
        self.requests: list[dict] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed the connection
                break
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append({"line": lines[0], "headers": headers,
                                  "body": json.loads(body or b"null")})
            reply = json.dumps({"connection": number}).encode()
            writer.write(f"HTTP/1.1 {self.status} X\r\n".encode()
                         + b"Content-Type: application/json\r\n"
                         b"Content-Length: " + str(len(reply)).encode() + b"\r\n\r\n" + reply)
            await writer.drain()
            if self.close_each:
                break
        writer.close()


@pytest.fixture()
def installed() -> Iterator[None]:
    action_client.install()
    try:
        yield
    finally:
        action_client.uninstall()


async def calls(server: CountingServer, endpoint_for: type, n: int,
                pause: float = 0.0) -> list[dict]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    endpoints = AvailableEndpoints(action=EndpointConfig(
        f"http://127.0.0.1:{port}/webhook", token="t0ken", headers={"X-Partner": "p"}))
    assert isinstance(endpoints.action, endpoint_for)
    try:
        replies = []
        for i in range(n):
            replies.append(await endpoints.action.request(json={"next_action": f"a{i}"},
                                                          method="post"))
            await asyncio.sleep(pause)
        return replies
    finally:
        if isinstance(endpoints.action, action_client.PooledEndpointConfig):
            await endpoints.action.close()
        listener.close()


def test_calls_share_one_connection(installed: None) -> None:
    server = CountingServer()
    replies = asyncio.run(calls(server, action_client.PooledEndpointConfig, 5))
    assert replies == [{"connection": 1}] * 5
    # Rasa's request as before: same path, token, headers and body.
    first = server.requests[0]
    assert first["line"] == "POST /webhook?token=t0ken HTTP/1.1"
    assert first["headers"]["x-partner"] == "p"
    assert first["headers"]["content-type"] == "application/json"
    assert first["body"] == {"next_action": "a0"}


def test_without_the_hook_rasa_opens_a_connection_per_call() -> None:
    server = CountingServer()
    replies = asyncio.run(calls(server, EndpointConfig, 3))
    assert replies == [{"connection": 1}, {"connection": 2}, {"connection": 3}]


def test_a_connection_the_server_closed_is_not_reused(installed: None) -> None:
    server = CountingServer(close_each=True)
    replies = asyncio.run(calls(server, action_client.PooledEndpointConfig, 3, pause=0.05))
    assert replies == [{"connection": 1}, {"connection": 2}, {"connection": 3}]
    assert [r["body"]["next_action"] for r in server.requests] == ["a0", "a1", "a2"]


def test_a_rejection_is_still_rasas_error(installed: None) -> None:
    """A 4xx is raised as Rasa's ClientResponseError (RemoteAction turns a 400 into
    ActionExecutionRejection), once: nothing is sent again."""
    server = CountingServer(status=400)
    with pytest.raises(ClientResponseError) as error:
        asyncio.run(calls(server, action_client.PooledEndpointConfig, 1))
    assert error.value.status == 400
    assert len(server.requests) == 1
