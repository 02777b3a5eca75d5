"""Secrets and content: API keys never reach telemetry; prompts and completions only when asked.

Every wire format, streamed and not, through httpx2 and through aiohttp, is called with ``Authorization``, ``x-api-key``,
``api-key`` and ``x-goog-api-key`` headers and a ``?key=`` query parameter, each set to its own
unique canary; then every exported thing is searched for the canaries: span names, attributes,
events, status descriptions, metric attributes, our log records at DEBUG (exception text
included), and, once, the raw OTLP protobuf bytes a real receiver got. With content capture off
(the default) the distinctive prompt and completion words must be absent everywhere too; with it
on they must be present (which proves the search would have found them).

Providers also echo keys back: OpenAI's 401 quotes (part of) the key. The error replies here quote
every canary, and the canaries still must not appear.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from contextlib import ExitStack
from typing import Any, Callable, Iterator

import aiohttp
import httpx2
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from tests.conftest import log_records
from tests.support.otlp_receiver import OTLPReceiver
from tests.support.scripted_server import Reply, ScriptedServer
from tests.support.wire_samples import Exchange, all_exchanges

PROMPT_WORDS = ("QZXprompt", "zebraquartz")
COMPLETION_WORDS = ("QZXcompletion", "walrusfjord")
EXCHANGES = all_exchanges(
    prompt=" ".join(PROMPT_WORDS), completion=" ".join(COMPLETION_WORDS), model="model-x"
)
METRICS = (
    "gen_ai.client.operation.duration",
    "gen_ai.client.token.usage",
    "gen_ai.client.operation.time_to_first_chunk",
    "gen_ai.client.operation.time_per_output_chunk",
)
OUR_LOGGER = "opentelemetry.instrumentation.llm_router"


def _canaries() -> dict[str, str]:
    tag = uuid.uuid4().hex[:12]
    return {
        "authorization": f"canaryAUTH{tag}",
        "x-api-key": f"canaryXAPI{tag}",
        "api-key": f"canaryAPIKEY{tag}",
        "x-goog-api-key": f"canaryGOOG{tag}",
        "key": f"canaryQUERY{tag}",
    }


def _headers(canaries: dict[str, str]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {canaries['authorization']}",
        "x-api-key": canaries["x-api-key"],
        "api-key": canaries["api-key"],
        "x-goog-api-key": canaries["x-goog-api-key"],
    }


def _path(exchange: Exchange, canaries: dict[str, str]) -> str:
    joiner = "&" if "?" in exchange.path else "?"
    return f"{exchange.path}{joiner}key={canaries['key']}"


def _echo_error(canaries: dict[str, str]) -> Reply:
    """A 401 quoting every key it was sent, as providers' auth errors do."""
    quoted = ", ".join(canaries.values())
    body = {
        "error": {
            "message": f"Incorrect API key provided: {quoted}",
            "type": f"invalid_request_error {canaries['key']}",
            "code": f"invalid_api_key_{canaries['authorization']}",
        }
    }
    return Reply(status=401, pieces=[json.dumps(body).encode()])


def _call(url: str, exchange: Exchange, canaries: dict[str, str], client: str = "httpx2") -> bytes:
    if client == "aiohttp":
        return asyncio.run(_aiohttp_call(url, exchange, canaries))
    with httpx2.Client(headers=_headers(canaries)) as client:
        if exchange.stream:
            with client.stream(
                "POST", url + _path(exchange, canaries), content=exchange.request_body
            ) as response:
                return response.read()
        return client.post(url + _path(exchange, canaries), content=exchange.request_body).content


async def _aiohttp_call(url: str, exchange: Exchange, canaries: dict[str, str]) -> bytes:
    async with aiohttp.ClientSession(headers=_headers(canaries)) as session:  # noqa: SIM117
        async with session.post(url + _path(exchange, canaries), data=exchange.request_body) as r:
            if exchange.stream:
                return b"".join([chunk async for chunk in r.content.iter_any()])
            return await r.read()


def _span_texts(span: Any) -> Iterator[str]:
    yield span.name
    yield str(span.status.description)
    for key, value in (span.attributes or {}).items():
        yield f"{key}={value}"
    for event in span.events:
        yield event.name
        for key, value in (event.attributes or {}).items():
            yield f"{key}={value}"


def _metric_texts(metric_points: Callable[[str], list[Any]]) -> Iterator[str]:
    for name in METRICS:
        for point in metric_points(name):
            yield json.dumps(dict(point.attributes), default=str)


@pytest.fixture
def servers() -> Iterator[list[ScriptedServer]]:
    with ExitStack() as stack:
        yield [stack.enter_context(ScriptedServer(x.reply())) for x in EXCHANGES]


def _providers(servers: list[ScriptedServer]) -> str:
    return ",".join(f"{s.host_port}={x.provider}" for s, x in zip(servers, EXCHANGES))


def _everything(
    span_exporter: Any,
    metric_points: Any,
    caplog: pytest.LogCaptureFixture,
    log_exporter: Any = None,
) -> tuple[str, str, str]:
    spans = "\n".join(t for s in span_exporter.get_finished_spans() for t in _span_texts(s))
    metrics = "\n".join(_metric_texts(metric_points))
    logs = caplog.text + "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("opentelemetry")
    )
    if log_exporter is not None:  # the exception log events: a failure's message and stack
        logs += "\n".join(f"{r.body} {dict(r.attributes or {})}" for r in log_records(log_exporter))
    return spans, metrics, logs


@pytest.mark.parametrize("client", ["httpx2", "aiohttp"])
@pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])
@pytest.mark.parametrize("echo", [False, True], ids=["ok", "key-echoed-in-401"])
def test_no_key_anywhere(
    client: str,
    capture: bool,
    echo: bool,
    servers: list[ScriptedServer],
    instrument: Any,
    span_exporter: Any,
    metric_points: Any,
    caplog: pytest.LogCaptureFixture,
    log_exporter: Any,
) -> None:
    canaries = _canaries()
    env = {
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": str(capture).lower(),
        "OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK": "true",  # its points are searched too
    }
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)
    caplog.set_level(logging.DEBUG, logger="opentelemetry")
    instrument(_providers(servers), **env)
    for server, exchange in zip(servers, EXCHANGES):
        if echo:
            server.responder = _echo_error(canaries)
        data = _call(server.url, exchange, canaries, client)
        if not echo:
            assert data == exchange.body
        request = server.received[-1]
        assert request.headers["x-api-key"] == canaries["x-api-key"]  # the keys were sent
        assert canaries["key"] in request.path
    spans = span_exporter.get_finished_spans()
    assert len(spans) == len(EXCHANGES)
    if echo:
        assert all(s.attributes[A.ERROR_TYPE] for s in spans)
        assert len(log_records(log_exporter)) == len(EXCHANGES)  # the search sees the events
    for where, text in zip(
        ("spans", "metrics", "logs"),
        _everything(span_exporter, metric_points, caplog, log_exporter),
    ):
        for header, canary in canaries.items():
            assert canary not in text, f"{header} canary found in {where}"
    if not echo:
        spans_text = _everything(span_exporter, metric_points, caplog)[0]
        for word in PROMPT_WORDS + COMPLETION_WORDS:
            if capture:  # the control: the search does find content that is there
                assert word in spans_text
            else:
                assert word not in spans_text


def test_no_content_by_default(
    servers: list[ScriptedServer],
    instrument: Any,
    span_exporter: Any,
    metric_points: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The variable unset (not just false): no prompt or completion text anywhere."""
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)
    instrument(_providers(servers))
    canaries = _canaries()
    for server, exchange in zip(servers, EXCHANGES):
        assert _call(server.url, exchange, canaries) == exchange.body
        assert PROMPT_WORDS[0].encode() in server.received[-1].body
    assert len(span_exporter.get_finished_spans()) == len(EXCHANGES)
    for text in _everything(span_exporter, metric_points, caplog):
        for word in PROMPT_WORDS + COMPLETION_WORDS:
            assert word not in text


@pytest.mark.parametrize("capture", [False, True], ids=["capture-off", "capture-on"])
def test_otlp_bytes_hold_no_key(
    capture: bool, servers: list[ScriptedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What actually leaves the process: the OTLP requests a real receiver got, as raw bytes."""
    canaries = _canaries()
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", _providers(servers))
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", str(capture).lower())
    with OTLPReceiver() as receiver:
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=receiver.http_endpoint + "/v1/traces"))
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=receiver.http_endpoint + "/v1/metrics"),
            export_interval_millis=60_000,
        )
        meter_provider = MeterProvider(metric_readers=[reader])
        instrumentor = LLMRouterInstrumentor()
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            for server, exchange in zip(servers, EXCHANGES):
                _call(server.url, exchange, canaries)
            for server, exchange in zip(servers, EXCHANGES):
                server.responder = _echo_error(canaries)
                _call(server.url, exchange, canaries)
        finally:
            instrumentor.uninstrument()
            tracer_provider.shutdown()
            meter_provider.shutdown()
        sent = b"".join(r.SerializeToString() for r in receiver.trace_requests)
        sent += b"".join(r.SerializeToString() for r in receiver.metric_requests)
        assert len(receiver.spans()) == 2 * len(EXCHANGES)
    assert b"gen_ai.client.token.usage" in sent
    for header, canary in canaries.items():
        assert canary.encode() not in sent, f"{header} canary in the OTLP bytes"
    for word in PROMPT_WORDS:
        assert (word.encode() in sent) is capture
