"""``LLMRouterInstrumentor``: GenAI spans and metrics for every httpx / httpx2 call to an LLM provider.

Usage::

    from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

    LLMRouterInstrumentor().instrument()  # or: opentelemetry-instrument python app.py

It wraps ``Client.send`` and ``AsyncClient.send`` of whichever of ``httpx`` and ``httpx2`` is
installed (the current OpenAI and Anthropic SDKs use httpx2, older ones and most libraries httpx).
``send`` sees the finished request (after auth and client defaults) and returns the response
before its body is streamed, which is exactly where a call starts and where a stream can be
watched without buffering it.

Keyword arguments of :meth:`instrument`: ``tracer_provider``, ``meter_provider``, and overrides of
the environment: ``settings`` (:class:`TelemetrySettings`), ``providers`` (a
``OTEL_PYTHON_LLM_ROUTER_PROVIDERS``-style string), ``capture_content`` (bool),
``stream_include_usage`` (bool).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any, Collection

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from opentelemetry.instrumentation.llm_router._config import (
    PROVIDERS,
    HookConfig,
    hook_config_from_env,
)
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router.package import _instruments

_logger = logging.getLogger(__name__)

HTTPX_MODULES = ("httpx", "httpx2")
_ANTHROPIC_TRACING = "ANTHROPIC_OPEN_TELEMETRY"


class LLMRouterInstrumentor(BaseInstrumentor):
    """Instruments httpx and httpx2 for calls to known LLM providers (and hosts the user adds)."""

    # BaseInstrumentor is a singleton whose __init__ runs again on every construction, so the
    # instrumentor keeps no per-instance state: uninstrument() finds the wrappers on the classes.
    _set_anthropic_env = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        modules = []
        for name in HTTPX_MODULES:
            try:
                modules.append(importlib.import_module(name))
            except ImportError:
                continue
        if not modules:
            raise ImportError("llm_router instruments httpx or httpx2; neither is installed")
        try:
            self._wrap(modules, kwargs)
        except Exception:  # anything but ImportError here would abort the user's program
            _logger.warning(
                "llm_router: instrumentation failed; LLM calls are not traced", exc_info=True
            )
            self._uninstrument()

    def _wrap(self, modules: list[Any], kwargs: dict[str, Any]) -> None:
        from opentelemetry.instrumentation.llm_router._clients._core import CallCore
        from opentelemetry.instrumentation.llm_router._httpx._hook import HttpxModuleHook

        config = _config(kwargs)
        if config.sdk_spans == "exclusive" and _ANTHROPIC_TRACING not in os.environ:
            # The anthropic SDK traces itself unless told not to; ours is then the only GenAI span.
            # A user's own setting of the variable wins; uninstrument() takes ours back.
            os.environ[_ANTHROPIC_TRACING] = "false"
            LLMRouterInstrumentor._set_anthropic_env = True
        telemetry = GenAITelemetry(
            kwargs.get("tracer_provider"), kwargs.get("meter_provider"), config.settings
        )
        core = CallCore(telemetry, config, _excluded_urls())
        for module in modules:
            hook = HttpxModuleHook(module, core)
            wrap_function_wrapper(module, "Client.send", hook.send)
            wrap_function_wrapper(module, "AsyncClient.send", hook.send_async)

    def _uninstrument(self, **kwargs: Any) -> None:
        for name in HTTPX_MODULES:
            module = sys.modules.get(name)
            if module is None:
                continue
            for client_class in (module.Client, module.AsyncClient):
                if hasattr(client_class.send, "__wrapped__"):
                    unwrap(client_class, "send")
        if LLMRouterInstrumentor._set_anthropic_env:
            os.environ.pop(_ANTHROPIC_TRACING, None)
            LLMRouterInstrumentor._set_anthropic_env = False


def _config(kwargs: dict[str, Any]) -> HookConfig:
    """The environment's configuration with the keyword overrides applied."""
    env = dict(os.environ)
    if "providers" in kwargs:
        env[PROVIDERS] = kwargs["providers"] or ""
    config = hook_config_from_env(env)
    if kwargs.get("settings") is not None:
        config.settings = kwargs["settings"]
    if kwargs.get("capture_content") is not None:
        config.capture_content = bool(kwargs["capture_content"])
    if kwargs.get("stream_include_usage") is not None:
        config.stream_include_usage = bool(kwargs["stream_include_usage"])
    return config


def _excluded_urls() -> Any:
    """``OTEL_PYTHON_LLM_ROUTER_EXCLUDED_URLS``, else ``OTEL_PYTHON_EXCLUDED_URLS`` (comma-separated
    regexes searched in the full URL), read the way the httpx instrumentation reads its own;
    ``None`` when neither is set, so the common case costs nothing."""
    from opentelemetry.util.http import get_excluded_urls

    excluded = get_excluded_urls("LLM_ROUTER")
    return excluded.url_disabled if excluded._excluded_urls else None
