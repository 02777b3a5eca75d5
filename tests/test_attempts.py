"""``count_attempts``: any router numbers its upstream calls, as the LiteLLM adapter does.

A Python router with a fallback (the first model rate-limits, the second answers) calls a real
HTTP server on 127.0.0.1 through the real ``openai`` SDK, hooked by the instrumentor; the test
reads the spans the SDK exported.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from examples.fake_provider import FakeProvider
from opentelemetry import trace
from opentelemetry.instrumentation.llm_router import (
    AttemptCounter,
    InputTokens,
    LanguageModelUsage,
    OTelObserver,
    OutputTokens,
    RequestContext,
    RequestSuccessEvent,
    count_attempts,
)

MODELS = ("error-429", "error-503", "gpt-4o-mini")  # two failures, then an answer


@pytest.fixture
def provider(instrument: Any) -> Any:
    with FakeProvider() as fake:
        instrument(f"127.0.0.1:{fake.port}=openai")
        yield fake


def _upstream(exporter: InMemorySpanExporter) -> list[Any]:
    spans = [s for s in exporter.get_finished_spans() if "server.address" in (s.attributes or {})]
    return sorted(spans, key=lambda s: s.start_time)


def _route(client: openai.OpenAI) -> tuple[str, Any]:
    for model in MODELS:
        try:
            reply = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hi"}]
            )
            return model, reply
        except openai.APIStatusError:
            continue
    raise AssertionError("no model answered")


def test_a_fallback_router_numbers_its_attempts_under_its_request_span(
    provider: Any, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    observer = OTelObserver(tracer_provider)
    client = openai.OpenAI(base_url=provider.openai_base_url, api_key="fake", max_retries=0)
    call = observer.begin_request("smart", request_id="req-1")
    assert call is not None
    began = time.monotonic()
    with count_attempts(call) as attempts:
        assert trace.get_current_span() is call.span  # the upstream calls are its children
        model, reply = _route(client)
    assert attempts.count == 3
    assert trace.get_current_span() is not call.span  # and no longer current
    usage = LanguageModelUsage(
        InputTokens(total=reply.usage.prompt_tokens),
        OutputTokens(total=reply.usage.completion_tokens),
    )
    latency_ms = int((time.monotonic() - began) * 1000)
    ctx = RequestContext("smart", "openai", model, latency_ms=latency_ms)
    observer.record_success(RequestSuccessEvent(ctx, usage), begun=call)

    upstream = _upstream(span_exporter)
    assert [s.attributes["llm_router.attempt"] for s in upstream] == [1, 2, 3]
    assert [s.attributes.get("error.type") for s in upstream] == [
        "rate_limit_exceeded",
        "server_error",
        None,
    ]
    (router,) = [s for s in span_exporter.get_finished_spans() if s.context == call.span.context]
    assert all(s.parent.span_id == router.context.span_id for s in upstream)
    assert router.attributes["llm_router.attempts"] == 3
    assert router.name == "chat gpt-4o-mini"


def test_outside_a_counted_request_calls_carry_no_attempt_number(
    provider: Any, span_exporter: InMemorySpanExporter
) -> None:
    client = openai.OpenAI(base_url=provider.openai_base_url, api_key="fake", max_retries=0)
    _route(client)
    assert all("llm_router.attempt" not in s.attributes for s in _upstream(span_exporter))


def test_under_any_span_and_in_concurrent_tasks(
    provider: Any, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    """A router span of the router's own tracer; hedged calls in tasks share the numbering;
    two requests at once each count their own."""
    tracer = tracer_provider.get_tracer("my-router")
    client = openai.AsyncOpenAI(base_url=provider.openai_base_url, api_key="fake", max_retries=0)

    async def hedge(name: str) -> AttemptCounter:
        with tracer.start_as_current_span(name) as span, count_attempts(span) as attempts:
            await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": name}]
                    )
                    for _ in range(3)
                )
            )
        return attempts

    async def main() -> list[AttemptCounter]:
        try:
            return list(await asyncio.gather(hedge("request-a"), hedge("request-b")))
        finally:
            await client.close()

    counters = asyncio.run(main())
    assert [c.count for c in counters] == [3, 3]
    spans = span_exporter.get_finished_spans()
    for name in ("request-a", "request-b"):
        (parent,) = [s for s in spans if s.name == name]
        children = [
            s for s in _upstream(span_exporter) if s.parent.span_id == parent.context.span_id
        ]
        assert sorted(s.attributes["llm_router.attempt"] for s in children) == [1, 2, 3]
        assert "llm_router.attempts" not in parent.attributes  # a plain span: not ours to set


def test_the_block_raises_what_it_raised_and_the_context_is_restored(
    tracer_provider: TracerProvider,
) -> None:
    observer = OTelObserver(tracer_provider)
    call = observer.begin_request("smart")
    assert call is not None
    before = trace.get_current_span()
    with pytest.raises(KeyError), count_attempts(call):
        raise KeyError("the router's own bug")
    assert trace.get_current_span() is before
    call.end()


def test_the_docs_example_is_the_example_file() -> None:
    """docs/router-callbacks.md shows examples/fallback_router.py (both run: the docs block under
    Sybil, the file here); they must not drift apart."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    program = (root / "examples" / "fallback_router.py").read_text()
    body = program[program.index("import sys") :]
    assert f"```python\n{body}```" in (root / "docs" / "router-callbacks.md").read_text()
    done = subprocess.run(
        [sys.executable, "examples/fallback_router.py"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "chat gpt-4o-mini: request, 2 attempts",
        "  chat error-429: attempt 1, rate_limit_exceeded",
        "  chat gpt-4o-mini: attempt 2, ok",
    ]
