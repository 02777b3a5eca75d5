"""The GenAI client metric instruments: bucket boundaries and one small factory per metric.

Boundaries are the ones the semantic conventions recommend, given to the SDK as advisory explicit
buckets so that a backend gets useful histograms without any view configuration.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping

from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation

OPERATION_DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"
COST = "llm_router.cost"
BUDGET_EXCEEDED = "llm_router.budget.exceeded"
BUDGET_STORE_FALLBACKS = "llm_router.budget.store.fallbacks"

# Seconds: 0.01 .. 81.92, doubling (written out: 0.01 * 2**i is not exact in binary floating point).
DURATION_BUCKETS: tuple[float, ...] = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
# Tokens: 1, 4, 16, .. 67108864, times four.
TOKEN_BUCKETS: tuple[int, ...] = tuple(4**i for i in range(14))
# Seconds, for streaming chunk timings: the conventions give them the duration boundaries.
CHUNK_BUCKETS: tuple[float, ...] = DURATION_BUCKETS


def operation_duration(meter: Meter) -> Histogram:
    return meter.create_histogram(
        OPERATION_DURATION,
        unit="s",
        description="GenAI operation duration",
        explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
    )


def token_usage(meter: Meter) -> Histogram:
    return meter.create_histogram(
        TOKEN_USAGE,
        unit="{token}",
        description="Number of input and output tokens used",
        explicit_bucket_boundaries_advisory=list(TOKEN_BUCKETS),
    )


def time_to_first_chunk(meter: Meter) -> Histogram:
    return meter.create_histogram(
        TIME_TO_FIRST_CHUNK,
        unit="s",
        description="Time to receive the first chunk of a streaming response",
        explicit_bucket_boundaries_advisory=list(CHUNK_BUCKETS),
    )


def time_per_output_chunk(meter: Meter) -> Histogram:
    return meter.create_histogram(
        TIME_PER_OUTPUT_CHUNK,
        unit="s",
        description="Time between consecutive chunks of a streaming response",
        explicit_bucket_boundaries_advisory=list(CHUNK_BUCKETS),
    )


COST_SERIES_LIMIT = 2000
"""Distinct attribute sets of ``llm_router.cost`` kept; more go to one overflow series, as the
SDK does for its own instruments (``otel.metric.overflow=true``)."""
_OVERFLOW: frozenset[tuple[str, Any]] = frozenset({("otel.metric.overflow", True)})


class CostSums:
    """The ``llm_router.cost`` counter, summed here and observed by the SDK at collection.

    Pricing is on for every call once genai-prices is installed, so this counter is recorded on
    every call. A synchronous ``Counter.add`` costs about as much as the rest of the pricing
    together (the SDK's per-measurement path: attribute set, exemplar filter, locks); adding to a
    dict here and reporting the cumulative sums through an asynchronous counter gives the same
    monotonic sum to every exporter (cumulative or delta) for a fraction of that. Exemplars of
    cost are the price: there are none.
    """

    __slots__ = ("__weakref__", "_limit", "_lock", "_sums")

    def __init__(self, meter: Meter, limit: int = COST_SERIES_LIMIT) -> None:
        self._sums: dict[frozenset[tuple[str, Any]], float] = {}
        self._lock = threading.Lock()
        self._limit = limit
        meter.create_observable_counter(
            COST,
            callbacks=[self._observe],
            unit="USD",
            description="Spend on LLM calls, priced from the price file or the price database",
        )

    def add(self, usd: float, attributes: Mapping[str, Any]) -> None:
        """Add ``usd`` to the series of ``attributes`` (the ``Counter.add`` signature)."""
        key = frozenset(attributes.items())
        with self._lock:
            sums = self._sums
            total = sums.get(key)
            if total is None:
                total = 0.0
                if len(sums) >= self._limit:
                    key = _OVERFLOW
                    total = sums.get(key, 0.0)
            sums[key] = total + usd

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            items = list(self._sums.items())
        return [Observation(total, dict(key)) for key, total in items]


def cost(meter: Meter) -> CostSums:
    return CostSums(meter)


def budget_exceeded(meter: Meter) -> Counter:
    return meter.create_counter(
        BUDGET_EXCEEDED,
        unit="{request}",
        description="Requests that took their caller's spend over its budget",
    )


def budget_store_fallbacks(meter: Meter) -> Counter:
    return meter.create_counter(
        BUDGET_STORE_FALLBACKS,
        unit="{request}",
        description="Requests whose budget was tracked in process because the shared spend "
        "store did not answer",
    )
