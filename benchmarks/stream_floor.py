"""The SDK floor of one streamed call, for the instruction harness (configuration ``floor``).

What the OpenTelemetry SDK alone costs per call for the telemetry our hook emits for one OpenAI Chat
Completions stream, with every value worked out in advance: a CLIENT span started with the seven
attributes ours starts it with and made current while the request is sent, the ten attributes ours
sets when the stream ends, its end, and the four histogram records ours makes per stream
(operation duration and two token-usage records with eight and nine attributes, time to first
chunk with six), through histograms made as ours makes them (same bucket advice). No parsing, no
per-event work, no wrapping of the stream: whatever ours costs per call above this is request and
response reading, the mapping and the stream's bookkeeping.

The calls are made around ``httpx2.Client.send`` (the body is read after it returns): where in
the call the SDK's work happens does not change how many instructions it takes. The attribute
sets are those ours recorded for ``stream:chat:*`` (checked by ``tests/test_benchmark_smoke.py``
against a real call through our hook); other formats differ by a value or two.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from opentelemetry.trace import SpanKind

from benchmarks.stream_bodies import MODEL
from opentelemetry import context, metrics, trace
from opentelemetry.instrumentation.llm_router._genai import _instruments


def attribute_sets(port: int) -> dict[str, dict[str, Any]]:
    """The span's start and end attributes and each record's attributes, as ours makes them
    for one ``stream:chat`` call to ``127.0.0.1:port``."""
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": MODEL["chat"],
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    start = {**base, "gen_ai.request.stream": True, "openai.api.type": "chat_completions"}
    end = {
        "http.response.status_code": 200,
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-bench0001",
        "gen_ai.response.finish_reasons": ("stop",),
        "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_bench01",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.response.time_to_first_chunk": 0.001,
    }
    first = {**base, "gen_ai.response.model": "gpt-4o-mini-2024-07-18"}
    duration = {
        **first,
        "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_bench01",
    }
    return {
        "start": start,
        "end": end,
        "duration": duration,
        "input": {**duration, "gen_ai.token.type": "input"},
        "output": {**duration, "gen_ai.token.type": "output"},
        "first_chunk": first,
    }


def install(port: int) -> None:
    """Wrap ``httpx2.Client.send`` with the SDK calls alone (for the whole process)."""
    import httpx2
    from wrapt import wrap_function_wrapper

    sets = attribute_sets(port)
    tracer = trace.get_tracer("benchmark.stream_floor")
    meter = metrics.get_meter("benchmark.stream_floor")
    duration = _instruments.operation_duration(meter)
    tokens = _instruments.token_usage(meter)
    first_chunk = _instruments.time_to_first_chunk(meter)
    name = f"chat {MODEL['chat']}"

    def send(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        start = time.time_ns()
        span = tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes=sets["start"], start_time=start
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            response = wrapped(*args, **kwargs)
        finally:
            context.detach(token)
        end = time.time_ns()
        span.set_attributes(sets["end"])
        duration.record((end - start) / 1e9, sets["duration"])
        tokens.record(12, sets["input"])
        tokens.record(300, sets["output"])
        first_chunk.record(0.001, sets["first_chunk"])
        span.end(end)
        return response

    wrap_function_wrapper(httpx2, "Client.send", send)
