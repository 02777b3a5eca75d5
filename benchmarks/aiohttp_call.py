"""N non-streaming chat calls through one ``aiohttp.ClientSession`` (or, with ``--client httpx2``,
one ``httpx2.AsyncClient``): the unit for counting what a hook costs a traced call (with
``/work/shared/tools/instructions-per-unit``, or time).

The fake provider runs outside (callgrind follows no child process)::

    .venv/bin/python -m benchmarks.fake_provider 8765 < /dev/zero &   # stdin open: it keeps serving
    instructions-per-unit --lo 20 --hi 120 -- .venv/bin/python -m benchmarks.aiohttp_call 8765 ours
    instructions-per-unit --lo 20 --hi 120 -- .venv/bin/python -m benchmarks.aiohttp_call 8765 none

``ours`` minus ``none`` is the hook's cost per call; the SDK (spans to a no-op exporter, metrics
to an in-memory reader) is in both. ``N`` (environment) is the number of calls; ``--time`` prints
the median wall time per call instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

import aiohttp
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

BODY = json.dumps(
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}]}
).encode()


async def calls(port: int, count: int, client: str = "aiohttp") -> list[int]:
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    times = []
    if client == "httpx2":
        import httpx2

        async with httpx2.AsyncClient() as httpx_client:
            for _ in range(count):
                start = time.perf_counter_ns()
                (await httpx_client.post(url, content=BODY)).read()
                times.append(time.perf_counter_ns() - start)
        return times
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            start = time.perf_counter_ns()
            async with session.post(url, data=BODY) as response:
                await response.read()
            times.append(time.perf_counter_ns() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("configuration", choices=["ours", "none"])
    parser.add_argument("--client", choices=["aiohttp", "httpx2"], default="aiohttp")
    parser.add_argument("--time", action="store_true")
    args = parser.parse_args()
    if args.configuration == "ours":
        os.environ["OTEL_PYTHON_LLM_ROUTER_PROVIDERS"] = f"127.0.0.1:{args.port}=openai"
        LLMRouterInstrumentor().instrument(
            tracer_provider=TracerProvider(),
            meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
        )
    asyncio.run(calls(args.port, 5, args.client))  # warm-up: imports, first connection
    times = asyncio.run(calls(args.port, int(os.environ.get("N", "200")), args.client))
    if args.time:
        print(f"{args.configuration}: median {statistics.median(times) / 1000:.1f} µs per call")


if __name__ == "__main__":
    main()
