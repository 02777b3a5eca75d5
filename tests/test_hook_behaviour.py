"""The hook's contract around the call: errors re-raised unchanged, configuration, exclusions,
uninstrument, context hygiene, opt-ins, secrets, and nesting under the httpx instrumentation."""

from __future__ import annotations

import json
import logging
import socket
from importlib.metadata import entry_points
from typing import Any

import httpx
import httpx2
import pytest

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from tests.conftest import exception_events
from tests.support.openai_wire import MODEL, chat_reply, chat_request, chat_stream_reply
from tests.support.scripted_server import Reply, ScriptedServer, corpus_entry, corpus_reply

SCOPE = "opentelemetry.instrumentation.llm_router"


def _ours(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, body: dict[str, Any], module: Any = httpx2, **kwargs: Any) -> Any:
    with module.Client(**kwargs) as client:
        return client.post(url, content=json.dumps(body).encode())


def test_entry_point_is_registered() -> None:
    (point,) = [
        p for p in entry_points(group="opentelemetry_instrumentor") if p.name == "llm_router"
    ]
    assert point.load() is LLMRouterInstrumentor


@pytest.mark.parametrize("module", [httpx2, httpx], ids=["httpx2", "httpx"])
def test_connect_error_reraised(
    module: Any, instrument: Any, span_exporter: Any, log_exporter: Any
) -> None:
    port = _free_port()
    instrument(f"127.0.0.1:{port}=openai")
    with pytest.raises(module.ConnectError):
        _post(f"http://127.0.0.1:{port}/v1/chat/completions", chat_request(), module)
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "transport"  # docs/semconv.md, error.type rule 4
    assert not span.events  # the log event, not an exception span event
    (event,) = exception_events(log_exporter)
    assert event.attributes["exception.type"].endswith("ConnectError")
    assert "Traceback" in event.attributes["exception.stacktrace"]
    ctx = span.context
    assert (event.trace_id, event.span_id) == (ctx.trace_id, ctx.span_id)


def test_read_timeout_reraised(instrument: Any, span_exporter: Any, log_exporter: Any) -> None:
    reply = chat_reply()
    reply.delay_headers_s = 1.0
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=openai")
        with pytest.raises(httpx2.ReadTimeout):
            _post(server.url + "/v1/chat/completions", chat_request(), timeout=0.2)
    (span,) = _ours(span_exporter)
    assert span.attributes["error.type"] == "timeout"
    (event,) = exception_events(log_exporter)
    assert event.attributes["exception.type"].endswith("ReadTimeout")  # the class stays here


def test_reset_before_headers(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(Reply(reset_before_headers=True)) as server:
        instrument(f"{server.host_port}=openai")
        with pytest.raises(httpx2.TransportError):
            _post(server.url + "/v1/chat/completions", chat_request())
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "ERROR"


@pytest.mark.parametrize(
    ("reply", "error_type"),
    [
        (Reply(status=503, content_type="text/plain", pieces=[b"upstream unavailable"]), "503"),
        (Reply(status=500, pieces=[b""]), "500"),
        (
            Reply(
                status=429,
                pieces=[
                    b'{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}'
                ],
            ),
            "rate_limit_exceeded",
        ),
    ],
)
def test_http_errors(reply: Reply, error_type: str, instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(reply) as server:
        instrument(f"{server.host_port}=openai")
        response = _post(server.url + "/v1/chat/completions", chat_request())
    assert response.content == reply.body
    (span,) = _ours(span_exporter)
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == error_type
    assert span.attributes["http.response.status_code"] == reply.status
    assert "gen_ai.usage.input_tokens" not in span.attributes


def test_unknown_host_passes_untouched(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument("")
        response = _post(server.url + "/v1/chat/completions", chat_request())
    assert response.status_code == 200
    assert _ours(span_exporter) == []


def test_non_genai_path_on_provider_host(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(Reply(pieces=[b'{"data":[]}'])) as server:
        instrument(f"{server.host_port}=openai")
        with httpx2.Client() as client:
            assert client.get(server.url + "/v1/models").status_code == 200
    assert _ours(span_exporter) == []


def test_excluded_urls(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=openai", OTEL_PYTHON_EXCLUDED_URLS="chat/completions")
        _post(server.url + "/v1/chat/completions", chat_request())
        _post(server.url + "/v1/embeddings", {"model": "e", "input": "x"})
    assert [s.attributes["gen_ai.operation.name"] for s in _ours(span_exporter)] == ["embeddings"]


def test_custom_host_with_provider_and_format(instrument: Any, span_exporter: Any) -> None:
    entry = corpus_entry("anthropic_messages__claude-sonnet-4-say-hi.json")
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"gateway.internal=my-gateway/openai,{server.host_port}=my-router/anthropic")
        _post(server.url + "/v1/messages", entry["request"]["body"])
    (span,) = _ours(span_exporter)
    assert span.attributes["gen_ai.provider.name"] == "my-router"
    assert span.attributes["gen_ai.usage.output_tokens"] > 0


def test_malformed_provider_entry_warns(
    instrument: Any, span_exporter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with ScriptedServer(chat_reply()) as server, caplog.at_level(logging.WARNING):
        instrument(f"=nohost,{server.host_port}=openai,bad:port:x=openai")
        _post(server.url + "/v1/chat/completions", chat_request())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("OTEL_PYTHON_LLM_ROUTER_PROVIDERS" in w and "nohost" in w for w in warnings)
    assert len(_ours(span_exporter)) == 1  # the good entry still works


def test_uninstrument_restores_and_instrument_is_idempotent(
    tracer_provider: Any, meter_provider: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = httpx2.Client.send
    with ScriptedServer(chat_reply()) as server:
        monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}=openai")
        instrumentor = LLMRouterInstrumentor()
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        _post(server.url + "/v1/chat/completions", chat_request())
        assert len(_ours(span_exporter)) == 1
        instrumentor.uninstrument()
        instrumentor.uninstrument()
        assert httpx2.Client.send is original
        assert not hasattr(httpx.AsyncClient.send, "__wrapped__")
        _post(server.url + "/v1/chat/completions", chat_request())
    assert len(_ours(span_exporter)) == 1


def test_context_restored_and_parent_is_callers_span(
    instrument: Any, tracer_provider: Any, span_exporter: Any
) -> None:
    tracer = tracer_provider.get_tracer("test")
    with ScriptedServer(chat_stream_reply()) as server:
        instrument(f"{server.host_port}=openai")
        with tracer.start_as_current_span("caller") as caller:
            before = context.get_current()
            with (
                httpx2.Client() as client,
                client.stream(
                    "POST",
                    server.url + "/v1/chat/completions",
                    content=json.dumps(chat_request(stream=True)),
                ) as response,
            ):
                assert context.get_current() is before
                assert trace.get_current_span() is caller
                response.read()
    (span,) = _ours(span_exporter)
    assert span.parent.span_id == caller.get_span_context().span_id


def test_nests_httpx_instrumentation_span(
    instrument: Any, tracer_provider: Any, span_exporter: Any
) -> None:
    from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor

    httpx_instrumentor = HTTPX2ClientInstrumentor()
    httpx_instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        with ScriptedServer(chat_reply()) as server:
            instrument(f"{server.host_port}=openai")
            _post(server.url + "/v1/chat/completions", chat_request())
    finally:
        httpx_instrumentor.uninstrument()
    (ours,) = _ours(span_exporter)
    others = [s for s in span_exporter.get_finished_spans() if s is not ours]
    assert len(others) == 1
    assert others[0].parent.span_id == ours.context.span_id
    assert others[0].context.trace_id == ours.context.trace_id


def test_stream_include_usage_opt_in(instrument: Any, span_exporter: Any) -> None:
    body = json.dumps(chat_request(stream=True)).encode()
    with ScriptedServer(chat_stream_reply()) as server:
        instrument(f"{server.host_port}=openai")
        with httpx2.Client() as client:
            client.post(server.url + "/v1/chat/completions", content=body)
        assert server.received[-1].body == body  # off by default: not a byte changed
    LLMRouterInstrumentor().uninstrument()
    with ScriptedServer(chat_stream_reply()) as server:
        instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_STREAM_INCLUDE_USAGE="true")
        with httpx2.Client() as client:
            client.post(server.url + "/v1/chat/completions", content=body)
        sent = json.loads(server.received[-1].body)
        assert sent["stream_options"] == {"include_usage": True}
        assert int(server.received[-1].headers["Content-Length"]) == len(server.received[-1].body)
        assert {k: v for k, v in sent.items() if k != "stream_options"} == chat_request(stream=True)


def test_content_capture(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=openai")
        _post(server.url + "/v1/chat/completions", chat_request())
        (off,) = _ours(span_exporter)
        assert not any("messages" in key for key in off.attributes)
        assert "Say this is a test" not in json.dumps(dict(off.attributes))
        span_exporter.clear()
        LLMRouterInstrumentor().uninstrument()
        instrument(
            f"{server.host_port}=openai", OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true"
        )
        _post(server.url + "/v1/chat/completions", chat_request())
    spans = _ours(span_exporter)
    on = spans[-1]
    assert "Say this is a test" in on.attributes["gen_ai.input.messages"]
    assert "This is a test." in on.attributes["gen_ai.output.messages"]


def test_gemini_query_key_not_in_telemetry(instrument: Any, span_exporter: Any) -> None:
    entry = corpus_entry("gemini_generate_content__gemini-2.0-flash-function-response-turn.json")
    canary = "AIzaCanary0123456789"
    with ScriptedServer(corpus_reply(entry)) as server:
        instrument(f"{server.host_port}=gcp.gemini/gemini")
        with httpx2.Client() as client:
            path = entry["request"]["path"]
            sep = "&" if "?" in path else "?"
            client.post(
                f"{server.url}{path}{sep}key={canary}",
                content=json.dumps(entry["request"]["body"]),
                headers={"x-goog-api-key": canary},
            )
    (span,) = _ours(span_exporter)
    assert canary not in json.dumps({**dict(span.attributes), "name": span.name})
    assert span.name.startswith("generate_content ")


def test_model_in_span_name(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=openai")
        _post(server.url + "/v1/chat/completions", chat_request())
    (span,) = _ours(span_exporter)
    assert span.name == f"chat {MODEL}"


def test_metrics_can_be_turned_off_keeping_spans(
    instrument: Any, span_exporter: Any, metric_points: Any
) -> None:
    """For a router whose OTelObserver already counts its requests: hook spans, no hook metrics."""
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=openai", OTEL_PYTHON_LLM_ROUTER_RECORD_METRICS="false")
        _post(server.url + "/v1/chat/completions", chat_request())
    (span,) = _ours(span_exporter)
    assert span.attributes["gen_ai.usage.input_tokens"] == 12
    assert metric_points("gen_ai.client.operation.duration") == []
    assert metric_points("gen_ai.client.token.usage") == []


def test_content_is_size_capped(instrument: Any, span_exporter: Any) -> None:
    long_prompt = "lorem ipsum " * 2000
    with ScriptedServer(chat_reply()) as server:
        instrument(
            f"{server.host_port}=openai",
            OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="true",
            OTEL_PYTHON_LLM_ROUTER_CONTENT_MAX_LENGTH="500",
        )
        _post(
            server.url + "/v1/chat/completions",
            {"model": MODEL, "messages": [{"role": "user", "content": long_prompt}]},
        )
    (span,) = _ours(span_exporter)
    captured = span.attributes["gen_ai.input.messages"]
    assert captured.startswith('[{"role":"user"')
    assert len(captured) <= 500 + len("...[truncated]")
    assert captured.endswith("...[truncated]")
