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
