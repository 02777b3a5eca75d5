"""Beside other GenAI instrumentations: never two counts of one call.

The official ``opentelemetry-instrumentation-openai-v2`` (what ``opentelemetry-bootstrap``
proposes) and OpenLLMetry's ``opentelemetry-instrumentation-openai`` record
``gen_ai.client.operation.duration`` / ``gen_ai.client.token.usage`` for the openai SDK's calls;
the hook sees the same calls as HTTP requests. Each scenario runs the real packages (pinned in
``tests/coexist/requirements.txt``, in ``.venv-coexist`` made by ``scripts/setup.sh``, kept out of
the main venv so ``opentelemetry-instrument`` does not load them in every other test), makes three
calls (chat, a streamed chat, embeddings) through the real ``openai`` SDK to the stand-in provider,
and counts metric points over every instrumentation scope.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv-coexist" / "bin" / "python"
SCENARIO = ROOT / "tests" / "coexist" / "scenario.py"
CALLS = 3  # chat, streamed chat, embeddings
INPUT_AND_OUTPUT_POINTS = 5  # the embeddings call has input tokens only
DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"


SCENARIOS = [
    "openai-v2:before",
    "openai-v2:after",
    "openllmetry:before",
    "openllmetry:after",
    "none:before",
    "openllmetry:before:off",
]


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    """Every scenario, in one process of the coexistence venv (its imports take seconds)."""
    if not PYTHON.exists():
        raise RuntimeError(f"{PYTHON} is missing: run `bash scripts/setup.sh` (it makes it)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACELOOP_"))}
    done = subprocess.run(
        [str(PYTHON), str(SCENARIO), *SCENARIOS],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
        env=clean,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()[-len(SCENARIOS) :]
    return {spec: json.loads(line) for spec, line in zip(SCENARIOS, lines)}


def total(result: dict[str, Any], metric: str) -> int:
    return sum(result["counts"].get(metric, {}).values())


@pytest.mark.parametrize("order", ["before", "after"])
@pytest.mark.parametrize("others", ["openai-v2", "openllmetry"])
def test_each_call_is_counted_once_beside_another_instrumentation(
    others: str, order: str, results: dict[str, dict[str, Any]]
) -> None:
    """Whether it was instrumented before or after ours: its points, not ours, and ours spans."""
    result = results[f"{others}:{order}"]
    assert total(result, DURATION) == CALLS, result["counts"]
    assert total(result, TOKENS) == INPUT_AND_OUTPUT_POINTS, result["counts"]
    assert "ours" not in result["counts"].get(DURATION, {})
    assert result["our_spans"] == CALLS  # the upstream spans stay, nested in theirs
    assert all(result["inside"]), result["inside"]
    (said,) = result["log"]  # once, whatever the number of calls
    assert "no call is counted twice" in said


def test_alone_the_hook_counts_every_call(results: dict[str, dict[str, Any]]) -> None:
    result = results["none:before"]
    assert result["counts"][DURATION] == {"ours": CALLS}
    assert result["counts"][TOKENS] == {"ours": INPUT_AND_OUTPUT_POINTS}
    assert result["log"] == []


def test_openllmetry_with_its_metrics_off_leaves_them_to_the_hook(
    results: dict[str, dict[str, Any]],
) -> None:
    result = results["openllmetry:before:off"]
    assert result["counts"][DURATION] == {"ours": CALLS}
    assert result["log"] == []


def test_under_opentelemetry_instrument_we_add_no_count() -> None:
    """Zero-code, as ``opentelemetry-bootstrap`` sets it up: every installed instrumentor loads
    (both openai-v2 and OpenLLMetry here; they share the entry-point name ``openai``, so neither
    can be turned off alone). Their points are theirs to sort out; ours add none for these
    calls, and our spans are there."""
    from examples.fake_provider import FakeProvider

    if not PYTHON.exists():
        raise RuntimeError(f"{PYTHON} is missing: run `bash scripts/setup.sh` (it makes it)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACELOOP_"))}
    with FakeProvider() as fake:
        done = subprocess.run(
            [
                str(PYTHON.parent / "opentelemetry-instrument"),
                str(PYTHON),
                str(ROOT / "tests" / "coexist" / "zero_code_app.py"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
            env={
                **clean,
                "OPENAI_BASE_URL": fake.openai_base_url,
                "OPENAI_API_KEY": "fake",
                "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"127.0.0.1:{fake.port}=openai",
                "OTEL_SERVICE_NAME": "coexist-app",
                "OTEL_TRACES_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none",
                "OTEL_METRICS_EXPORTER": "console",
            },
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert len(fake.requests) == CALLS
    decoder = json.JSONDecoder()
    text, position, exported = done.stdout, 0, []
    while (start := text.find("{", position)) >= 0:
        found, position = decoder.raw_decode(text, start)
        exported.append(found)
    points: dict[str, int] = {}
    for resource_metrics in exported[-1]["resource_metrics"]:  # cumulative: the last has all
        for scope_metrics in resource_metrics["scope_metrics"]:
            scope = scope_metrics["scope"]["name"]
            for metric in scope_metrics["metrics"]:
                if metric["name"] == DURATION:
                    count = sum(p["count"] for p in metric["data"]["data_points"])
                    points[scope] = points.get(scope, 0) + count
    assert "opentelemetry.instrumentation.llm_router" not in points, points
    assert sum(points.values()) >= CALLS, points  # theirs (twice over: each other's problem)
