"""google-genai's async client, which sends through aiohttp whenever aiohttp is installed.

The real SDK against a loopback server speaking the Gemini API: generate_content, its stream,
a provider error (429 with Gemini's error body) and embeddings. Each call gives one span with what
the bytes say, and the SDK's parsed result is the same with and without the hook. One more call
goes to the SDK's real default host name (resolved to loopback by the aiohttp session's own
resolver, no provider table entry): the built-in host table alone makes it a Gemini call.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any, Callable, Iterator

import aiohttp
import pytest
from google import genai
from google.genai import errors, types

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from tests.support.scripted_server import Reply, ScriptedServer
from tests.support.span_audit import span_problems
from tests.support.wire_samples import exchange

SCOPE = "opentelemetry.instrumentation.llm_router"
MODEL = "gemini-2.5-flash"
KEY = "AIzaSyA-genai-aiohttp-canary-0123456789"
CHAT = exchange("gemini_generate_content", False, model=MODEL)
STREAM = exchange(
    "gemini_generate_content", True, model=MODEL, completion="one two three four", output_tokens=4
)
EMBEDDING = json.dumps({"embeddings": [{"values": [0.25, -0.5, 0.125]}]}).encode()
RATE_LIMITED = json.dumps(
    {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
).encode()
DEFAULT_HOST = "generativelanguage.googleapis.com"

# google-genai subclasses aiohttp.ClientSession, which aiohttp discourages; not our concern here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)


def _ours(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(CHAT.reply()) as running:
        yield running


def _client(base_url: str, **http: Any) -> genai.Client:
    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=base_url, **http))
    assert client._api_client._use_aiohttp()  # the precondition of this whole file
    return client


async def _chat(client: genai.Client) -> Any:
    return await client.aio.models.generate_content(model=MODEL, contents="Say this is a test")


async def _stream(client: genai.Client) -> Any:
    chunks = await client.aio.models.generate_content_stream(model=MODEL, contents="Count")
    return [chunk async for chunk in chunks]


async def _embed(client: genai.Client) -> Any:
    return await client.aio.models.embed_content(model="gemini-embedding-001", contents="hello")


async def _error(client: genai.Client) -> Any:
    try:
        await _chat(client)
    except errors.APIError as exc:
        return type(exc).__name__, exc.code, exc.status, exc.message
    raise AssertionError("no error raised")


CELLS: dict[str, tuple[Reply, Callable[[genai.Client], Any]]] = {
    "chat": (CHAT.reply(), _chat),
    "stream": (STREAM.reply(), _stream),
    "embeddings": (Reply(pieces=[EMBEDDING]), _embed),
    "error-429": (Reply(status=429, pieces=[RATE_LIMITED]), _error),
}


def _dump(result: Any) -> Any:
    if isinstance(result, list):
        return [_dump(item) for item in result]
    if hasattr(result, "model_dump"):
        value = result.model_dump(exclude={"sdk_http_response"})
        return value
    return result


@pytest.mark.parametrize("cell", list(CELLS))
def test_async_client_over_aiohttp(
    cell: str, server: ScriptedServer, instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    reply, call = CELLS[cell]
    server.responder = reply

    async def run() -> Any:
        return _dump(await call(_client(server.url)))

    control = asyncio.run(run())
    instrument(f"{server.host_port}=gcp.gemini")
    assert asyncio.run(run()) == control

    (span,) = _ours(span_exporter)
    attributes = span.attributes
    assert not span_problems(span)
    assert attributes[A.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert KEY not in json.dumps(span.to_json())
    (duration,) = metric_points("gen_ai.client.operation.duration")
    assert duration.count == 1
    if cell == "embeddings":
        assert span.name == "embeddings gemini-embedding-001"
        assert span.status.status_code.name == "UNSET"
        return
    assert span.name == f"generate_content {MODEL}"
    assert attributes[A.GEN_AI_REQUEST_MODEL] == MODEL
    if cell == "error-429":
        assert span.status.status_code.name == "ERROR"
        assert attributes[A.ERROR_TYPE] == "RESOURCE_EXHAUSTED"
        assert attributes[A.HTTP_RESPONSE_STATUS_CODE] == 429
        return
    x = STREAM if cell == "stream" else CHAT
    assert span.status.status_code.name == "UNSET"
    assert attributes[A.GEN_AI_RESPONSE_MODEL] == MODEL
    assert attributes[A.GEN_AI_RESPONSE_ID] == x.expect["response_id"]
    assert list(attributes[A.GEN_AI_RESPONSE_FINISH_REASONS]) == ["STOP"]
    assert attributes[A.GEN_AI_USAGE_INPUT_TOKENS] == x.expect["input_tokens"]
    assert attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == x.expect["output_tokens"]
    if cell == "stream":
        assert attributes[A.GEN_AI_REQUEST_STREAM] is True
        assert attributes[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
        assert len(metric_points("gen_ai.client.operation.time_to_first_chunk")) == 1


class _LoopbackResolver(aiohttp.abc.AbstractResolver):
    """Resolves every name to 127.0.0.1: the SDK's real host name never leaves the machine."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> Any:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


@pytest.mark.parametrize("cell", ["chat", "stream"])
def test_default_host_from_the_builtin_table(
    cell: str,
    server: ScriptedServer,
    tracer_provider: Any,
    meter_provider: Any,
    monkeypatch: Any,
    span_exporter: Any,
) -> None:
    monkeypatch.delenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", raising=False)
    reply, call = CELLS[cell]
    server.responder = reply
    instrumentor = LLMRouterInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:

        async def run() -> Any:
            connector = aiohttp.TCPConnector(resolver=_LoopbackResolver())
            async with aiohttp.ClientSession(connector=connector) as session:
                client = _client(f"http://{DEFAULT_HOST}:{server.port}", aiohttp_client=session)
                return await call(client)

        asyncio.run(run())
    finally:
        instrumentor.uninstrument()
    (span,) = _ours(span_exporter)
    assert server.received[-1].headers["Host"].startswith(DEFAULT_HOST)
    assert span.attributes[A.SERVER_ADDRESS] == DEFAULT_HOST
    assert span.attributes[A.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert span.attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] == (4 if cell == "stream" else 5)
