"""Every source x every way a secret or a prompt comes back: no planted value in any exported byte.

The cases are generated (``tests/support/leaks.py``): a key in no recognised format (40 hex, or
base64 with ``/+=``) or a prompt, carried bare, as a credential query parameter of a URL (every
name of the knowledge-free rule: ``key``, ``api_key``, ``apikey``, ``access_token``, ``token``,
``sig``, ``signature``, ``password``, ``secret``, ``client_secret``, ``x-goog-api-key``) or as a
URL's userinfo password, and coming back echoed, percent-encoded, JSON-escaped (``\\/``;
``\\uXXXX``), hard-wrapped or truncated. Each source runs every case it can know about:

- the httpx hook and the aiohttp hook (a real loopback provider answers 401/400 quoting the value;
  the key was sent as ``Authorization``, ``x-api-key``, ``?key=`` or ``?sig=``);
- ``OTelObserver`` (a ``ProviderError`` or a ``Transport`` error quoting a URL, as reqwest prints);
- ``ForwardEventRecorder`` (``RequestCompleted.error``), and the bridge process
  ``llm-router-otel ingest`` exporting to the console and to a real OTLP receiver;
- the LiteLLM adapter in library mode (``litellm.acompletion`` against the loopback provider; the
  hook traces the upstream call underneath).

What is searched: the spans, metrics and log records through the real OTLP encoder, the SDK's
console exporter and ours, and our Python log records at DEBUG (for the bridge: its stdout,
stderr and the bytes the receiver got). Each case's control word must be there (the error text
did reach telemetry) and no piece of the planted value: 8 characters of a key, 16 of a prompt.
Every prompt names the provider's error code, which must still be the exported ``error.type``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import aiohttp
import httpx2
import openai
import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    EventMeta,
    ForwardEventRecorder,
    LLMRouterConsoleSpanExporter,
    LLMRouterInstrumentor,
    OTelObserver,
    ProviderError,
    ProviderErrorContext,
    RequestCompleted,
    RequestContext,
    RequestFailureEvent,
    RequestStarted,
    Transport,
    format_forward_event,
)
from tests.support.leaks import ERROR_CODE, Case, find_leaks, generate, missing_controls
from tests.support.otlp_receiver import OTLPReceiver
from tests.support.scripted_server import Reply, ScriptedServer, corpus_entry, corpus_reply

try:  # the SDK renamed it; the old name warns
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as InMemoryLogExporter
except ImportError:  # pragma: no cover - older SDKs
    from opentelemetry.sdk._logs.export import InMemoryLogExporter  # type: ignore[no-redef]

KNOWING = generate(knowing=True, seed=20)
KNOWLEDGE_FREE = generate(knowing=False, seed=21)
SENT_AS = ("authorization", "x-api-key", "query:key", "query:sig")
"""How a hook's request carries the key, by turns."""
OUR_LOGGER = "opentelemetry.instrumentation.llm_router"
_SCRIPT = Path(sys.executable).parent / "llm-router-otel"
BRIDGE = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-m", "opentelemetry.instrumentation.llm_router._cli"]
)


class Telemetry:
    """Real SDK providers whose every output is kept: spans (also printed by the SDK's console
    exporter and ours), metrics, log records."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.sdk_console = io.StringIO()
        self.our_console = io.StringIO()
        self.tracer_provider = TracerProvider()
        for exporter in (
            self.spans,
            ConsoleSpanExporter(out=self.sdk_console),
            LLMRouterConsoleSpanExporter(out=self.our_console, width=200, color=False),
        ):
            self.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.logs = InMemoryLogExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))

    def exported(self, caplog: pytest.LogCaptureFixture) -> str:
        """Every exported byte, as text (protobuf strings are UTF-8; the rest is escaped)."""
        self.tracer_provider.force_flush()
        spans = self.spans.get_finished_spans()
        blob = encode_spans(spans).SerializeToString()
        metrics = self.reader.get_metrics_data()
        if metrics is not None:
            blob += encode_metrics(metrics).SerializeToString()
        blob += encode_logs(self.logs.get_finished_logs()).SerializeToString()
        return "\n".join(
            (
                blob.decode("utf-8", "surrogateescape"),
                self.sdk_console.getvalue(),
                self.our_console.getvalue(),
                caplog.text,
            )
        )

    def error_types(self) -> list[Any]:
        return [s.attributes.get("error.type") for s in self.spans.get_finished_spans()]

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()


@pytest.fixture
def telemetry(caplog: pytest.LogCaptureFixture) -> Iterator[Telemetry]:
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)
    kept = Telemetry()
    yield kept
    kept.shutdown()


def _assert_nothing_leaked(cases: list[Case], exported: str) -> None:
    assert missing_controls(cases, exported) == [], "some error text never reached telemetry"
    leaks = find_leaks(cases, exported)
    assert leaks == [], f"{len(leaks)} of {len(cases)} cases leaked:\n" + "\n".join(leaks)


def _reply(case: Case) -> Reply:
    """The provider's answer: a 401 quoting the key, or a 400 quoting the prompt."""
    error = {
        "message": case.message(),
        "type": ERROR_CODE,
        "code": None if case.is_prompt else "invalid_api_key",
    }
    return Reply(
        status=400 if case.is_prompt else 401, pieces=[json.dumps({"error": error}).encode()]
    )


def _request(case: Case, server: ScriptedServer) -> tuple[str, dict[str, str], bytes]:
    """URL, headers and body of the call: the key sent one of four ways, the prompt as the
    message (a fixed word when the case plants a key)."""
    url = server.url + "/v1/chat/completions"
    headers = {"Authorization": f"Bearer {uuid.uuid4().hex}"}
    prompt = case.value if case.is_prompt else "hello"
    if not case.is_prompt:
        sent_as = SENT_AS[case.number % len(SENT_AS)]
        if sent_as == "authorization":
            headers["Authorization"] = f"Bearer {case.value}"
        elif sent_as == "x-api-key":
            headers["x-api-key"] = case.value
        else:
            url += f"?{sent_as.split(':')[1]}={quote(case.value, safe='')}"
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    return url, headers, json.dumps(body).encode()


@contextlib.contextmanager
def _instrumented(
    telemetry: Telemetry,
    server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    provider: str = "openai",
) -> Iterator[None]:
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}={provider}")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    instrumentor = LLMRouterInstrumentor()
    instrumentor.instrument(
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        logger_provider=telemetry.logger_provider,
    )
    try:
        yield
    finally:
        instrumentor.uninstrument()


def _hook_calls(client: str, server: ScriptedServer) -> None:
    async def aiohttp_calls() -> None:
        async with aiohttp.ClientSession() as session:
            for case in KNOWING:
                server.responder = _reply(case)
                url, headers, body = _request(case, server)
                async with session.post(url, headers=headers, data=body) as response:
                    assert response.status == _reply(case).status
                    await response.read()

    if client == "aiohttp":
        asyncio.run(aiohttp_calls())
        return
    with httpx2.Client() as session:
        for case in KNOWING:
            server.responder = _reply(case)
            url, headers, body = _request(case, server)
            response = session.post(url, headers=headers, content=body)
            assert response.content == _reply(case).body  # the caller gets every byte


@pytest.mark.parametrize("client", ["httpx2", "aiohttp"])
def test_the_hooks_export_no_planted_value(
    client: str,
    telemetry: Telemetry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ScriptedServer(Reply()) as server, _instrumented(telemetry, server, monkeypatch):
        _hook_calls(client, server)
    # Identifiers are not content-masked: the provider's code (type when it gives none), even
    # where the prompt names it.
    expected = [ERROR_CODE if case.is_prompt else "invalid_api_key" for case in KNOWING]
    assert telemetry.error_types() == expected
    _assert_nothing_leaked(KNOWING, telemetry.exported(caplog))


def test_the_observer_exports_no_planted_value(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    observer = OTelObserver(
        telemetry.tracer_provider,
        telemetry.meter_provider,
        logger_provider=telemetry.logger_provider,
    )
    for case in KNOWLEDGE_FREE:
        text = f"error sending request for url ({case.message()}): operation timed out"
        if case.number % 2:
            error: Any = Transport("openai", text)
        else:
            context = ProviderErrorContext(status_code=401, error_type=ERROR_CODE)
            error = ProviderError("openai", text, context)
        ctx = RequestContext("gpt-fake", "openai", "gpt-4o-mini", latency_ms=5)
        observer.record_failure(RequestFailureEvent(ctx, error))
    assert len(telemetry.spans.get_finished_spans()) == len(KNOWLEDGE_FREE)
    _assert_nothing_leaked(KNOWLEDGE_FREE, telemetry.exported(caplog))


def _forward_events(cases: list[Case]) -> Iterator[Any]:
    now = datetime.now(timezone.utc)
    for case in cases:
        request_id = f"req-{case.number}"
        meta = EventMeta(event_id=str(uuid.uuid4()), occurred_at=now)
        yield RequestStarted(meta, request_id, "openai.chat_completions", "gpt-4o-mini", False)
        status_code = 0 if case.number % 2 else 401
        yield RequestCompleted(meta, request_id, status_code, "error", None, 5, case.message())


def test_the_forward_recorder_exports_no_planted_value(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = ForwardEventRecorder(
        telemetry.tracer_provider,
        telemetry.meter_provider,
        logger_provider=telemetry.logger_provider,
    )
    for event in _forward_events(KNOWLEDGE_FREE):
        recorder.record(event)
    assert len(telemetry.spans.get_finished_spans()) == len(KNOWLEDGE_FREE)
    _assert_nothing_leaked(KNOWLEDGE_FREE, telemetry.exported(caplog))


def test_the_bridge_exports_no_planted_value() -> None:
    """The bridge process: console output (stdout), its stderr and the OTLP bytes it sent."""
    lines = "".join(format_forward_event(e) + "\n" for e in _forward_events(KNOWLEDGE_FREE))
    with OTLPReceiver() as receiver:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(
            OTEL_TRACES_EXPORTER="console,otlp",
            OTEL_METRICS_EXPORTER="console,otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint("grpc"),
        )
        done = subprocess.run(
            [*BRIDGE, "ingest", "-"],
            input=lines.encode(),
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        receiver.wait_for_spans(lambda s: len(s) >= len(KNOWLEDGE_FREE), timeout=30)
        sent = b"".join(r.SerializeToString() for r in receiver.trace_requests)
        sent += b"".join(r.SerializeToString() for r in receiver.metric_requests)
    assert done.returncode == 0, done.stderr[-2000:]
    stdout = done.stdout.decode()
    assert missing_controls(KNOWLEDGE_FREE, stdout) == []  # the console printed every error
    exported = "\n".join((stdout, done.stderr.decode(), sent.decode("utf-8", "surrogateescape")))
    _assert_nothing_leaked(KNOWLEDGE_FREE, exported)


def test_the_litellm_adapter_exports_no_planted_value(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Library mode: ``litellm.acompletion`` with the adapter in ``litellm.callbacks``; the hook
    traces each upstream call under the router span."""
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("LITELLM_TELEMETRY", "False")
    import litellm

    from opentelemetry.instrumentation.llm_router.litellm import OTelLiteLLMCallback

    adapter = OTelLiteLLMCallback(telemetry.tracer_provider, telemetry.meter_provider)

    def router_spans() -> list[Any]:
        spans = telemetry.spans.get_finished_spans()
        return [s for s in spans if "llm_router.route" in (s.attributes or {})]

    async def calls(server: ScriptedServer) -> None:
        for case in KNOWING:
            server.responder = _reply(case)
            key = uuid.uuid4().hex if case.is_prompt else case.value
            prompt = case.value if case.is_prompt else "hello"
            with pytest.raises(openai.APIError):
                await litellm.acompletion(
                    model="openai/gpt-4o-mini",
                    api_base=server.url + "/v1",
                    api_key=key,
                    messages=[{"role": "user", "content": prompt}],
                    max_retries=0,
                )
        deadline = asyncio.get_running_loop().time() + 30
        while len(router_spans()) < len(KNOWING):  # LiteLLM reports from background tasks
            assert asyncio.get_running_loop().time() < deadline, len(router_spans())
            await asyncio.sleep(0.02)

    manager = litellm.logging_callback_manager
    manager._reset_all_callbacks()
    litellm.callbacks = [adapter]
    try:
        with ScriptedServer(Reply()) as server, _instrumented(telemetry, server, monkeypatch):
            asyncio.run(calls(server))
    finally:
        manager._reset_all_callbacks()
    assert len(router_spans()) == len(KNOWING)
    _assert_nothing_leaked(KNOWING, telemetry.exported(caplog))


UPSTREAM_CASES = [case for case in KNOWING if case.carrier == "bare"]
"""The proxy path, where the key is the deployment's (LiteLLM's config), not the client's."""


def test_the_litellm_proxy_path_exports_no_planted_value(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy's order of hooks with a real ``litellm.Router``: the deployment's upstream key
    (in no recognised format) is echoed by the provider's 401, the prompt by its 400; the
    adapter learns the key from LiteLLM's details of each attempt."""
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("LITELLM_TELEMETRY", "False")
    import litellm
    from litellm.proxy._types import UserAPIKeyAuth

    from opentelemetry.instrumentation.llm_router.litellm import OTelLiteLLMCallback

    adapter = OTelLiteLLMCallback(telemetry.tracer_provider, telemetry.meter_provider)
    auth = UserAPIKeyAuth(api_key="sk-client-" + uuid.uuid4().hex)

    async def calls(server: ScriptedServer) -> None:
        for case in UPSTREAM_CASES:
            server.responder = _reply(case)
            key = uuid.uuid4().hex if case.is_prompt else case.value
            router = litellm.Router(
                model_list=[
                    {
                        "model_name": "gpt-fake",
                        "litellm_params": {
                            "model": "openai/gpt-4o-mini",
                            "api_base": server.url + "/v1",
                            "api_key": key,
                        },
                    }
                ],
                num_retries=0,
            )
            prompt = case.value if case.is_prompt else "hello"
            data = {
                "model": "gpt-fake",
                "messages": [{"role": "user", "content": prompt}],
                "litellm_call_id": f"call-{case.number}",
            }
            await adapter.async_pre_call_hook(auth, None, data, "acompletion")
            with pytest.raises(openai.APIError) as raised:
                await router.acompletion(**data)
            await adapter.async_post_call_failure_hook(data, raised.value, auth)

    manager = litellm.logging_callback_manager
    manager._reset_all_callbacks()
    litellm.callbacks = [adapter]
    try:
        with ScriptedServer(Reply()) as server, _instrumented(telemetry, server, monkeypatch):
            asyncio.run(calls(server))
    finally:
        manager._reset_all_callbacks()
    routed = [
        s
        for s in telemetry.spans.get_finished_spans()
        if "llm_router.route" in (s.attributes or {})
    ]
    assert len(routed) == len(UPSTREAM_CASES)
    assert all(s.attributes["error.type"] not in ("access_denied", None) for s in routed)
    _assert_nothing_leaked(UPSTREAM_CASES, telemetry.exported(caplog))


def test_an_error_code_the_prompt_names_is_still_the_error_type(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recorded Anthropic 401 (``authentication_error``, from the wire corpus) to a request
    whose prompt is "This should fail with AuthenticationError", capture off: ``error.type`` is
    the provider's code, not ``a[content]_error``; the prompt still stays out of the message."""
    entry = corpus_entry("anthropic_messages__error-401-authentication.json")
    body = dict(entry["request"]["body"])
    body["messages"] = [{"role": "user", "content": "This should fail with AuthenticationError"}]
    server = ScriptedServer(corpus_reply(entry))
    with server, _instrumented(telemetry, server, monkeypatch, "anthropic"), httpx2.Client() as c:
        for _ in range(4):
            response = c.post(
                server.url + "/v1/messages",
                headers={"x-api-key": "sk-ant-" + uuid.uuid4().hex},
                json=body,
            )
            assert response.status_code == 401
    spans = telemetry.spans.get_finished_spans()
    assert [s.attributes["error.type"] for s in spans] == ["authentication_error"] * 4
    assert all(s.status.description == "invalid x-api-key" for s in spans)


def test_a_key_in_the_providers_error_code_stays_out_of_the_router_span(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The router span's ``error.type`` is the provider's code (read from the body LiteLLM
    keeps); a provider that puts the key into it must not export the key there either."""
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("LITELLM_TELEMETRY", "False")
    import litellm

    from opentelemetry.instrumentation.llm_router.litellm import OTelLiteLLMCallback

    cases = [
        c for c in KNOWING if c.carrier == "bare" and c.encoding == "echoed" and not c.is_prompt
    ]
    adapter = OTelLiteLLMCallback(telemetry.tracer_provider, telemetry.meter_provider)

    def router_spans() -> list[Any]:
        spans = telemetry.spans.get_finished_spans()
        return [s for s in spans if "llm_router.route" in (s.attributes or {})]

    async def calls(server: ScriptedServer) -> None:
        for case in cases:
            error = {"message": case.message(), "type": ERROR_CODE, "code": f"bad_key_{case.value}"}
            server.responder = Reply(status=401, pieces=[json.dumps({"error": error}).encode()])
            with pytest.raises(openai.APIError):
                await litellm.acompletion(
                    model="openai/gpt-4o-mini",
                    api_base=server.url + "/v1",
                    api_key=case.value,
                    messages=[{"role": "user", "content": "hello"}],
                    max_retries=0,
                )
        deadline = asyncio.get_running_loop().time() + 30
        while len(router_spans()) < len(cases):  # LiteLLM reports from background tasks
            assert asyncio.get_running_loop().time() < deadline, len(router_spans())
            await asyncio.sleep(0.02)

    manager = litellm.logging_callback_manager
    manager._reset_all_callbacks()
    litellm.callbacks = [adapter]
    try:
        with ScriptedServer(Reply()) as server, _instrumented(telemetry, server, monkeypatch):
            asyncio.run(calls(server))
    finally:
        manager._reset_all_callbacks()
    assert [s.attributes["error.type"] for s in router_spans()] == ["bad_key_[REDACTED]"] * 2
    _assert_nothing_leaked(cases, telemetry.exported(caplog))


def test_a_user_hooks_exception_logs_no_planted_value(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's hook that raises is logged (with its traceback) and the call goes on; the text
    may quote a URL with its key (an ``httpx.HTTPStatusError`` does): the log is redacted too,
    since a logging bridge exports log records."""
    pending = list(KNOWLEDGE_FREE)

    def response_hook(span: Any, request: Any, response: Any, summary: Any) -> None:
        raise RuntimeError(pending.pop(0).message())

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    with ScriptedServer(Reply(pieces=[b"{}"])) as server:
        monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}=openai")
        instrumentor = LLMRouterInstrumentor()
        instrumentor.instrument(
            tracer_provider=telemetry.tracer_provider,
            meter_provider=telemetry.meter_provider,
            response_hook=response_hook,
        )
        try:
            with httpx2.Client() as client:
                for _ in KNOWLEDGE_FREE:
                    client.post(server.url + "/v1/chat/completions", content=b"{}")
        finally:
            instrumentor.uninstrument()
    assert pending == []
    logged = caplog.text
    assert logged.count("raised; the call goes on") == len(KNOWLEDGE_FREE)
    _assert_nothing_leaked(KNOWLEDGE_FREE, logged)
