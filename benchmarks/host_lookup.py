"""What the httpx hook costs a request that is no LLM call: the host check, as a ratio.

Choosing a wire format by host *and* path (issue 13) must not make unrelated traffic slower. This
times the hook's whole decision for a request to a host that is no provider (``_start`` returns
``None`` and the request is sent as if we were not there) next to a baseline measured in the same
run: a Python call of a function that takes the same arguments and returns ``None`` at once. The
ratio is what to compare across machines; the nanoseconds are this machine's.

Also timed, for scale: a first-seen unknown host (the memo misses once per host), and a request to
a known provider host on a path that is no GenAI call (``GET /v1/models``: the format chain says no).

    .venv/bin/python -m benchmarks.host_lookup [--number N]
"""

from __future__ import annotations

import argparse
import timeit
from typing import Any, Callable

import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry.instrumentation.llm_router._clients._core import CallCore
from opentelemetry.instrumentation.llm_router._config import hook_config_from_env
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router._httpx._hook import HttpxModuleHook


def _baseline(args: Any, kwargs: Any) -> None:
    return None


def _best_ns(call: Callable[[], Any], number: int, repeat: int = 7) -> float:
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=200_000)
    number = parser.parse_args().number

    telemetry = GenAITelemetry(TracerProvider(), MeterProvider())
    hook = HttpxModuleHook(httpx, CallCore(telemetry, hook_config_from_env({}), None))
    start = hook._start
    unknown = ((httpx.Request("POST", "https://internal.example.com/api/orders"),), {})
    models = (
        (httpx.Request("GET", "https://generativelanguage.googleapis.com/v1beta/models"),),
        {},
    )
    assert start(*unknown) is None and start(*models) is None

    fresh = [
        ((httpx.Request("POST", f"https://h{i}.example.com/x"),), {}) for i in range(number // 10)
    ]
    fresh_iter = iter(fresh)

    base = _best_ns(lambda: _baseline(*unknown), number)
    hit = _best_ns(lambda: start(*unknown), number)
    miss = min(timeit.repeat(lambda: start(*next(fresh_iter)), number=len(fresh) // 8, repeat=7))
    miss_ns = miss / (len(fresh) // 8) * 1e9
    known = _best_ns(lambda: start(*models), number // 4)
    print("| request | ns per request | ratio to baseline |")
    print("| --- | --- | --- |")
    print(f"| baseline: a call of a function returning None | {base:.0f} | 1.00 |")
    print(f"| unknown host (seen before) | {hit:.0f} | {hit / base:.2f} |")
    print(f"| unknown host, first time (memo miss) | {miss_ns:.0f} | {miss_ns / base:.2f} |")
    print(f"| provider host, no GenAI path (GET) | {known:.0f} | {known / base:.2f} |")


if __name__ == "__main__":
    main()
