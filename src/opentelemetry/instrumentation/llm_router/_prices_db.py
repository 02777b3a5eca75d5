"""Prices from ``genai-prices``, Pydantic's maintained database of LLM prices, on every call.

The database knows list prices of hundreds of models across providers, with cache read and write
rates, long-context tiers, dated price changes and request context such as OpenAI's
``service_tier``. Its ``calc_price`` is exact (``Decimal``) but costs about 70 µs a call here,
too much for the hot path; so for each (provider, model, service tier) the price is *compiled*
once, with the library's own arithmetic, into the linear function it is:

    usd = base + a_in·input + a_read·cache_read + a_write·cache_write + a_out·output
              + a_reason·reasoning

(``a_read`` is the cache-read rate minus the input rate, because the library, like the GenAI
conventions, counts cached tokens inside ``input_tokens``; ``base`` is any per-request fee). A
long-context tier makes the function piecewise: one set of coefficients per range of input
tokens, chosen by the same ``input_tokens > tier.start`` test the library applies. Prices that
change on a date are compiled per UTC day, prices that depend on the time of day per state of
their clock constraints; so a call is priced at the rates of the day it was made.

Provider names: ours are the conventions' (``gcp.gemini``, ``azure.ai.openai``, ``aws.bedrock``)
and the database has its own ids (``google``, ``azure``, ``aws``); :data:`DATABASE_PROVIDER_IDS`
maps one onto the other. A name in neither that table nor the database's ids gets no price: the
library's own fuzzy provider matching (``my-openai-proxy`` -> ``openai``) is not used, since a
gateway's name says nothing about whose prices it charges.

The package needs Python >= 3.11; importing this module never fails, :func:`database_available`
says whether it can be used. Nothing here touches the network: fetching newer data is
:func:`start_updates`, which only runs when the user asks for it.
"""

from __future__ import annotations

import bisect
import importlib.util
import logging
import sys
import threading
from datetime import datetime, timezone
from typing import Any, Optional

from opentelemetry.instrumentation.llm_router._genai import TokenCounts
from opentelemetry.instrumentation.llm_router._provider_names import provider_name

_logger = logging.getLogger(__name__)

SOURCE = "genai-prices"
"""The value of ``llm_router.cost.source`` for calls priced from the database."""

DATABASE_PROVIDER_IDS: dict[str, str] = {
    # gen_ai.provider.name (the conventions' names) -> genai-prices provider id
    "openai": "openai",
    "anthropic": "anthropic",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "aws.bedrock": "aws",
    "groq": "groq",
    "mistral_ai": "mistral",
    "deepseek": "deepseek",
    "x_ai": "x-ai",
    "cohere": "cohere",
    "perplexity": "perplexity",
    # names routers and gateways give (no convention name exists for these)
    "together": "together",
    "together_ai": "together",
    "together-ai": "together",
    "togetherai": "together",
    "fireworks": "fireworks",
    "fireworks_ai": "fireworks",
    "fireworks-ai": "fireworks",
    "openrouter": "openrouter",
    "cerebras": "cerebras",
    "novita": "novita",
    "moonshot": "moonshotai",
    "moonshotai": "moonshotai",
    "moonshot_ai": "moonshotai",
    "kimi": "moonshotai",
    "zai": "zai",
    "z_ai": "zai",
    "zhipu": "zhipuai",
    "zhipuai": "zhipuai",
    "minimax": "minimax",
    "databricks": "databricks",
    "cloudflare": "cloudflare",
    "cloudflare_workers_ai": "cloudflare",
    "baseten": "baseten",
    "avian": "avian",
    "ovhcloud": "ovhcloud",
    "voyage": "voyageai",
    "voyageai": "voyageai",
    "arcee": "arcee",
    "meta": "meta",
    "llama": "meta",
}
"""Our provider names -> the database's provider ids. A provider name that is not here but is
itself a database id (``doubleword``, ``modal``, ...) is used as it is; any other gets no price."""

_MISSING = object()
_NS_PER_DAY = 86_400 * 1_000_000_000
_PROBE_OUTPUT = 1_000_000  # output tokens used to read off the output rates (any count works)
_LOOKUP_CACHE_SIZE = 4096  # (provider, model, tier) entries kept; a router sees few distinct ones
_PER_ENTRY_STATES = 64  # days (or clock states) compiled per entry before they are dropped


def database_available() -> bool:
    """Whether ``genai-prices`` can be used here (installed, and Python >= 3.11 as it needs)."""
    if sys.version_info < (3, 11):
        return False
    try:
        return importlib.util.find_spec("genai_prices") is not None
    except (ImportError, ValueError):
        return False


def database_provider_id(
    provider: str, known_ids: Optional[frozenset[str]] = None
) -> Optional[str]:
    """The database's id for our provider name ``provider`` (any spelling a router uses).

    ``known_ids`` are the database's ids; a name that is one of them is taken as it is.
    """
    name = provider_name(provider)
    found = DATABASE_PROVIDER_IDS.get(name)
    if found is not None:
        return found
    if known_ids is not None and name in known_ids:
        return name
    return None


Rates = tuple[float, float, float, float, float, float]
"""USD of one call = ``base + a_in·input + a_read·cache_read + a_write·cache_write + a_out·output
+ a_reason·reasoning``, for the coefficients ``(base, a_in, a_read, a_write, a_out, a_reason)``."""


class _Compiled:
    """One model's price at one tier and date: coefficients per range of input tokens."""

    __slots__ = ("regions", "thresholds")

    def __init__(self, thresholds: list[int], regions: list[Rates]) -> None:
        self.thresholds = thresholds
        self.regions = regions

    def usd(self, usage: TokenCounts) -> float:
        cache_read = usage.cache_read_input_tokens or 0
        cache_write = usage.cache_creation_input_tokens or 0
        reasoning = usage.reasoning_output_tokens or 0
        input_tokens = usage.input_tokens or 0
        output_tokens = usage.output_tokens or 0
        # The parts never exceed their totals (the library refuses such a usage; ours is then
        # priced as if the total were the sum of its parts).
        if cache_read + cache_write > input_tokens:
            input_tokens = cache_read + cache_write
        if reasoning > output_tokens:
            output_tokens = reasoning
        thresholds = self.thresholds
        base, a_in, a_read, a_write, a_out, a_reason = self.regions[
            bisect.bisect_left(thresholds, input_tokens) if thresholds else 0
        ]
        return (
            base
            + a_in * input_tokens
            + a_read * cache_read
            + a_write * cache_write
            + a_out * output_tokens
            + a_reason * reasoning
        )


def genai_usage(usage: TokenCounts) -> Any:
    """Our usage as the library's ``Usage`` (the mapping docs/pricing.md states).

    ``input_tokens`` (all input, cached included) -> ``input_tokens``; ``cache_read_input_tokens``
    -> ``cache_read_tokens``; ``cache_creation_input_tokens`` -> ``cache_write_tokens``;
    ``output_tokens`` (reasoning included) -> ``output_tokens``; ``reasoning_output_tokens`` ->
    ``output_reasoning_tokens``. A count not reported is left out (0); a total smaller than its
    parts is raised to their sum, as :class:`_Compiled` does.
    """
    from genai_prices import Usage

    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    reasoning = usage.reasoning_output_tokens or 0
    return Usage(
        input_tokens=max(usage.input_tokens or 0, cache_read + cache_write),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=max(usage.output_tokens or 0, reasoning),
        output_reasoning_tokens=reasoning,
    )


class _Entry:
    """One (provider, model, tier) found in the database, compiled per date as calls need it."""

    __slots__ = ("clock", "compiled", "constraints", "context", "model", "provider", "states")

    def __init__(self, provider: Any, model: Any, context: Optional[dict[str, str]]) -> None:
        from genai_prices.types import StartDateConstraint

        self.provider = provider
        self.model = model
        self.context = context
        constraints = []
        if isinstance(model.prices, list):
            constraints += [c.constraint for c in model.prices if c.constraint is not None]
        for variant in model.price_variants or ():
            if variant.constraint is not None:
                constraints.append(variant.constraint)
        self.constraints = tuple(constraints)
        # Dated prices depend on the UTC day only; anything else (time of day) on the clock.
        self.clock = any(not isinstance(c, StartDateConstraint) for c in constraints)
        self.compiled: Optional[_Compiled] = None
        self.states: dict[Any, _Compiled] = {}

    def usd(self, usage: TokenCounts, time_ns: int) -> float:
        if not self.constraints:
            compiled = self.compiled
            if compiled is None:
                compiled = self.compiled = self._compile(_utc(time_ns))
            return compiled.usd(usage)
        if self.clock:
            when = _utc(time_ns)
            state: Any = tuple(c.active(when) for c in self.constraints)
        else:
            state = time_ns // _NS_PER_DAY
        compiled = self.states.get(state)
        if compiled is None:
            if len(self.states) >= _PER_ENTRY_STATES:
                self.states.clear()
            compiled = self.states[state] = self._compile(_utc(time_ns))
        return compiled.usd(usage)

    def _compile(self, when: datetime) -> _Compiled:
        """Read the price function off the library's own ``calc_price`` at ``when``."""
        from genai_prices import Usage
        from genai_prices.types import TieredPrices

        def total(**counts: int) -> Any:
            return self.model.calc_price(
                Usage(**counts),
                self.provider,
                genai_request_timestamp=when,
                price_context=self.context,
            ).total_price

        empty = self.model.calc_price(
            Usage(), self.provider, genai_request_timestamp=when, price_context=self.context
        )
        base = empty.total_price
        thresholds = sorted(
            {
                tier.start
                for value in vars(empty.model_price).values()
                if isinstance(value, TieredPrices)
                for tier in value.tiers
            }
        )
        regions: list[Rates] = []
        for index in range(len(thresholds) + 1):
            # A representative input count inside the range (start, next start].
            if index < len(thresholds):
                probe = thresholds[index]
            else:
                probe = thresholds[-1] + 1 if thresholds else _PROBE_OUTPUT
            with_input = total(input_tokens=probe)
            with_output = total(input_tokens=probe, output_tokens=_PROBE_OUTPUT)
            with_reasoning = total(
                input_tokens=probe,
                output_tokens=_PROBE_OUTPUT,
                output_reasoning_tokens=_PROBE_OUTPUT,
            )
            if probe > 0:
                input_rate = (with_input - base) / probe
                read_rate = (
                    total(input_tokens=probe, cache_read_tokens=probe) - with_input
                ) / probe
                write_rate = (
                    total(input_tokens=probe, cache_write_tokens=probe) - with_input
                ) / probe
            else:  # the range holds only "no input": input rates never apply in it
                input_rate = read_rate = write_rate = base * 0
            regions.append(
                (
                    float(base),
                    float(input_rate),
                    float(read_rate),
                    float(write_rate),
                    float((with_output - with_input) / _PROBE_OUTPUT),
                    float((with_reasoning - with_output) / _PROBE_OUTPUT),
                )
            )
        return _Compiled(thresholds, regions)


class PricesDatabase:
    """Prices calls from ``genai-prices``; ``usd`` is cheap after the first call of a model.

    Follows the library's current data: when its data is updated (by :func:`start_updates` or by
    another library in the process, e.g. Logfire), every compiled price is dropped and rebuilt.
    """

    cost_source = SOURCE

    def __init__(self, max_entries: int = _LOOKUP_CACHE_SIZE) -> None:
        import genai_prices
        from genai_prices import data_snapshot

        self._version = genai_prices.__version__
        self._get_snapshot = data_snapshot.get_snapshot
        self._snapshot_module = data_snapshot
        self._custom: Any = None
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._snapshot: Any = None
        self._entries: dict[tuple[str, str, Optional[str]], Any] = {}
        self._provider_ids: frozenset[str] = frozenset()
        self._providers: dict[str, Any] = {}
        self.label = f"{SOURCE} {self._version}"
        """Which data prices calls (``llm_router.cost.prices``): the package version, and the
        date the data was fetched when it was updated over the network."""
        self._follow(self._get_snapshot())

    def usd(
        self,
        provider: str,
        model: str,
        usage: TokenCounts,
        service_tier: Optional[str],
        time_ns: int,
    ) -> Optional[float]:
        """USD of the call, or ``None`` when the database has no price for the model."""
        if self._updated():
            self._follow(self._get_snapshot())
        key = (provider, model, service_tier)
        entry = self._entries.get(key, _MISSING)
        if entry is _MISSING:
            entry = self._find(provider, model, service_tier)
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = entry
        if entry is None:
            return None
        try:
            return entry.usd(usage, time_ns)
        except Exception:  # data the compiler cannot read: unpriced from now on, not retried
            _logger.info("genai-prices: cannot price %s/%s", provider, model, exc_info=True)
            self._entries[key] = None
            return None

    def _updated(self) -> bool:
        """Whether the library's data changed since it was last read (checked on every call).

        The library keeps updated data in a module global; reading it is ~10x cheaper than its
        ``get_snapshot()``, which is the fallback should a later version move it.
        """
        module = self._snapshot_module
        custom = getattr(module, "_custom_snapshot", _MISSING)
        if custom is _MISSING:
            return self._get_snapshot() is not self._snapshot
        return custom is not self._custom

    def knows_provider(self, provider: str) -> bool:
        """Whether ``provider`` maps onto a provider of the database."""
        return self._provider_id(provider) is not None

    def _provider_id(self, provider: str) -> Optional[str]:
        return database_provider_id(provider, self._provider_ids)

    def _find(self, provider: str, model: str, service_tier: Optional[str]) -> Optional[_Entry]:
        provider_id = self._provider_id(provider)
        if provider_id is None:
            return None
        found = self._providers.get(provider_id)
        if found is None:
            return None
        model_info = found.find_model(model, all_providers=self._snapshot.providers)
        if model_info is None:
            return None
        context = {"service_tier": service_tier} if service_tier else None
        return _Entry(found, model_info, context)

    def _follow(self, snapshot: Any) -> None:
        with self._lock:
            self._providers = {p.id: p for p in snapshot.providers}
            self._provider_ids = frozenset(self._providers)
            self._entries = {}
            self._snapshot = snapshot
            self._custom = getattr(self._snapshot_module, "_custom_snapshot", None)
            label = f"{SOURCE} {self._version}"
            if snapshot.from_auto_update:
                label += f", data fetched {snapshot.timestamp:%Y-%m-%d}"
            self.label = label


def _utc(time_ns: int) -> datetime:
    return datetime.fromtimestamp(time_ns / 1e9, timezone.utc)


_updater: Any = None
_updater_lock = threading.Lock()


def start_updates(interval_seconds: float, url: Optional[str] = None) -> bool:
    """Fetch newer price data in the background every ``interval_seconds`` (the user's choice).

    Uses the library's ``UpdatePrices`` (one background thread per process, shared with any other
    library that started it), from ``url`` or by default the library's own (GitHub). Started at
    most once; a failed fetch is logged by the library and leaves the data in use as it was.
    True when it was started.
    """
    global _updater
    with _updater_lock:
        if _updater is not None:
            return False
        from genai_prices import UpdatePrices

        if url:
            updater = UpdatePrices(update_interval=interval_seconds, url=url)
        else:
            updater = UpdatePrices(update_interval=interval_seconds)
        updater.start()
        _updater = updater
        return True


def stop_updates() -> None:
    """Stop the background fetching :func:`start_updates` started (the data fetched stays)."""
    global _updater
    with _updater_lock:
        if _updater is not None:
            _updater.stop()
            _updater = None
