"""Every way a caller can consume (or not consume) a streamed body ends the span exactly once.

Plain httpx and httpx2, sync and async, against a real local server sending an OpenAI chat
stream: exhausted through each iterator, read whole, closed early, left through a ``with`` block,
broken out of, abandoned and garbage-collected, cut by a connection reset.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any, Callable

import httpx
import httpx2
import pytest

from tests.conftest import exception_events
from tests.support.openai_wire import (
    MODEL,
    RESPONSE_ID,
    chat_stream_body,
    chat_stream_reply,
    only_span,
)
from tests.support.scripted_server import ScriptedServer

MODULES = pytest.mark.parametrize("module", [httpx2, httpx], ids=["httpx2", "httpx"])
WORDS = 40


@pytest.fixture
def server() -> Any:
    with ScriptedServer(chat_stream_reply(words=WORDS)) as server:
        yield server


@pytest.fixture
def traced(server: Any, instrument: Any) -> Any:
    instrument(f"{server.host_port}=openai")
    return server


def _assert_complete(span: Any) -> None:
    attrs = span.attributes
    assert span.name == f"chat {MODEL}"
    assert attrs["gen_ai.response.id"] == RESPONSE_ID
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == WORDS
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0
    assert span.status.status_code.name == "UNSET"


CONSUMERS: dict[str, Callable[[Any], bytes]] = {
    "iter_bytes": lambda r: b"".join(r.iter_bytes()),
    "iter_raw": lambda r: b"".join(r.iter_raw()),
    "iter_text": lambda r: "".join(r.iter_text()).encode(),
    "iter_lines": lambda r: "\n".join(r.iter_lines()).encode(),
    "read": lambda r: r.read(),
}


@MODULES
@pytest.mark.parametrize("consume", list(CONSUMERS))
def test_sync_consumers(module: Any, consume: str, traced: Any, span_exporter: Any) -> None:
    with (
        module.Client() as client,
        client.stream(
            "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
        ) as response,
    ):
        data = CONSUMERS[consume](response)
        assert b"[DONE]" in data
        # Usage is known once the body is consumed, before the block is left.
    _assert_complete(only_span(span_exporter))


@MODULES
def test_non_streamed_send(module: Any, traced: Any, span_exporter: Any) -> None:
    with module.Client() as client:
        response = client.post(traced.url + "/v1/chat/completions", content=chat_stream_body())
    assert response.content.endswith(b"data: [DONE]\n\n")
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.usage.output_tokens"] == WORDS
    # The body was read inside send(): no chunk timing for a call that did not stream to us.
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes


@MODULES
def test_closed_before_reading(module: Any, traced: Any, span_exporter: Any) -> None:
    with module.Client() as client:
        request = client.build_request(
            "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
        )
        response = client.send(request, stream=True)
        assert span_exporter.get_finished_spans() == ()
        response.close()
    span = only_span(span_exporter)
    assert "gen_ai.usage.input_tokens" not in span.attributes
    assert span.status.status_code.name == "UNSET"


@MODULES
def test_break_out_of_iteration(module: Any, traced: Any, span_exporter: Any) -> None:
    with (
        module.Client() as client,
        client.stream(
            "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
        ) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data:"):
                break
        # The abandoned iterator is closed at once (CPython refcounting), which closes the
        # response: the span has ended before the ``with`` block is left.
        span = only_span(span_exporter)
    assert only_span(span_exporter) is span
    assert span.attributes["gen_ai.response.id"] == RESPONSE_ID
    assert "gen_ai.usage.output_tokens" not in span.attributes


@MODULES
def test_abandoned_stream_is_collected(module: Any, traced: Any, span_exporter: Any) -> None:
    client = module.Client()
    request = client.build_request(
        "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
    )
    response = client.send(request, stream=True)
    iterator = response.iter_bytes()
    next(iterator)
    del iterator, response, request
    gc.collect()
    only_span(span_exporter)
    client.close()


@MODULES
def test_abandoned_unread_response_is_collected(
    module: Any, traced: Any, span_exporter: Any
) -> None:
    client = module.Client()
    request = client.build_request(
        "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
    )
    client.send(request, stream=True)
    gc.collect()
    only_span(span_exporter)
    client.close()


@MODULES
def test_connection_reset_mid_stream(
    module: Any, instrument: Any, span_exporter: Any, log_exporter: Any
) -> None:
    reply = chat_stream_reply(words=WORDS)
    reply.reset_after = 5
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=openai")
        with (
            module.Client() as client,
            client.stream(
                "POST", server.url + "/v1/chat/completions", content=chat_stream_body()
            ) as response,
            pytest.raises(module.TransportError) as raised,
        ):
            for _ in response.iter_bytes():
                pass
    span = only_span(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "transport"  # docs/semconv.md, error.type rule 4
    assert not span.events  # the log event, not an exception span event
    (event,) = exception_events(log_exporter)
    assert event.attributes["exception.type"].endswith(type(raised.value).__qualname__)


ASYNC_CONSUMERS = {
    "aiter_bytes": lambda r: _join(r.aiter_bytes()),
    "aiter_raw": lambda r: _join(r.aiter_raw()),
    "aiter_lines": lambda r: _join(r.aiter_lines(), "\n"),
    "aiter_text": lambda r: _join(r.aiter_text(), ""),
    "aread": lambda r: r.aread(),
}


async def _join(iterator: Any, sep: Any = b"") -> Any:
    parts = [part async for part in iterator]
    return sep.join(parts)


@MODULES
@pytest.mark.parametrize("consume", list(ASYNC_CONSUMERS))
def test_async_consumers(module: Any, consume: str, traced: Any, span_exporter: Any) -> None:
    async def run() -> None:
        async with (
            module.AsyncClient() as client,
            client.stream(
                "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
            ) as response,
        ):
            data = await ASYNC_CONSUMERS[consume](response)
            assert "[DONE]" in (data.decode() if isinstance(data, bytes) else data)

    asyncio.run(run())
    _assert_complete(only_span(span_exporter))


@MODULES
def test_async_break_and_close(module: Any, traced: Any, span_exporter: Any) -> None:
    async def run() -> None:
        async with module.AsyncClient() as client:
            request = client.build_request(
                "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
            )
            response = await client.send(request, stream=True)
            async for _ in response.aiter_bytes():
                break
            await response.aclose()

    asyncio.run(run())
    only_span(span_exporter)


@MODULES
def test_async_cancelled_mid_stream(module: Any, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_stream_reply(words=WORDS, pause_s=0.05)) as server:
        instrument(f"{server.host_port}=openai")

        async def consume() -> None:
            async with (
                module.AsyncClient() as client,
                client.stream(
                    "POST", server.url + "/v1/chat/completions", content=chat_stream_body()
                ) as response,
            ):
                async for _ in response.aiter_bytes():
                    pass

        async def run() -> None:
            task = asyncio.ensure_future(consume())
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(run())
    span = only_span(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "cancelled"


@MODULES
def test_isinstance_checks_still_pass(module: Any, traced: Any, span_exporter: Any) -> None:
    with (
        module.Client() as client,
        client.stream(
            "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
        ) as response,
    ):
        assert isinstance(response, module.Response)
        assert isinstance(response.stream, module.SyncByteStream)
        response.read()
        assert response.elapsed.total_seconds() >= 0
    only_span(span_exporter)


def test_time_per_output_chunk_is_off_by_default(
    traced: Any, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    # The fixture instrumented with the defaults: the per-chunk metric is opt-in (one SDK record
    # costs more than the client's own work per event), time to first chunk is always there.
    with (
        httpx2.Client() as client,
        client.stream(
            "POST", traced.url + "/v1/chat/completions", content=chat_stream_body()
        ) as response,
    ):
        response.read()
    assert metric_points("gen_ai.client.operation.time_per_output_chunk") == []
    ttfc = metric_points("gen_ai.client.operation.time_to_first_chunk")
    assert sum(p.count for p in ttfc) == 1


def test_time_per_output_chunk_can_be_switched_off(
    server: Any, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    server.responder = chat_stream_reply(words=10, pause_s=0.001)
    instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="false")
    with (
        httpx2.Client() as client,
        client.stream(
            "POST", server.url + "/v1/chat/completions", content=chat_stream_body()
        ) as response,
    ):
        response.read()
    assert metric_points("gen_ai.client.operation.time_per_output_chunk") == []
    assert sum(p.count for p in metric_points("gen_ai.client.operation.time_to_first_chunk")) == 1


def test_time_per_output_chunk_on(
    server: Any, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    reply = chat_stream_reply(words=10, pause_s=0.01)
    server.responder = reply
    instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK="true")
    with (
        httpx2.Client() as client,
        client.stream(
            "POST", server.url + "/v1/chat/completions", content=chat_stream_body()
        ) as response,
    ):
        chunks = sum(1 for _ in response.iter_raw())
    assert chunks > 10
    # One interval per output event after the first: 10 content chunks, not every read (the
    # role-only first chunk, the finish and usage chunks and [DONE] carry no output).
    points = metric_points("gen_ai.client.operation.time_per_output_chunk")
    assert sum(p.count for p in points) == 10 - 1
    assert all(p.attributes.get("gen_ai.response.model") for p in points)
