"""One coexistence scenario, run by tests/test_coexist.py in .venv-coexist (the real packages).

``python scenario.py <others>:<order>[:<metrics>] ...``, one scenario per argument, run one after
the other in this process (the imports are the slow part): ``others`` is a ``+``-separated list of
``openai-v2``, ``openllmetry`` (or ``none``); ``order`` is ``before`` or ``after`` (are they
instrumented before or after ours); ``metrics`` ``off`` sets ``TRACELOOP_METRICS_ENABLED=false``.
Each makes calls through the real ``openai`` SDK to the stand-in provider and prints,
as one JSON line, the ``gen_ai.client.operation.duration`` and ``gen_ai.client.token.usage`` point counts
per instrumentation scope, our spans' ``llm_router.inside_sdk_span``, and the log lines ours wrote.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

from examples.fake_provider import FakeProvider  # noqa: E402
from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor  # noqa: E402
from opentelemetry.instrumentation.llm_router._clients import _coexist  # noqa: E402

OURS = "opentelemetry.instrumentation.llm_router"


def others(names: list[str]) -> list[Any]:
    found: list[Any] = []
    for name in names:
        if name == "openai-v2":
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2

            found.append(V2())
        elif name == "openllmetry":
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Traceloop

            found.append(Traceloop())
    return found


def scenario(spec: str) -> None:
    others_spec, order, *rest = spec.split(":")
    names = [n for n in others_spec.split("+") if n != "none"]
    if rest and rest[0] == "off":
        os.environ["TRACELOOP_METRICS_ENABLED"] = "false"
    else:
        os.environ.pop("TRACELOOP_METRICS_ENABLED", None)
    _coexist._told.clear()  # "said once" is per process; each scenario is a fresh start
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    keep = Keep()
    logger = logging.getLogger("opentelemetry.instrumentation.llm_router")
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)

    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
    instrumentors = others(names)

    with FakeProvider() as fake:
        ours = LLMRouterInstrumentor()
        if order == "after":
            ours.instrument(providers=f"127.0.0.1:{fake.port}=openai", **providers)
        for instrumentor in instrumentors:
            instrumentor.instrument(**providers)
        if order == "before":
            ours.instrument(providers=f"127.0.0.1:{fake.port}=openai", **providers)
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="fake", max_retries=0)
        messages = [{"role": "user", "content": "hello there"}]
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        for _ in stream:
            pass
        client.embeddings.create(model="text-embedding-3-small", input="hello")
        ours.uninstrument()
        for instrumentor in instrumentors:
            instrumentor.uninstrument()

    counts: dict[str, dict[str, int]] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            scope = "ours" if scope_metrics.scope.name == OURS else scope_metrics.scope.name
            for metric in scope_metrics.metrics:
                if metric.name in ("gen_ai.client.operation.duration", "gen_ai.client.token.usage"):
                    total = sum(p.count for p in metric.data.data_points)
                    counts.setdefault(metric.name, {})[scope] = total
    ours_spans = [s for s in spans.get_finished_spans() if s.instrumentation_scope.name == OURS]
    print(
        json.dumps(
            {
                "counts": counts,
                "our_spans": len(ours_spans),
                "inside": [s.attributes.get("llm_router.inside_sdk_span") for s in ours_spans],
                "log": records,
            }
        )
    )
    logger.removeHandler(keep)


def main() -> None:
    for spec in sys.argv[1:]:
        scenario(spec)


if __name__ == "__main__":
    main()
