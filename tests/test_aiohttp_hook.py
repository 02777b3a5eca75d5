"""aiohttp: every call a real ``aiohttp.ClientSession`` makes to a loopback provider is traced
the way the httpx hook traces it, and every way the caller reads (or drops) the body ends the span
exactly once.

Each wire format through aiohttp; every reader (``read``/``json``/``text``, ``iter_any``,
``iter_chunked``, ``iter_chunks``, ``async for line``, ``readline``, ``readany``, ``readchunk``,
``readexactly``, ``read_nowait``) with the bytes compared against an uninstrumented control;
released, closed, broken out of, cancelled, abandoned and garbage-collected; upstream faults
compared with the uninstrumented call; secrets, exclusions, unknown hosts, the metrics switch,
the opt-ins; an httpx client on an aiohttp transport (one span, not two); and instrumenting
before aiohttp is imported.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import textwrap
import zlib
from typing import Any, Awaitable, Callable, Iterator

import aiohttp
import httpx
import httpx_aiohttp
import pytest

from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from tests.conftest import exception_events
from tests.support.otlp_faults import free_port
from tests.support.scripted_server import Reply, ScriptedServer
from tests.support.span_audit import CountingSpanProcessor, span_problems
from tests.support.upstream_faults import FAULTS, Fault
from tests.support.wire_samples import FAMILIES, STREAMING_FAMILIES, Exchange, exchange

SCOPE = "opentelemetry.instrumentation.llm_router"
CHAT = exchange("openai_chat", True, completion=" ".join(["word"] * 40), output_tokens=40)
EXCHANGES = [exchange(f, False) for f in FAMILIES] + [
    exchange(f, True, completion="a b c d e f") for f in STREAMING_FAMILIES
]
EXCHANGE_IDS = [f"{x.family}-{'stream' if x.stream else 'body'}" for x in EXCHANGES]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(CHAT.reply()) as running:
        yield running


@pytest.fixture
def counter(tracer_provider: Any) -> CountingSpanProcessor:
    processor = CountingSpanProcessor()
    tracer_provider.add_span_processor(processor)
    return processor


def _ours(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


def _one(span_exporter: Any) -> Any:
    spans = _ours(span_exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def _check(span: Any, x: Exchange) -> None:
    attributes = span.attributes
    assert not span_problems(span)
    assert span.status.status_code.name == "UNSET"
    assert span.kind.name == "CLIENT"
    assert attributes[A.GEN_AI_PROVIDER_NAME] == x.provider
    assert attributes[A.GEN_AI_USAGE_INPUT_TOKENS] == x.expect["input_tokens"]
    assert attributes.get(A.GEN_AI_USAGE_OUTPUT_TOKENS) == x.expect.get("output_tokens")
    assert attributes.get(A.GEN_AI_RESPONSE_ID) == x.expect.get("response_id")
    assert attributes[A.HTTP_RESPONSE_STATUS_CODE] == 200
    if x.stream:
        assert attributes[A.GEN_AI_REQUEST_STREAM] is True
        assert attributes[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
    else:
        assert A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK not in attributes


def _run(
    url: str, x: Exchange, read: Callable[[Any], Awaitable[Any]], **session: Any
) -> tuple[int, Any]:
    async def call() -> tuple[int, Any]:
        async with aiohttp.ClientSession(**session) as client:  # noqa: SIM117 - Python 3.9
            async with client.post(url + x.path, data=x.request_body) as response:
                return response.status, await read(response)

    return asyncio.run(call())


async def _lines(r: Any) -> bytes:
    return b"".join([line async for line in r.content])


async def _readline(r: Any) -> bytes:
    parts = []
    while line := await r.content.readline():
        parts.append(line)
    return b"".join(parts)


async def _readany(r: Any) -> bytes:
    parts = []
    while part := await r.content.readany():
        parts.append(part)
    return b"".join(parts)


async def _readchunk(r: Any) -> bytes:
    parts = []
    while True:
        data, end = await r.content.readchunk()
        if not data and not end:
            return b"".join(parts)
        parts.append(data)


async def _readexactly(r: Any) -> bytes:
    head = await r.content.readexactly(10)
    return head + await r.content.read()


async def _read_nowait(r: Any) -> bytes:
    await r.content.wait_eof()
    return r.content.read_nowait()


READERS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "response.read": lambda r: r.read(),
    "response.text": lambda r: r.text(),
    "content.read": lambda r: r.content.read(),
    "iter_any": lambda r: _join(r.content.iter_any()),
    "iter_chunked": lambda r: _join(r.content.iter_chunked(7)),
    "iter_chunks": lambda r: _join(_first(r.content.iter_chunks())),
    "async-for-lines": _lines,
    "readline": _readline,
    "readany": _readany,
    "readchunk": _readchunk,
    "readexactly": _readexactly,
    "read_nowait": _read_nowait,
}


async def _join(iterator: Any) -> bytes:
    return b"".join([part async for part in iterator])


async def _first(iterator: Any) -> Any:
    async for data, _ in iterator:
        yield data


@pytest.mark.parametrize("x", EXCHANGES, ids=EXCHANGE_IDS)
def test_every_wire_format(x: Exchange, server: Any, instrument: Any, span_exporter: Any) -> None:
    server.responder = x.reply()
    instrument(f"{server.host_port}={x.provider}")
    status, body = _run(server.url, x, lambda r: r.read())
    assert (status, body) == (200, x.body)
    _check(_one(span_exporter), x)


def test_json_reader(server: Any, instrument: Any, span_exporter: Any) -> None:
    x = exchange("openai_chat", False)
    server.responder = x.reply()
    instrument(f"{server.host_port}=openai")
    _status, value = _run(server.url, x, lambda r: r.json())
    assert value == json.loads(x.body)
    _check(_one(span_exporter), x)


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_gets_the_same_bytes(
    reader: str, server: Any, instrument: Any, span_exporter: Any
) -> None:
    control = _run(server.url, CHAT, READERS[reader])
    instrument(f"{server.host_port}=openai")
    assert _run(server.url, CHAT, READERS[reader]) == control
    body = control[1].encode() if isinstance(control[1], str) else control[1]
    assert body == CHAT.body
    _check(_one(span_exporter), CHAT)


def _left(how: str) -> Callable[[Any], Awaitable[Any]]:
    async def leave(r: Any) -> None:
        if how == "release-unread":
            r.release()
        elif how == "close-unread":
            r.close()
        elif how == "break-then-release":
            async for _ in r.content.iter_any():
                break
            r.release()
        elif how == "break-then-leave-context":
            async for _ in r.content:
                break
        elif how == "leave-context-unread":
            pass

    return leave


@pytest.mark.parametrize(
    "how",
    [
        "release-unread",
        "close-unread",
        "break-then-release",
        "break-then-leave-context",
        "leave-context-unread",
    ],
)
def test_body_left_behind_ends_the_span(
    how: str, server: Any, instrument: Any, span_exporter: Any, counter: CountingSpanProcessor
) -> None:
    instrument(f"{server.host_port}=openai")
    status, _ = _run(server.url, CHAT, _left(how))
    assert status == 200
    span = _one(span_exporter)
    assert counter.started == counter.ended == 1 and counter.double_ends == 0
    assert span.status.status_code.name == "UNSET"
    assert A.GEN_AI_USAGE_OUTPUT_TOKENS not in span.attributes  # never read: never guessed


@pytest.mark.parametrize("how", ["drop-unread", "drop-mid-way", "drop-mid-way-session-closed"])
def test_abandoned_response_is_collected(
    how: str, server: Any, instrument: Any, span_exporter: Any, counter: CountingSpanProcessor
) -> None:
    """aiohttp's connection holds a response until its body has arrived: a dropped response is
    garbage once the body is in (or the session is closed), and then its span ends."""
    if how == "drop-mid-way-session-closed":
        server.responder = _slow(CHAT, pause_s=0.05)  # still streaming when dropped
    instrument(f"{server.host_port}=openai")

    async def run() -> None:
        session = aiohttp.ClientSession()
        response = await session.post(server.url + CHAT.path, data=CHAT.request_body)
        if how != "drop-unread":
            await response.content.readany()
        del response
        if how == "drop-mid-way-session-closed":
            gc.collect()
            assert _ours(span_exporter) == []  # still held by its connection
            await session.close()
        else:
            await asyncio.sleep(0.2)  # the rest of the body arrives
        gc.collect()
        assert len(_ours(span_exporter)) == 1
        await session.close()

    asyncio.run(run())
    gc.collect()
    assert counter.started == counter.ended == 1 and counter.open_spans == []
    assert counter.double_ends == 0


def test_isinstance_and_attributes_of_the_reader(
    server: Any, instrument: Any, span_exporter: Any
) -> None:
    instrument(f"{server.host_port}=openai")

    async def read(r: Any) -> None:
        content = r.content
        assert isinstance(content, aiohttp.StreamReader)
        assert type(content).__name__ == "ObservedContent"
        body = await content.read()
        assert content.total_bytes == len(body) == len(CHAT.body)
        assert content.at_eof() and content.is_eof() and content.exception() is None
        assert "StreamReader" in repr(content)

    _run(server.url, CHAT, read)
    _check(_one(span_exporter), CHAT)


def test_cancelled_mid_stream(
    server: Any, instrument: Any, span_exporter: Any, counter: CountingSpanProcessor
) -> None:
    server.responder = _slow(CHAT, pause_s=0.02)

    async def run() -> BaseException:
        seen = asyncio.Event()

        async def consume() -> None:
            async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9
                async with session.post(server.url + CHAT.path, data=CHAT.request_body) as r:
                    async for _ in r.content.iter_any():
                        seen.set()

        outside = trace.get_current_span()
        task = asyncio.ensure_future(consume())
        await seen.wait()
        task.cancel()
        try:
            await task
        except BaseException as exc:
            assert trace.get_current_span() is outside
            return exc
        raise AssertionError("the task finished despite its cancellation")

    control = asyncio.run(run())
    instrument(f"{server.host_port}=openai")
    raised = asyncio.run(run())
    assert type(raised) is type(control) is asyncio.CancelledError
    span = _one(span_exporter)
    assert counter.started == counter.ended == 1
    assert span.status.status_code.name == "ERROR"
    assert span.attributes[A.ERROR_TYPE] == "cancelled"


def test_cancelled_before_headers(
    server: Any, instrument: Any, span_exporter: Any, counter: CountingSpanProcessor
) -> None:
    server.responder = _slow(CHAT, delay_headers_s=1.0)
    instrument(f"{server.host_port}=openai")

    async def run() -> None:
        async def call() -> None:
            async with aiohttp.ClientSession() as session:
                await session.post(server.url + CHAT.path, data=CHAT.request_body)

        outside = trace.get_current_span()
        task = asyncio.ensure_future(call())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert trace.get_current_span() is outside

    asyncio.run(run())
    span = _one(span_exporter)
    assert counter.started == counter.ended == 1
    assert span.attributes[A.ERROR_TYPE] == "cancelled"


def _slow(x: Exchange, **changes: Any) -> Reply:
    reply = x.reply()
    for name, value in changes.items():
        setattr(reply, name, value)
    return reply


def _outcome(url: str, x: Exchange) -> tuple[Any, ...]:
    """What a caller gets: status and bytes, or the exception's type and message."""

    async def call() -> tuple[Any, ...]:
        try:
            timeout = aiohttp.ClientTimeout(total=None, sock_read=0.3)
            async with aiohttp.ClientSession(timeout=timeout) as session:  # noqa: SIM117 - Python 3.9
                async with session.post(url + x.path, data=x.request_body) as response:
                    return response.status, await response.read()
        except Exception as exc:
            return type(exc), str(exc)

    return asyncio.run(call())


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_upstream_fault(
    fault_name: str,
    server: Any,
    instrument: Any,
    span_exporter: Any,
    log_exporter: Any,
    counter: CountingSpanProcessor,
) -> None:
    fault: Fault = FAULTS[fault_name]
    if fault.reply is None:
        port = free_port()
        url, target = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    else:
        server.responder = fault.reply
        url, target = server.url, server.host_port
    control = _outcome(url, fault.exchange)
    instrument(f"{target}={fault.exchange.provider}")
    outcome = _outcome(url, fault.exchange)
    assert outcome == control
    span = _one(span_exporter)
    assert counter.started == counter.ended == 1 and counter.double_ends == 0
    assert not span_problems(span)
    attributes = span.attributes
    if isinstance(outcome[0], type):
        assert span.status.status_code.name == "ERROR"
        assert attributes[A.ERROR_TYPE] == _expected_error_type(outcome[0])
        assert not span.events  # the log event, not an exception span event
        (event,) = exception_events(log_exporter)
        assert event.attributes["exception.type"].endswith(outcome[0].__qualname__)
    elif fault.error_type is not None:
        assert span.status.status_code.name == "ERROR"
        assert attributes[A.ERROR_TYPE] == fault.error_type
        assert attributes[A.HTTP_RESPONSE_STATUS_CODE] == outcome[0]
    else:
        assert span.status.status_code.name == "UNSET"
        assert A.GEN_AI_USAGE_OUTPUT_TOKENS not in attributes


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
@pytest.mark.parametrize("decompress", [True, False], ids=["auto", "raw"])
def test_compressed_bodies(
    coding: str, decompress: bool, server: Any, instrument: Any, span_exporter: Any
) -> None:
    """aiohttp decompresses by default (the reader sees plain bytes); with
    ``auto_decompress=False`` the caller reads the compressed bytes and we decode our copy."""
    compressor = zlib.compressobj(wbits=31 if coding == "gzip" else 15)
    pieces = [compressor.compress(piece) for piece in CHAT.pieces] + [compressor.flush()]
    server.responder = Reply(
        content_type=CHAT.content_type,
        pieces=[p for p in pieces if p],
        chunked=True,
        headers={"Content-Encoding": coding},
    )
    instrument(f"{server.host_port}=openai")
    _, body = _run(server.url, CHAT, lambda r: r.read(), auto_decompress=decompress)
    assert body == (CHAT.body if decompress else b"".join(pieces))
    _check(_one(span_exporter), CHAT)


def test_unknown_host_and_non_genai_path_pass_untouched(
    server: Any, instrument: Any, span_exporter: Any
) -> None:
    instrument("api.example.invalid=openai")  # not the server

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url + CHAT.path, data=CHAT.request_body) as r:
                assert await r.read() == CHAT.body
            assert session._middlewares == ()

    asyncio.run(run())
    assert _ours(span_exporter) == []


def test_non_genai_path(server: Any, instrument: Any, span_exporter: Any) -> None:
    server.responder = Reply(pieces=[b'{"data":[]}'])
    instrument(f"{server.host_port}=openai")

    async def run() -> bytes:
        async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9
            async with session.get(server.url + "/v1/models") as r:
                return await r.read()

    assert asyncio.run(run()) == b'{"data":[]}'
    assert _ours(span_exporter) == []


def test_base_url_and_url_objects(server: Any, instrument: Any, span_exporter: Any) -> None:
    instrument(f"{server.host_port}=openai")

    async def run() -> None:
        async with aiohttp.ClientSession(base_url=server.url + "/v1/") as session:  # noqa: SIM117 - Python 3.9
            async with session.post("chat/completions", data=CHAT.request_body) as r:
                assert await r.read() == CHAT.body
        async with aiohttp.ClientSession() as session:
            url = aiohttp.client.URL(server.url + CHAT.path)
            async with session.post(url, json=json.loads(CHAT.request_body)) as r:
                assert await r.read() == CHAT.body

    asyncio.run(run())
    spans = _ours(span_exporter)
    assert len(spans) == 2
    for span in spans:
        _check(span, CHAT)


def _expected_error_type(raised: type) -> str:
    """``error.type`` for an exception aiohttp raised (docs/semconv.md, rule 4)."""
    if issubclass(raised, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return "timeout"
    if issubclass(raised, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)):
        return "transport"
    return raised.__qualname__


def test_connect_error(instrument: Any, span_exporter: Any) -> None:
    port = free_port()
    instrument(f"127.0.0.1:{port}=openai")
    outcome = _outcome(f"http://127.0.0.1:{port}", CHAT)
    assert outcome[0] is aiohttp.ClientConnectorError
    span = _one(span_exporter)
    assert span.attributes[A.ERROR_TYPE] == "transport"  # docs/semconv.md, error.type rule 4


def test_excluded_urls(server: Any, instrument: Any, span_exporter: Any) -> None:
    instrument(
        f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_EXCLUDED_URLS="chat/completions"
    )
    assert _run(server.url, CHAT, lambda r: r.read()) == (200, CHAT.body)
    assert _ours(span_exporter) == []


def test_secrets_stay_out(server: Any, instrument: Any, span_exporter: Any) -> None:
    key = "sk-proj-aiohttpcanary1234567890"
    server.responder = Reply(
        status=401,
        pieces=[
            json.dumps(
                {
                    "error": {
                        "message": f"Incorrect API key provided: {key}.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                }
            ).encode()
        ],
    )
    instrument(f"{server.host_port}=openai")

    async def run() -> int:
        headers = {"Authorization": f"Bearer {key}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.post(server.url + CHAT.path, data=CHAT.request_body, params={"key": key}) as r,
        ):
            await r.read()
            return r.status

    assert asyncio.run(run()) == 401
    span = _one(span_exporter)
    assert span.attributes[A.ERROR_TYPE] == "invalid_api_key"
    assert key not in repr(span.to_json())
    assert "[REDACTED]" in span.status.description


def test_metrics_switch_and_metrics(
    server: Any, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    instrument(f"{server.host_port}=openai")
    _run(server.url, CHAT, lambda r: r.read())
    (duration,) = metric_points("gen_ai.client.operation.duration")
    assert duration.count == 1
    assert duration.attributes[A.GEN_AI_PROVIDER_NAME] == "openai"
    assert sum(p.count for p in metric_points("gen_ai.client.token.usage")) == 2
    assert len(metric_points("gen_ai.client.operation.time_to_first_chunk")) == 1


def test_metrics_off_keeps_spans(
    server: Any, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_RECORD_METRICS="false")
    _run(server.url, CHAT, lambda r: r.read())
    _check(_one(span_exporter), CHAT)
    assert metric_points("gen_ai.client.operation.duration") == []


def test_parent_is_the_callers_span(
    server: Any, instrument: Any, span_exporter: Any, tracer_provider: Any
) -> None:
    instrument(f"{server.host_port}=openai")
    tracer = tracer_provider.get_tracer("app")

    async def run() -> None:
        with tracer.start_as_current_span("handler") as parent:
            await _read_all(server.url)
            assert trace.get_current_span() is parent

    asyncio.run(run())
    (span,) = _ours(span_exporter)
    (parent,) = [s for s in span_exporter.get_finished_spans() if s.name == "handler"]
    assert span.parent.span_id == parent.context.span_id


async def _read_all(url: str) -> bytes:
    async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9
        async with session.post(url + CHAT.path, data=CHAT.request_body) as r:
            return await r.read()


def test_stream_include_usage_opt_in(server: Any, instrument: Any, span_exporter: Any) -> None:
    instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_STREAM_INCLUDE_USAGE="true")
    request = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}

    async def run() -> None:
        async with aiohttp.ClientSession() as session:  # noqa: SIM117 - Python 3.9
            async with session.post(server.url + CHAT.path, json=request) as r:
                await r.read()

    asyncio.run(run())
    sent = json.loads(server.received[-1].body)
    assert sent["stream_options"] == {"include_usage": True}
    assert int(server.received[-1].headers["Content-Length"]) == len(server.received[-1].body)
    _one(span_exporter)


def test_content_capture(server: Any, instrument: Any, span_exporter: Any) -> None:
    x = exchange("openai_chat", False, prompt="the aiohttp prompt")
    server.responder = x.reply()
    instrument(
        f"{server.host_port}=openai", OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true"
    )
    _run(server.url, x, lambda r: r.read())
    span = _one(span_exporter)
    assert "the aiohttp prompt" in span.attributes["gen_ai.input.messages"]
    assert "gen_ai.output.messages" in span.attributes


@pytest.mark.parametrize("streamed", [False, True], ids=["body", "stream"])
def test_httpx_on_an_aiohttp_transport_gives_one_span(
    streamed: bool, server: Any, instrument: Any, span_exporter: Any
) -> None:
    x = CHAT if streamed else exchange("openai_chat", False)
    server.responder = x.reply()
    instrument(f"{server.host_port}=openai")

    async def run() -> bytes:
        transport = httpx_aiohttp.AiohttpTransport()
        async with httpx.AsyncClient(transport=transport) as client:
            if not streamed:
                return (await client.post(server.url + x.path, content=x.request_body)).content
            async with client.stream("POST", server.url + x.path, content=x.request_body) as r:
                return b"".join([c async for c in r.aiter_bytes()])

    assert asyncio.run(run()) == x.body
    _check(_one(span_exporter), x)


def test_uninstrument_unwraps(server: Any, instrument: Any, span_exporter: Any) -> None:
    instrumentor = instrument(f"{server.host_port}=openai")
    assert hasattr(aiohttp.ClientSession._request, "__wrapped__")
    instrumentor.uninstrument()
    assert not hasattr(aiohttp.ClientSession._request, "__wrapped__")
    _run(server.url, CHAT, lambda r: r.read())
    assert _ours(span_exporter) == []
    instrumentor.instrument()
    assert hasattr(aiohttp.ClientSession._request, "__wrapped__")


def test_instrumented_before_aiohttp_is_imported(server: Any) -> None:
    """aiohttp is wrapped when the application imports it, and not imported by us before."""
    program = textwrap.dedent(
        f"""
        import asyncio, sys
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        LLMRouterInstrumentor().instrument(tracer_provider=provider)
        assert "aiohttp" not in sys.modules
        import aiohttp

        async def main():
            async with aiohttp.ClientSession() as session:
                async with session.post({server.url + CHAT.path!r}, data={CHAT.request_body!r}) as r:
                    await r.read()

        asyncio.run(main())
        print([s.name for s in exporter.get_finished_spans()])
        """
    )
    env = {"OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"{server.host_port}=openai", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['chat test-model']"


def test_aiohttp_is_declared_as_one_of_the_instrumented_libraries() -> None:
    """``instruments-any``: any one of httpx, httpx2 and aiohttp satisfies the instrumentor (the
    extra that opentelemetry-instrument's dependency check reads), and the code says the same."""
    from importlib.metadata import distribution

    from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts
    from packaging.requirements import Requirement

    from opentelemetry.instrumentation.llm_router.package import _instruments_any

    dist = distribution("opentelemetry-instrumentation-llm-router")
    declared = {
        str(Requirement(r).name) + str(Requirement(r).specifier)
        for r in dist.requires or []
        if "instruments-any" in r
    }
    assert declared == {r.replace(" ", "") for r in _instruments_any}
    assert "aiohttp>=3.12" in declared
    assert get_dist_dependency_conflicts(dist) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/chat/completions",
        "https://API.OpenAI.com",
        "http://127.0.0.1:8080/v1/messages?beta=true",
        "https://user:secret@gateway.internal:9443/v1",
        "http://[::1]:8000/v1/chat/completions",
        "http://[fe80::1]/v1",
        "https://api.mistral.ai?x=1",
        "https://api.groq.com#frag",
        "https://generativelanguage.googleapis.com:443/v1beta/models/m:generateContent",
    ],
)
def test_cheap_host_parse_agrees_with_yarl(url: str) -> None:
    """The unknown-host check reads the host from the URL string without building a URL object;
    it must find the host and explicit port aiohttp's own URL type finds (up to case)."""
    from opentelemetry.instrumentation.llm_router._aiohttp._hook import _host_port

    parsed = aiohttp.client.URL(url)
    host, port = _host_port(url)
    assert (host.lower() if host else host, port) == (parsed.host, parsed.explicit_port)


@pytest.mark.parametrize("url", ["/v1/chat/completions", "ftp:/x", "api.openai.com/v1", ""])
def test_cheap_host_parse_gives_up_on_relative_urls(url: str) -> None:
    from opentelemetry.instrumentation.llm_router._aiohttp._hook import _host_port

    assert _host_port(url) == (None, None)
