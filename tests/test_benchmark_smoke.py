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
import shutil
import statistics
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
    from benchmarks.delivery import FORMATS, REPLAY_DELIVERIES
    from benchmarks.stream_bodies import STYLES

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


def _client(scenario: str, config: str, found: dict[str, list[str]], **extra: str) -> Any:
    env = dict(
        os.environ,
        BENCH_DELIVERY_PORTS=",".join(found["PORTS"]),
        BENCH_PROVIDER_PORT=found["PORT"][0],
        BENCH_SCENARIO=scenario,
        BENCH_CONFIG=config,
        PYTHONPATH=str(ROOT),
        BENCH_WARMUP="2",
        **extra,
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
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return lines[:-1], lines[-1]


def test_instruction_client_reads_every_format_one_event_per_read() -> None:
    """Every stream format the hook reads, both JSON styles: one read per event when the server
    writes one chunked write per event (what the per-event figures claim to measure), fewer
    reads than events when it coalesces; the hook read each stream to its end (its span has the
    output token count the stream's last event gives)."""
    from benchmarks.stream_bodies import FORMATS, STYLES

    stack, found = _servers()
    with stack:
        plan = [(fmt, STYLES[n % 2], "per-event") for n, fmt in enumerate(FORMATS)]
        plan += [("bedrock", "compact", "coalesced"), ("gemini-array", "spaced", "coalesced")]
        for fmt, style, delivery in plan:
            scenario = f"stream:{fmt}:{style}:{delivery}"
            windows, last = _client(scenario, "ours", found, BENCH_LENGTHS="3,7", BENCH_CALLS="1")
            assert [w["length"] for w in windows] == [3, 7, 3, 7], scenario
            for window in windows:
                if delivery == "per-event":
                    assert window["reads"] == window["units"] >= window["length"], scenario
                else:
                    assert window["reads"] < window["units"], scenario
            assert last["spans"] == 2 * 2 + 4, scenario  # warm-up and the windows
            usage = last["last_span"].get("gen_ai.usage.output_tokens")
            assert usage == 7, (scenario, last["last_span"])


def test_stream_floor_makes_the_span_ours_makes() -> None:
    """The ``floor`` configuration (the SDK calls alone, :mod:`benchmarks.stream_floor`) makes one
    span per call with the attributes our hook sets on the same chat stream (a floor with fewer
    would flatter every comparison with it; the client reports a span's int and str values)."""
    from benchmarks.stream_floor import attribute_sets

    stack, found = _servers()
    with stack:
        spans = {}
        for config in ("ours", "floor"):
            scenario = "stream:chat:compact:coalesced"
            _windows, last = _client(scenario, config, found, BENCH_LENGTHS="3,7", BENCH_CALLS="1")
            assert last["spans"] == 2 * 2 + 4, config
            spans[config] = last["last_span"]
    port = spans["ours"]["server.port"]
    sets = attribute_sets(port)
    assert spans["floor"] == {**spans["ours"], "gen_ai.usage.output_tokens": 300}
    assert set(sets["start"]) | set(sets["end"]) >= set(spans["ours"])
    assert len(sets["start"]) + len(sets["end"]) == 16


def test_instruction_client_sdk_scenarios() -> None:
    stack, found = _servers()
    with stack:
        windows, last = _client("sdk:nonstream", "ours", found, BENCH_CALLS="2")
        assert [(w["length"], w["units"], w["calls"]) for w in windows] == [(1, 1, 2)] * 2
        assert last["spans"] == 4 * 2 + 4  # a non-stream call warms up four times as often
        windows, last = _client("sdk:stream", "none", found, BENCH_LENGTHS="4,9", BENCH_CALLS="1")
        assert [(w["length"], w["units"], w["reads"]) for w in windows[:2]] == [
            (4, 6, 5),
            (9, 11, 10),
        ]
        assert last["spans"] == 0


def test_bedrock_frames_parse_with_botocore() -> None:
    """The benchmark writes its own AWS event-stream frames: botocore's parser (CRCs checked)
    reads every one, with the event type and the JSON payload the stream means."""
    from botocore.eventstream import EventStreamBuffer

    from benchmarks.stream_bodies import stream_events

    for style in ("compact", "spaced"):
        frames = stream_events("bedrock", style, 5)
        buffer = EventStreamBuffer()
        buffer.add_data(b"".join(frames))
        messages = list(buffer)
        kinds = [m.headers[":event-type"] for m in messages]
        assert kinds == [
            "messageStart",
            *(["contentBlockDelta"] * 5),
            "contentBlockStop",
            "messageStop",
            "metadata",
        ]
        assert json.loads(messages[-1].payload)["usage"]["outputTokens"] == 5


def test_other_stream_bodies_are_their_wire_format() -> None:
    from benchmarks.stream_bodies import stream_events

    array = json.loads(b"".join(stream_events("gemini-array", "spaced", 4)))
    assert len(array) == 4 and array[-1]["candidates"][0]["finishReason"] == "STOP"
    lines = b"".join(stream_events("ollama", "compact", 4)).split(b"\n")
    assert lines[-1] == b"" and [json.loads(x)["done"] for x in lines[:-1]] == [False] * 4 + [True]
    cohere = stream_events("cohere", "compact", 2)
    assert cohere[0].startswith(b"event: message-start\ndata: {")


def test_openai_bodies_pad_like_openai() -> None:
    """OpenAI's ``obfuscation`` pads each delta's text to 16 characters (recorded streams), so its
    length varies from chunk to chunk with the tokens; the benchmark's Chat and Responses bodies
    do the same, deterministically, and no two neighbouring content events are byte-identical
    (a constant padding flattered any fast path that compares an event with the last one)."""
    from benchmarks.stream_bodies import stream_events

    for fmt, style in (("chat", "compact"), ("responses", "spaced")):
        events = stream_events(fmt, style, 40)
        assert events == stream_events(fmt, style, 40)  # the same bytes on every call
        assert stream_events(fmt, style, 60)[:40] == events[:40]  # the longer adds, only
        values = [
            json.loads(line[5:])
            for event in events
            for line in event.split(b"\n")
            if line.startswith(b"data: {")
        ]
        padded = [v for v in values if "obfuscation" in v]
        if fmt == "chat":
            texts = [
                v["choices"][0]["delta"].get("content") if v["choices"] else None for v in padded
            ]
        else:
            texts = [v.get("delta") for v in padded]
        content = [(t, v["obfuscation"]) for t, v in zip(texts, padded) if t]
        assert len(content) == 40, fmt
        assert all(len(t) + len(o) == 16 and o.isalnum() for t, o in content), fmt
        assert len({len(o) for _, o in content}) >= 5, fmt
        raw = [e for e in events if b'"obfuscation"' in e]
        assert all(a != b for a, b in zip(raw, raw[1:])), fmt


def _window(repeat: int, length: int, ir: float, units: int) -> dict[str, Any]:
    return {"repeat": repeat, "length": length, "calls": 2, "units": units, "ir": ir, "cpu": 1.0}


def test_harness_computes_marginal_and_fixed_costs() -> None:
    from benchmarks.instructions import summarise

    # 1,000 per call + 100 per event, at 54 and 304 events per call, two calls per window
    windows = [_window(r, n, 2 * (1000 + 100 * (n + 4)), n + 4) for r in (0, 1) for n in (50, 300)]
    found = summarise(windows, "ir")
    assert found["marginal_per_event"] == pytest.approx(100)
    assert found["fixed_per_call"] == pytest.approx(1000)
    assert found["total_per_event"] == pytest.approx((1000 + 100 * 304) / 304)
    assert found["spread_pct"] == 0


def test_harness_refuses_rows_it_cannot_trust() -> None:
    """A row cheaper than the bare client, one whose repeats disagree, and one without the spans
    its configuration makes are printed as INVALID with the reason, never as a figure."""
    from benchmarks.instructions import describe, validate

    def row(config: str, per_call: int, spread: float, spans: int) -> dict[str, Any]:
        return {
            "python": "3.x",
            "scenario": "sdk:nonstream",
            "config": config,
            "unit": "call",
            "instructions_per_call": {"1": per_call},
            "per_call": per_call,
            "cpu_us_per_call_only": 1.0,
            "spread_pct": spread,
            "spans": spans,
        }

    rows = [
        row("none", 6_000_000, 0.1, 0),
        row("ours", 6_800_000, 0.1, 4),
        row("openai_v2", 5_200_000, 0.1, 4),
        row("ours_chunk", 6_900_000, 2.5, 4),
    ]
    rows.append(row("ours", 6_800_000, 0.1, 0))
    validate(rows, tolerance=1.0)
    assert [r["valid"] for r in rows] == [True, True, False, False, False]
    assert "less than the bare client" in describe(rows[2])
    assert "repeats disagree" in describe(rows[3])
    assert "0 spans" in describe(rows[4])
    assert "INVALID" not in describe(rows[1])


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_harness_counts_under_callgrind(tmp_path: Path) -> None:
    """The documented command, small: callgrind counts the windows; the rows are valid (repeats
    agree, ours above the bare client) and the hook's marginal cost per event is positive."""
    from benchmarks.instructions import main

    out = tmp_path / "rows.jsonl"
    args = ["--only", "stream:chat:compact:per-event", "--configs", "none,ours", "--events"]
    args += ["5,25", "--calls", "2", "--native-factor", "1", "--out", str(out), "--tolerance", "10"]
    assert main(["--python", sys.executable, *args]) == 0
    rows = {r["config"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["none"]["valid"] and rows["ours"]["valid"], [r["problems"] for r in rows.values()]
    assert rows["ours"]["marginal_per_event"] > rows["none"]["marginal_per_event"] > 10_000
    assert rows["ours"]["reads_per_call"] == {"5": 9, "25": 29}


def test_harness_judges_a_results_file_again_from_its_windows(tmp_path: Path) -> None:
    """``--revalidate``: the spreads come again from the windows each row keeps (the repeats'
    marginal costs against the total per event), and the bare-client check runs again."""
    from benchmarks.instructions import main

    def row(config: str, short: list[int], long: list[int]) -> dict[str, Any]:
        return {
            "python": "3.x",
            "scenario": "stream:chat:compact:coalesced",
            "config": config,
            "unit": "event",
            "units_per_call": {"50": 54, "300": 304},
            "windows_instructions_per_call": {"50": short, "300": long},
            "instructions_per_call": {"50": statistics.fmean(short), "300": statistics.fmean(long)},
            "marginal_per_event": 0,
            "spread_pct": 99.0,
            "spans": 4 if config == "ours" else 0,
        }

    path = tmp_path / "rows.jsonl"
    rows = [
        row("none", [2_000_000, 2_001_000], [2_500_000, 2_502_000]),  # marginal ~2,000: 0.1 %
        row("ours", [3_000_000, 3_000_000], [3_500_000, 3_700_000]),  # 200 k apart: 6.6 %
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["--revalidate", str(path)]) == 0
    judged = [json.loads(line) for line in path.read_text().splitlines()]
    assert judged[0]["valid"] and judged[0]["spread_pct"] < 1
    assert not judged[1]["valid"] and "repeats disagree" in judged[1]["problems"][0]
