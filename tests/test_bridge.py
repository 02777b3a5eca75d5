"""``llm-router-otel ingest`` as a real subprocess, exporting over real OTLP to an in-test receiver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.otlp_receiver import OTLPReceiver, ReceivedSpan

_SCRIPT = Path(sys.executable).parent / "llm-router-otel"
COMMAND = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-m", "opentelemetry.instrumentation.llm_router._cli"]
)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
T0 = 1_777_889_730_123_456_789  # 2026-05-04T10:15:30.123456789Z


def _meta(stamp: str, trace_id: str | None = None) -> str:
    trace = "null" if trace_id is None else f'"{trace_id}"'
    return f'{{"event_id":"e-{stamp}","occurred_at":"{stamp}","trace_id":{trace}}}'


# Line numbers matter: the rejections are reported by number.
LINES = [
    # 1: start of A (bare), in the router's trace
    '{"RequestStarted":{"meta":' + _meta("2026-05-04T10:15:30.123456789Z", TRACE_ID) + ","
    '"request_id":"A","endpoint":"openai.chat_completions","model":"gpt-5-mini","is_stream":true}}',
    # 2: blank, ignored
    "",
    # 3: bad type
    '{"RequestStarted":{"meta":' + _meta("2026-05-04T10:15:30Z") + ","
    '"request_id":"X","endpoint":"openai.chat_completions","model":"m","is_stream":"yes"}}',
    # 4: completion of A (bus-wrapped)
    '{"Forward":{"RequestCompleted":{"meta":' + _meta("2026-05-04T10:15:30.623456789Z") + ","
    '"request_id":"A","status_code":200,"status":"success",'
    '"usage":{"prompt_tokens":50,"completion_tokens":100,"total_tokens":150},'
    '"latency_ms":500,"error":null}}}',
    # 5: not JSON
    "this is not json",
    # 6: orphan completion of B, failed upstream
    '{"RequestCompleted":{"meta":' + _meta("2026-05-04T10:15:32+02:00") + ","
    '"request_id":"B","status_code":500,"status":"error","usage":null,'
    '"latency_ms":1500,"error":"upstream exploded"}}',
    # 7: whitespace only, ignored
    "   \t",
    # 8: unknown variant
    '{"RequestRetried":{"request_id":"A"}}',
    # 9: start of C, never completed
    '{"RequestStarted":{"meta":' + _meta("2026-05-04T10:15:31Z") + ","
    '"request_id":"C","endpoint":"anthropic.messages","model":"claude-sonnet-4-5",'
    '"is_stream":false}}',
    # 10: duplicate completion of A: read, but not a second span
    '{"RequestCompleted":{"meta":' + _meta("2026-05-04T10:15:30.7Z") + ","
    '"request_id":"A","status_code":200,"status":"success","usage":null,'
    '"latency_ms":600,"error":null}}',
]
EXPECTED_STDERR_REJECTIONS = [
    "line 3: RequestStarted.is_stream: expected true or false, got string 'yes'",
    "line 5: <line>: not valid JSON",
    "line 8: <event>: unknown variant 'RequestRetried'",
]
SUMMARY = "llm-router-otel: 5 events read, 3 spans exported, 3 lines rejected"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(extra)
    return env


def _run(
    args: list[str], env: dict[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        COMMAND + args,
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _otlp_env(receiver: OTLPReceiver, protocol: str, per_signal: bool) -> dict[str, str]:
    env = {
        "OTEL_SERVICE_NAME": "rust-router",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test,team=routing",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint(protocol),
    }
    if per_signal:
        env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = protocol
        env["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] = protocol
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "bogus-but-overridden"
    elif protocol != "grpc":  # grpc is the default: leave it unset to test that
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol
    return _env(**env)


@pytest.mark.parametrize(
    ("protocol", "source", "per_signal"),
    [
        ("grpc", "file", False),
        ("grpc", "stdin", True),
        ("http/protobuf", "file", True),
        ("http/protobuf", "stdin", False),
    ],
)
def test_ingest_exports_good_lines_and_reports_bad_ones(
    protocol: str, source: str, per_signal: bool, tmp_path: Path
) -> None:
    text = "\n".join(LINES) + "\n"
    with OTLPReceiver() as receiver:
        env = _otlp_env(receiver, protocol, per_signal)
        if source == "file":
            path = tmp_path / "events.jsonl"
            path.write_text(text, encoding="utf-8")
            done = _run(["ingest", str(path)], env)
        else:
            done = _run(["ingest", "-"] if per_signal else ["ingest"], env, stdin=text)

        assert done.returncode == 0, done.stderr
        stderr_lines = done.stderr.splitlines()
        rejections = [line for line in stderr_lines if line.startswith("line ")]
        assert len(rejections) == 3
        for got, want in zip(rejections, EXPECTED_STDERR_REJECTIONS):
            assert got.startswith(want), (got, want)
        assert stderr_lines[-1] == SUMMARY
        assert "Traceback" not in done.stderr

        spans = {s.attributes["llm_router.request.id"]: s for s in receiver.spans()}
        _check_spans(spans, protocol)
        metrics = receiver.latest_metrics()
        duration = metrics["gen_ai.client.operation.duration"]
        assert sum(p.count or 0 for p in duration.points) == 3
        assert {p.attributes.get("error.type") for p in duration.points} == {
            None,
            "500",
            "incomplete",
        }
        tokens = metrics["gen_ai.client.token.usage"]
        assert sorted((p.attributes["gen_ai.token.type"], p.sum) for p in tokens.points) == [
            ("input", 50),
            ("output", 100),
        ]
        assert duration.resource["service.name"] == "rust-router"
        assert duration.protocol == protocol


def _check_spans(spans: dict[Any, ReceivedSpan], protocol: str) -> None:
    assert set(spans) == {"A", "B", "C"}
    a, b, c = spans["A"], spans["B"], spans["C"]
    for span in (a, b, c):
        assert span.kind == "CLIENT"
        assert span.protocol == protocol
        assert span.resource["service.name"] == "rust-router"
        assert span.resource["team"] == "routing"
        assert span.scope_name == "opentelemetry.instrumentation.llm_router"

    assert a.name == "chat gpt-5-mini"
    assert (a.start_time_unix_nano, a.end_time_unix_nano) == (T0, T0 + 500_000_000)
    assert a.trace_id == TRACE_ID
    assert a.status_code == "UNSET"
    assert a.attributes["gen_ai.provider.name"] == "openai"
    assert a.attributes["gen_ai.request.stream"] is True
    assert a.attributes["gen_ai.usage.input_tokens"] == 50
    assert a.attributes["gen_ai.usage.output_tokens"] == 100
    assert a.attributes["llm_router.endpoint"] == "openai.chat_completions"

    # B: a completion without a start, its offset normalised: 10:15:32+02:00 = 08:15:32Z.
    b_end = T0 - 123_456_789 - 2 * 3600 * 10**9 + 2 * 10**9
    assert (b.start_time_unix_nano, b.end_time_unix_nano) == (b_end - 1_500_000_000, b_end)
    assert b.status_code == "ERROR"
    assert b.status_message == "upstream exploded"
    assert b.attributes["error.type"] == "500"
    assert b.attributes["http.response.status_code"] == 500

    # C: open at the end of the input, ended as incomplete.
    assert c.name == "chat claude-sonnet-4-5"
    assert c.start_time_unix_nano == T0 - 123_456_789 + 10**9
    assert c.status_code == "ERROR"
    assert c.attributes["error.type"] == "incomplete"
    assert c.attributes["gen_ai.provider.name"] == "anthropic"


def test_max_open_evicts_the_oldest_as_incomplete() -> None:
    starts = "\n".join(
        '{"RequestStarted":{"meta":' + _meta(f"2026-05-04T10:15:3{i}Z") + ","
        f'"request_id":"R{i}","endpoint":"openai.chat_completions","model":"m",'
        '"is_stream":false}}'
        for i in range(3)
    )
    completion = (
        '{"RequestCompleted":{"meta":' + _meta("2026-05-04T10:15:40Z") + ","
        '"request_id":"R0","status_code":200,"status":"success","usage":null,'
        '"latency_ms":1,"error":null}}'
    )
    with OTLPReceiver() as receiver:
        env = _otlp_env(receiver, "grpc", per_signal=False)
        done = _run(
            ["ingest", "--max-open", "2", "--max-age", "3600"], env, starts + "\n" + completion
        )
        assert done.returncode == 0, done.stderr
        # R0 was evicted when R2 started; its late completion is ignored.
        assert done.stderr.splitlines()[-1] == (
            "llm-router-otel: 4 events read, 3 spans exported, 0 lines rejected"
        )
        spans = {s.attributes["llm_router.request.id"]: s for s in receiver.spans()}
        assert {k: s.attributes.get("error.type") for k, s in spans.items()} == {
            "R0": "incomplete",
            "R1": "incomplete",
            "R2": "incomplete",
        }


def test_sigterm_finishes_what_was_read() -> None:
    with OTLPReceiver() as receiver:
        env = _otlp_env(receiver, "grpc", per_signal=False)
        env["OTEL_BSP_SCHEDULE_DELAY"] = "50"  # export finished spans while still reading
        process = subprocess.Popen(
            [*COMMAND, "ingest"],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert process.stdin is not None and process.stderr is not None
        # A (complete) and C (only started), then the pipe stays open.
        process.stdin.write("\n".join([LINES[0], LINES[3], LINES[8]]) + "\n")
        process.stdin.flush()
        # A arriving proves the lines were read and the command now waits for more input.
        receiver.wait_for_spans(lambda spans: len(spans) == 1, timeout=30)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)  # the input is still open: only the signal can end the read
        stderr = process.stderr.read()
        process.stdin.close()
        process.stderr.close()
        assert process.returncode == 0, stderr
        assert "interrupted" in stderr
        assert stderr.splitlines()[-1] == (
            "llm-router-otel: 3 events read, 2 spans exported, 0 lines rejected"
        )
        spans = {s.attributes["llm_router.request.id"]: s for s in receiver.spans()}
        assert spans["C"].attributes["error.type"] == "incomplete"
        assert "error.type" not in spans["A"].attributes


def test_unreachable_collector_is_not_a_failure_to_run(tmp_path: Path) -> None:
    with OTLPReceiver() as receiver:
        port = receiver.grpc_port  # a port that was free, closed again below
    env = _env(
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_EXPORTER_OTLP_TIMEOUT="1",
        OTEL_METRICS_EXPORTER="none",
    )
    done = _run(["ingest"], env, stdin=LINES[0] + "\n" + LINES[3] + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "llm-router-otel: 2 events read, 0 spans exported, 0 lines rejected, "
        "1 span failed to export"
    )


def test_console_exporter_and_none() -> None:
    env = _env(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    done = _run(["ingest", "-"], env, stdin="\n".join(LINES))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"name": "chat gpt-5-mini"') == 1
    assert done.stderr.splitlines()[-1] == SUMMARY

    env = _env(OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none")
    done = _run(["ingest", "-"], env, stdin="\n".join(LINES))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "llm-router-otel: 5 events read, 0 spans exported, 3 lines rejected"
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["ingest", "/nonexistent/events.jsonl"], {}, "cannot open /nonexistent/events.jsonl"),
        (["ingest", "-"], {"OTEL_TRACES_EXPORTER": "zipkin_json_nope"}, "no exporter named"),
        (["ingest", "-"], {"OTEL_METRICS_EXPORTER": "nope"}, "no exporter named 'nope'"),
        (["ingest", "-"], {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "unsupported OTLP"),
    ],
)
def test_cannot_run_exits_non_zero(args: list[str], env: dict[str, str], message: str) -> None:
    done = _run(args, _env(**env), stdin="")
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_help_and_usage_errors() -> None:
    done = _run(["--help"], _env())
    assert done.returncode == 0
    assert "ingest" in done.stdout
    done = _run(["ingest", "--help"], _env())
    assert done.returncode == 0
    for word in (
        "FILE|-",
        "--max-open",
        "--max-age",
        "OTEL_TRACES_EXPORTER",
        "summary",
        "llm_router_console",
    ):
        assert word in done.stdout
    done = _run(["ingest", "--max-open", "0"], _env())
    assert done.returncode == 2
    assert "at least 1" in done.stderr
    done = _run([], _env())
    assert done.returncode == 2


def test_usage_errors_are_reported_by_the_command_they_concern() -> None:
    """``ingest --wrong`` shows the ingest usage; a bad number says what it wanted, in words."""
    done = _run(["ingest", "--wrong"], _env(), stdin="")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: llm-router-otel ingest ")
    assert "unrecognized arguments: --wrong" in done.stderr
    for option, value, expected in [
        ("--max-age", "abc", "expected a number of seconds, got 'abc'"),
        ("--max-age", "-1", "must be a positive number of seconds"),
        ("--max-open", "x", "expected a whole number, got 'x'"),
        ("--shutdown-timeout", "0", "must be a positive number of seconds"),
    ]:
        done = _run(["ingest", option, value], _env(), stdin="")
        assert done.returncode == 2
        assert expected in done.stderr
        assert "_positive" not in done.stderr  # no private function name


def test_summary_uses_singular_for_one() -> None:
    env = _env(OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")
    done = _run(["ingest", "-"], env, stdin=LINES[0] + "\n" + LINES[3] + "\n" + "junk\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "llm-router-otel: 2 events read, 1 span exported, 1 line rejected"
    )
