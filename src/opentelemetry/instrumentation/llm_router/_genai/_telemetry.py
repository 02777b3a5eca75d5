"""The one mapping of an LLM call onto OpenTelemetry: span, attributes, status, metrics.

Every source (router callbacks, forward events, the httpx hook) describes a call with plain values
(operation, provider, model, usage, ...) and hands them to a :class:`GenAICall`. Only this module
knows which attribute a value goes under, which attributes metrics carry, and when each metric is
recorded, so the three sources cannot drift apart.

It sits on every instrumented request, so it is written for speed: one ``start_span`` with the
sampling attributes, one ``set_attributes`` at the end, metric attribute dicts built once per call.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Optional, Protocol, Sequence
from weakref import WeakKeyDictionary

from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber, get_logger
from opentelemetry.context import Context
from opentelemetry.metrics import Counter, Histogram, Meter, MeterProvider, get_meter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider

from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._bounds import (
    INT64_MAX,
    MAX_TIME_NS,
    bounded,
    clamp_int,
    clamp_time_ns,
    safe_attribute,
)
from opentelemetry.instrumentation.llm_router._genai import _attributes as A
from opentelemetry.instrumentation.llm_router._genai import _instruments
from opentelemetry.instrumentation.llm_router._genai._audit import AuditLog
from opentelemetry.instrumentation.llm_router._genai._definitions import unlisted
from opentelemetry.instrumentation.llm_router._redact import DEFAULT as DEFAULT_REDACTOR
from opentelemetry.instrumentation.llm_router._redact import MAX_MESSAGE, MAX_TEXT, Redactor
from opentelemetry.instrumentation.llm_router.version import __version__

if TYPE_CHECKING:
    from opentelemetry.instrumentation.llm_router._observe import CallerContext

_logger = logging.getLogger(__name__)
_INF = float("inf")

SCOPE_NAME = "opentelemetry.instrumentation.llm_router"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.0"

# Router attributes that may be put on metrics when the user opts in (cardinality!).
METRIC_OPT_IN_ATTRIBUTES: dict[str, str] = {
    "route": A.LLM_ROUTER_ROUTE,
    "account": A.LLM_ROUTER_ACCOUNT_ID,
    "endpoint": A.LLM_ROUTER_ENDPOINT,
    "team": A.LLM_ROUTER_ACCOUNT_TEAM_ID,  # a gateway's team (LiteLLM): fewer than keys
}


@dataclass
class TokenCounts:
    """Token usage with the GenAI meaning of each count.

    ``input_tokens`` includes cached tokens (read and written); ``output_tokens`` includes
    reasoning tokens. ``None`` means the wire did not say: it is left out, never reported as 0.
    """

    __slots__ = (
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
    )

    input_tokens: Optional[int]
    output_tokens: Optional[int]
    cache_read_input_tokens: Optional[int]
    cache_creation_input_tokens: Optional[int]
    reasoning_output_tokens: Optional[int]

    def __init__(
        self,
        input_tokens: Optional[int] = None,
        output_tokens: Optional[int] = None,
        cache_read_input_tokens: Optional[int] = None,
        cache_creation_input_tokens: Optional[int] = None,
        reasoning_output_tokens: Optional[int] = None,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cache_read_input_tokens = cache_read_input_tokens
        self.cache_creation_input_tokens = cache_creation_input_tokens
        self.reasoning_output_tokens = reasoning_output_tokens

    def is_empty(self) -> bool:
        return (
            self.input_tokens is None
            and self.output_tokens is None
            and self.cache_read_input_tokens is None
            and self.cache_creation_input_tokens is None
            and self.reasoning_output_tokens is None
        )


_PARAMETER_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("max_tokens", A.GEN_AI_REQUEST_MAX_TOKENS),
    ("temperature", A.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", A.GEN_AI_REQUEST_TOP_P),
    ("top_k", A.GEN_AI_REQUEST_TOP_K),
    ("frequency_penalty", A.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", A.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("stop_sequences", A.GEN_AI_REQUEST_STOP_SEQUENCES),
    ("seed", A.GEN_AI_REQUEST_SEED),
    ("choice_count", A.GEN_AI_REQUEST_CHOICE_COUNT),
    ("encoding_formats", A.GEN_AI_REQUEST_ENCODING_FORMATS),
    ("output_type", A.GEN_AI_OUTPUT_TYPE),
    ("embeddings_dimension_count", A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    ("conversation_id", A.GEN_AI_CONVERSATION_ID),
    ("openai_api_type", A.OPENAI_API_TYPE),
    ("openai_service_tier", A.OPENAI_REQUEST_SERVICE_TIER),
    ("aws_bedrock_guardrail_id", A.AWS_BEDROCK_GUARDRAIL_ID),
)


@dataclass(init=False, eq=True)
class RequestParameters:
    """What the request says: the ``gen_ai.request.*`` parameters, the requested output type,
    embedding dimensions, conversation id and the ``openai.*`` request attributes, as far as the
    request said them (``None`` = not said, left out).

    Built on every instrumented request, so it is a slotted class with a plain ``__init__``
    (a frozen dataclass costs several times more to build).
    """

    __slots__ = (*(field for field, _ in _PARAMETER_ATTRIBUTES), "_span_attributes")

    max_tokens: Optional[int]
    temperature: Optional[float]
    top_p: Optional[float]
    top_k: Optional[float]
    frequency_penalty: Optional[float]
    presence_penalty: Optional[float]
    stop_sequences: Optional[Sequence[str]]
    seed: Optional[int]
    choice_count: Optional[int]
    encoding_formats: Optional[Sequence[str]]
    output_type: Optional[str]
    """``text`` / ``json`` / ``image`` / ``speech``: the output format the request asked for."""
    embeddings_dimension_count: Optional[int]
    conversation_id: Optional[str]
    openai_api_type: Optional[str]
    """``chat_completions`` / ``responses`` (OpenAI wire format only)."""
    openai_service_tier: Optional[str]
    """The requested service tier; the wire formats leave ``auto`` out, as the conventions ask."""
    aws_bedrock_guardrail_id: Optional[str]
    """The Bedrock guardrail the request applies (``guardrailConfig.guardrailIdentifier``)."""

    def __init__(
        self,
        max_tokens: Optional[int] = None,
        temperature: Optional[float] = None,
        top_p: Optional[float] = None,
        top_k: Optional[float] = None,
        frequency_penalty: Optional[float] = None,
        presence_penalty: Optional[float] = None,
        stop_sequences: Optional[Sequence[str]] = None,
        seed: Optional[int] = None,
        choice_count: Optional[int] = None,
        encoding_formats: Optional[Sequence[str]] = None,
        output_type: Optional[str] = None,
        embeddings_dimension_count: Optional[int] = None,
        conversation_id: Optional[str] = None,
        openai_api_type: Optional[str] = None,
        openai_service_tier: Optional[str] = None,
        aws_bedrock_guardrail_id: Optional[str] = None,
    ) -> None:
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.frequency_penalty = frequency_penalty
        self.presence_penalty = presence_penalty
        self.stop_sequences = stop_sequences
        self.seed = seed
        self.choice_count = choice_count
        self.encoding_formats = encoding_formats
        self.output_type = output_type
        self.embeddings_dimension_count = embeddings_dimension_count
        self.conversation_id = conversation_id
        self.openai_api_type = openai_api_type
        self.openai_service_tier = openai_service_tier
        self.aws_bedrock_guardrail_id = aws_bedrock_guardrail_id
        self._span_attributes: Optional[dict[str, Any]] = None

    def attributes(self) -> dict[str, Any]:
        """The ``gen_ai.request.*`` attributes of the parameters that are set."""
        attributes = {}
        for field, name in _PARAMETER_ATTRIBUTES:
            value = getattr(self, field)
            if value is not None:
                attributes[name] = value
        return attributes

    def span_attributes(self) -> dict[str, Any]:
        """:meth:`attributes` made export-safe (``_bounds.safe_attribute``), worked out on first
        use and kept: a wire format shares one instance among the many requests that set no
        parameter, and parameters are not changed once read. Read only, never modify."""
        cached = self._span_attributes
        if cached is None:
            cached = self._span_attributes = {
                name: safe_attribute(value) for name, value in self.attributes().items()
            }
        return cached


CostFunction = Callable[[str, Optional[str], TokenCounts], Optional[float]]
"""``(provider, model, usage) -> cost in USD`` or ``None`` when the model has no price."""


class Priced(NamedTuple):
    """The price of one call and where it came from (``llm_router.cost.*`` on the span)."""

    usd: float
    source: str
    """``file`` (the user's price file), ``genai-prices`` (the price database), ``router`` (the
    router's own figure, e.g. LiteLLM's ``response_cost``), ``custom`` (a cost function)."""
    prices: Optional[str] = None
    """Which price data, with its date where known (``genai-prices 0.2.3``, a file's ``_date``)."""


class CallPricer(Protocol):
    """Prices a call from everything known about it; :class:`GenAICall` asks it once per call."""

    def price_call(
        self,
        provider: str,
        response_model: Optional[str],
        request_model: Optional[str],
        usage: TokenCounts,
        service_tier: Optional[str],
        time_ns: int,
    ) -> Optional[Priced]:
        """The price of the call, or ``None`` when no source knows the model (never a guess).

        ``service_tier`` is the tier the response reports (OpenAI ``flex``/``priority``/...);
        ``time_ns`` is when the call started (prices change over time). Must not raise.
        """
        ...


class FunctionPricer:
    """A :data:`CostFunction` as a :class:`CallPricer`: the response model, then the request model.

    The source named on the span is the function's owner's ``cost_source`` (``file`` for
    ``PricingTable.cost``), else ``custom``: a function of the user's own.
    """

    __slots__ = ("_cost", "_prices", "_source")

    def __init__(self, cost: CostFunction) -> None:
        self._cost = cost
        owner = getattr(cost, "__self__", None)
        self._source = str(getattr(owner, "cost_source", "custom"))
        label = getattr(owner, "prices_label", None)
        self._prices = label if isinstance(label, str) else None

    def price_call(
        self,
        provider: str,
        response_model: Optional[str],
        request_model: Optional[str],
        usage: TokenCounts,
        service_tier: Optional[str],
        time_ns: int,
    ) -> Optional[Priced]:
        usd = self._cost(provider, response_model or request_model, usage)
        if usd is None and response_model and request_model:
            usd = self._cost(provider, request_model, usage)
        return None if usd is None else Priced(usd, self._source, self._prices)


@dataclass(frozen=True)
class TelemetrySettings:
    """What the user chose about the mapping (from code or ``OTEL_PYTHON_LLM_ROUTER_*``)."""

    metric_opt_in: frozenset[str] = frozenset()
    """Keys of :data:`METRIC_OPT_IN_ATTRIBUTES` to put on metrics as well as spans."""
    record_time_per_output_chunk: bool = False
    """Record ``gen_ai.client.operation.time_per_output_chunk`` (one histogram record per output
    chunk after the first). Off by default: one SDK ``Histogram.record`` costs more than the
    client's own work per stream event, and the conventions let an instrumentation leave a
    Recommended metric off for performance when it allows opting in (this setting, or
    ``OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK=true``)."""
    record_metrics: bool = True
    """Record the GenAI metrics. A router that reports its requests through ``OTelObserver`` and
    also runs the httpx hook on its upstream calls can turn metrics off for one of the two
    sources, so a dashboard never counts a request twice; the spans stay."""
    cost: Optional[CostFunction] = None
    """Prices a call from ``(provider, model, usage)``: a function of your own or a
    ``PricingTable.cost``. Used when ``pricer`` is not set. No pricer, no cost."""
    pricer: Optional[CallPricer] = None
    """Prices a call from everything known about it (``Pricing``: the price file, then the
    price database); set from ``OTEL_PYTHON_LLM_ROUTER_PRICING*`` by the environment."""
    audit: bool = False
    """Emit one audit log record per request (``_audit``), whatever the trace sampler decides;
    ``OTEL_PYTHON_LLM_ROUTER_AUDIT=true`` from the environment."""


class _Instruments:
    """The metric instruments of one meter, created once."""

    __slots__ = (
        "budget_exceeded",
        "budget_store_fallbacks",
        "cost",
        "duration",
        "time_per_output_chunk",
        "time_to_first_chunk",
        "token_usage",
    )

    def __init__(self, meter: Meter) -> None:
        self.duration: Histogram = _instruments.operation_duration(meter)
        self.token_usage: Histogram = _instruments.token_usage(meter)
        self.time_to_first_chunk: Histogram = _instruments.time_to_first_chunk(meter)
        self.time_per_output_chunk: Histogram = _instruments.time_per_output_chunk(meter)
        self.cost: _instruments.CostSums = _instruments.cost(meter)
        self.budget_exceeded: Counter = _instruments.budget_exceeded(meter)
        self.budget_store_fallbacks: Counter = _instruments.budget_store_fallbacks(meter)


class _NoRecord:
    """A histogram that records nothing: the GenAI metrics of a call another instrumentation
    records (see ``GenAICall.without_genai_metrics``)."""

    __slots__ = ()

    def record(self, amount: Any, attributes: Any = None, context: Any = None) -> None:
        pass


_NO_RECORD: Any = _NoRecord()
_GENAI_HISTOGRAMS = ("duration", "token_usage", "time_to_first_chunk", "time_per_output_chunk")

_INSTRUMENTS: WeakKeyDictionary[Meter, _Instruments] = WeakKeyDictionary()


def instruments_for(meter: Meter) -> _Instruments:
    """The instruments of ``meter``, created on first use and shared after that."""
    found = _INSTRUMENTS.get(meter)
    if found is None:
        found = _INSTRUMENTS[meter] = _Instruments(meter)
    return found


class GenAITelemetry:
    """Tracer, meter instruments and settings; makes one :class:`GenAICall` per LLM call."""

    def __init__(
        self,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
        settings: Optional[TelemetrySettings] = None,
        logger_provider: Optional[LoggerProvider] = None,
    ) -> None:
        self.tracer: Tracer = trace.get_tracer(
            SCOPE_NAME, __version__, tracer_provider, schema_url=SCHEMA_URL
        )
        # The global provider is a proxy until the application sets one: an event emitted
        # before that is dropped by the API at no cost to us (it is only used on failures).
        self.logger: Logger = get_logger(
            SCOPE_NAME, __version__, logger_provider, schema_url=SCHEMA_URL
        )
        meter = get_meter(SCOPE_NAME, __version__, meter_provider, schema_url=SCHEMA_URL)
        self.instruments = instruments_for(meter)
        self.settings = settings or TelemetrySettings()
        self.audit: Optional[AuditLog] = AuditLog(self.logger) if self.settings.audit else None
        self.pricer: Optional[CallPricer] = self.settings.pricer
        if self.pricer is None and self.settings.cost is not None:
            self.pricer = FunctionPricer(self.settings.cost)
        self._metric_opt_in = tuple(
            METRIC_OPT_IN_ATTRIBUTES[key]
            for key in sorted(self.settings.metric_opt_in)
            if key in METRIC_OPT_IN_ATTRIBUTES
        )
        self._without_genai_metrics: Optional[GenAITelemetry] = None
        self._starts: dict[tuple[Any, ...], _Start] = {}
        self._metric_sets: dict[tuple[Any, ...], _MetricSets] = {}
        """The metric attribute dicts of calls that began at a cached start and ended the same
        way (response model, error type, OpenAI response attributes): built once, shared. The
        SDK copies what it is given, and nothing here changes a dict once it is in."""
        """What :meth:`start_call` makes of an (operation, provider, model, server) it has seen:
        the same few combinations recur on every call of a process."""

    def without_genai_metrics(self) -> GenAITelemetry:
        """This telemetry, but recording none of the conventions' ``gen_ai.client.*`` metrics
        (our own cost and budget counters stay): for calls another instrumentation counts.
        Made once, sharing everything else."""
        twin = self._without_genai_metrics
        if twin is None:
            twin = copy.copy(self)
            instruments = copy.copy(self.instruments)
            for name in _GENAI_HISTOGRAMS:
                setattr(instruments, name, _NO_RECORD)
            twin.instruments = instruments
            twin._without_genai_metrics = twin
            self._without_genai_metrics = twin
        return twin

    def start_call(
        self,
        operation: str,
        provider: str,
        request_model: Optional[str],
        *,
        server_address: Optional[str] = None,
        server_port: Optional[int] = None,
        stream: Optional[bool] = None,
        parameters: Optional[RequestParameters] = None,
        route: Optional[str] = None,
        request_id: Optional[str] = None,
        endpoint: Optional[str] = None,
        caller: Optional[CallerContext] = None,
        start_time_ns: Optional[int] = None,
        parent: Optional[Context] = None,
    ) -> GenAICall:
        """Start the span of one call, with the attributes samplers must see already on it.

        Every value is made export-safe here, for every source alike (see ``_bounds``): strings
        cleaned and cut, integers within int64, the start time within 0 .. 2**63 ns.
        """
        key = (operation, provider, request_model, server_address, server_port)
        start = self._starts.get(key)
        if start is None:
            start = _Start(operation, provider, request_model, server_address, server_port)
            if start.cacheable:
                starts = self._starts
                if len(starts) >= _STARTS_CACHE_SIZE:
                    starts.clear()
                starts[key] = start
        provider = start.provider
        request_model = start.request_model
        attributes = start.attributes.copy()
        metric_attributes = start.attributes  # shared with the start until a change copies it
        shared: Optional[_Start] = start if start.cacheable else None
        if stream:
            attributes[A.GEN_AI_REQUEST_STREAM] = True
        if parameters is not None:
            said = parameters.span_attributes()
            if said:
                omit = start.unlisted
                if omit.isdisjoint(said):
                    attributes.update(said)
                else:
                    attributes.update({k: v for k, v in said.items() if k not in omit})
        if route is not None:
            attributes[A.LLM_ROUTER_ROUTE] = bounded(route)
        if request_id is not None:
            attributes[A.LLM_ROUTER_REQUEST_ID] = bounded(request_id)
        if endpoint is not None:
            attributes[A.LLM_ROUTER_ENDPOINT] = bounded(endpoint)
        if caller is not None:
            for name, value in caller_attributes(caller).items():
                attributes[name] = safe_attribute(value)
        for name in self._metric_opt_in:
            value = attributes.get(name)
            if value is not None:
                if shared is not None:
                    metric_attributes = metric_attributes.copy()
                    shared = None
                metric_attributes[name] = value
        start_time_ns = time.time_ns() if start_time_ns is None else clamp_time_ns(start_time_ns)
        span = self.tracer.start_span(
            start.span_name,
            context=parent,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=start_time_ns,
        )
        call = GenAICall(
            self, span, start_time_ns, metric_attributes, provider, request_model, shared
        )
        call._unlisted = start.unlisted
        if self.audit is not None:
            call._audit_start = attributes  # the span keeps its own copy; this one is ours
        return call


_STARTS_CACHE_SIZE = 256


class _Start:
    """The export-safe start of a call's span for one (operation, provider, model, server): its
    name, the attributes both the span and the metrics begin with, the bounded values."""

    __slots__ = ("attributes", "cacheable", "provider", "request_model", "span_name", "unlisted")

    def __init__(
        self,
        operation: str,
        provider: str,
        request_model: Optional[str],
        server_address: Optional[str],
        server_port: Optional[int],
    ) -> None:
        # Only short values are kept, so the cache stays small whatever callers send.
        self.cacheable = (
            len(operation) <= MAX_TEXT
            and len(provider) <= MAX_TEXT
            and (not request_model or len(request_model) <= MAX_TEXT)
            and (not server_address or len(server_address) <= MAX_TEXT)
        )
        operation = bounded(operation)
        self.provider = provider = bounded(provider)
        if request_model:
            request_model = bounded(request_model)
        self.request_model = request_model
        attributes: dict[str, Any] = {
            A.GEN_AI_OPERATION_NAME: operation,
            A.GEN_AI_PROVIDER_NAME: provider,
        }
        if request_model:
            attributes[A.GEN_AI_REQUEST_MODEL] = request_model
        if server_address:
            attributes[A.SERVER_ADDRESS] = bounded(server_address)
            if server_port:
                attributes[A.SERVER_PORT] = clamp_int(server_port)
        self.attributes = attributes
        self.span_name = f"{operation} {request_model}" if request_model else operation
        self.unlisted = unlisted(operation, provider)
        """What the span definition of this operation and provider does not list."""


_METRIC_SETS_CACHE_SIZE = 256


class _MetricSets:
    """The attribute dicts of one call's metrics, each as the conventions give it: all share the
    base (the start's attributes and the response model); the OpenAI response attributes go on
    duration and token usage; ``error.type`` on duration (and on our own cost counters, which
    are not the conventions')."""

    __slots__ = ("base", "duration", "input_tokens", "output_tokens", "router")

    def __init__(
        self,
        start: dict[str, Any],
        response_model: Optional[str],
        error_type: Optional[str],
        openai: Optional[dict[str, Any]],
    ) -> None:
        base = start
        if response_model:
            base = {**start, A.GEN_AI_RESPONSE_MODEL: response_model}
        with_openai = {**base, **openai} if openai else base
        self.base = base
        self.duration = with_openai
        self.router = base
        if error_type:
            self.duration = {**with_openai, A.ERROR_TYPE: error_type}
            self.router = {**base, A.ERROR_TYPE: error_type}
        self.input_tokens = {**with_openai, A.GEN_AI_TOKEN_TYPE: "input"}
        self.output_tokens = {**with_openai, A.GEN_AI_TOKEN_TYPE: "output"}


def caller_attributes(caller: CallerContext) -> dict[str, Any]:
    """The span attributes of who called and what they may spend."""
    attributes: dict[str, Any] = {}
    if caller.account_id is not None:
        attributes[A.LLM_ROUTER_ACCOUNT_ID] = caller.account_id
    if caller.models is not None:
        attributes[A.LLM_ROUTER_ACCOUNT_MODELS] = list(caller.models)
    if caller.budget is not None:
        attributes[A.LLM_ROUTER_BUDGET] = caller.budget
    if caller.budget_scope is not None:
        attributes[A.LLM_ROUTER_BUDGET_SCOPE] = caller.budget_scope
    budget_range = caller.budget_range
    if budget_range is not None:
        attributes[A.LLM_ROUTER_BUDGET_RANGE_TYPE] = budget_range.type
        if budget_range.count is not None:
            attributes[A.LLM_ROUTER_BUDGET_RANGE_COUNT] = budget_range.count
        if budget_range.seconds is not None:
            attributes[A.LLM_ROUTER_BUDGET_RANGE_SECONDS] = budget_range.seconds
    if caller.chain is not None:
        attributes[A.LLM_ROUTER_CHAIN] = caller.chain
    return attributes


class GenAICall:
    """One LLM call in flight. Record what is learnt, then :meth:`end` it exactly once.

    Every method is cheap and tolerant: values may arrive in any order and more than once (the
    last one wins); nothing is recorded to metrics until :meth:`end`.
    """

    __slots__ = (
        "_attributes",
        "_audit_start",
        "_budget_exceeded",
        "_chunk_attributes",
        "_ended",
        "_error_type",
        "_first_chunk_ns",
        "_last_chunk_ns",
        "_metric_attributes",
        "_openai_metric_attributes",
        "_pending_chunks",
        "_priced",
        "_record_metrics",
        "_redactor",
        "_settled_ns",
        "_start",
        "_telemetry",
        "_unlisted",
        "provider",
        "request_model",
        "response_model",
        "service_tier",
        "span",
        "start_time_ns",
        "usage",
    )

    def __init__(
        self,
        telemetry: GenAITelemetry,
        span: Span,
        start_time_ns: int,
        metric_attributes: dict[str, Any],
        provider: str,
        request_model: Optional[str],
        start: Optional[_Start] = None,
    ) -> None:
        self._telemetry = telemetry
        self._start = start
        """The cached start whose ``attributes`` are ``metric_attributes`` (shared, never
        changed); ``None`` once this call has a copy of its own."""
        self.span = span
        self.start_time_ns = start_time_ns
        self._metric_attributes = metric_attributes
        self._attributes: dict[str, Any] = {}
        self._ended = False
        self._settled_ns: Optional[int] = None
        self._error_type: Optional[str] = None
        self._first_chunk_ns: Optional[int] = None
        self._last_chunk_ns: Optional[int] = None
        self.provider = provider
        self.request_model = request_model
        self.response_model: Optional[str] = None
        self.usage: Optional[TokenCounts] = None
        self.service_tier: Optional[str] = None
        self._priced: Optional[Priced] = None
        self._budget_exceeded: Optional[dict[str, Any]] = None
        self._openai_metric_attributes: Optional[dict[str, Any]] = None
        self._record_metrics = True
        self._unlisted: frozenset[str] = frozenset()
        """What the call's span definition does not list (``_definitions``): left off the span."""
        self._chunk_attributes: Optional[dict[str, Any]] = None
        self._pending_chunks: Optional[list[float]] = None
        """``time_per_output_chunk`` intervals noted and not yet recorded (:meth:`output_events`)."""
        self._audit_start: Optional[dict[str, Any]] = None

    @property
    def ended(self) -> bool:
        return self._ended

    def set_response(
        self,
        model: Optional[str] = None,
        response_id: Optional[str] = None,
        finish_reasons: Optional[Iterable[str]] = None,
        *,
        service_tier: Optional[str] = None,
        system_fingerprint: Optional[str] = None,
        conversation_id: Optional[str] = None,
    ) -> None:
        """What the response said. May be called early (e.g. with the model as soon as a stream
        names it, so per-chunk points carry it) and again at the end."""
        if model:
            if model != self.response_model:
                self._chunk_attributes = None
            self.response_model = model = bounded(model)
            self._attributes[A.GEN_AI_RESPONSE_MODEL] = model
        if response_id:
            self._attributes[A.GEN_AI_RESPONSE_ID] = bounded(response_id)
        if finish_reasons:
            self._attributes[A.GEN_AI_RESPONSE_FINISH_REASONS] = [
                bounded(reason) for reason in finish_reasons
            ]
        if conversation_id:
            self._attributes[A.GEN_AI_CONVERSATION_ID] = bounded(conversation_id)
        if service_tier:
            service_tier = bounded(service_tier)
            self.service_tier = service_tier  # the pricer's rates depend on it
        if (service_tier or system_fingerprint) and self.provider == "openai":
            # Only the OpenAI span lists these; the conventions put them on the duration and
            # token usage metrics as well (the OpenAI metric attribute group).
            extra = self._openai_metric_attributes
            if extra is None:
                extra = self._openai_metric_attributes = {}
            if service_tier:
                self._attributes[A.OPENAI_RESPONSE_SERVICE_TIER] = service_tier
                extra[A.OPENAI_RESPONSE_SERVICE_TIER] = service_tier
            if system_fingerprint:
                system_fingerprint = bounded(system_fingerprint)
                self._attributes[A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = system_fingerprint
                extra[A.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = system_fingerprint

    def set_service_tier(self, service_tier: Optional[str]) -> None:
        """The service tier the response reports (OpenAI ``flex``/``priority``): its rates differ."""
        if service_tier:
            self.service_tier = service_tier

    def set_usage(self, usage: Optional[TokenCounts]) -> None:
        """The call's token counts, made export-safe (:func:`safe_counts`)."""
        if usage is not None:
            usage = safe_counts(usage)
            if not usage.is_empty():
                self.usage = usage

    def set_status_code(self, status_code: int) -> None:
        if type(status_code) is not int or not 0 <= status_code <= INT64_MAX:
            status_code = clamp_int(status_code)
        self._attributes[A.HTTP_RESPONSE_STATUS_CODE] = status_code

    def set_forward_status(self, status: str) -> None:
        self._attributes[A.LLM_ROUTER_FORWARD_STATUS] = bounded(status)

    def resolve(
        self,
        provider: str,
        request_model: Optional[str],
        *,
        route: Optional[str] = None,
        caller: Optional[CallerContext] = None,
    ) -> None:
        """Name provider and model of a call begun before the router chose them.

        A router span has to exist before the upstream calls it parents, but which provider and
        model serve the request is known only later. This renames the span, replaces the
        sampling-time values (samplers saw the earlier ones) and what the metrics will carry.
        """
        provider = bounded(provider)
        if request_model:
            request_model = bounded(request_model)
        self.provider = provider
        self.request_model = request_model
        if self._start is not None:  # the start's attributes are shared: change a copy
            self._metric_attributes = self._metric_attributes.copy()
            self._start = None
        metric_attributes = self._metric_attributes
        metric_attributes[A.GEN_AI_PROVIDER_NAME] = provider
        attributes = self._attributes
        attributes[A.GEN_AI_PROVIDER_NAME] = provider
        if request_model:
            metric_attributes[A.GEN_AI_REQUEST_MODEL] = request_model
            attributes[A.GEN_AI_REQUEST_MODEL] = request_model
            operation = metric_attributes.get(A.GEN_AI_OPERATION_NAME, "chat")
            self.span.update_name(f"{operation} {request_model}")
        if route is not None:
            attributes[A.LLM_ROUTER_ROUTE] = bounded(route)
        if caller is not None:
            attributes.update(caller_attributes(caller))
        opted_in = self._telemetry._metric_opt_in
        for name in opted_in:
            value = attributes.get(name)
            if value is not None:
                metric_attributes[name] = value

    def set_attempt(self, attempt: int) -> None:
        """This upstream call is attempt number ``attempt`` (1, 2, ...) of one router request."""
        self._attributes[A.LLM_ROUTER_ATTEMPT] = attempt

    def set_attempts(self, attempts: int) -> None:
        """The router request this span stands for made ``attempts`` upstream calls."""
        self._attributes[A.LLM_ROUTER_ATTEMPTS] = attempts

    def set_caller_identities(
        self,
        *,
        name: Optional[str] = None,
        team_id: Optional[str] = None,
        user_id: Optional[str] = None,
        org_id: Optional[str] = None,
        end_user_id: Optional[str] = None,
        budget_owner: Optional[str] = None,
    ) -> None:
        """The identities a gateway knows besides the account (key) itself; ``None`` is left out.

        ``budget_owner`` says whose budget ``llm_router.budget.*`` describes (key, team, ...).
        """
        for attribute, value in (
            (A.LLM_ROUTER_ACCOUNT_NAME, name),
            (A.LLM_ROUTER_ACCOUNT_TEAM_ID, team_id),
            (A.LLM_ROUTER_ACCOUNT_USER_ID, user_id),
            (A.LLM_ROUTER_ACCOUNT_ORG_ID, org_id),
            (A.LLM_ROUTER_ACCOUNT_END_USER_ID, end_user_id),
            (A.LLM_ROUTER_BUDGET_OWNER, budget_owner),
        ):
            if value is not None:
                self._attributes[attribute] = bounded(value)

    def set_cost(self, usd: Optional[float]) -> None:
        """The call's cost as the router computed it (``llm_router.cost.source="router"``); wins
        over the price file and the price database."""
        if usd is not None and 0 <= usd < float("inf"):  # NaN fails the comparison too
            self._priced = Priced(float(usd), "router")

    def without_genai_metrics(self) -> None:
        """Record this call's span (and our cost and budget counters) but none of the
        ``gen_ai.client.*`` metrics: another instrumentation records them for this call."""
        self._telemetry = self._telemetry.without_genai_metrics()

    def set_inside_sdk_span(self, sdk_span_name: str) -> None:
        """Say that an SDK's own GenAI span encloses this one (see the coexistence docs)."""
        self._attributes[A.LLM_ROUTER_INSIDE_SDK_SPAN] = bounded(sdk_span_name)

    def set_content(
        self,
        input_messages: Optional[str] = None,
        output_messages: Optional[str] = None,
        system_instructions: Optional[str] = None,
    ) -> None:
        """Message content as JSON text; only called when content capture is on."""
        if input_messages is not None:
            self._attributes[A.GEN_AI_INPUT_MESSAGES] = input_messages
        if output_messages is not None:
            self._attributes[A.GEN_AI_OUTPUT_MESSAGES] = output_messages
        if system_instructions is not None:
            self._attributes[A.GEN_AI_SYSTEM_INSTRUCTIONS] = system_instructions

    def chunk_received(self, now_ns: int) -> None:
        """One output event of a stream arrived (see :meth:`output_events`); its interval, if
        any, is recorded now (a router's callback is not in the path of the bytes)."""
        self.output_events(now_ns, 1)
        if self._pending_chunks:
            self.record_pending()

    def output_events(self, now_ns: int, count: int = 1) -> None:
        """``count`` events carrying output arrived together at ``now_ns``.

        The first output event of the call sets time to first chunk; each later one is one
        ``time_per_output_chunk`` interval (when that metric is on): the first of a group is the
        time since the previous output event, the others arrived with it (0 s). So a stream
        yields the same number of points however its bytes were split into reads.

        The intervals are only noted here, never recorded: a stream wrapper records them with
        :meth:`record_pending` after it has handed the read's bytes on (an SDK ``record`` costs
        more than reading the event did), and :meth:`end` records whatever is left.
        """
        last = self._last_chunk_ns
        self._last_chunk_ns = now_ns
        if last is None:
            self._first_chunk_ns = last = now_ns
            count -= 1
            if count <= 0:
                return
        settings = self._telemetry.settings
        if settings.record_time_per_output_chunk and settings.record_metrics:
            pending = self._pending_chunks
            if pending is None:
                pending = self._pending_chunks = []
            pending.append((now_ns - last) / 1e9 if now_ns > last else 0.0)
            if count > 1:
                pending.extend([0.0] * (count - 1))

    def take_pending(self) -> Optional[list[float]]:
        """The intervals noted and not yet recorded (for :meth:`record_values`), now none."""
        pending = self._pending_chunks
        self._pending_chunks = None
        return pending

    def record_pending(self) -> None:
        """Record the ``time_per_output_chunk`` intervals noted so far, one point each."""
        pending = self._pending_chunks
        if pending:
            self._pending_chunks = None
            self.record_values(pending)

    def record_values(self, values: list[float]) -> None:
        """One ``time_per_output_chunk`` point per value, with the call's metric attributes
        (the response model once known). Never raises."""
        try:
            attributes = self._chunk_attributes
            if attributes is None:  # rebuilt when the response model becomes known
                attributes = self._chunk_attributes = self._base_metric_attributes()
            record = self._telemetry.instruments.time_per_output_chunk.record
            for value in values:
                record(value, attributes)
        except Exception:
            _logger.debug("could not record time_per_output_chunk", exc_info=True)

    def use_redactor(self, redactor: Redactor) -> None:
        """The redaction step :meth:`fail` uses when not given one: for a source that knows the
        request but hands the failure over through another (the LiteLLM adapter, through
        ``OTelObserver``). Not set in ``__init__``: a call that never fails pays nothing."""
        self._redactor = redactor

    def fail(
        self,
        error_type: str,
        description: Optional[str] = None,
        exception: Optional[BaseException] = None,
        redactor: Optional[Redactor] = None,
    ) -> None:
        """Mark the call failed. ``error_type`` is a provider code, an error kind or a class name.

        Every text here comes from an exception or a provider body, so all of it goes through
        the one redaction step (``redactor``: the request's credentials and, with content
        capture off, its message text; key-shaped tokens always), then is cut to its bound.

        A failure is the span's status and ``error.type`` plus the conventions'
        ``gen_ai.client.operation.exception`` log event (severity WARN) through the Logs API,
        built from the same redacted text. It is not also an ``exception`` span event: v1.41's
        recording-errors guidance makes recording an error as a span event (``record_exception``)
        NOT RECOMMENDED, and the GenAI exceptions document names the log event instead.
        """
        # The source's redactor for this request (see use_redactor), else the knowledge-free one.
        redact = redactor or getattr(self, "_redactor", None) or DEFAULT_REDACTOR
        # An identifier: credentials masked, never content (a prompt may name the error code).
        self._error_type = redact.identifier(error_type, MAX_TEXT) or "_OTHER"
        exception_attributes = None
        if exception is not None:
            exception_attributes = redact.exception_attributes(exception)
        message = redact(description, MAX_MESSAGE) or self._error_type
        self.span.set_status(Status(StatusCode.ERROR, message))
        self._emit_exception_event(message, exception_attributes)

    def _emit_exception_event(
        self, message: str, exception_attributes: Optional[dict[str, str]]
    ) -> None:
        """The ``gen_ai.client.operation.exception`` event, in the span's context.

        For a raised exception: its class, redacted message and stack trace (the span event's
        attributes, less the deprecated ``exception.escaped``); for a provider error (no
        exception): the provider's error code as ``exception.type`` and its redacted message.
        """
        try:
            if exception_attributes is not None:
                attributes: dict[str, Any] = {
                    key: value
                    for key, value in exception_attributes.items()
                    if key != "exception.escaped"
                }
            else:
                attributes = {
                    A.EXCEPTION_TYPE: self._error_type or "_OTHER",
                    A.EXCEPTION_MESSAGE: message,
                }
            self._telemetry.logger.emit(
                timestamp=time.time_ns(),
                context=trace.set_span_in_context(self.span),
                severity_number=SeverityNumber.WARN,
                severity_text="WARN",
                attributes=attributes,
                event_name=A.GEN_AI_CLIENT_OPERATION_EXCEPTION,
            )
        except Exception:  # an old Logs API or a broken provider must not lose the span
            _logger.debug("could not emit the exception event", exc_info=True)

    def end(self, end_time_ns: Optional[int] = None) -> None:
        """End the span and record the metrics. Safe to call more than once: only the first counts."""
        if self._ended:
            return
        self._ended = True
        if self._settled_ns is not None:  # settle() did the rest; end at the time it took
            self.span.end(self._settled_ns)
            return
        if end_time_ns is None:
            end_time_ns = time.time_ns()
        # Never before the start, never outside what OTLP can carry (see ``_bounds``).
        if not self.start_time_ns <= end_time_ns <= MAX_TIME_NS:
            end_time_ns = max(clamp_time_ns(end_time_ns), self.start_time_ns)
        try:
            self._finish(end_time_ns)
        finally:
            self.span.end(end_time_ns)

    def settle(self, end_time_ns: Optional[int] = None) -> None:
        """Put what was learnt on the span and record the metrics now, leaving the span open
        until :meth:`end` (which then ends it at this time): a user's response hook runs in
        between and sees our attributes, and its own run time is not the call's."""
        if self._ended or self._settled_ns is not None:
            return
        self._settled_ns = end_time_ns = end_time_ns or time.time_ns()
        self._finish(end_time_ns)

    def _base_metric_attributes(self) -> dict[str, Any]:
        """The attributes every GenAI metric shares: those of the start, the response model."""
        attributes = self._metric_attributes
        if self.response_model:
            attributes = attributes.copy()
            attributes[A.GEN_AI_RESPONSE_MODEL] = self.response_model
        return attributes

    def _finish(self, end_time_ns: int) -> None:
        if self._pending_chunks:
            self.record_pending()
        attributes = self._attributes
        if self._error_type is not None:
            attributes[A.ERROR_TYPE] = self._error_type
        usage = self.usage
        if usage is not None:
            _usage_attributes(usage, attributes)
        ttfc = None
        if self._first_chunk_ns is not None:
            ttfc = (self._first_chunk_ns - self.start_time_ns) / 1e9
            attributes[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttfc
        # Without a pricer, priced() has nothing to work out: only a router's own cost, if set.
        priced = self.priced() if self._telemetry.pricer is not None else self._priced
        if priced is not None:
            attributes[A.LLM_ROUTER_COST_USD] = priced.usd
            attributes[A.LLM_ROUTER_COST_SOURCE] = priced.source
            if priced.prices:
                attributes[A.LLM_ROUTER_COST_PRICES] = priced.prices
        if attributes:
            unlisted = self._unlisted
            if not unlisted.isdisjoint(attributes):  # an embeddings response with a chat's fields
                for name in unlisted.intersection(attributes):
                    del attributes[name]
            self.span.set_attributes(attributes)
        if self._record_metrics and self._telemetry.settings.record_metrics:
            self._record(end_time_ns, usage, ttfc, priced)
        audit = self._telemetry.audit
        if audit is not None:
            audit.emit(
                self, self._audit_start, attributes, self._error_type is not None, end_time_ns
            )

    def _record(
        self,
        end_time_ns: int,
        usage: Optional[TokenCounts],
        ttfc: Optional[float],
        priced: Optional[Priced],
    ) -> None:
        # Each metric carries the attribute set the conventions give it: all share the base;
        # the OpenAI response attributes go on duration and token usage; error.type on duration
        # (and on our own cost counters, which are not the conventions').
        telemetry = self._telemetry
        instruments = telemetry.instruments
        openai = self._openai_metric_attributes
        start = self._start
        if start is None:
            sets = _MetricSets(
                self._metric_attributes, self.response_model, self._error_type, openai
            )
        else:  # the usual case: a call like many before it, whose attribute dicts exist
            key = (start, self.response_model, self._error_type)
            if openai:
                key += tuple(openai.items())
            cache = telemetry._metric_sets
            sets = cache.get(key)  # type: ignore[assignment]
            if sets is None:
                sets = _MetricSets(start.attributes, self.response_model, self._error_type, openai)
                if len(cache) >= _METRIC_SETS_CACHE_SIZE:
                    cache.clear()
                cache[key] = sets
        instruments.duration.record(max(end_time_ns - self.start_time_ns, 0) / 1e9, sets.duration)
        if usage is not None:
            record = instruments.token_usage.record
            if usage.input_tokens is not None:
                record(usage.input_tokens, sets.input_tokens)
            if usage.output_tokens is not None:
                record(usage.output_tokens, sets.output_tokens)
        base = sets.base
        router_attributes = sets.router
        if ttfc is not None:
            instruments.time_to_first_chunk.record(ttfc, base)
        if priced is not None:
            # Which source priced it (a handful of values) stays on the counter, so a dashboard
            # can tell list prices of the database from the user's own rates, and which data.
            cost_attributes = {**router_attributes, A.LLM_ROUTER_COST_SOURCE: priced.source}
            if priced.prices:
                cost_attributes[A.LLM_ROUTER_COST_PRICES] = priced.prices
            instruments.cost.add(priced.usd, cost_attributes)
        if self._budget_exceeded is not None:
            instruments.budget_exceeded.add(1, {**router_attributes, **self._budget_exceeded})

    def count_elsewhere(self) -> None:
        """Record no metrics for this call when it ends (its span is unchanged): another
        source counts it, e.g. LiteLLM's own callback counting a proxy's successful requests."""
        self._record_metrics = False

    def price(self) -> Optional[float]:
        """The call's cost in USD, or ``None`` (no pricer, no price, no usage); see :meth:`priced`."""
        priced = self.priced()
        return None if priced is None else priced.usd

    def priced(self) -> Optional[Priced]:
        """The call's price and its source, from the settings' pricer, or ``None``.

        Computed once, from the usage, models and service tier known now: call it after the usage
        is set. The pricer tries the response model (e.g. a dated snapshot) before the request
        model (e.g. a deployment or alias name a price file may list).
        """
        if self._priced is None and self.usage is not None:
            pricer = self._telemetry.pricer
            if pricer is not None:
                try:
                    priced = pricer.price_call(
                        self.provider,
                        self.response_model,
                        self.request_model,
                        self.usage,
                        self.service_tier,
                        self.start_time_ns,
                    )
                    # No exported cost is ever infinite, NaN or negative, whatever the pricer
                    # (the user's own cost function, rates given in code) returned; and it is a
                    # float (an int beyond int64 would be dropped by the OTLP encoder).
                    if priced is not None and 0.0 <= priced.usd < _INF:
                        usd = float(priced.usd)  # OverflowError beyond float range: no cost
                        self._priced = priced if usd is priced.usd else priced._replace(usd=usd)
                except Exception:  # a pricing bug must not lose the span
                    _logger.debug("pricing failed", exc_info=True)
        return self._priced

    def set_budget_use(self, spent_micro_usd: int, fraction_used: Optional[float]) -> None:
        """Spend of the caller in its budget window so far, and the fraction of the budget used."""
        self._attributes[A.LLM_ROUTER_BUDGET_SPENT] = clamp_int(spent_micro_usd)
        if fraction_used is not None:
            self._attributes[A.LLM_ROUTER_BUDGET_USED_FRACTION] = fraction_used

    def set_budget_store(self, store: str, fallback: bool) -> None:
        """Where the budget figures came from (``redis``: the fleet's; ``process``: this
        process's). ``fallback``: the shared store did not answer, so the figure is local; the
        span says so and ``llm_router.budget.store.fallbacks`` counts it."""
        self._attributes[A.LLM_ROUTER_BUDGET_STORE] = store
        if fallback:
            self._telemetry.instruments.budget_store_fallbacks.add(1)

    def set_budget_exceeded(self, scope: Optional[str], range_type: Optional[str]) -> None:
        """This request took its caller's spend over the budget: flag the span, count it at end.

        The counter carries the call's metric attributes plus the budget's scope and range type
        (a handful of values each), so it stays low-cardinality unless accounts are opted in.
        """
        extra: dict[str, Any] = {}
        if scope:
            extra[A.LLM_ROUTER_BUDGET_SCOPE] = scope
        if range_type:
            extra[A.LLM_ROUTER_BUDGET_RANGE_TYPE] = range_type
        self._budget_exceeded = extra
        self._attributes[A.LLM_ROUTER_BUDGET_EXCEEDED] = True


def _count(value: Any) -> Optional[int]:
    """A token count fit for export: a non-negative int (integral floats accepted), clamped to
    int64 (``_bounds``: a ``u64`` count beyond 2**63 - 1 is reported as 2**63 - 1); anything else
    (negative, fractional, ``bool``, not a number) is ``None``: left out, never reported."""
    kind = type(value)
    if kind is float and value.is_integer():
        value, kind = int(value), int
    if kind is not int or value < 0:
        return None
    return value if value <= INT64_MAX else INT64_MAX


def safe_counts(usage: TokenCounts) -> TokenCounts:
    """``usage`` with every count made export-safe by :func:`_count` (one rule, all sources)."""
    counts = (
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_input_tokens,
        usage.cache_creation_input_tokens,
        usage.reasoning_output_tokens,
    )
    for value in counts:  # nearly always all safe already: then no call per count
        if value is not None and (type(value) is not int or not 0 <= value <= INT64_MAX):
            break
    else:
        return TokenCounts(*counts)
    return TokenCounts(
        _count(usage.input_tokens),
        _count(usage.output_tokens),
        _count(usage.cache_read_input_tokens),
        _count(usage.cache_creation_input_tokens),
        _count(usage.reasoning_output_tokens),
    )


def _usage_attributes(usage: TokenCounts, attributes: dict[str, Any]) -> None:
    if usage.input_tokens is not None:
        attributes[A.GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
    if usage.output_tokens is not None:
        attributes[A.GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
    if usage.cache_read_input_tokens is not None:
        attributes[A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_input_tokens
    if usage.cache_creation_input_tokens is not None:
        attributes[A.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cache_creation_input_tokens
    if usage.reasoning_output_tokens is not None:
        attributes[A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_output_tokens
