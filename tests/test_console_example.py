"""``examples/console_router.py`` (what ``scripts/example.sh`` runs): one screen a person can read.

The example routes five requests; each must be one trace (the router's span with the GenAI spans
under it), every priced call must show its cost and the caller's budget use, each request must be
counted once in the metrics, and the whole output must fit on one terminal screen.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.terminal import run_on_a_terminal

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "console_router.py"
SCREEN_LINES = 40  # a terminal screen; the SDK's ConsoleSpanExporter printed over 1,000 lines


def run_example(columns: int, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": str(columns), **env},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_each_request_is_one_trace_with_its_calls_one_line_each() -> None:
    out = run_example(columns=160)
    lines = out.splitlines()
    assert len(lines) <= SCREEN_LINES, out
    roots = [line for line in lines if line.startswith("POST /v1/chat/completions  server")]
    trace_ids = [re.search(r"trace ([0-9a-f]{8})$", line).group(1) for line in roots]  # type: ignore[union-attr]
    assert len(set(trace_ids)) == 5, out
    calls = [line for line in lines if re.match(r"^[├└]── chat ", line)]
    # Four requests reached a provider (upstream call + router report); one was refused first.
    assert len(calls) == 9, out
    assert sum("upstream req-" in line for line in calls) == 4


def test_calls_show_tokens_cost_budget_and_errors() -> None:
    out = run_example(columns=160)
    # 84 uncached x $3 + 1,024 cached x $0.30 + 47 out x $15 per million (the example's PRICES);
    # alice's budget is $0.005 a day: this request used 25% of it.
    claude = next(line for line in out.splitlines() if "(1,024 cached)" in line)
    assert "chat claude-sonnet-4-5  anthropic  in 1,108 (1,024 cached) out 47" in claude
    assert "$0.001264  budget 25% of $0.005  route smart acct-alice" in claude
    assert "out 60 (16 reasoning)" in out
    assert "✗ access_denied  route fast acct-alice" in out
    assert "✗ 429 rate_limit_exceeded  route flaky acct-bob" in out
    # the upstream call (a forward event) reads the same as the router's report of it
    assert out.count("✗ 429 rate_limit_exceeded") == 2, out
    assert "✗ 429 " in out and "✗ 429  " not in out
    assert "spent $0.000036  route fast acct-bob" in out


def test_metrics_count_each_request_once() -> None:
    out = run_example(columns=160)
    assert "gen_ai.client.operation.duration  5 requests (3 ok, 2 failed)" in out
    assert "gen_ai.client.token.usage         1,216 input, 152 output" in out
    assert "llm_router.cost                   $0.001329" in out


def test_fits_a_narrow_terminal_by_wrapping_not_cutting() -> None:
    out = run_on_a_terminal([str(EXAMPLE)], columns=80)
    lines = out.splitlines()
    assert len(lines) <= SCREEN_LINES, out
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out
    assert "route smart acct-alice" in " ".join(out.split())


def test_piped_each_call_is_one_line_whatever_columns_says() -> None:
    out = run_example(columns=80)
    calls = [line for line in out.splitlines() if re.match(r"^[├└]── chat ", line)]
    assert len(calls) == 9, out
    assert max(len(line) for line in calls) > 80  # not wrapped to COLUMNS
    assert any(line.endswith("route smart acct-alice") for line in calls)


def test_the_sdk_console_exporter_is_still_there() -> None:
    out = run_example(columns=160, OTEL_TRACES_EXPORTER="console")
    assert out.count('"name": "POST /v1/chat/completions"') == 5
