"""Does LiteLLM's own OpenTelemetry callback record the GenAI metrics too?

LiteLLM's ``otel`` callback, with ``LITELLM_OTEL_INTEGRATION_ENABLE_METRICS=true``, records
``gen_ai.client.operation.duration`` and ``gen_ai.client.token.usage`` once per successful request,
without ``server.address``: exactly the series our router spans record. It records nothing for a
failed request (its failure handler writes spans only; LiteLLM 1.106 to 1.110). Both on would count
every successful request twice, so when it is on our router spans record the metrics of failed
requests only (their spans are unchanged): LiteLLM's points plus ours are each request once, and
ours carry ``error.type``. The httpx hook's upstream points carry ``server.address`` and are a
different layer; they are unaffected.
"""

from __future__ import annotations

import logging
import os
from typing import Any

_logger = logging.getLogger(__name__)

METRICS_SWITCH = "LITELLM_OTEL_INTEGRATION_ENABLE_METRICS"
_OTEL_NAMES = {"otel", "opentelemetry"}


def _registered_callbacks(litellm: Any) -> list[Any]:
    found: list[Any] = []
    for name in ("callbacks", "success_callback", "_async_success_callback", "service_callback"):
        value = getattr(litellm, name, None)
        if isinstance(value, list):
            found.extend(value)
    try:
        from litellm.litellm_core_utils import litellm_logging

        found.extend(getattr(litellm_logging, "_in_memory_loggers", None) or [])
    except Exception:
        pass
    return found


def litellm_records_genai_metrics() -> bool:
    """True when a LiteLLM ``OpenTelemetry`` logger with metrics is registered (or is named in the
    callbacks and will be created with metrics on)."""
    try:
        import litellm
        from litellm.integrations.opentelemetry import OpenTelemetry
    except Exception:  # no LiteLLM, or a release without the integration: nothing to avoid
        return False
    callbacks = _registered_callbacks(litellm)
    for callback in callbacks:
        if isinstance(callback, OpenTelemetry):
            if getattr(callback, "_operation_duration_histogram", None) is not None:
                return True
            config = getattr(callback, "config", None)
            if getattr(config, "enable_metrics", False):
                return True
    named = any(isinstance(c, str) and c.lower() in _OTEL_NAMES for c in callbacks)
    return named and os.environ.get(METRICS_SWITCH, "").strip().lower() == "true"
