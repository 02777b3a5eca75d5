"""One client process: one configuration, the real ``openai`` SDK, every scenario, JSON out.

The orchestrator starts a fresh one per configuration per round, because instrumentors patch
modules globally and cannot be compared inside one interpreter. Each scenario runs a few warm-up
calls, then times every call (``perf_counter_ns``) and reports the median, which shrugs off the
moments when another process takes the core.

Two modes:

- ``calls``: non-streaming (1 KB prompt), 1 MB prompt, 50- and 2,000-chunk streams (with time to
  first chunk), 100 concurrent async streams; then peak RSS and the spans each scenario produced.
- ``rss``: one 100,000-chunk stream, sampling resident memory as it is consumed.

An instrumented configuration that produced no span is an error (exit status 4): a harness that
silently measures nothing would report a flattering zero.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import sys
import time
from typing import Any, Callable

from benchmarks.configurations import CONFIGURATIONS
from benchmarks.fake_provider import MODEL
from benchmarks.otel_setup import OTelSDK, install_sdk

PROMPT_1K = ("Summarise the following text in one sentence. " * 23)[:1024]
PROMPT_1M = ("lorem ipsum dolor sit amet " * 40_000)[: 1024 * 1024]

EXIT_UNAVAILABLE = 3
EXIT_NO_SPANS = 4

# CPU time of this process, not wall time: the provider runs in another process, so what the
# client spends on CPU per call is the SDK plus the instrumentation, and time during which other
# processes held the core (two cores, shared with whatever else runs) is not counted.
clock = time.process_time_ns
wall_clock = time.perf_counter_ns


def _bench_headers(chunks: int) -> dict[str, str]:
    """Tells the fake provider how many chunks to stream (none: a non-streaming answer)."""
    return {"x-bench-chunks": str(chunks)} if chunks else {}


def _openai_client(port: int, chunks: int = 0) -> Any:
    import openai

    return openai.OpenAI(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key="sk-bench",
        max_retries=0,
        default_headers=_bench_headers(chunks),
    )


def _raw_body(prompt: str, stream: bool) -> bytes:
    """The body the openai SDK sends, for the plain-httpx2 scenarios."""
    body: dict[str, Any] = {"messages": _messages(prompt), "model": MODEL}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return json.dumps(body).encode()


def _messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def chat_call(port: int, prompt: str) -> Callable[[], None]:
    """One non-streaming chat completion through the openai SDK (client made once)."""
    client = _openai_client(port)
    messages = _messages(prompt)

    def call() -> None:
        response = client.chat.completions.create(model=MODEL, messages=messages)
        if response.usage is None or response.choices[0].message.content is None:
            raise SystemExit("the fake provider's response did not parse")

    return call


def stream_call(port: int, chunks: int, first_chunk: list[int]) -> Callable[[], None]:
    """One streamed chat completion, consumed to the end; appends the time to first chunk."""
    client = _openai_client(port, chunks)
    messages = _messages(PROMPT_1K)

    def call() -> None:
        start = clock()
        first = 0
        received = 0
        stream = client.chat.completions.create(
            model=MODEL,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        for _chunk in stream:
            if not received:
                first = clock()
            received += 1
        if received != chunks + 1:  # content chunks + the usage chunk
            raise SystemExit(f"expected {chunks + 1} chunks, got {received}")
        first_chunk.append(first - start)

    return call


def raw_call(port: int, chunks: int, prompt: str = PROMPT_1K) -> Callable[[], None]:
    """The same request through plain ``httpx2``: what a router forwarding bytes does.

    The SDK's own work per chunk (pydantic models, ~170 µs a chunk for openai 3.x here) dwarfs a
    hook's per-chunk cost, so the hook's cost per chunk is measured here, where the baseline is a
    few µs a chunk. SDK-level instrumentations do not see these calls.
    """
    import httpx2

    client = httpx2.Client()
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    headers = {
        "content-type": "application/json",
        "authorization": "Bearer sk-bench",
        **_bench_headers(chunks),
    }
    body = _raw_body(prompt, stream=bool(chunks))

    def call() -> None:
        if not chunks:
            response = client.post(url, content=body, headers=headers)
            if response.status_code != 200 or not response.content:
                raise SystemExit("raw non-streaming call failed")
            return
        received = 0
        with client.stream("POST", url, content=body, headers=headers) as response:
            for data in response.iter_bytes():
                received += len(data)
        if not received:
            raise SystemExit("raw stream returned nothing")

    return call


class Scenarios:
    """The timed scenarios of one process; each returns per-call samples in nanoseconds."""

    def __init__(self, sdk: OTelSDK, port: int) -> None:
        self.sdk = sdk
        self.port = port
        self.spans: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.wall_us: dict[str, float] = {}

    def _timed(self, name: str, call: Callable[[], None], warmup: int, count: int) -> list[int]:
        for _ in range(warmup):
            call()
        spans_before = self.sdk.exporter.count
        samples = []
        walls = []
        for _ in range(count):
            wall = wall_clock()
            start = clock()
            call()
            samples.append(clock() - start)
            walls.append(wall_clock() - wall)
        self.wall_us[name] = _median_us(walls)
        self.calls[name] = count
        self.spans[name] = (self.sdk.exporter.count - spans_before) / max(count, 1)
        return samples

    def chat(self, name: str, prompt: str, warmup: int, count: int) -> list[int]:
        return self._timed(name, chat_call(self.port, prompt), warmup, count)

    def stream(
        self, name: str, chunks: int, warmup: int, count: int
    ) -> tuple[list[int], list[int]]:
        """Whole-stream times and times to first chunk (from the call to the first chunk)."""
        first_chunk: list[int] = []
        samples = self._timed(name, stream_call(self.port, chunks, first_chunk), warmup, count)
        return samples, first_chunk[warmup:]

    def raw(
        self, name: str, chunks: int, warmup: int, count: int, prompt: str = PROMPT_1K
    ) -> list[int]:
        return self._timed(name, raw_call(self.port, chunks, prompt), warmup, count)

    def concurrent(
        self, name: str, streams: int, chunks: int, warmup: int, batches: int
    ) -> list[int]:
        """``streams`` async streams at once; samples are batch time / streams (per-stream cost)."""
        import openai

        async def run() -> list[int]:
            client = openai.AsyncOpenAI(
                base_url=f"http://127.0.0.1:{self.port}/v1",
                api_key="sk-bench",
                max_retries=0,
                default_headers=_bench_headers(chunks),
            )
            messages = _messages(PROMPT_1K)

            async def one() -> None:
                stream = await client.chat.completions.create(
                    model=MODEL,
                    messages=messages,
                    stream=True,
                    stream_options={"include_usage": True},
                )
                received = 0
                async for _chunk in stream:
                    received += 1
                if received != chunks + 1:
                    raise SystemExit(f"expected {chunks + 1} chunks, got {received}")

            async def batch() -> int:
                start = clock()
                await asyncio.gather(*(one() for _ in range(streams)))
                return (clock() - start) // streams

            for _ in range(warmup):
                await batch()
            spans_before = self.sdk.exporter.count
            samples = [await batch() for _ in range(batches)]
            self.calls[name] = batches * streams
            self.spans[name] = (self.sdk.exporter.count - spans_before) / max(batches * streams, 1)
            await client.close()
            return samples

        return asyncio.run(run())


def _median_us(samples: list[int]) -> float:
    return statistics.median(samples) / 1000 if samples else float("nan")


def run_calls(sdk: OTelSDK, port: int, counts: dict[str, int]) -> dict[str, Any]:
    scenarios = Scenarios(sdk, port)
    w = counts["warmup"]
    result: dict[str, Any] = {}
    result["nonstream_us"] = _median_us(
        scenarios.chat("nonstream", PROMPT_1K, w, counts["nonstream"])
    )
    result["prompt_1m_us"] = _median_us(
        scenarios.chat("prompt_1m", PROMPT_1M, counts["warmup_long"], counts["prompt_1m"])
    )
    s50, ttfc = scenarios.stream("stream_50", 50, w, counts["stream_50"])
    result["stream_50_us"] = _median_us(s50)
    result["ttfc_us"] = _median_us(ttfc)
    s2000, _ = scenarios.stream("stream_2000", 2000, counts["warmup_long"], counts["stream_2000"])
    result["stream_2000_us"] = _median_us(s2000)
    result["concurrent_100_us"] = _median_us(
        scenarios.concurrent(
            "concurrent_100", 100, 50, min(counts["warmup_long"], 1), counts["concurrent_batches"]
        )
    )
    result["raw_nonstream_us"] = _median_us(scenarios.raw("raw_nonstream", 0, w, counts["raw"]))
    result["raw_prompt_1m_us"] = _median_us(
        scenarios.raw("raw_prompt_1m", 0, counts["warmup_long"], counts["prompt_1m"], PROMPT_1M)
    )
    result["raw_stream_50_us"] = _median_us(scenarios.raw("raw_stream_50", 50, w, counts["raw"]))
    result["raw_stream_2000_us"] = _median_us(
        scenarios.raw("raw_stream_2000", 2000, w, counts["raw"])
    )
    result["wall_us"] = scenarios.wall_us
    result["spans_per_call"] = scenarios.spans
    result["calls"] = scenarios.calls
    result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_rss(sdk: OTelSDK, port: int, chunks: int) -> dict[str, Any]:
    """Resident memory while one long stream is consumed (after a warm-up stream)."""
    warm = _openai_client(port, min(1000, chunks // 10 or 1))
    for _ in range(2):
        for _chunk in warm.chat.completions.create(
            model=MODEL,
            messages=_messages(PROMPT_1K),
            stream=True,
            stream_options={"include_usage": True},
        ):
            pass
    gc.collect()
    client = _openai_client(port, chunks)
    spans_before = sdk.exporter.count
    baseline = peak = 0
    received = 0
    stream = client.chat.completions.create(
        model=MODEL,
        messages=_messages(PROMPT_1K),
        stream=True,
        stream_options={"include_usage": True},
    )
    sample_every = max(chunks // 100, 1)
    start = clock()
    for _chunk in stream:
        received += 1
        if received == sample_every:
            baseline = peak = _rss_bytes()
        elif received % sample_every == 0:
            peak = max(peak, _rss_bytes())
    elapsed = clock() - start
    after = _rss_bytes()
    if received != chunks + 1:
        raise SystemExit(f"expected {chunks + 1} chunks, got {received}")
    return {
        "rss_growth_kb": (max(peak, after) - baseline) / 1024,
        "rss_baseline_kb": baseline / 1024,
        "stream_chunks": chunks,
        "stream_s": elapsed / 1e9,
        "spans_per_call": {"rss_stream": float(sdk.exporter.count - spans_before)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True, choices=sorted(CONFIGURATIONS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("calls", "rss"), default="calls")
    parser.add_argument("--counts", default="{}", help="JSON: scenario -> number of calls")
    args = parser.parse_args()
    configuration = CONFIGURATIONS[args.config]
    counts = json.loads(args.counts)
    sdk = install_sdk()
    try:
        configuration.instrument()
    except ImportError as error:
        print(json.dumps({"unavailable": f"{configuration.package}: {error}"}))
        sys.exit(EXIT_UNAVAILABLE)
    gc.collect()
    if args.mode == "calls":
        result = run_calls(sdk, args.port, counts)
    else:
        result = run_rss(sdk, args.port, counts["rss_chunks"])
    result["config"] = args.config
    result["spans_total"] = sdk.exporter.count
    result["span_attributes"] = sdk.exporter.last_attribute_count
    result["span_name"] = sdk.exporter.last_span_name
    result["metrics"] = sdk.metric_points()
    print(json.dumps(result))
    if configuration.instrumented and sdk.exporter.count == 0:
        print(f"{args.config}: instrumented but produced no span", file=sys.stderr)
        sys.exit(EXIT_NO_SPANS)
    if not configuration.instrumented and sdk.exporter.count:
        print(f"{args.config}: not instrumented but produced spans", file=sys.stderr)
        sys.exit(EXIT_NO_SPANS)


if __name__ == "__main__":
    main()
