"""One failure, one ``error.type``: the same failures sent through every source, compared.

Each failure is a provider's real error answer (OpenAI, Anthropic and Gemini bodies in the shapes
their APIs document), a timeout, or a refused connection. It goes through:

- the httpx hook: a real request to a real HTTP server on 127.0.0.1 answering that body;
- ``OTelObserver``: the ``RouterError`` a router builds from that answer (the fields bitrouter's
  OpenAI / Anthropic / Google error parsers fill: ``error_type``, ``code``, ``status_code``,
  ``body``);
- ``ForwardEventRecorder``: what a forward event can hold, a status code and an error text (the
  provider's body as the text; and, separately, a router's own text, which has no code);
- the LiteLLM adapter in library mode: ``litellm.acompletion`` against the same server, with the
  exception LiteLLM itself raises.

All must give the failure's expected value (docs/semconv.md, "error.type: one rule").
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Optional

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from opentelemetry.instrumentation.llm_router import (
    EventMeta,
    ForwardEventRecorder,
    OTelObserver,
    ProviderError,
    ProviderErrorContext,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    RouterError,
    Transport,
)
from tests.support.scripted_server import Reply, ScriptedServer, json_reply

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import
os.environ.setdefault("LITELLM_TELEMETRY", "False")

TIMEOUT_S = 0.3

# -- the failures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    name: str
    shape: str  # openai | anthropic | gemini
    status: int  # 0: no answer
    body: Any  # the provider's error body; None for no answer
    expected: str

    def __str__(self) -> str:
        return f"{self.shape}-{self.name}"


def _openai(message: str, kind: Optional[str], code: Optional[str], param: Any = None) -> Any:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _anthropic(kind: str, message: str) -> Any:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _google(status_code: int, status: str, message: str) -> Any:
    return {"error": {"code": status_code, "message": message, "status": status}}


FAILURES: list[Failure] = [
    # OpenAI: the code is the most specific (its `type` for a 429 is only "requests"/"tokens")
    Failure(
        "rate-limit",
        "openai",
        429,
        _openai("Rate limit reached for gpt-4o-mini", "requests", "rate_limit_exceeded"),
        "rate_limit_exceeded",
    ),
    Failure(
        "auth",
        "openai",
        401,
        _openai("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
        "invalid_api_key",
    ),
    Failure(
        "context-length",
        "openai",
        400,
        _openai(
            "This model's maximum context length is 128000 tokens.",
            "invalid_request_error",
            "context_length_exceeded",
            "messages",
        ),
        "context_length_exceeded",
    ),
    Failure(
        "overload",
        "openai",
        503,
        _openai("The engine is currently overloaded", "server_error", None),
        "server_error",
    ),
    Failure(
        "own-code",
        "openai",
        429,
        _openai("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
        "insufficient_quota",
    ),
    # An OpenAI-compatible server whose error is a bare string (Fireworks' 429): the status.
    Failure("no-code", "openai", 429, {"error": "Too Many Requests"}, "429"),
    # Anthropic: error.type
    Failure(
        "rate-limit", "anthropic", 429, _anthropic("rate_limit_error", "slow"), "rate_limit_error"
    ),
    Failure(
        "auth",
        "anthropic",
        401,
        _anthropic("authentication_error", "invalid x-api-key"),
        "authentication_error",
    ),
    Failure(
        "context-length",
        "anthropic",
        400,
        _anthropic("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
        "invalid_request_error",
    ),
    Failure(
        "overload",
        "anthropic",
        529,
        _anthropic("overloaded_error", "Overloaded"),
        "overloaded_error",
    ),
    Failure(
        "own-code",
        "anthropic",
        413,
        _anthropic("request_too_large", "Request exceeds the maximum size"),
        "request_too_large",
    ),
    # Gemini: status (its numeric code is the HTTP status)
    Failure(
        "rate-limit",
        "gemini",
        429,
        _google(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
        "RESOURCE_EXHAUSTED",
    ),
    Failure(
        "auth",
        "gemini",
        403,
        _google(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."),
        "PERMISSION_DENIED",
    ),
    Failure(
        "context-length",
        "gemini",
        400,
        _google(400, "INVALID_ARGUMENT", "The input token count exceeds the maximum allowed."),
        "INVALID_ARGUMENT",
    ),
    Failure(
        "overload",
        "gemini",
        503,
        _google(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        "UNAVAILABLE",
    ),
    Failure(
        "own-code",
        "gemini",
        400,
        _google(400, "FAILED_PRECONDITION", "User location is not supported for the API use."),
        "FAILED_PRECONDITION",
    ),
    # No answer
    Failure("timeout", "openai", 0, None, "timeout"),
    Failure("connection-refused", "openai", 0, None, "transport"),
]

ANSWERED = [f for f in FAILURES if f.body is not None]

REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "openai": (
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    ),
    "anthropic": (
        "/v1/messages",
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 8,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ),
    "gemini": (
        "/v1beta/models/gemini-2.5-flash:generateContent",
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
    ),
}
PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "gcp.gemini"}


def _reply(failure: Failure) -> Reply:
    if failure.name == "timeout":
        return Reply(delay_headers_s=TIMEOUT_S * 4, pieces=[b"{}"])
    return json_reply(failure.body, failure.status)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ScriptedServer]]:
    with contextlib.ExitStack() as stack:
        yield {shape: stack.enter_context(ScriptedServer(Reply(status=500))) for shape in REQUESTS}


def _base_url(failure: Failure, servers: dict[str, ScriptedServer], refused: int) -> str:
    if failure.name == "connection-refused":
        return f"http://127.0.0.1:{refused}"
    server = servers[failure.shape]
    server.responder = _reply(failure)
    return server.url


def _error_type(spans: Any) -> str:
    (span,) = [s for s in spans if s.status.status_code is StatusCode.ERROR]
    return str(span.attributes["error.type"])


# -- source 1: the httpx hook --------------------------------------------------------------------


@pytest.mark.parametrize("failure", FAILURES, ids=str)
def test_the_hook(
    failure: Failure,
    servers: dict[str, ScriptedServer],
    instrument: Any,
    span_exporter: InMemorySpanExporter,
) -> None:
    refused = _closed_port()
    table = [f"{s.host_port}={PROVIDERS[shape]}" for shape, s in servers.items()]
    instrument(",".join([*table, f"127.0.0.1:{refused}=openai"]))
    path, body = REQUESTS[failure.shape]
    url = _base_url(failure, servers, refused) + path
    with httpx.Client(timeout=TIMEOUT_S) as client:
        try:
            response = client.post(url, json=body, headers={"authorization": "Bearer sk-test"})
            assert response.status_code == failure.status
        except httpx.TransportError:
            assert failure.status == 0
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


# -- source 2: OTelObserver with the router's RouterError --------------------------------------


def router_error(failure: Failure) -> RouterError:
    """The error a router builds from the answer: bitrouter's OpenAI, Anthropic and Google error
    parsers (``error_type`` <- type / error.type / status, ``code`` <- code as a string); a body
    of another shape is kept whole, with the status."""
    provider = PROVIDERS[failure.shape]
    if failure.name == "timeout":
        return Transport(provider, "failed to send chat request: operation timed out")
    if failure.name == "connection-refused":
        return Transport(provider, "failed to send chat request: Connection refused (os error 111)")
    error = failure.body.get("error") if isinstance(failure.body, dict) else None
    if not isinstance(error, dict):  # the envelope does not parse: status and body only
        return ProviderError(
            provider,
            f"returned HTTP {failure.status}",
            ProviderErrorContext(status_code=failure.status, body=failure.body),
        )
    code = error.get("code")
    kind = error.get("status") if failure.shape == "gemini" else error.get("type")
    return ProviderError(
        provider,
        str(error.get("message")),
        ProviderErrorContext(
            status_code=failure.status,
            error_type=kind,
            code=None if code is None else str(code),
            body=failure.body,
        ),
    )


@pytest.mark.parametrize("failure", FAILURES, ids=str)
def test_the_observer(
    failure: Failure,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    observer = OTelObserver(tracer_provider, meter_provider)
    ctx = RequestContext("r", PROVIDERS[failure.shape], "m", latency_ms=5)
    observer.record_failure(RequestFailureEvent(ctx, router_error(failure)))
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


def test_a_transport_error_that_does_not_say_it_timed_out_reads_transport() -> None:
    """The router's error kinds have no timeout: its message is all there is to tell."""
    assert Transport("openai", "error sending request for url (http://x/)").error_type() == (
        "transport"
    )
    assert Transport("openai", "request timed out").error_type() == "timeout"


# -- source 3: forward events ------------------------------------------------------------------


def _meta() -> EventMeta:
    return EventMeta(
        str(uuid.uuid4()), datetime.now(timezone.utc), None, occurred_at_ns=time.time_ns()
    )


def _forward(failure: Failure, error_text: str, tracer_provider: Any, meter_provider: Any) -> None:
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    endpoint = f"{failure.shape}.chat_completions"
    recorder.record(RequestStarted(_meta(), "req-1", endpoint, "m", False))
    recorder.record(
        RequestCompleted(_meta(), "req-1", failure.status, "error", None, 5, error_text)
    )


@pytest.mark.parametrize("failure", FAILURES, ids=str)
def test_forward_events_with_the_providers_body_as_the_error_text(
    failure: Failure,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    if failure.body is not None:
        text = f"upstream returned {failure.status}: {json.dumps(failure.body)}"
    else:
        text = "operation timed out" if failure.name == "timeout" else "connection refused"
    _forward(failure, text, tracer_provider, meter_provider)
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


@pytest.mark.parametrize("failure", ANSWERED, ids=str)
def test_forward_events_with_a_routers_own_text_fall_back_to_the_status(
    failure: Failure,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    """No code in the event: the HTTP status, as every source reports an answer without a code
    (the hook's ``no-code`` case above)."""
    _forward(failure, "provider error: request failed", tracer_provider, meter_provider)
    assert _error_type(span_exporter.get_finished_spans()) == str(failure.status)


# -- source 4: the LiteLLM adapter, library mode ---------------------------------------------


LITELLM_MODELS = {
    "openai": ("openai/gpt-4o-mini", "/v1"),
    "anthropic": ("anthropic/claude-sonnet-4-5", ""),
    "gemini": ("gemini/gemini-2.5-flash", ""),
}


@pytest.mark.parametrize("failure", FAILURES, ids=str)
async def test_the_litellm_adapter(
    failure: Failure,
    servers: dict[str, ScriptedServer],
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    import litellm

    from opentelemetry.instrumentation.llm_router.litellm import OTelLiteLLMCallback

    model, suffix = LITELLM_MODELS[failure.shape]
    base = _base_url(failure, servers, _closed_port()) + suffix
    adapter = OTelLiteLLMCallback(tracer_provider, meter_provider)
    manager = litellm.logging_callback_manager
    manager._reset_all_callbacks()
    litellm.callbacks = [adapter]
    try:
        with pytest.raises(Exception):  # noqa: B017 - whichever class LiteLLM makes of it
            await litellm.acompletion(
                model=model,
                api_base=base,
                api_key="sk-test",
                messages=[{"role": "user", "content": "hi"}],
                num_retries=0,
                max_retries=0,
                timeout=TIMEOUT_S,
            )
        deadline = time.monotonic() + 10
        while not any(
            s.status.status_code is StatusCode.ERROR for s in span_exporter.get_finished_spans()
        ):
            assert time.monotonic() < deadline, "LiteLLM did not report the failure"
            await asyncio.sleep(0.02)
    finally:
        manager._reset_all_callbacks()
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


# -- Amazon Bedrock: the header, the body and the stream's exception frames ---------------------

_CORAL = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


@dataclass(frozen=True)
class BedrockFailure:
    """A Bedrock error answer as the service sends it: the type in ``x-amzn-ErrorType`` (with
    its coral URL), ``{"message": ...}`` in the body; or a body of the AWS JSON shape."""

    name: str
    status: int
    header: Optional[str]  # the x-amzn-ErrorType value; None: not sent
    body: dict[str, Any]
    expected: str

    def __str__(self) -> str:
        return self.name


BEDROCK_FAILURES = [
    BedrockFailure(
        "throttling",
        429,
        "ThrottlingException" + _CORAL,
        {"message": "Too many requests, please wait before trying again."},
        "ThrottlingException",
    ),
    BedrockFailure(
        "validation",
        400,
        "ValidationException" + _CORAL,
        {"message": "The provided model identifier is invalid."},
        "ValidationException",
    ),
    BedrockFailure(
        "access-denied",
        403,
        "AccessDeniedException" + _CORAL,
        {"message": "You don't have access to the model with the specified model ID."},
        "AccessDeniedException",
    ),
    BedrockFailure(
        "model-not-ready",
        429,
        "ModelNotReadyException" + _CORAL,
        {"message": "Model is not ready for inference. Wait and try your request again."},
        "ModelNotReadyException",
    ),
    BedrockFailure(
        "service-unavailable",
        503,
        "ServiceUnavailableException" + _CORAL,
        {"message": "Bedrock is unable to process your request."},
        "ServiceUnavailableException",
    ),
    BedrockFailure(
        "header-without-url",
        424,
        "ModelErrorException",
        {"message": "Received error from the model."},
        "ModelErrorException",
    ),
    # No header: the body's __type (AWS JSON shape), as botocore reads it
    BedrockFailure(
        "body-type",
        429,
        None,
        {"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate exceeded"},
        "ThrottlingException",
    ),
    # Neither: the status, as botocore's ClientError code says too
    BedrockFailure("message-only", 400, None, {"message": "Malformed input request"}, "400"),
]


def _bedrock_reply(failure: BedrockFailure) -> Reply:
    reply = json_reply(failure.body, failure.status)
    if failure.header is not None:
        reply.headers = {"x-amzn-ErrorType": failure.header}
    return reply


def _boto3_bedrock(server: ScriptedServer) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),  # one attempt, one span
    )


@pytest.mark.parametrize("failure", BEDROCK_FAILURES, ids=str)
@pytest.mark.parametrize("stream", [False, True], ids=["converse", "converse-stream"])
def test_bedrock_through_httpx(
    failure: BedrockFailure, stream: bool, instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    action = "converse-stream" if stream else "converse"
    with ScriptedServer(_bedrock_reply(failure)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        with httpx.Client() as client:
            url = f"{server.url}/model/amazon.nova-micro-v1%3A0/{action}"
            with client.stream("POST", url, json={"messages": []}) as response:
                response.read()
            assert response.status_code == failure.status
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


@pytest.mark.parametrize("failure", BEDROCK_FAILURES, ids=str)
async def test_bedrock_through_aiohttp(
    failure: BedrockFailure, instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    import aiohttp

    with ScriptedServer(_bedrock_reply(failure)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        url = f"{server.url}/model/amazon.nova-micro-v1%3A0/converse"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"messages": []}) as response,
        ):
            await response.read()
            assert response.status == failure.status
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


@pytest.mark.parametrize("failure", BEDROCK_FAILURES, ids=str)
def test_bedrock_through_boto3(
    failure: BedrockFailure, instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    """The span's error.type is the code botocore itself gives the ClientError."""
    import botocore.exceptions

    with ScriptedServer(_bedrock_reply(failure)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            _boto3_bedrock(server).converse(modelId="amazon.nova-micro-v1:0", messages=[])
    assert raised.value.response["Error"]["Code"] == failure.expected
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


@pytest.mark.parametrize("failure", [f for f in BEDROCK_FAILURES if f.header is None], ids=str)
def test_bedrock_body_in_a_forward_event(
    failure: BedrockFailure,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    """A forward event holds the body, never the header: what the body says, by the same rule."""
    recorder = ForwardEventRecorder(tracer_provider, meter_provider)
    recorder.record(RequestStarted(_meta(), "req-b", "bedrock.converse", "m", False))
    text = f"upstream returned {failure.status}: {json.dumps(failure.body)}"
    recorder.record(RequestCompleted(_meta(), "req-b", failure.status, "error", None, 5, text))
    assert _error_type(span_exporter.get_finished_spans()) == failure.expected


STREAM_EXCEPTIONS = [
    "throttlingException",
    "modelStreamErrorException",
    "validationException",
    "internalServerException",
    "serviceUnavailableException",
]


@pytest.mark.parametrize("kind", STREAM_EXCEPTIONS)
@pytest.mark.parametrize("client", ["httpx", "boto3"])
def test_bedrock_exception_frame_mid_stream(
    kind: str, client: str, instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    """A stream that started well and then sent an exception frame: the frame's type, the code
    botocore's EventStreamError carries."""
    import botocore.exceptions

    from tests.support.aws_eventstream import event, exception

    frames = [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        exception(kind, "The stream failed."),
    ]
    reply = Reply(content_type="application/vnd.amazon.eventstream", pieces=frames, chunked=True)
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        if client == "httpx":
            url = f"{server.url}/model/amazon.nova-micro-v1%3A0/converse-stream"
            with httpx.Client() as http, http.stream("POST", url, json={}) as response:
                response.read()
        else:
            stream = _boto3_bedrock(server).converse_stream(
                modelId="amazon.nova-micro-v1:0", messages=[]
            )["stream"]
            with pytest.raises(botocore.exceptions.EventStreamError) as raised:
                list(stream)
            stream.close()
            assert raised.value.response["Error"]["Code"] == kind
    assert _error_type(span_exporter.get_finished_spans()) == kind


# -- one call, two views: the LiteLLM adapter's router span and the hook's span ---------------
#
# LiteLLM used as a library with the hook on: each failing call gives the hook's span (what came
# over the wire) and the adapter's router span (what LiteLLM's exception carries). Both must say
# the same error.type, for every failure above that LiteLLM can route, Bedrock included.

_BEDROCK_MODEL = "amazon.nova-lite-v1:0"
_PATIENT_S = 30.0  # the calls that are not the timeout case: no timeout on a loaded machine
_AWS = {
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "secret",
    "aws_region_name": "us-east-1",
}


async def _adapter_and_hook(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    stream: bool = False,
    **call: Any,
) -> tuple[str, str]:
    """``(adapter's error.type, hook's error.type)`` of one failing ``litellm.acompletion``."""
    import litellm

    from opentelemetry.instrumentation.llm_router.litellm import OTelLiteLLMCallback
    from tests.test_litellm_adapter import registered, router_spans, upstream_spans, wait_for

    def reported() -> bool:
        gc.collect()  # LiteLLM leaves a stream it gave up on mid-way open: the hook ends it then
        spans = span_exporter.get_finished_spans()
        return bool(router_spans(spans)) and bool(upstream_spans(spans))

    with registered(OTelLiteLLMCallback(tracer_provider, meter_provider)):
        with pytest.raises(Exception):  # noqa: B017 - whichever class LiteLLM makes of it
            reply = await litellm.acompletion(
                messages=[{"role": "user", "content": "hi"}],
                stream=stream,
                num_retries=0,
                max_retries=0,
                **call,
            )
            if stream:
                [chunk async for chunk in reply]
        await wait_for(reported)
    spans = span_exporter.get_finished_spans()
    (routed,) = router_spans(spans)
    (hook,) = upstream_spans(spans)
    assert routed.status.status_code is StatusCode.ERROR
    return str(routed.attributes.get("error.type")), str(hook.attributes.get("error.type"))


@pytest.mark.parametrize("failure", FAILURES, ids=str)
async def test_litellm_adapter_says_what_the_hook_says(
    failure: Failure,
    servers: dict[str, ScriptedServer],
    instrument: Any,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    refused = _closed_port()
    table = [f"{s.host_port}={PROVIDERS[shape]}" for shape, s in servers.items()]
    instrument(",".join([*table, f"127.0.0.1:{refused}=openai"]))
    model, suffix = LITELLM_MODELS[failure.shape]
    base = _base_url(failure, servers, refused) + suffix
    adapter, hook = await _adapter_and_hook(
        tracer_provider,
        meter_provider,
        span_exporter,
        model=model,
        api_base=base,
        api_key="sk-t",
        timeout=TIMEOUT_S if failure.name == "timeout" else _PATIENT_S,
    )
    assert (adapter, hook) == (failure.expected, failure.expected)


_LITELLM_BEDROCK_ROUTES = {
    "converse": (f"bedrock/converse/{_BEDROCK_MODEL}", False),
    "converse-stream": (f"bedrock/converse/{_BEDROCK_MODEL}", True),
    "invoke": ("bedrock/invoke/anthropic.claude-3-5-haiku-20241022-v1:0", False),
}


@pytest.mark.parametrize("failure", BEDROCK_FAILURES, ids=str)
@pytest.mark.parametrize("route", list(_LITELLM_BEDROCK_ROUTES))
async def test_litellm_adapter_says_what_the_hook_says_bedrock(
    failure: BedrockFailure,
    route: str,
    instrument: Any,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    """LiteLLM's Bedrock path (SigV4 over httpx; Converse, ConverseStream, InvokeModel): the
    type Bedrock names in ``x-amzn-ErrorType`` or the body's ``__type``, not LiteLLM's status,
    from both."""
    model, stream = _LITELLM_BEDROCK_ROUTES[route]
    with ScriptedServer(_bedrock_reply(failure)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        adapter, hook = await _adapter_and_hook(
            tracer_provider,
            meter_provider,
            span_exporter,
            stream=stream,
            model=model,
            aws_bedrock_runtime_endpoint=server.url,
            timeout=_PATIENT_S,
            **_AWS,
        )
    assert (adapter, hook) == (failure.expected, failure.expected)


@pytest.mark.parametrize("kind", STREAM_EXCEPTIONS)
async def test_litellm_adapter_says_what_the_hook_says_bedrock_mid_stream(
    kind: str,
    instrument: Any,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    """A Converse stream that started well and then sent an exception frame: LiteLLM raises
    mid-stream; both views name the frame's exception type."""
    from tests.support.aws_eventstream import event, exception

    frames = [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        exception(kind, "The stream failed."),
    ]
    reply = Reply(content_type="application/vnd.amazon.eventstream", pieces=frames, chunked=True)
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        adapter, hook = await _adapter_and_hook(
            tracer_provider,
            meter_provider,
            span_exporter,
            stream=True,
            model=f"bedrock/converse/{_BEDROCK_MODEL}",
            aws_bedrock_runtime_endpoint=server.url,
            timeout=_PATIENT_S,
            **_AWS,
        )
    assert (adapter, hook) == (kind, kind)
