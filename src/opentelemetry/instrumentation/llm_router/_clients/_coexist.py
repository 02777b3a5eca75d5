"""Other GenAI instrumentations that record the same calls: never count one call twice.

``opentelemetry-bootstrap -a requirements`` proposes the official
``opentelemetry-instrumentation-openai-v2``, and many applications run OpenLLMetry's
``opentelemetry-instrumentation-openai``. Both wrap the ``openai`` SDK's methods and record
``gen_ai.client.operation.duration`` and ``gen_ai.client.token.usage`` for the calls they wrap;
the hook sees the same calls one layer down, as HTTP requests. With both recording, every such
call would be counted twice.

So while one of them is instrumented (checked at each call: either may be instrumented before or
after us), a request the ``openai`` SDK sends (``User-Agent: OpenAI/Python …``) to an endpoint
that instrumentation records gets no GenAI metric points from the hook. Its span stays (nested in
theirs, marked ``llm_router.inside_sdk_span``), and so do our own cost and budget counters, which
they do not have. What was done is logged once per instrumentation.

What each records, read from their sources (openai-v2 2.4b0 ``_instrument``; OpenLLMetry
0.62.4 ``v1/__init__.py``, whose metrics ``TRACELOOP_METRICS_ENABLED=false`` turns off):

- openai-v2: ``chat.completions.create`` and ``embeddings.create`` (sync and async); not the
  Responses API nor legacy completions, whose metrics the hook keeps;
- OpenLLMetry: chat completions (``create`` and ``parse``), legacy completions, embeddings; not
  the Responses API (spans only).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NamedTuple, Optional

_logger = logging.getLogger(__name__)

_OPENAI_SDK = "OpenAI/Python"
"""How the ``openai`` SDK's requests start their ``User-Agent``."""


class Known(NamedTuple):
    """An instrumentation that records GenAI metrics for some of the SDK's calls."""

    module: str
    """Where its instrumentor class lives (only looked at once imported)."""
    name: str
    """The distribution, for the log."""
    endpoints: frozenset[str]
    """The OpenAI wire format's endpoints (``RequestInfo.kind``) whose calls it records."""
    metrics_switch: Optional[str] = None
    """An environment variable that turns its metrics off when ``false``."""


KNOWN: tuple[Known, ...] = (
    Known(
        "opentelemetry.instrumentation.openai_v2",
        "opentelemetry-instrumentation-openai-v2",
        frozenset({"chat_completions", "embeddings"}),
    ),
    Known(
        "opentelemetry.instrumentation.openai",
        "opentelemetry-instrumentation-openai (OpenLLMetry)",
        frozenset({"chat_completions", "completions", "embeddings"}),
        "TRACELOOP_METRICS_ENABLED",
    ),
)

_told: set[str] = set()


def _active(known: Known) -> bool:
    module = sys.modules.get(known.module)
    if module is None:
        return False
    instrumentor = getattr(module, "OpenAIInstrumentor", None)
    instance = getattr(instrumentor, "_instance", None)  # BaseInstrumentor is a singleton
    if instance is None or not getattr(instance, "is_instrumented_by_opentelemetry", False):
        return False
    switch = known.metrics_switch
    return switch is None or os.environ.get(switch, "true").strip().lower() != "false"


def metrics_recorded_by(request: Any, kind: str) -> Optional[str]:
    """The name of an active instrumentation that records this request's call, else ``None``.

    ``request``: the client's request (its ``headers``); ``kind``: the OpenAI endpoint the wire
    format read (``RequestInfo.kind``). Cheap when none of them is imported (two dict lookups);
    never raises."""
    modules = sys.modules
    for known in KNOWN:
        if known.module not in modules or kind not in known.endpoints:
            continue
        try:
            if not _active(known):
                continue
            agent = request.headers.get("user-agent") or ""
            if not agent.startswith(_OPENAI_SDK):
                continue
        except Exception:
            _logger.debug("llm_router: could not check for %s", known.name, exc_info=True)
            continue
        _tell(known)
        return known.name
    return None


def announce_active() -> None:
    """Log, at ``instrument()``, each known instrumentation already active (once each)."""
    for known in KNOWN:
        try:
            if _active(known):
                _tell(known)
        except Exception:
            _logger.debug("llm_router: could not check for %s", known.name, exc_info=True)


def _tell(known: Known) -> None:
    if known.name in _told:
        return
    _told.add(known.name)
    _logger.info(
        "llm_router: %s is active and records the GenAI metrics of the openai SDK's %s calls; "
        "for those calls the hook records spans (nested in its spans) but no "
        "gen_ai.client.* metrics, so no call is counted twice (docs/zero-code.md)",
        known.name,
        ", ".join(sorted(known.endpoints)),
    )
