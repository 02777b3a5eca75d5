"""A stream's reads reach the caller before the hook parses them, and nothing is lost for it.

The hook hands each read on first and parses it when the caller comes back for more (a first read
holding a whole coalesced stream would otherwise wait for its parse). What that read says (the
response id and model, the time to first chunk) must still be on the span however the stream
ends right after the caller got it: exhausted, closed, broken out of, abandoned and collected, cut
by the network, cancelled. Real local servers, plain httpx and httpx2, sync and async.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from typing import Any, Callable

import httpx
import httpx2
import pytest

from opentelemetry.instrumentation.llm_router._genai import GenAICall
from tests.support.openai_wire import (
    RESPONSE_ID,
    RESPONSE_MODEL,
    chat_stream_body,
    chat_stream_events,
    only_span,
)
from tests.support.scripted_server import ScriptedServer, sse_reply

MODULES = pytest.mark.parametrize("module", [httpx2, httpx], ids=["httpx2", "httpx"])
PATH = "/v1/chat/completions"


def _reply(pause_s: float = 0.05, reset_after: Any = None) -> Any:
    """An OpenAI chat stream whose first piece holds the role event and the first output event
    (so the first read alone names the response and sets time to first chunk)."""
    events = chat_stream_events(words=3)
    reply = sse_reply([events[0] + events[1], *events[2:]], pause_s=pause_s)
    reply.reset_after = reset_after
    return reply


def _assert_first_read_on(span: Any) -> None:
    """What only the first read says is on the span."""
    attrs = span.attributes
    assert attrs["gen_ai.response.id"] == RESPONSE_ID
    assert attrs["gen_ai.response.model"] == RESPONSE_MODEL
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0


@MODULES
def test_first_chunk_is_handed_on_before_it_is_parsed(
    module: Any, instrument: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    timed = GenAICall.output_events

    def output_events(self: GenAICall, now_ns: int, count: int = 1) -> None:
        order.append("parsed")
        timed(self, now_ns, count)

    monkeypatch.setattr(GenAICall, "output_events", output_events)
    with ScriptedServer(_reply()) as server:
        instrument(f"{server.host_port}=openai")
        with (
            module.Client() as client,
            client.stream("POST", server.url + PATH, content=chat_stream_body()) as response,
        ):
            received_ns = 0
            for chunk in response.iter_bytes():
                if not received_ns:
                    received_ns = time.time_ns()
                    order.append("received")
                    assert b"w0" in chunk
    assert order == ["received", "parsed"]  # the first output event, timed after the hand-on
    span = only_span(span_exporter)
    _assert_first_read_on(span)
    assert span.attributes["gen_ai.usage.output_tokens"] == 3
    # Time to first chunk is when the read arrived, not when it was parsed.
    ttfc_ns = span.attributes["gen_ai.response.time_to_first_chunk"] * 1e9
    assert span.start_time + ttfc_ns <= received_ns + 1_000  # float rounding


def _exhausted(response: Any) -> None:
    for _ in response.iter_bytes():
        pass


def _closed(response: Any) -> None:
    next(response.iter_bytes())
    response.close()


def _broken_out_of(response: Any) -> None:
    for _ in response.iter_bytes():
        break


def _abandoned(response: Any) -> None:
    iterator = response.iter_bytes()
    next(iterator)
    del iterator, response
    gc.collect()


ENDINGS: dict[str, Callable[[Any], None]] = {
    "exhausted": _exhausted,
    "closed": _closed,
    "broken-out-of": _broken_out_of,
    "abandoned": _abandoned,
}


@MODULES
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_first_read_lands_however_the_stream_ends(
    module: Any, ending: str, instrument: Any, span_exporter: Any
) -> None:
    with ScriptedServer(_reply()) as server:
        instrument(f"{server.host_port}=openai")
        client = module.Client()
        request = client.build_request("POST", server.url + PATH, content=chat_stream_body())
        ENDINGS[ending](client.send(request, stream=True))
        gc.collect()
        span = only_span(span_exporter)
        client.close()
    _assert_first_read_on(span)
    if ending == "exhausted":
        assert span.attributes["gen_ai.usage.output_tokens"] == 3
    else:
        assert "gen_ai.usage.output_tokens" not in span.attributes
    assert span.status.status_code.name == "UNSET"


@MODULES
def test_first_read_lands_when_the_connection_is_cut(
    module: Any, instrument: Any, span_exporter: Any
) -> None:
    with ScriptedServer(_reply(reset_after=1)) as server:
        instrument(f"{server.host_port}=openai")
        with (
            module.Client() as client,
            client.stream("POST", server.url + PATH, content=chat_stream_body()) as response,
            pytest.raises(module.TransportError),
        ):
            _exhausted(response)
    span = only_span(span_exporter)
    _assert_first_read_on(span)
    assert span.attributes["error.type"] == "transport"


@MODULES
@pytest.mark.parametrize("ending", ["closed", "cancelled", "failed"])
def test_async_first_read_lands_however_the_stream_ends(
    module: Any, ending: str, instrument: Any, span_exporter: Any
) -> None:
    async def consume(server: Any, first: asyncio.Event) -> None:
        async with (
            module.AsyncClient() as client,
            client.stream("POST", server.url + PATH, content=chat_stream_body()) as response,
        ):
            async for _ in response.aiter_bytes():
                first.set()
                if ending == "closed":
                    break
                if ending == "failed":
                    raise RuntimeError("the caller's own error")
                await asyncio.sleep(30)  # cancelled here, holding the first read

    async def run(server: Any) -> None:
        first = asyncio.Event()
        task = asyncio.ensure_future(consume(server, first))
        await first.wait()
        if ending == "cancelled":
            task.cancel()
        expected = (asyncio.CancelledError, RuntimeError)
        with pytest.raises(expected) if ending != "closed" else contextlib.nullcontext():
            await task

    with ScriptedServer(_reply(pause_s=0.5)) as server:
        instrument(f"{server.host_port}=openai")
        asyncio.run(run(server))
    span = only_span(span_exporter)
    _assert_first_read_on(span)
