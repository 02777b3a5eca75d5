"""A router with a fallback, its upstream calls numbered as attempts of one request.

Run it from the repository root: ``python examples/fallback_router.py``. It starts the stand-in
provider (``examples/fake_provider.py``; a model named ``error-429`` rate-limits), routes one
request to ``error-429`` and falls back to ``gpt-4o-mini``, and prints the trace: the router's
span with ``llm_router.attempts`` and each upstream call under it with ``llm_router.attempt``.
The same program is the example of docs/router-callbacks.md ("Attempts").
"""

import sys
import time

sys.path.insert(0, "examples")  # the stand-in provider lives beside this file

import openai
from fake_provider import FakeProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router import (
    InputTokens,
    LanguageModelUsage,
    LLMRouterInstrumentor,
    OTelObserver,
    OutputTokens,
    RequestContext,
    RequestSuccessEvent,
    count_attempts,
)

exporter = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
observer = OTelObserver(tracer_provider)

with FakeProvider() as provider:
    LLMRouterInstrumentor().instrument(
        tracer_provider=tracer_provider, providers=f"127.0.0.1:{provider.port}=openai"
    )
    client = openai.OpenAI(base_url=provider.openai_base_url, api_key="fake", max_retries=0)

    call = observer.begin_request("smart", request_id="req-1")  # when the request arrives
    began = time.monotonic()
    with count_attempts(call):  # upstream calls in here: children of the request, numbered
        for model in ("error-429", "gpt-4o-mini"):  # the first rate-limits: fall back
            try:
                reply = client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "hello"}]
                )
                break
            except openai.RateLimitError:
                continue
    usage = LanguageModelUsage(
        InputTokens(total=reply.usage.prompt_tokens),
        OutputTokens(total=reply.usage.completion_tokens),
    )
    latency_ms = int((time.monotonic() - began) * 1000)
    ctx = RequestContext("smart", "openai", model, latency_ms=latency_ms)
    observer.record_success(RequestSuccessEvent(ctx, usage), begun=call)
    LLMRouterInstrumentor().uninstrument()

for span in sorted(exporter.get_finished_spans(), key=lambda s: s.start_time):
    attributes = span.attributes or {}
    if "llm_router.attempts" in attributes:
        print(f"{span.name}: request, {attributes['llm_router.attempts']} attempts")
    else:
        outcome = attributes.get("error.type", "ok")
        print(f"  {span.name}: attempt {attributes['llm_router.attempt']}, {outcome}")
