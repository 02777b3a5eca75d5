"""What the hooks cost a request to a host that is no LLM provider, per client library, as ratios.

Most of an application's traffic is not LLM traffic. For httpx, httpx2 and aiohttp the wrapper we
install is called exactly as the library calls it, around a ``wrapped`` that returns at once; the
time above calling ``wrapped`` directly is the hook's own cost (its host check and the call
through). Measured twice: the hook function alone, and through the ``wrapt`` wrapper that
``instrument()`` installs (what an application pays). Each is given next to the baseline measured in
the same run — a Python call of that ``wrapped`` with the same arguments — as a ratio, which is
what to compare across machines; the nanoseconds are this machine's (and on a shared machine,
its load's). ``benchmarks/host_lookup`` looks at the httpx host check in more detail.

    .venv/bin/python -m benchmarks.unknown_host [--number N]
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from typing import Any, Callable

import aiohttp
import httpx
import httpx2
import wrapt
from opentelemetry.sdk.trace import TracerProvider

from opentelemetry.instrumentation.llm_router._aiohttp._hook import AiohttpHook
from opentelemetry.instrumentation.llm_router._clients._core import CallCore
from opentelemetry.instrumentation.llm_router._config import hook_config_from_env
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router._httpx._hook import HttpxModuleHook

URL = "https://internal.example.com/v1/items?page=2"


def _wrapped(*args: Any, **kwargs: Any) -> None:
    return None


def _best_ns(call: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """The fastest repeat's time per call: on a shared machine, the least disturbed run."""
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=200_000)
    number = parser.parse_args().number
    core = CallCore(GenAITelemetry(TracerProvider(), None), hook_config_from_env({}), None)
    rows: dict[str, dict[str, float]] = {}

    def measure(name: str, hook: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> None:
        assert hook(lambda *a, **k: "sent", instance, args, kwargs) == "sent"
        base = _best_ns(lambda: _wrapped(*args, **kwargs), number)
        alone = _best_ns(lambda: hook(_wrapped, instance, args, kwargs), number) - base
        installed_wrapper = wrapt.FunctionWrapper(_wrapped, hook)
        installed = _best_ns(lambda: installed_wrapper(*args, **kwargs), number) - base
        rows[name] = {
            "baseline_call_ns": round(base),
            "hook_ns": round(alone),
            "hook_x_baseline": round(alone / base, 2),
            "installed_ns": round(installed),
            "installed_x_baseline": round(installed / base, 2),
        }

    for module in (httpx, httpx2):
        request = module.Request("POST", URL, content=b"{}")
        measure(f"{module.__name__} send", HttpxModuleHook(module, core).send, None, (request,), {})

    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    session._base_url = None  # what __init__ sets without a base_url; no event loop needed
    hook = AiohttpHook(aiohttp, core)
    measure("aiohttp _request, URL string", hook.request, session, ("POST", URL), {"data": b"{}"})
    url = aiohttp.client.URL(URL)
    measure("aiohttp _request, URL object", hook.request, session, ("POST", url), {})
    print(json.dumps({"python": sys.version.split()[0], "calls": number, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
