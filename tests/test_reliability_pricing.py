"""No exported cost is ever infinite or NaN, whatever the rates and counts.

- A price file's rates, generated as JSON text (finite and not, ``1e305``, integers beyond float
  range, the bound and just past it): an entry loads exactly when every rate is a number from 0
  to :data:`MAX_RATE`; the others are named in the one warning.
- Costs through the real mapping (``GenAITelemetry`` with the ``Pricing`` of the file path, and
  with cost functions of the user's own returning anything), token counts from 0 to beyond
  ``u64`` and float range: every ``llm_router.cost.usd`` and every point of the cost counter is a
  finite number >= 0 (or absent), and everything encodes with the real OTLP encoder.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opentelemetry.instrumentation.llm_router._genai import (
    GenAITelemetry,
    TelemetrySettings,
    TokenCounts,
)
from opentelemetry.instrumentation.llm_router._pricer import Pricing
from opentelemetry.instrumentation.llm_router._pricing import (
    MAX_RATE,
    RATE_KEYS,
    ModelPrice,
    PricingTable,
    load_pricing,
)
from tests.support.export_check import assert_exportable

RATE_EXAMPLES = 150
COST_EXAMPLES = 150
U64_MAX = 2**64 - 1

# Rates as they are written in a file: the text and the number it means (None: not a number).
_RATE_TEXTS = st.one_of(
    st.sampled_from(
        [
            "0",
            "-0",
            "-0.0",
            "1e-320",
            "2.5",
            "1000000",
            "1000000.0",
            "1000000.0000001",
            "1000001",
            "1e305",
            "1e308",
            "1.7976931348623157e308",
            "1e400",
            "-1e400",
            "NaN",
            "Infinity",
            "-Infinity",
            "-1",
            "1" + "0" * 400,
            "true",
            '"2.5"',
            "null",
        ]
    ),
    st.floats(min_value=0, max_value=2e6).map(repr),
    st.integers(0, 2 * 10**6).map(str),
)


def _number(text: str) -> Optional[float]:
    value = json.loads(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


@settings(max_examples=RATE_EXAMPLES, deadline=None, derandomize=True)
@given(rates=st.lists(st.tuples(st.sampled_from(RATE_KEYS), _RATE_TEXTS), min_size=1, max_size=5))
def test_a_price_file_accepts_exactly_the_rates_in_range(
    rates: list[tuple[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    given_rates = dict(rates)
    given_rates.setdefault("input", "1")
    given_rates.setdefault("output", "1")
    body = ",".join(f'"{key}": {text}' for key, text in given_rates.items())
    path = tmp_path_factory.mktemp("prices") / "prices.json"
    path.write_text('{"prices": {"openai": {"m": {' + body + "}}}}", encoding="utf-8")
    values = {key: _number(text) for key, text in given_rates.items()}
    valid = all(v is not None and 0 <= v <= MAX_RATE for v in values.values())

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("opentelemetry.instrumentation.llm_router")
    logger.addHandler(handler)
    try:
        table = load_pricing(path)
    finally:
        logger.removeHandler(handler)
    price = table.price_of("openai", "m")
    if valid:
        assert price is not None and records == []
        for key, value in values.items():
            assert getattr(price, key) == value and not math.copysign(1, getattr(price, key)) < 0
    else:
        assert price is None
        assert len(records) == 1 and "'openai/m'" in records[0].getMessage()


_COUNTS = st.one_of(
    st.none(),
    st.integers(0, 10**6),
    st.sampled_from([0, U64_MAX, 2**63, 2**70, 10**300, 10**308, 10**400]),
)
_FILE_RATES = st.one_of(st.sampled_from([0.0, 1e-320, MAX_RATE]), st.floats(0, MAX_RATE))
_CODE_RATES = st.one_of(_FILE_RATES, st.sampled_from([1e305, 1.7976931348623157e308]))
_RETURNED = st.one_of(
    st.none(),
    st.sampled_from([math.inf, -math.inf, math.nan, -1.0, -0.0, 0.0, 1e308, 2**70]),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(
    max_examples=COST_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    data=st.data(),
    counts=st.lists(st.tuples(_COUNTS, _COUNTS, _COUNTS, _COUNTS, _COUNTS), min_size=1, max_size=4),
)
def test_no_exported_cost_is_ever_infinite_or_nan(data: Any, counts: list[tuple[Any, ...]]) -> None:
    in_file = data.draw(st.booleans(), label="rates from a file")
    rates = st.fixed_dictionaries(
        {key: _FILE_RATES if in_file else _CODE_RATES for key in RATE_KEYS}
    )
    table = PricingTable()
    if in_file:
        table = PricingTable.from_dict({"prices": {"openai": {"m": data.draw(rates)}}})
    else:
        table.add("openai", "m", ModelPrice(**data.draw(rates)))
    returned = data.draw(_RETURNED, label="a cost function's own result")
    choices: list[TelemetrySettings] = [
        TelemetrySettings(pricer=Pricing(file=table)),
        TelemetrySettings(cost=table.cost),
        TelemetrySettings(cost=lambda provider, model, usage: returned),
    ]
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    for settings_ in choices:
        telemetry = GenAITelemetry(tracer_provider, meter_provider, settings_)
        for usage in counts:
            call = telemetry.start_call("chat", "openai", "m")
            call.set_usage(TokenCounts(*usage))
            call.end()
    for span in exporter.get_finished_spans():
        usd = (span.attributes or {}).get("llm_router.cost.usd")
        assert usd is None or (isinstance(usd, float) and 0 <= usd < math.inf), usd
    metrics = reader.get_metrics_data()
    for resource in metrics.resource_metrics if metrics else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    for name in ("value", "sum", "min", "max"):
                        value = getattr(point, name, None)
                        if value is not None:
                            assert math.isfinite(value) and value >= 0, (metric.name, value)
    assert assert_exportable(exporter, reader) == 3 * len(counts)
    tracer_provider.shutdown()
    meter_provider.shutdown()


def test_the_issue_case_a_rate_of_1e305() -> None:
    """The reported case: ``1e305`` was accepted and a large call cost ``inf``."""
    table = PricingTable.from_dict({"prices": {"openai": {"m": {"input": 1e305, "output": 1}}}})
    assert table.price_of("openai", "m") is None
    in_code = PricingTable()
    in_code.add("openai", "m", ModelPrice(1e305, 1))
    assert in_code.cost("openai", "m", TokenCounts(10**9, 0)) is None
    assert (
        Pricing(file=in_code).price_call("openai", "m", None, TokenCounts(10**9, 0), None, 0)
        is None
    )
