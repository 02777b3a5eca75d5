"""One benchmark client process, run under callgrind by :mod:`benchmarks.instructions`.

It sets up the OpenTelemetry SDK and one configuration (``none``, ``ours``, ``ours_chunk`` — ours
with the opt-in per-chunk metric —, ``openai_v2``), makes two warm-up calls, then ``N`` calls of one
scenario (``N`` from the environment), and prints what it did. Everything but the ``N`` calls is
the same whatever ``N`` is, so the difference of two runs with a low and a high ``N`` is the cost
of ``N_high - N_low`` calls alone.

Scenarios (``BENCH_SCENARIO``):

- ``stream:<format>:<style>:<delivery>``: a plain ``httpx2`` client streams ``<format>`` (``chat``,
  ``responses``, ``anthropic``, ``gemini``) in ``<style>`` JSON (``compact``, ``spaced``) from
  :mod:`benchmarks.delivery_server`, ``per-event`` (one chunked write per event) or ``coalesced``
  (the whole stream in one body), reading it with ``iter_bytes()`` as the SDKs do;
- ``sdk:nonstream``: a non-streamed chat completion through the ``openai`` SDK, from
  :mod:`benchmarks.fake_provider`;
- ``sdk:stream``: a streamed chat completion through the ``openai`` SDK (50 content chunks), read
  to the end.

The servers run outside callgrind (it follows no child process); their ports come in
``BENCH_DELIVERY_PORTS`` (``openai,anthropic,gemini``) and ``BENCH_PROVIDER_PORT``.
"""

from __future__ import annotations

import os
import sys
import time

from benchmarks.stream_bodies import MODEL, PATHS, WIRE_FORMAT, request_body, stream_events

SDK_CHUNKS = 50
EVENTS = int(os.environ.get("BENCH_EVENTS", "200"))
GAP_US = os.environ.get("BENCH_GAP_US", "150")


def configure(config: str, providers: str) -> None:
    from benchmarks.otel_setup import install_sdk

    install_sdk()
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
    elif config != "none":
        raise SystemExit(f"unknown configuration {config}")


def stream_calls(fmt: str, style: str, delivery: str) -> tuple[int, object]:
    """``(events per call, call)``: one call streams the whole body; returns its reads."""
    import httpx2

    ports = dict(
        zip(("openai", "anthropic", "gemini"), os.environ["BENCH_DELIVERY_PORTS"].split(","))
    )
    url = f"http://127.0.0.1:{ports[WIRE_FORMAT[fmt]]}{PATHS[fmt]}"
    headers = {
        "content-type": "application/json",
        "x-bench-format": fmt,
        "x-bench-style": style,
        "x-bench-events": str(EVENTS),
        "x-bench-delivery": delivery,
        "x-bench-gap-us": GAP_US,
    }
    body = request_body(fmt)
    client = httpx2.Client(timeout=600)

    def call() -> int:
        reads = 0
        with client.stream("POST", url, content=body, headers=headers) as response:
            for _ in response.iter_bytes():
                reads += 1
        return reads

    return len(stream_events(fmt, style, EVENTS)), call


def sdk_calls(stream: bool) -> tuple[int, object]:
    import openai

    port = os.environ["BENCH_PROVIDER_PORT"]
    client = openai.OpenAI(
        api_key="sk-bench", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    messages = [{"role": "user", "content": "Say hi"}]
    if not stream:

        def call() -> int:
            client.chat.completions.create(model=MODEL["chat"], messages=messages)
            return 1

        return 1, call

    def call_stream() -> int:
        chunks = 0
        for _ in client.chat.completions.create(
            model=MODEL["chat"],
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-bench-chunks": str(SDK_CHUNKS)},
        ):
            chunks += 1
        return chunks

    return 1, call_stream


def main() -> None:
    scenario = os.environ["BENCH_SCENARIO"]
    config = os.environ["BENCH_CONFIG"]
    n = int(os.environ.get("N", "1"))
    kind, *rest = scenario.split(":")
    if kind == "stream":
        delivery_ports = os.environ["BENCH_DELIVERY_PORTS"].split(",")
        providers = ",".join(
            f"127.0.0.1:{port}={wire}"
            for wire, port in zip(("openai", "anthropic", "gemini"), delivery_ports)
        )
        configure(config, providers)
        units, call = stream_calls(*rest)
    else:
        configure(config, f"127.0.0.1:{os.environ['BENCH_PROVIDER_PORT']}=openai")
        units, call = sdk_calls(rest[0] == "stream")
    for _ in range(2):  # warm-up: imports, connection, caches
        call()  # type: ignore[operator]
    reads = 0
    started = time.process_time()
    for _ in range(n):
        reads = call()  # type: ignore[operator]
    cpu = time.process_time() - started
    print(f"units {units} reads {reads} n {n} cpu {cpu:.6f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
