"""Fixtures for the httpx-hook tests (registered through ``pytest_plugins`` in conftest)."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import pytest

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor


@pytest.fixture
def instrument(
    tracer_provider: Any,
    meter_provider: Any,
    logger_provider: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., LLMRouterInstrumentor]]:
    """``instrument("127.0.0.1:PORT=openai", **env)``: instrument with that provider table and
    extra environment variables; uninstrumented at the end of the test."""
    instrumentors: list[LLMRouterInstrumentor] = []

    def start(providers: Optional[str] = None, **env: str) -> LLMRouterInstrumentor:
        if providers is not None:
            monkeypatch.setenv("OTEL_PYTHON_LLM_ROUTER_PROVIDERS", providers)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        instrumentor = LLMRouterInstrumentor()
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
        )
        instrumentors.append(instrumentor)
        return instrumentor

    yield start
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
