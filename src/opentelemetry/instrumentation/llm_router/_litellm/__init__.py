"""The LiteLLM adapter (see ``opentelemetry.instrumentation.llm_router.litellm``).

``_payload`` reads LiteLLM's values (auth object, logging payload, exceptions) without importing
LiteLLM; ``_callback`` is the ``CustomLogger`` and the only module that imports it. The functions
here let the instrumentor add the adapter when ``OTEL_PYTHON_LLM_ROUTER_LITELLM=true`` (no line in
LiteLLM's config), importing LiteLLM only then.
"""

from __future__ import annotations

import logging
import sys

_logger = logging.getLogger(__name__)

_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


def register_global_callback() -> bool:
    """Add the adapter's ``callback`` to ``litellm.callbacks`` (once); False without LiteLLM.

    LiteLLM's proxy extends that list with the callbacks of its config, so the adapter is active
    whether or not the config names it too (a second registration is recognised and ignored).
    """
    try:
        import litellm

        from opentelemetry.instrumentation.llm_router.litellm import callback
    except ImportError:
        _logger.warning(
            "OTEL_PYTHON_LLM_ROUTER_LITELLM=true but LiteLLM is not installed: no router spans"
        )
        return False
    if not any(c is callback for c in litellm.callbacks):
        litellm.callbacks.append(callback)
    return True


def unregister_global_callback() -> None:
    """Take the adapter's ``callback`` out of every LiteLLM callback list (uninstrument)."""
    litellm = sys.modules.get("litellm")
    adapter = sys.modules.get("opentelemetry.instrumentation.llm_router.litellm")
    if litellm is None or adapter is None:
        return
    callback = adapter.callback
    for name in _LISTS:
        found = getattr(litellm, name, None)
        if isinstance(found, list):
            found[:] = [c for c in found if c is not callback]
