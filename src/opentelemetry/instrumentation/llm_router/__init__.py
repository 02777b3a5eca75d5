"""OpenTelemetry GenAI spans and metrics for LLM routers and the LLM calls they make.

Three sources, one mapping onto the GenAI semantic conventions:

- :class:`OTelObserver` (and :class:`CompositeObserver`): the router's ``ObserveCallback``;
- :class:`ForwardEventRecorder`: ``RequestStarted`` / ``RequestCompleted`` events, in process or
  read from JSON lines (``llm-router-otel ingest``);
- :class:`LLMRouterInstrumentor`: hooks httpx, httpx2 and aiohttp and records every call to a known
  provider (``request_hook`` / ``response_hook`` add the user's own attributes).

:func:`count_attempts` numbers a router request's upstream calls (``llm_router.attempt``) for
any router that retries or falls back.

:class:`LLMRouterConsoleSpanExporter` (``OTEL_TRACES_EXPORTER=llm_router_console``) prints them
readably in a terminal, for local debugging.
"""

from opentelemetry.instrumentation.llm_router._attempts import AttemptCounter, count_attempts
from opentelemetry.instrumentation.llm_router._composite import CompositeObserver
from opentelemetry.instrumentation.llm_router._config import settings_from_env
from opentelemetry.instrumentation.llm_router._console import LLMRouterConsoleSpanExporter
from opentelemetry.instrumentation.llm_router._forward import (
    EventMeta,
    ForwardEvent,
    ForwardStatus,
    RequestCompleted,
    RequestStarted,
    TokenUsage,
)
from opentelemetry.instrumentation.llm_router._forward_json import (
    ForwardEventError,
    format_forward_event,
    forward_event_from_value,
    forward_event_to_value,
    parse_forward_event,
)
from opentelemetry.instrumentation.llm_router._forward_recorder import ForwardEventRecorder
from opentelemetry.instrumentation.llm_router._genai import (
    GenAICall,
    GenAITelemetry,
    RequestParameters,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._instrumentor import LLMRouterInstrumentor
from opentelemetry.instrumentation.llm_router._observe import (
    BudgetRange,
    BudgetScope,
    CallerContext,
    InputTokens,
    LanguageModelUsage,
    ObserveCallback,
    OutputTokens,
    RequestContext,
    RequestFailureEvent,
    RequestSuccessEvent,
)
from opentelemetry.instrumentation.llm_router._observer import OTelObserver
from opentelemetry.instrumentation.llm_router._pricer import (
    Pricing,
    pricer_from_env,
    shared_database,
)
from opentelemetry.instrumentation.llm_router._prices_db import PricesDatabase
from opentelemetry.instrumentation.llm_router._pricing import (
    ModelPrice,
    PricingError,
    PricingTable,
    load_pricing,
    pricing_from_env,
)
from opentelemetry.instrumentation.llm_router._router_error import (
    AccessDenied,
    Cancelled,
    InvalidRequest,
    InvalidResponse,
    ProviderError,
    ProviderErrorContext,
    ResponseDecode,
    RouterError,
    StreamProtocol,
    Transport,
    UnsupportedFeature,
)
from opentelemetry.instrumentation.llm_router._spend import (
    InProcessSpendStore,
    SpendStore,
    SpendTracker,
    spend_tracker_from_env,
)
from opentelemetry.instrumentation.llm_router._spend_redis import RedisSpendStore
from opentelemetry.instrumentation.llm_router._wire._base import ResponseSummary
from opentelemetry.instrumentation.llm_router.version import __version__

__all__ = [
    "AccessDenied",
    "AttemptCounter",
    "BudgetRange",
    "BudgetScope",
    "CallerContext",
    "Cancelled",
    "CompositeObserver",
    "EventMeta",
    "ForwardEvent",
    "ForwardEventError",
    "ForwardEventRecorder",
    "ForwardStatus",
    "GenAICall",
    "GenAITelemetry",
    "InProcessSpendStore",
    "InputTokens",
    "InvalidRequest",
    "InvalidResponse",
    "LLMRouterConsoleSpanExporter",
    "LLMRouterInstrumentor",
    "LanguageModelUsage",
    "ModelPrice",
    "OTelObserver",
    "ObserveCallback",
    "OutputTokens",
    "PricesDatabase",
    "Pricing",
    "PricingError",
    "PricingTable",
    "ProviderError",
    "ProviderErrorContext",
    "RedisSpendStore",
    "RequestCompleted",
    "RequestContext",
    "RequestFailureEvent",
    "RequestParameters",
    "RequestStarted",
    "RequestSuccessEvent",
    "ResponseDecode",
    "ResponseSummary",
    "RouterError",
    "SpendStore",
    "SpendTracker",
    "StreamProtocol",
    "TelemetrySettings",
    "TokenCounts",
    "TokenUsage",
    "Transport",
    "UnsupportedFeature",
    "__version__",
    "count_attempts",
    "format_forward_event",
    "forward_event_from_value",
    "forward_event_to_value",
    "load_pricing",
    "parse_forward_event",
    "pricer_from_env",
    "pricing_from_env",
    "settings_from_env",
    "shared_database",
    "spend_tracker_from_env",
]
