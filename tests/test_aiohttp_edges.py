"""aiohttp at the edges of a call: redirects, resends, and every way of reading a body to its end.

One logical call is one span and one duration point, whatever the client library: a call that an
aiohttp session follows through redirects (301, 302, 303, 307, 308, one hop or several, to the
same or another server) is one span, as it is with httpx's ``follow_redirects``; so is one that
gives up (``TooManyRedirects``). Every public read method of aiohttp's ``StreamReader`` (found by
introspection, so a method a later aiohttp adds fails here until it has a way of reading)
reads a complete body to its end without the call being marked as failed, ``readexactly()``'s
``IncompleteReadError`` at the end included.

Real clients against real servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, Iterator

import aiohttp
import httpx
import httpx2
import pytest

from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from tests.support.openai_wire import chat_reply, chat_request, chat_stream_reply
from tests.support.scripted_server import Received, Reply, ScriptedServer

SCOPE = "opentelemetry.instrumentation.llm_router"
PATH = "/v1/chat/completions"
BODY = json.dumps(chat_request()).encode()
REDIRECTS = (301, 302, 303, 307, 308)
CLIENTS = ("httpx", "httpx-async", "httpx2", "httpx2-async", "aiohttp")


def _ours(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


def _durations(metric_points: Any) -> int:
    return sum(p.count for p in metric_points("gen_ai.client.operation.duration"))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(chat_reply()) as running:
        yield running


def _redirecting(status: int, hops: int, target: str = "") -> Callable[[Received], Reply]:
    """``/hop/N/...`` answers ``status`` to ``/hop/N-1/...``; ``/hop/0/...`` to ``target`` + the
    chat path, which answers the chat completion."""

    def respond(received: Received) -> Reply:
        if received.path.startswith("/hop/"):
            left = int(received.path.split("/")[2])
            location = f"/hop/{left - 1}{PATH}" if left > 0 else f"{target}{PATH}"
            return Reply(status=status, headers={"Location": location}, pieces=[b""])
        return chat_reply()

    return respond


def _post(kind: str, url: str, **options: Any) -> int:
    """POST the chat request with redirects followed (each library's own way); the status."""
    if kind == "aiohttp":

        async def run() -> int:
            async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9
                async with session.post(url, data=BODY, **options) as response:
                    await response.read()
                    return response.status

        return asyncio.run(run())
    module = httpx2 if kind.startswith("httpx2") else httpx
    follow = options.get("allow_redirects", True)
    if kind.endswith("-async"):

        async def run_async() -> int:
            async with module.AsyncClient(follow_redirects=follow, **_max(options)) as client:
                return int((await client.post(url, content=BODY)).status_code)

        return asyncio.run(run_async())
    with module.Client(follow_redirects=follow, **_max(options)) as client:
        return int(client.post(url, content=BODY).status_code)


def _max(options: dict[str, Any]) -> dict[str, Any]:
    return {"max_redirects": options["max_redirects"]} if "max_redirects" in options else {}


@pytest.mark.parametrize("hops", [1, 3])
@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("kind", CLIENTS)
def test_a_redirected_call_is_one_span_and_one_duration(
    kind: str,
    status: int,
    hops: int,
    server: ScriptedServer,
    instrument: Any,
    span_exporter: Any,
    metric_points: Any,
) -> None:
    server.responder = _redirecting(status, hops - 1)
    instrument(f"{server.host_port}=openai")
    assert _post(kind, f"{server.url}/hop/{hops - 1}{PATH}") == 200
    assert len(server.received) == hops + 1
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "UNSET"
    assert span.attributes[A.HTTP_RESPONSE_STATUS_CODE] == 200
    assert span.attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert _durations(metric_points) == 1


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_redirect_to_another_server_is_still_one_span(
    kind: str, server: ScriptedServer, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    with ScriptedServer(chat_reply()) as other:  # not a provider host
        server.responder = _redirecting(307, 0, target=other.url)
        instrument(f"{server.host_port}=openai")
        assert _post(kind, f"{server.url}/hop/0{PATH}") == 200
        assert len(other.received) == 1
    (span,) = _ours(span_exporter)
    assert span.attributes[A.SERVER_ADDRESS] == "127.0.0.1"
    assert span.attributes[A.SERVER_PORT] == server.port  # where the call was made
    assert span.attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert _durations(metric_points) == 1


@pytest.mark.parametrize("kind", CLIENTS)
def test_too_many_redirects_is_one_failed_span(
    kind: str, server: ScriptedServer, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    server.responder = _redirecting(307, 100)
    instrument(f"{server.host_port}=openai")
    with pytest.raises(Exception) as raised:
        _post(kind, f"{server.url}/hop/100{PATH}", max_redirects=3)
    assert type(raised.value).__name__ == "TooManyRedirects"
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[A.ERROR_TYPE] == type(raised.value).__qualname__
    assert _durations(metric_points) == 1


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_redirect_not_followed_is_the_answer(
    kind: str, server: ScriptedServer, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    server.responder = _redirecting(307, 0)
    instrument(f"{server.host_port}=openai")
    assert _post(kind, f"{server.url}/hop/0{PATH}", allow_redirects=False) == 307
    assert len(server.received) == 1
    (span,) = _ours(span_exporter)
    assert span.attributes[A.HTTP_RESPONSE_STATUS_CODE] == 307
    assert _durations(metric_points) == 1


def test_a_redirect_without_location_is_the_answer(
    server: ScriptedServer, instrument: Any, span_exporter: Any
) -> None:
    """aiohttp returns a redirect status without ``Location`` as the response: the call ends."""
    server.responder = Reply(status=307, pieces=[b""])
    instrument(f"{server.host_port}=openai")
    assert _post("aiohttp", f"{server.url}{PATH}") == 307
    (span,) = _ours(span_exporter)
    assert span.attributes[A.HTTP_RESPONSE_STATUS_CODE] == 307


# -- every read method of aiohttp's StreamReader, to the end of a complete body ---------------


async def _until_empty(read: Callable[[], Awaitable[bytes]]) -> bytes:
    parts = []
    while part := await read():
        parts.append(part)
    return b"".join(parts)


async def _readexactly(content: Any, size: int) -> bytes:
    """Frames of ``size`` until ``IncompleteReadError``, readexactly()'s end of the body."""
    parts = []
    while True:
        try:
            parts.append(await content.readexactly(size))
        except asyncio.IncompleteReadError as end:
            parts.append(end.partial)
            return b"".join(parts)


async def _readchunk(content: Any) -> bytes:
    parts = []
    while True:
        data, end = await content.readchunk()
        if not data and not end:
            return b"".join(parts)
        parts.append(data)


async def _read_nowait(content: Any) -> bytes:
    await content.wait_eof()
    return bytes(content.read_nowait())


async def _join(iterator: Any) -> bytes:
    return b"".join([part async for part in iterator])


async def _chunks(content: Any) -> bytes:
    return b"".join([data async for data, _ in content.iter_chunks()])


def _whole_then_end(size_of_body: int) -> Callable[[Any], Awaitable[bytes]]:
    async def read(content: Any) -> bytes:
        whole = await content.readexactly(size_of_body)
        return whole + await _readexactly(content, 1)  # and then the end: b"" partial

    return read


WAYS: dict[str, list[tuple[str, Callable[[Any, int], Awaitable[bytes]]]]] = {
    "read": [
        ("read()", lambda c, n: c.read()),
        ("read(7) until b''", lambda c, n: _until_empty(lambda: c.read(7))),
    ],
    "readany": [("readany() until b''", lambda c, n: _until_empty(c.readany))],
    "readline": [("readline() until b''", lambda c, n: _until_empty(c.readline))],
    "readuntil": [
        ("readuntil(b'}') until b''", lambda c, n: _until_empty(lambda: c.readuntil(b"}")))
    ],
    "readexactly": [
        ("readexactly(7) until IncompleteReadError", lambda c, n: _readexactly(c, 7)),
        ("readexactly(1) until IncompleteReadError", lambda c, n: _readexactly(c, 1)),
        ("readexactly(size) then IncompleteReadError", lambda c, n: _whole_then_end(n)(c)),
    ],
    "readchunk": [("readchunk() until (b'', False)", lambda c, n: _readchunk(c))],
    "read_nowait": [("wait_eof() then read_nowait()", lambda c, n: _read_nowait(c))],
    "iter_any": [("iter_any()", lambda c, n: _join(c.iter_any()))],
    "iter_chunked": [("iter_chunked(5)", lambda c, n: _join(c.iter_chunked(5)))],
    "iter_chunks": [("iter_chunks()", lambda c, n: _chunks(c))],
    "__aiter__": [("async for line", lambda c, n: _join(c))],
}
READ_CASES = [(method, way) for method, ways in WAYS.items() for way, _ in ways]


def test_every_read_method_of_the_stream_reader_has_a_way_here() -> None:
    methods = {
        name
        for name in dir(aiohttp.StreamReader)
        if name.startswith(("read", "iter")) or name == "__aiter__"
    }
    assert methods == set(WAYS)


def _bodies() -> dict[str, Reply]:
    return {"stream": chat_stream_reply(words=6), "body": chat_reply()}


@pytest.mark.parametrize("shape", ["stream", "body"])
@pytest.mark.parametrize(("method", "way"), READ_CASES, ids=[w for _, w in READ_CASES])
def test_every_read_method_to_the_end_is_a_complete_call(
    method: str,
    way: str,
    shape: str,
    server: ScriptedServer,
    instrument: Any,
    span_exporter: Any,
) -> None:
    reply = _bodies()[shape]
    server.responder = reply
    read = dict(WAYS[method])[way]
    instrument(f"{server.host_port}=openai")

    async def run() -> bytes:
        async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9
            async with session.post(f"{server.url}{PATH}", data=BODY) as response:
                got = await read(response.content, len(reply.body))
                # the call ended when the body did, not when the response was released
                assert len(_ours(span_exporter)) == 1
                return got

    assert asyncio.run(run()) == reply.body
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "UNSET", span.status.description
    assert A.ERROR_TYPE not in span.attributes
    assert span.attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == (6 if shape == "stream" else 5)
