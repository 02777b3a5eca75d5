"""One benchmark client process, run under callgrind (and natively) by :mod:`benchmarks.instructions`.

It sets up the OpenTelemetry SDK and one configuration (``none``, ``ours``, ``ours_chunk`` — ours
with the opt-in per-chunk metric —, ``openai_v2``, ``floor`` — the SDK calls alone that ours makes
for a Chat Completions stream, :mod:`benchmarks.stream_floor`), warms up (``BENCH_WARMUP`` calls of every
stream length, four times as many of a non-stream call),
then measures *windows*: ``BENCH_CALLS`` calls of one stream length each, for every length of
``BENCH_LENGTHS``, the whole sequence ``BENCH_REPEATS`` times. Each window is counted on its own:
under callgrind (``BENCH_CGCTL`` names :mod:`benchmarks.cgctl`'s library) instrumentation is
switched on and the counters zeroed just before the window and the counts dumped just after
(``--instr-atstart=no``: start-up, imports and warm-up are neither counted nor slowed 50-fold).
Before every window the garbage collector runs and, once after warm-up, everything that exists is
frozen (``gc.freeze``), so that a window starts from the same young generation each time and an
occasional full collection walks only what the calls themselves keep.

It prints one JSON line per window (``length``, ``calls``, ``units`` per call, ``reads`` per call,
``cpu`` seconds of the window) and a last line with the number of spans the configuration made
and the last span's attributes (what the smoke test checks the hook read from each format).

Scenarios (``BENCH_SCENARIO``):

- ``stream:<format>:<style>:<delivery>``: a plain ``httpx2`` client streams ``<format>`` (every
  format of :data:`benchmarks.stream_bodies.FORMATS`) in ``<style>`` JSON (``compact``,
  ``spaced``) from :mod:`benchmarks.delivery_server`, ``per-event`` (one chunked write per event,
  the next written only once the client has read the last: one read per event however slowly the
  client runs) or ``coalesced`` (the whole stream in one body), reading it with ``iter_bytes()``
  as the SDKs do; a length is the number of output events;
- ``sdk:nonstream``: a non-streamed chat completion through the ``openai`` SDK, from
  :mod:`benchmarks.fake_provider` (one length: the call);
- ``sdk:stream``: a streamed chat completion through the ``openai`` SDK, read to the end; a length
  is the number of content chunks (a usage chunk and ``[DONE]`` follow).

The servers run outside callgrind (it follows no child process); their ports come in
``BENCH_DELIVERY_PORTS`` (one per :data:`benchmarks.delivery_server.WIRE_PORTS`) and
``BENCH_PROVIDER_PORT``.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import sys
import time
from typing import Any, Callable

from benchmarks.delivery_server import WIRE_PORTS
from benchmarks.stream_bodies import (
    MODEL,
    PATHS,
    PROVIDER,
    WIRE_FORMAT,
    request_body,
    stream_events,
)

GAP_US = os.environ.get("BENCH_GAP_US", "150")
Call = Callable[[int], int]
"""One call of a given length; returns the reads (chunks handed over) it took."""


def configure(config: str, providers: str) -> Any:
    from benchmarks.otel_setup import install_sdk

    sdk = install_sdk()
    os.environ["OTEL_PYTHON_LLM_ROUTER_PROVIDERS"] = providers
    os.environ["OTEL_PYTHON_LLM_ROUTER_PRICING"] = "off"  # the hook alone, as benchmarks.run's (b)
    if config in ("ours", "ours_chunk"):
        if config == "ours_chunk":
            os.environ["OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK"] = "true"
        from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

        LLMRouterInstrumentor().instrument()
    elif config == "openai_v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument()
    elif config not in ("none", "floor"):  # floor: installed once the server's port is known
        raise SystemExit(f"unknown configuration {config}")
    return sdk


def stream_calls(fmt: str, style: str, delivery: str) -> tuple[Callable[[int], int], Call]:
    """``(SSE events per call of a length, call)``: one call streams the whole body."""
    import httpx2

    ports = dict(zip(WIRE_PORTS, os.environ["BENCH_DELIVERY_PORTS"].split(",")))
    url = f"http://127.0.0.1:{ports[WIRE_FORMAT[fmt]]}{PATHS[fmt]}"
    body = request_body(fmt)
    client = httpx2.Client(timeout=600)
    headers = {
        length: {
            "content-type": "application/json",
            "x-bench-format": fmt,
            "x-bench-style": style,
            "x-bench-events": str(length),
            "x-bench-delivery": delivery,
            "x-bench-gap-us": GAP_US,
            "x-bench-lockstep": os.environ.get("BENCH_LOCKSTEP", "1"),
        }
        for length in lengths()
    }

    def call(length: int) -> int:
        reads = 0
        with client.stream("POST", url, content=body, headers=headers[length]) as response:
            for _ in response.iter_bytes():
                reads += 1
        return reads

    return lambda length: len(stream_events(fmt, style, length)), call


def sdk_calls(stream: bool) -> tuple[Callable[[int], int], Call]:
    import openai

    port = os.environ["BENCH_PROVIDER_PORT"]
    client = openai.OpenAI(
        api_key="sk-bench", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    messages: Any = [{"role": "user", "content": "Say hi"}]
    if not stream:

        def call(length: int) -> int:
            client.chat.completions.create(model=MODEL["chat"], messages=messages)
            return 1

        return lambda length: 1, call

    def call_stream(length: int) -> int:
        chunks = 0
        for _ in client.chat.completions.create(
            model=MODEL["chat"],
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-bench-chunks": str(length)},
        ):
            chunks += 1
        return chunks

    return lambda length: length + 2, call_stream  # + the usage chunk and [DONE]


def lengths() -> list[int]:
    return [int(x) for x in os.environ.get("BENCH_LENGTHS", "50,400").split(",")]


class Counter:
    """Callgrind's client requests (:mod:`benchmarks.cgctl`), or nothing when run natively."""

    def __init__(self) -> None:
        path = os.environ.get("BENCH_CGCTL")
        self._lib = ctypes.CDLL(path) if path else None

    def start(self) -> None:
        if self._lib is not None:
            self._lib.bench_start()

    def stop(self, label: str) -> None:
        if self._lib is not None:
            self._lib.bench_stop(label.encode())


def main() -> None:
    scenario = os.environ["BENCH_SCENARIO"]
    config = os.environ["BENCH_CONFIG"]
    calls = int(os.environ.get("BENCH_CALLS", "3"))
    repeats = int(os.environ.get("BENCH_REPEATS", "2"))
    kind, *rest = scenario.split(":")
    if kind == "stream":
        ports = os.environ["BENCH_DELIVERY_PORTS"].split(",")
        providers = ",".join(
            f"127.0.0.1:{port}={PROVIDER[wire]}/{wire}" for wire, port in zip(WIRE_PORTS, ports)
        )
        sdk = configure(config, providers)
        if config == "floor":
            from benchmarks import stream_floor

            stream_floor.install(int(dict(zip(WIRE_PORTS, ports))[WIRE_FORMAT[rest[0]]]))
        units, call = stream_calls(*rest)
        window_lengths = lengths()
    else:
        sdk = configure(config, f"127.0.0.1:{os.environ['BENCH_PROVIDER_PORT']}=openai")
        units, call = sdk_calls(rest[0] == "stream")
        window_lengths = lengths() if rest[0] == "stream" else [1]
    # Warm-up: imports, connection, caches, and the specialising interpreter (3.11 still
    # specialises per-call code during a first window after only two calls: windows 2 % apart).
    warmup = int(os.environ.get("BENCH_WARMUP", "8"))
    for length in window_lengths:
        for _ in range(warmup if len(window_lengths) > 1 else 4 * warmup):
            call(length)
    gc.collect()
    gc.freeze()
    counter = Counter()
    for repeat in range(repeats):
        for length in window_lengths:
            reads = 0
            gc.collect()
            before = [g["collections"] for g in gc.get_stats()]
            counter.start()
            started = time.process_time()
            for _ in range(calls):
                reads += call(length)
            cpu = time.process_time() - started
            counter.stop(f"{repeat}:{length}")
            after = [g["collections"] for g in gc.get_stats()]
            window = {
                "repeat": repeat,
                "length": length,
                "calls": calls,
                "units": units(length),
                "reads": reads / calls,
                "cpu": cpu,
                "collections": [b - a for a, b in zip(before, after)],  # per generation
            }
            print(json.dumps(window), flush=True)
    sdk.tracer_provider.force_flush()
    last = {k: v for k, v in sdk.exporter.last_attributes.items() if isinstance(v, (int, str))}
    print(json.dumps({"spans": sdk.exporter.count, "last_span": last}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
