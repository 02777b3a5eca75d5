"""How far the non-streaming hook is from the least any hook emitting our telemetry can cost.

``scripts/bench.sh`` reports an SDK floor measured in a tight loop, where the OpenTelemetry SDK's
code stays in the CPU caches. In a real call it does not: the openai SDK's own ~1 ms of Python
runs between two of our calls, and the SDK's span start, attribute setting and histogram records
then cost two to four times their tight-loop figure. This measures the floor where it applies:
inside the real call, through the openai SDK against the fake provider.

One process, blocks of calls in rotation (none, ours, floor, openai-v2, none, ...), each block
instrumented on entry and uninstrumented on exit, so every configuration sees the same phases of a
busy machine. *floor* is a bare ``httpx2.Client.send`` wrapper that makes exactly the SDK calls our
hook makes for this call, with values worked out in advance: a span with the same start
attributes, made current while sending, the same response attributes, the duration and two
token-usage records with the same attribute sets, the span's end. Whatever a hook adds on top of
it is request and response parsing and the mapping; no hook that records what ours records can
go below it.

``python -m benchmarks.nonstream_floor [--blocks 30] [--calls 200]`` (from the bench venv).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any, Callable

from opentelemetry.trace import SpanKind

from benchmarks.client import PROMPT_1K, chat_call
from benchmarks.fake_provider import RESPONSE_ID, RESPONSE_MODEL, USAGE
from benchmarks.run import Provider, client_env
from opentelemetry import context, metrics, trace


class _Floor:
    """The SDK calls of our hook for the benchmark's non-streaming call, and nothing else."""

    def __init__(self, port: int) -> None:
        self._tracer = trace.get_tracer("benchmark.floor")
        meter = metrics.get_meter("benchmark.floor")
        self._duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
        self._tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
        base = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "server.address": "127.0.0.1",
            "server.port": port,
        }
        self._start = {**base, "openai.api.type": "chat_completions"}
        self._end = {
            "http.response.status_code": 200,
            "gen_ai.response.model": RESPONSE_MODEL,
            "gen_ai.response.id": RESPONSE_ID,
            "gen_ai.response.finish_reasons": ["stop"],
            "openai.response.system_fingerprint": "fp_bench",
            "gen_ai.usage.input_tokens": USAGE["prompt_tokens"],
            "gen_ai.usage.output_tokens": USAGE["completion_tokens"],
        }
        metric = {
            **base,
            "gen_ai.response.model": RESPONSE_MODEL,
            "openai.response.system_fingerprint": "fp_bench",
        }
        self._metric = metric
        self._input = {**metric, "gen_ai.token.type": "input"}
        self._output = {**metric, "gen_ai.token.type": "output"}

    def send(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        start = time.time_ns()
        span = self._tracer.start_span(
            "chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=self._start, start_time=start
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            response = wrapped(*args, **kwargs)
        finally:
            context.detach(token)
        end = time.time_ns()
        span.set_attributes(self._end)
        self._duration.record((end - start) / 1e9, self._metric)
        self._tokens.record(USAGE["prompt_tokens"], self._input)
        self._tokens.record(USAGE["completion_tokens"], self._output)
        span.end(end)
        return response

    def instrument(self) -> None:
        import httpx2
        from wrapt import wrap_function_wrapper

        wrap_function_wrapper(httpx2, "Client.send", self.send)

    def uninstrument(self) -> None:
        import httpx2
        from opentelemetry.instrumentation.utils import unwrap

        unwrap(httpx2.Client, "send")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=30, help="blocks per configuration")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per block")
    args = parser.parse_args()
    provider = Provider(sys.executable)
    try:
        os.environ.update(client_env(provider.port))
        os.environ["OTEL_PYTHON_LLM_ROUTER_PRICING"] = "off"
        from benchmarks.otel_setup import install_sdk

        sdk = install_sdk()
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

        configs: dict[str, Any] = {
            "none": None,
            "ours": LLMRouterInstrumentor(),
            "floor": _Floor(provider.port),
            "openai_v2": OpenAIInstrumentor(),
        }
        call = chat_call(provider.port, PROMPT_1K)
        medians: dict[str, list[float]] = {key: [] for key in configs}
        for _ in range(args.blocks):
            for key, instrumentor in configs.items():
                if instrumentor is not None:
                    instrumentor.instrument()
                for _ in range(20):
                    call()
                spans = sdk.exporter.count
                samples = []
                for _ in range(args.calls):
                    start = time.process_time_ns()
                    call()
                    samples.append(time.process_time_ns() - start)
                if instrumentor is not None:
                    instrumentor.uninstrument()
                    if sdk.exporter.count - spans != args.calls:
                        raise SystemExit(f"{key}: not one span per call")
                medians[key].append(statistics.median(samples) / 1000)
    finally:
        provider.close()

    def overhead(key: str) -> list[float]:
        return [m - n for m, n in zip(medians[key], medians["none"])]

    print(f"client CPU µs per call over none, median (quartiles) of {args.blocks} paired blocks")
    for key in ("ours", "floor", "openai_v2"):
        values = sorted(overhead(key))
        quarter = len(values) // 4
        print(
            f"  {key:10s} {statistics.median(values):6.1f}"
            f"  ({values[quarter]:.1f} to {values[-1 - quarter]:.1f})"
        )
    for key in ("ours", "floor"):
        ratios = sorted(a / b for a, b in zip(overhead(key), overhead("openai_v2")))
        print(f"  {key} / openai_v2: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
