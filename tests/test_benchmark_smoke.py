"""The benchmark harness, run small (``scripts/bench.sh --smoke``) so that it cannot rot unnoticed.

Nothing here asserts on time: the numbers of a smoke run mean nothing. What it checks is that the
one documented command still starts the fake provider, runs fresh client processes for every
configuration (ours against none at least: competitors not installed in this environment are
reported as skipped), sees spans from ours, and writes the table with every configuration,
scenario and target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.configurations import CONFIGURATIONS  # noqa: E402
from benchmarks.report import RAW_SCENARIOS, SDK_SCENARIOS  # noqa: E402

COMMITTED = ROOT / "benchmarks" / "results"
SMOKE_OUT = COMMITTED / "tmp" / "smoke"  # git-ignored


def _committed_results() -> dict[str, bytes]:
    return {
        str(path.relative_to(COMMITTED)): path.read_bytes()
        for path in sorted(COMMITTED.rglob("*"))
        if path.is_file() and "tmp" not in path.relative_to(COMMITTED).parts
    }


@pytest.fixture(scope="module")
def committed_before() -> dict[str, bytes]:
    return _committed_results()


@pytest.fixture(scope="module")
def smoke_run(committed_before: dict[str, bytes]) -> tuple[Path, str]:
    # The documented command as written (no --out): it must write under results/tmp/ only.
    out = SMOKE_OUT
    env = dict(os.environ, BENCH_PYTHON=sys.executable)
    done = subprocess.run(
        ["bash", "scripts/bench.sh", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout


def test_smoke_run_leaves_the_committed_results_alone(
    smoke_run: tuple[Path, str], committed_before: dict[str, bytes]
) -> None:
    out, _ = smoke_run
    assert (out / "results.json").is_file()
    assert committed_before, "benchmarks/results/ has no committed results"
    assert _committed_results() == committed_before


def test_table_has_every_configuration_and_scenario(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    table = (out / "results.md").read_text()
    for configuration in CONFIGURATIONS.values():
        assert f"({configuration.letter}) {configuration.label}" in table
    for heading in (*SDK_SCENARIOS.values(), *RAW_SCENARIOS.values()):
        assert heading in table
    for path in ("OTelObserver.record_success", "ForwardEventRecorder.record", "JSONL bridge"):
        assert path in table
    assert "## Targets for (b) ours" in table
    assert "## Machine and versions" in table


def test_ours_and_none_were_measured_and_ours_made_spans(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    data = json.loads((out / "results.json").read_text())
    assert {"none", "ours"} <= set(data["configs"])
    assert "ours" not in data["skipped"]
    (round_,) = data["rounds"]
    ours = round_["ours"]
    for scenario in ("nonstream", "prompt_1m", "stream_50", "stream_2000", "concurrent_100"):
        assert ours["spans_per_call"][scenario] >= 1, scenario
        assert ours[f"{scenario}_us"] > 0
    assert round_["none"]["spans_total"] == 0
    assert data["rss"]["ours"]["stream_chunks"] > 0
    sdk = round_["sdk"]
    assert sdk["observer_us"] > 0 and sdk["recorder_pair_us"] > 0 and sdk["floor_http_us"] > 0


def test_every_target_is_in_the_table_with_ours_measured(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    summary = json.loads((out / "results.json").read_text())["summary"]
    targets = {t["target"]: t for t in summary["targets"]}
    assert len(targets) == 15
    pricing = [name for name in targets if name.startswith("pricing every call")]
    assert len(pricing) == 2
    if sys.version_info >= (3, 11):  # (f) needs genai-prices, installed with the test extras
        data = json.loads((out / "results.json").read_text())
        assert "ours_prices" in data["configs"] and "ours_prices" not in data["skipped"]
        # measured and paired; the ratio itself may be undefined in a noisy smoke run
        assert all("paired per round" in targets[name]["note"] for name in pricing)
    table = (out / "results.md").read_text()
    for name in targets:
        assert name in table
    # Smoke numbers are noise (a paired difference may even be negative, which leaves a ratio
    # undefined), but these never depend on a difference and must always be judged.
    for name, target in targets.items():
        if name.startswith(("RSS growth", "OTelObserver", "ForwardEventRecorder")):
            assert target["met"] in (True, False), target
        assert target["met"] in (True, False, None)


def test_delivery_rows_for_every_stream_format(smoke_run: tuple[Path, str]) -> None:
    """The stream-delivery benchmark ran: a per-event row for every format, JSON style and
    delivery, with ours measured, and the section is in results.md."""
    from benchmarks.delivery import REPLAY_DELIVERIES
    from benchmarks.stream_bodies import FORMATS, STYLES

    out, _ = smoke_run
    data = json.loads((out / "results.json").read_text())
    rows = data["delivery"]["summary"]
    for fmt in FORMATS:
        for style in STYLES:
            for delivery in REPLAY_DELIVERIES:
                row = rows[f"replay/{fmt}/{style}/{delivery}"]
                assert row["ours"]["median"] == row["ours"]["median"], (fmt, style, delivery)
                assert row["reads_or_events"] > 0
    assert set(data["delivery"]["rss"]["ours"]) == set(FORMATS)
    text = (out / "results.md").read_text()
    assert "Streams as providers deliver them" in text
    assert "per-event" in text and "coalesced" in text and "keepalive" in text


# The instruction-count harness (benchmarks/instructions.py): its client, run natively -------


def _servers() -> Any:
    from contextlib import ExitStack

    stack = ExitStack()
    found = {}
    for module, key in (
        ("benchmarks.delivery_server", "PORTS"),
        ("benchmarks.fake_provider", "PORT"),
    ):
        proc = stack.enter_context(
            subprocess.Popen(
                [sys.executable, "-m", module],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
        )
        stack.callback(proc.stdin.close)  # type: ignore[union-attr]
        words = proc.stdout.readline().split()  # type: ignore[union-attr]
        assert words[0] == key
        found[key] = words[1:]
    return stack, found


@pytest.mark.parametrize(
    ("scenario", "config"),
    [("stream:anthropic:spaced:per-event", "ours"), ("stream:gemini:compact:coalesced", "none")],
)
def test_instruction_client_runs_each_scenario(scenario: str, config: str) -> None:
    """One event per read when the server writes one chunked write per event (what the per-event
    figures claim to measure), fewer reads than events when it coalesces, one call per unit."""
    stack, found = _servers()
    with stack:
        env = dict(
            os.environ,
            BENCH_DELIVERY_PORTS=",".join(found["PORTS"]),
            BENCH_PROVIDER_PORT=found["PORT"][0],
            BENCH_EVENTS="20",
            BENCH_SCENARIO=scenario,
            BENCH_CONFIG=config,
            N="2",
            PYTHONPATH=str(ROOT),
        )
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.instr_client"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert out.returncode == 0, out.stderr[-2000:]
    words = out.stdout.split()
    info = {words[i]: float(words[i + 1]) for i in range(0, len(words) - 1, 2)}
    if scenario.endswith("per-event"):
        assert info["reads"] == info["units"] > 20
    elif scenario.endswith("coalesced"):
        assert info["reads"] < info["units"]
    else:
        assert info["units"] == 1 and info["reads"] >= 1
