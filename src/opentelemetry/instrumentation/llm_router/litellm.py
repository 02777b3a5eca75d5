"""The LiteLLM adapter: each LiteLLM proxy request as one router span, its upstream calls under it.

Enable it with one line of the proxy's ``config.yaml``::

    litellm_settings:
      callbacks: ["opentelemetry.instrumentation.llm_router.litellm.callback"]

(or set ``OTEL_PYTHON_LLM_ROUTER_LITELLM=true``: the instrumentor adds ``callback`` itself)
and run the proxy under ``opentelemetry-instrument litellm -c config.yaml`` (the httpx hook then
traces the upstream calls as children of the router span, numbered by ``llm_router.attempt``).
``callback`` is an :class:`OTelLiteLLMCallback` on the global tracer and meter providers; build
your own for other providers. Importing this module imports LiteLLM; the rest of the package never
does.
"""

from opentelemetry.instrumentation.llm_router._litellm._callback import OTelLiteLLMCallback

callback = OTelLiteLLMCallback()
"""The instance LiteLLM's ``callbacks`` setting names."""

__all__ = ["OTelLiteLLMCallback", "callback"]
