"""Custom-action calls on kept-alive connections (server/runtime/action_client.py),
against a real HTTP server on a local port that counts its connections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

from server.runtime import action_client


class CountingServer:
    """HTTP/1.1 with keep-alive; answers every request with its connection's number.

    With `drop_second`, the second request on each connection gets no answer: the
    connection is closed, as a restarted action server's connections are."""

    def __init__(self, drop_second: bool = False) -> None:
        self.drop_second = drop_second
        self.connections = 0
        self.requests: list[dict] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, served = self.connections, 0
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed the connection
                break
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            served += 1
            if self.drop_second and served == 2:
                break
            self.requests.append({"line": lines[0], "headers": headers,
                                  "body": json.loads(body or b"null")})
            reply = json.dumps({"connection": number}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(reply)).encode() + b"\r\n\r\n" + reply)
            await writer.drain()
        writer.close()


@pytest.fixture()
def installed() -> Iterator[None]:
    action_client.install()
    try:
        yield
    finally:
        action_client.uninstall()


async def calls(server: CountingServer, endpoint_for: type, n: int) -> list[dict]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    endpoints = AvailableEndpoints(action=EndpointConfig(
        f"http://127.0.0.1:{port}/webhook", token="t0ken", headers={"X-Partner": "p"}))
    assert isinstance(endpoints.action, endpoint_for)
    try:
        return [await endpoints.action.request(json={"next_action": f"a{i}"}, method="post")
                for i in range(n)]
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


def test_a_connection_closed_by_the_server_is_replaced_once(installed: None) -> None:
    server = CountingServer(drop_second=True)
    replies = asyncio.run(calls(server, action_client.PooledEndpointConfig, 3))
    assert replies == [{"connection": 1}, {"connection": 2}, {"connection": 3}]
    assert [r["body"]["next_action"] for r in server.requests] == ["a0", "a1", "a2"]
