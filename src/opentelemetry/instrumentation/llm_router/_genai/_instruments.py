"""The GenAI client metric instruments: bucket boundaries and one small factory per metric.

Boundaries are the ones the semantic conventions recommend, given to the SDK as advisory explicit
buckets so that a backend gets useful histograms without any view configuration.
"""

from __future__ import annotations

from opentelemetry.metrics import Counter, Histogram, Meter

OPERATION_DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"
COST = "llm_router.cost"
BUDGET_EXCEEDED = "llm_router.budget.exceeded"

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


def cost(meter: Meter) -> Counter:
    return meter.create_counter(
        COST, unit="USD", description="Spend on LLM calls, priced from the configured table"
    )


def budget_exceeded(meter: Meter) -> Counter:
    return meter.create_counter(
        BUDGET_EXCEEDED,
        unit="{request}",
        description="Requests that took their caller's spend over its budget",
    )
