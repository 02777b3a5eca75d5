"""What the hooks cost a request to a host that is no LLM provider (most of an app's traffic).

For each hooked client library the wrapper we install is called exactly as the library calls it,
around a ``wrapped`` that returns at once, so the difference to calling ``wrapped`` directly is
the hook's own cost: its host lookup and the call through. Measured twice: the hook function alone,
and through the ``wrapt`` wrapper that ``instrument()`` installs (what an application pays).

    .venv/bin/python -m benchmarks.unknown_host
"""

from __future__ import annotations

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
NUMBER = 200_000
REPEAT = 7


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _best(statement: Callable[[], Any]) -> float:
    """The fastest repeat's per-call time in µs (each repeat NUMBER calls): on a shared machine
    the minimum is the run least disturbed by other processes."""
    runs = timeit.repeat(statement, number=NUMBER, repeat=REPEAT)
    return min(runs) / NUMBER * 1e6


def main() -> None:
    core = CallCore(GenAITelemetry(TracerProvider(), None), hook_config_from_env({}), None)
    rows = {}

    def measure(
        name: str, hook: Callable[..., Any], instance: Any, args: tuple, kwargs: dict
    ) -> None:
        base = _best(lambda: _noop(*args, **kwargs))
        alone = _best(lambda: hook(_noop, instance, args, kwargs)) - base
        wrapped = wrapt.FunctionWrapper(_noop, hook)
        installed = _best(lambda: wrapped(*args, **kwargs)) - base
        rows[name] = {"hook_us": round(alone, 3), "installed_us": round(installed, 3)}

    for module in (httpx, httpx2):
        hook = HttpxModuleHook(module, core)
        request = module.Request("POST", URL, content=b"{}")
        measure(f"{module.__name__} send", hook.send, None, (request,), {})

    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    session._base_url = None  # what __init__ sets without a base_url; no event loop needed
    hook = AiohttpHook(aiohttp, core)
    measure("aiohttp _request (str URL)", hook.request, session, ("POST", URL), {"data": b"{}"})
    url = aiohttp.client.URL(URL)
    measure("aiohttp _request (URL object)", hook.request, session, ("POST", url), {})

    # A yardstick measured the same way: one dict lookup through a method call, about what the
    # unavoidable part of any hook costs.
    table = {"api.openai.com": 1}
    reference = _best(lambda: table.get("internal.example.com")) - _best(lambda: None)
    print(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "calls": NUMBER,
                "dict_lookup_us": round(reference, 3),
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
