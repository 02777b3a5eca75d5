"""The user's own hooks on ``LLMRouterInstrumentor().instrument(...)``, for every client library.

A router operator puts a tenant id from a request header on the LLM span (request hook) and reads
the parsed summary at the end (response hook); hooks run after our attributes are set and before
the span ends; a raising hook is logged and the call goes on; async clients await async twins;
for a stream the response hook runs when the stream ends, with the summary.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

import pytest

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from tests.support.http_clients import ASYNC_KINDS, KINDS, post, stream
from tests.support.openai_wire import (
    MODEL,
    RESPONSE_ID,
    chat_reply,
    chat_request,
    chat_stream_reply,
)
from tests.support.scripted_server import Reply, ScriptedServer, json_reply

SCOPE = "opentelemetry.instrumentation.llm_router"
TENANT = "x-tenant-id"


def _ours(span_exporter: Any) -> list[Any]:
    return [s for s in span_exporter.get_finished_spans() if s.instrumentation_scope.name == SCOPE]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(chat_reply()) as running:
        yield running


@pytest.fixture
def hooked(
    server: ScriptedServer, tracer_provider: Any, meter_provider: Any, monkeypatch: Any
) -> Iterator[Any]:
    """``hooked(**hooks)``: instrument with the fake provider and these hooks."""
    monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", f"{server.host_port}=openai")
    instrumentor = LLMRouterInstrumentor()

    def start(**hooks: Any) -> None:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, **hooks
        )

    yield start
    instrumentor.uninstrument()


def _header(request: Any, name: str) -> Any:
    return request.headers.get(name)


def _tenant_hooks(seen: list[Any]) -> dict[str, Any]:
    def request_hook(span: Any, request: Any) -> None:
        # our attributes are already on the span when the hook runs
        seen.append(("request", span.attributes.get("gen_ai.request.model")))
        span.set_attribute("app.tenant.id", _header(request, TENANT))

    def response_hook(span: Any, request: Any, response: Any, summary: Any) -> None:
        seen.append(("response", span.attributes.get("gen_ai.usage.input_tokens")))
        status = getattr(response, "status_code", None) or response.status
        span.set_attribute("app.status", status)
        span.set_attribute("app.summary.id", summary.response_id)
        span.set_attribute("app.summary.output_tokens", summary.usage.output_tokens)

    return {"request_hook": request_hook, "response_hook": response_hook}


@pytest.mark.parametrize("kind", KINDS)
def test_tenant_header_onto_span(
    kind: str, server: ScriptedServer, hooked: Any, span_exporter: Any
) -> None:
    seen: list[Any] = []
    hooked(**_tenant_hooks(seen))
    status, body = post(kind, f"{server.url}/v1/chat/completions", chat_request(), {TENANT: "t-42"})
    assert status == 200 and body == chat_reply().body
    (span,) = _ours(span_exporter)
    assert span.attributes["app.tenant.id"] == "t-42"
    assert span.attributes["app.status"] == 200
    assert span.attributes["app.summary.id"] == RESPONSE_ID
    assert span.attributes["app.summary.output_tokens"] == 5
    assert span.attributes["gen_ai.usage.input_tokens"] == 12  # ours, untouched
    assert seen == [("request", MODEL), ("response", 12)]


@pytest.mark.parametrize("kind", KINDS)
def test_stream_response_hook_runs_at_the_end_with_the_summary(
    kind: str, server: ScriptedServer, hooked: Any, span_exporter: Any
) -> None:
    server.responder = chat_stream_reply(words=7)
    summaries: list[Any] = []

    def response_hook(span: Any, request: Any, response: Any, summary: Any) -> None:
        summaries.append(summary)
        span.set_attribute("app.finish", list(summary.finish_reasons))

    hooked(response_hook=response_hook)
    status, body = stream(kind, f"{server.url}/v1/chat/completions", chat_request(True), {})
    assert status == 200 and body == chat_stream_reply(words=7).body
    (span,) = _ours(span_exporter)
    (summary,) = summaries
    assert summary.usage.output_tokens == 7 and summary.response_id == RESPONSE_ID
    assert span.attributes["app.finish"] == ("stop",)
    assert span.attributes["gen_ai.response.time_to_first_chunk"] > 0


@pytest.mark.parametrize("kind", KINDS)
def test_raising_hooks_are_logged_and_the_call_goes_on(
    kind: str, server: ScriptedServer, hooked: Any, span_exporter: Any, caplog: Any
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("a bug in the user's hook")

    hooked(request_hook=broken, response_hook=broken)
    with caplog.at_level(logging.WARNING, logger="opentelemetry.instrumentation.llm_router"):
        for _ in range(2):
            status, body = post(kind, f"{server.url}/v1/chat/completions", chat_request(), {})
            assert status == 200 and body == chat_reply().body
    spans = _ours(span_exporter)
    assert len(spans) == 2
    assert all(s.attributes["gen_ai.usage.output_tokens"] == 5 for s in spans)
    assert all(s.status.status_code.name == "UNSET" for s in spans)
    warnings = [r for r in caplog.records if "raised; the call goes on" in r.getMessage()]
    # one warning per hook; the second call's failures are debug only
    assert sorted(r.getMessage().split()[1] for r in warnings) == ["request_hook", "response_hook"]


@pytest.mark.parametrize("kind", ASYNC_KINDS)
@pytest.mark.parametrize("streamed", [False, True], ids=["body", "stream"])
def test_async_hooks_are_awaited_before_the_span_ends(
    kind: str, streamed: bool, server: ScriptedServer, hooked: Any, span_exporter: Any
) -> None:
    import asyncio

    order: list[str] = []

    async def async_request_hook(span: Any, request: Any) -> None:
        await asyncio.sleep(0)
        span.set_attribute("app.tenant.id", _header(request, TENANT))
        order.append("request")

    async def async_response_hook(span: Any, request: Any, response: Any, summary: Any) -> None:
        await asyncio.sleep(0.01)
        assert span.is_recording()
        span.set_attribute("app.output_tokens", summary.usage.output_tokens)
        order.append("response")

    def sync_hook(*args: Any) -> None:
        order.append("sync")  # async clients prefer the async twin

    hooked(
        request_hook=sync_hook,
        response_hook=sync_hook,
        async_request_hook=async_request_hook,
        async_response_hook=async_response_hook,
    )
    server.responder = chat_stream_reply(words=3) if streamed else chat_reply()
    call = stream if streamed else post
    call(kind, f"{server.url}/v1/chat/completions", chat_request(streamed), {TENANT: "t-7"})
    (span,) = _ours(span_exporter)
    assert order == ["request", "response"]
    assert span.attributes["app.tenant.id"] == "t-7"
    assert span.attributes["app.output_tokens"] == (3 if streamed else 5)
    # the hook's own 10 ms are not the call's duration
    assert span.end_time - span.start_time < 10_000_000_000


@pytest.mark.parametrize("kind", ["httpx2", "aiohttp"])
def test_response_hook_sees_the_error_without_the_callers_key(
    kind: str, server: ScriptedServer, hooked: Any, span_exporter: Any
) -> None:
    key = "sk-proj-hookcanary1234567890"
    error = {
        "error": {
            "message": f"Incorrect API key provided: {key}",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    server.responder = json_reply(error, status=401)
    messages: list[Any] = []

    def response_hook(span: Any, request: Any, response: Any, summary: Any) -> None:
        messages.append(summary.error_message)

    hooked(response_hook=response_hook)
    status, _ = post(
        kind,
        f"{server.url}/v1/chat/completions",
        chat_request(),
        {"Authorization": f"Bearer {key}"},
    )
    assert status == 401
    (span,) = _ours(span_exporter)
    assert span.attributes["error.type"] == "invalid_api_key"
    (message,) = messages
    assert key not in message and "[REDACTED]" in message


def test_bad_hooks_are_ignored_with_a_warning(
    server: ScriptedServer, hooked: Any, span_exporter: Any, caplog: Any
) -> None:
    def not_async(span: Any, request: Any) -> None:
        pass

    with caplog.at_level(logging.WARNING, logger="opentelemetry.instrumentation.llm_router"):
        hooked(request_hook="nope", async_request_hook=not_async)
    assert "request_hook='nope' is not callable" in caplog.text
    assert "async_request_hook=" in caplog.text and "no coroutine function" in caplog.text
    status, _ = post("httpx2", f"{server.url}/v1/chat/completions", chat_request(), {})
    assert status == 200
    assert len(_ours(span_exporter)) == 1


def test_no_hook_for_requests_we_do_not_trace(
    server: ScriptedServer, hooked: Any, span_exporter: Any
) -> None:
    calls: list[Any] = []
    hooked(request_hook=lambda *a: calls.append(a), response_hook=lambda *a: calls.append(a))
    server.responder = Reply(pieces=[b'{"data":[]}'])
    import httpx2

    assert httpx2.get(f"{server.url}/v1/models").status_code == 200  # a provider, not GenAI
    assert calls == [] and _ours(span_exporter) == []
