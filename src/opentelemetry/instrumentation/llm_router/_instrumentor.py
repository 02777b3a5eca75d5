"""``LLMRouterInstrumentor``: GenAI spans and metrics for every httpx / httpx2 / aiohttp call to an
LLM provider.

Usage::

    from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

    LLMRouterInstrumentor().instrument()  # or: opentelemetry-instrument python app.py

It wraps ``Client.send`` and ``AsyncClient.send`` of whichever of ``httpx`` and ``httpx2`` is
installed (the current OpenAI and Anthropic SDKs use httpx2, older ones and most libraries httpx),
and ``aiohttp.ClientSession._request`` when aiohttp (3.12+) is installed (google-genai's async
client uses it whenever it can), and ``botocore.endpoint.Endpoint._send`` when botocore is
(boto3's calls to Amazon Bedrock Runtime; see :mod:`._botocore._hook`).
``send`` sees the finished request (after auth and client defaults) and returns the response
before its body is streamed, which is exactly where a call starts and where a stream can be
watched without buffering it.

Keyword arguments of :meth:`instrument`: ``tracer_provider``, ``meter_provider``,
``logger_provider`` (for the ``gen_ai.client.operation.exception`` event), and overrides of
the environment: ``settings`` (:class:`TelemetrySettings`), ``providers`` (a
``OTEL_PYTHON_LLM_ROUTER_PROVIDERS``-style string), ``capture_content`` (bool),
``stream_include_usage`` (bool); the user's hooks ``request_hook(span, request)``,
``response_hook(span, request, response, summary)`` and their async twins ``async_request_hook``
/ ``async_response_hook`` (see docs/httpx-hook.md, "Your own attributes").
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
from typing import Any, Collection

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap
from wrapt import register_post_import_hook, wrap_function_wrapper

from opentelemetry.instrumentation.llm_router._config import (
    LITELLM_ADAPTER,
    PROVIDERS,
    HookConfig,
    env_flag,
    hook_config_from_env,
)
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router.package import _instruments

_logger = logging.getLogger(__name__)

HTTPX_MODULES = ("httpx", "httpx2")
_ANTHROPIC_TRACING = "ANTHROPIC_OPEN_TELEMETRY"


class LLMRouterInstrumentor(BaseInstrumentor):
    """Instruments httpx, httpx2 and aiohttp for calls to known LLM providers (and hosts the user
    adds)."""

    # BaseInstrumentor is a singleton whose __init__ runs again on every construction, so the
    # instrumentor keeps no per-instance state: uninstrument() finds the wrappers on the classes.
    _set_anthropic_env = False
    _litellm_registered = False
    _hooks: list[Any] = []
    """The hooks whose wrappers this process installed (until uninstrument() disables them)."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        modules = []
        for name in HTTPX_MODULES:
            try:
                modules.append(importlib.import_module(name))
            except ImportError:
                continue
        aiohttp = importlib.util.find_spec("aiohttp") is not None
        if not modules and not aiohttp:
            raise ImportError(
                "llm_router instruments httpx, httpx2 or aiohttp; none of them is installed"
            )
        try:
            self._wrap(modules, aiohttp, kwargs)
        except Exception:  # anything but ImportError here would abort the user's program
            _logger.warning(
                "llm_router: instrumentation failed; LLM calls are not traced", exc_info=True
            )
            self._uninstrument()

    def _wrap(self, modules: list[Any], aiohttp: bool, kwargs: dict[str, Any]) -> None:
        from opentelemetry.instrumentation.llm_router._clients._coexist import announce_active
        from opentelemetry.instrumentation.llm_router._clients._core import CallCore
        from opentelemetry.instrumentation.llm_router._clients._user_hooks import UserHooks
        from opentelemetry.instrumentation.llm_router._httpx._hook import HttpxModuleHook

        config = _config(kwargs)
        if config.sdk_spans == "exclusive" and _ANTHROPIC_TRACING not in os.environ:
            # The anthropic SDK traces itself unless told not to; ours is then the only GenAI span.
            # A user's own setting of the variable wins; uninstrument() takes ours back.
            os.environ[_ANTHROPIC_TRACING] = "false"
            LLMRouterInstrumentor._set_anthropic_env = True
        telemetry = GenAITelemetry(
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            config.settings,
            logger_provider=kwargs.get("logger_provider"),
        )
        core = CallCore(telemetry, config, _excluded_urls(), UserHooks.from_kwargs(kwargs))
        announce_active()  # other GenAI instrumentations already on (else said at their 1st call)
        for module in modules:
            hook = HttpxModuleHook(module, core)
            LLMRouterInstrumentor._hooks.append(hook)
            wrap_function_wrapper(module, "Client.send", hook.send)
            wrap_function_wrapper(module, "AsyncClient.send", hook.send_async)
        if env_flag(LITELLM_ADAPTER, False):  # the LiteLLM adapter without a config line
            from opentelemetry.instrumentation.llm_router._litellm import register_global_callback

            LLMRouterInstrumentor._litellm_registered = register_global_callback()
        if aiohttp:
            # Wrapped when the application imports aiohttp (at once if it has): an application
            # that never uses aiohttp does not pay for importing it.
            _AiohttpWhenImported.core = core
            _AiohttpWhenImported.register()
        if importlib.util.find_spec("botocore") is not None:
            _BotocoreWhenImported.core = core  # boto3 calls to Bedrock Runtime
            _BotocoreWhenImported.register()

    def _uninstrument(self, **kwargs: Any) -> None:
        """Disable every hook, then unwrap each ``send`` whose outermost wrapper is ours.

        Another library may have wrapped ``send`` after us (Sentry does): its wrapper then holds
        ours, and unwrapping the top would remove *its* patch and leave ours working. So ours is
        only unwrapped where it is on top; elsewhere it stays in the chain, disabled (a plain
        call-through), and a later instrument() wraps anew, so nothing is recorded twice.
        """
        hooks = LLMRouterInstrumentor._hooks
        LLMRouterInstrumentor._hooks = []
        for hook in hooks:
            hook.disable()
        for name in HTTPX_MODULES:
            module = sys.modules.get(name)
            if module is None:
                continue
            for client_class in (module.Client, module.AsyncClient):
                if _is_ours(client_class.__dict__.get("send"), hooks):
                    unwrap(client_class, "send")
        _AiohttpWhenImported.core = None
        _BotocoreWhenImported.core = None
        endpoint = sys.modules.get("botocore.endpoint")
        endpoint_class = getattr(endpoint, "Endpoint", None)
        if endpoint_class is not None and _is_ours(endpoint_class.__dict__.get("_send"), hooks):
            unwrap(endpoint_class, "_send")
        aiohttp = sys.modules.get("aiohttp")
        session_class = getattr(aiohttp, "ClientSession", None)
        if session_class is not None and _is_ours(session_class.__dict__.get("_request"), hooks):
            unwrap(session_class, "_request")
        if LLMRouterInstrumentor._litellm_registered:
            from opentelemetry.instrumentation.llm_router._litellm import (
                unregister_global_callback,
            )

            unregister_global_callback()
            LLMRouterInstrumentor._litellm_registered = False
        if LLMRouterInstrumentor._set_anthropic_env:
            os.environ.pop(_ANTHROPIC_TRACING, None)
            LLMRouterInstrumentor._set_anthropic_env = False


def _is_ours(attribute: Any, hooks: list[Any]) -> bool:
    """Whether ``attribute`` is a wrapt wrapper installed by one of ``hooks``."""
    wrapper = getattr(attribute, "_self_wrapper", None)
    return getattr(wrapper, "__self__", None) in hooks


class _AiohttpWhenImported:
    """Wraps ``aiohttp.ClientSession._request`` once aiohttp is imported, while instrumented."""

    core: Any = None
    """The core of the current instrumentation; ``None`` after uninstrument()."""
    _registered = False

    @classmethod
    def register(cls) -> None:
        if cls._registered:  # a post-import hook cannot be taken back: it checks ``core``
            if "aiohttp" in sys.modules:
                cls.wrap(sys.modules["aiohttp"])
            return
        cls._registered = True
        register_post_import_hook(cls.wrap, "aiohttp")

    @classmethod
    def wrap(cls, aiohttp: Any) -> None:
        core = cls.core
        if core is None or _is_ours(
            aiohttp.ClientSession.__dict__.get("_request"), LLMRouterInstrumentor._hooks
        ):
            return
        try:
            parameters = inspect.signature(aiohttp.ClientSession._request).parameters
        except (TypeError, ValueError):
            parameters = {}
        if "middlewares" not in parameters:
            _logger.warning(
                "llm_router: aiohttp %s has no client middlewares (3.12+); its calls are not traced",
                getattr(aiohttp, "__version__", "?"),
            )
            return
        try:
            from opentelemetry.instrumentation.llm_router._aiohttp._hook import AiohttpHook

            hook = AiohttpHook(aiohttp, core)
            LLMRouterInstrumentor._hooks.append(hook)
            wrap_function_wrapper(aiohttp.ClientSession, "_request", hook.request)
        except Exception:
            _logger.warning("llm_router: aiohttp calls are not traced", exc_info=True)


class _BotocoreWhenImported:
    """Wraps ``botocore.endpoint.Endpoint._send`` once botocore is imported, while instrumented."""

    core: Any = None
    """The core of the current instrumentation; ``None`` after uninstrument()."""
    _registered = False

    @classmethod
    def register(cls) -> None:
        if "botocore.endpoint" in sys.modules:
            cls.wrap(sys.modules["botocore.endpoint"])
        if not cls._registered:  # a post-import hook cannot be taken back: it checks ``core``
            cls._registered = True
            register_post_import_hook(cls.wrap, "botocore.endpoint")

    @classmethod
    def wrap(cls, endpoint: Any) -> None:
        core = cls.core
        if core is None or _is_ours(
            endpoint.Endpoint.__dict__.get("_send"), LLMRouterInstrumentor._hooks
        ):
            return
        try:
            from opentelemetry.instrumentation.llm_router._botocore._hook import BotocoreHook

            hook = BotocoreHook(core)
            LLMRouterInstrumentor._hooks.append(hook)
            wrap_function_wrapper(endpoint.Endpoint, "_send", hook.send)
        except Exception:
            _logger.warning("llm_router: botocore calls are not traced", exc_info=True)


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
