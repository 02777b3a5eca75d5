"""The configurations compared: no instrumentation, ours, and what users would pick instead.

Each is a function that instruments the process (instrumentors patch globally, which is why every
configuration runs in a fresh process). All use the global tracer and meter providers, which the
client installs first, so the SDK pipeline behind them is identical.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Configuration:
    key: str
    letter: str
    label: str
    package: str
    instrument: Callable[[], None]
    instrumented: bool = True


def _none() -> None:
    pass


def _ours() -> None:
    from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

    # Pricing off: (b) is the hook alone, comparable with earlier runs; (f) adds the prices.
    os.environ["OTEL_PYTHON_LLM_ROUTER_PRICING"] = "off"
    LLMRouterInstrumentor().instrument()


def _ours_prices() -> None:
    import genai_prices  # noqa: F401  (not installed: the configuration is reported as skipped)

    from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

    # Every call priced from the genai-prices database (no price file, no network updates).
    os.environ["OTEL_PYTHON_LLM_ROUTER_PRICING"] = "auto"
    os.environ.pop("OTEL_PYTHON_LLM_ROUTER_PRICING_FILE", None)
    os.environ.pop("OTEL_PYTHON_LLM_ROUTER_PRICES_UPDATE", None)
    LLMRouterInstrumentor().instrument()


def _httpx() -> None:
    # The current openai SDK sends through httpx2, so the httpx2 instrumentor is the one that sees
    # its calls; the httpx one would instrument nothing here.
    from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor

    HTTPX2ClientInstrumentor().instrument()


def _openai_v2() -> None:
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    OpenAIInstrumentor().instrument()


def _openllmetry() -> None:
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument()


CONFIGURATIONS: dict[str, Configuration] = {
    c.key: c
    for c in (
        Configuration("none", "a", "no instrumentation", "-", _none, instrumented=False),
        Configuration("ours", "b", "ours (LLMRouterInstrumentor)", "opentelemetry-instrumentation-llm-router", _ours),
        Configuration("httpx", "c", "httpx2 instrumentation", "opentelemetry-instrumentation-httpx", _httpx),
        Configuration("openai_v2", "d", "official OpenAI (openai-v2)", "opentelemetry-instrumentation-openai-v2", _openai_v2),
        Configuration("openllmetry", "e", "OpenLLMetry", "opentelemetry-instrumentation-openai", _openllmetry),
        Configuration("ours_prices", "f", "ours + prices (genai-prices)", "genai-prices", _ours_prices),
    )
}  # fmt: skip
