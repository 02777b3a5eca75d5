"""Per-event cost of the hook on streams delivered as providers really deliver them.

For every stream format we parse (OpenAI Chat Completions and Responses, Anthropic Messages,
Gemini SSE), in compact and in spaced JSON, and for each delivery mode of
:mod:`benchmarks.delivery_server` (one event per read, the same with keep-alive comments, the
whole stream coalesced in one body, chunks written back to back), a client process times whole
streams of two lengths, through plain ``httpx2`` (what a router forwarding bytes does) and through
each format's SDK. The per-event overhead is::

    ((ours_long - none_long) - (ours_short - none_short)) / (long - short events)

with every term a median of client CPU time per stream, and ``ours - none`` taken in the same
round: the per-stream costs (span, metrics) cancel out and only what grows with the events stays.
Configurations run in fresh processes, in alternating order per round (none, ours, ...; then the
reverse), and the report gives the median and the range across rounds.

Configurations: ``none``; ``ours`` (``LLMRouterInstrumentor`` with
``time_per_output_chunk`` off: the hook's own per-event work); ``ours_tpoc`` (the same with
``time_per_output_chunk`` on: one histogram record per output event on top, which is the
OpenTelemetry SDK's cost); and, with ``--before SRC``, ``before`` (``ours`` run from another
source tree, e.g. the previous release, for before/after figures from one run).

After the rounds, one process per configuration consumes one 100,000-event stream of each format
(chunked, back to back) while its resident memory is sampled.

``python -m benchmarks.delivery [--smoke] [--rounds N] [--out DIR] [--before SRC]``; also run by
``scripts/bench.sh``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from benchmarks.delivery_server import WIRE_PORTS
from benchmarks.stream_bodies import (
    MODEL,
    PATHS,
    PROVIDER,
    STYLES,
    WIRE_FORMAT,
    keepalive,
    processing,
    request_body,
    stream_events,
)

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("chat", "responses", "anthropic", "gemini")
"""The formats this time benchmark runs (each with its SDK); :mod:`benchmarks.instructions`
counts every format of :data:`benchmarks.stream_bodies.FORMATS`."""
clock = time.process_time_ns

DELIVERIES = ("per-event", "keepalive", "coalesced", "burst")
REPLAY_DELIVERIES = ("per-event", "keepalive", "coalesced")
REPLAY_LENGTHS = (10, 2010)
LENGTHS = {
    "per-event": (10, 210),
    "keepalive": (10, 210),
    "coalesced": (10, 2010),
    "burst": (10, 2010),
}
SDK_DELIVERIES = ("per-event", "coalesced")
SDK_LENGTHS = (10, 110)

FULL = {
    "rounds": 5,
    "calls": 9,
    "replay_calls": 25,
    "warmup": 2,
    "sdk_calls": 5,
    "rss_events": 100_000,
}
SMOKE = {
    "rounds": 1,
    "calls": 1,
    "replay_calls": 1,
    "warmup": 0,
    "sdk_calls": 1,
    "rss_events": 2_000,
    "lengths": [2, 12],  # every path: streams this short (checks the harness, not the numbers)
}

TARGET_PER_EVENT_US = 1.0
TARGET_COALESCED_US = 0.5

CONFIG_ENV: dict[str, dict[str, str]] = {
    "none": {},
    "ours": {"OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK": "false"},
    "ours_tpoc": {"OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK": "true"},
    "before": {"OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK": "false"},
}
LABELS = {
    "none": "none",
    "ours": "ours (time_per_output_chunk off)",
    "ours_tpoc": "ours (time_per_output_chunk on)",
    "before": "ours before (--before tree)",
}


# The client process -------------------------------------------------------------------------


def _headers(fmt: str, style: str, delivery: str, events: int) -> dict[str, str]:
    return {
        "x-bench-format": fmt,
        "x-bench-style": style,
        "x-bench-delivery": delivery,
        "x-bench-events": str(events),
    }


def _port(ports: dict[str, int], fmt: str) -> int:
    return ports[WIRE_FORMAT[fmt]]


def raw_call(ports: dict[str, int], fmt: str, style: str, delivery: str, events: int) -> Any:
    """One stream through plain httpx2 (``iter_bytes``); returns the number of reads."""
    import httpx2

    client = httpx2.Client()
    url = f"http://127.0.0.1:{_port(ports, fmt)}{PATHS[fmt]}"
    headers = {"content-type": "application/json", **_headers(fmt, style, delivery, events)}
    body = request_body(fmt)

    def call() -> int:
        reads = 0
        with client.stream("POST", url, content=body, headers=headers) as response:
            for _ in response.iter_bytes():
                reads += 1
        if not reads:
            raise SystemExit("raw stream returned nothing")
        return reads

    return call


def replay_pieces(fmt: str, style: str, delivery: str, events: int) -> list[bytes]:
    """The body pieces a client's ``iter_raw`` yields for a delivery mode (what the hook sees):
    one piece per chunk for chunked deliveries (httpx hands over each chunk on its own, even when
    one socket read held several), 64 KiB reads for a ``Content-Length`` body."""
    stream = stream_events(fmt, style, events)
    if delivery == "coalesced":
        body = b"".join(stream)
        return [body[i : i + 65536] for i in range(0, len(body), 65536)]
    if delivery == "keepalive":
        pieces = [processing(fmt), processing(fmt)]
        for number, event in enumerate(stream):
            if number % 10 == 0:
                pieces.append(keepalive(fmt))
            pieces.append(event)
        return pieces
    return list(stream)


def replay_call(ports: dict[str, int], fmt: str, style: str, delivery: str, events: int) -> Any:
    """One stream through a real ``httpx2.Client`` whose transport replays prepared pieces.

    No socket: what is left per event is httpx2's iteration and, when instrumented, the hook, so
    a 1 µs difference is measurable (over a real connection each read costs ~50 µs of system
    calls that vary more than that)."""
    import httpx2

    pieces = replay_pieces(fmt, style, delivery, events)

    class Pieces(httpx2.SyncByteStream):
        def __iter__(self) -> Any:
            return iter(pieces)

    class Replay(httpx2.BaseTransport):
        def handle_request(self, request: Any) -> Any:
            request.read()
            headers = {"content-type": "text/event-stream", "transfer-encoding": "chunked"}
            return httpx2.Response(200, headers=headers, stream=Pieces(), request=request)

    client = httpx2.Client(transport=Replay())
    url = f"http://127.0.0.1:{_port(ports, fmt)}{PATHS[fmt]}"
    body = request_body(fmt)
    headers = {"content-type": "application/json"}

    def call() -> int:
        reads = 0
        with client.stream("POST", url, content=body, headers=headers) as response:
            for _ in response.iter_bytes():
                reads += 1
        return reads

    return call


def sdk_call(ports: dict[str, int], fmt: str, style: str, delivery: str, events: int) -> Any:
    """One stream through the format's SDK, every event consumed; returns the events seen."""
    headers = _headers(fmt, style, delivery, events)
    port = _port(ports, fmt)
    if fmt in ("chat", "responses"):
        import openai

        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1",
            api_key="sk-bench",
            max_retries=0,
            default_headers=headers,
        )
        if fmt == "chat":

            def call() -> int:
                stream = client.chat.completions.create(
                    model=MODEL[fmt],
                    messages=[{"role": "user", "content": "Say hi"}],
                    stream=True,
                    stream_options={"include_usage": True},
                )
                return sum(1 for _ in stream)

            return call

        def call_responses() -> int:
            stream = client.responses.create(model=MODEL[fmt], input="Say hi", stream=True)
            return sum(1 for _ in stream)

        return call_responses
    if fmt == "anthropic":
        import anthropic

        client_a = anthropic.Anthropic(
            base_url=f"http://127.0.0.1:{port}",
            api_key="sk-ant-bench",
            max_retries=0,
            default_headers=headers,
        )

        def call_anthropic() -> int:
            stream = client_a.messages.create(
                model=MODEL[fmt],
                max_tokens=1024,
                messages=[{"role": "user", "content": "Say hi"}],
                stream=True,
            )
            return sum(1 for _ in stream)

        return call_anthropic
    from google import genai
    from google.genai import types

    client_g = genai.Client(
        api_key="bench-key",
        http_options=types.HttpOptions(base_url=f"http://127.0.0.1:{port}", headers=headers),
    )

    def call_gemini() -> int:
        return sum(
            1 for _ in client_g.models.generate_content_stream(model=MODEL[fmt], contents="Say hi")
        )

    return call_gemini


def _median_cpu_us(call: Callable[[], int], warmup: int, count: int) -> tuple[float, float]:
    """(median client CPU µs per stream, median of what the call returned)."""
    for _ in range(warmup):
        call()
    times, results = [], []
    for _ in range(count):
        start = clock()
        results.append(call())
        times.append(clock() - start)
    return statistics.median(times) / 1000, statistics.median(results)


PATHS_MEASURED = ("replay", "raw", "sdk")


def scenarios(plan: dict[str, Any]) -> list[tuple[str, str, str, str, int]]:
    """(path, format, style, delivery, events) for every timed stream of the plan."""
    wanted = plan.get("paths", PATHS_MEASURED)
    formats = plan.get("formats", FORMATS)
    out = []
    for path, fmt, style, delivery, events in _all_scenarios():
        if path in wanted and fmt in formats:
            if plan.get("lengths"):
                events = plan["lengths"][0 if events == _lengths(path, delivery)[0] else 1]
            out.append((path, fmt, style, delivery, events))
    return out


def _lengths(path: str, delivery: str) -> tuple[int, int]:
    if path == "raw":
        return LENGTHS[delivery]
    if path == "replay":
        return REPLAY_LENGTHS
    return SDK_LENGTHS


def _all_scenarios() -> list[tuple[str, str, str, str, int]]:
    out = []
    for fmt in FORMATS:
        for style in STYLES:
            for delivery in REPLAY_DELIVERIES:
                for events in REPLAY_LENGTHS:
                    out.append(("replay", fmt, style, delivery, events))
            for delivery in DELIVERIES:
                for events in LENGTHS[delivery]:
                    out.append(("raw", fmt, style, delivery, events))
            for delivery in SDK_DELIVERIES:
                if delivery == "coalesced" and style != "compact":
                    continue
                for events in SDK_LENGTHS:
                    out.append(("sdk", fmt, style, delivery, events))
    return out


def run_client(config: str, ports: dict[str, int], plan: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.otel_setup import install_sdk

    sdk = install_sdk()
    if config != "none":
        from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

        LLMRouterInstrumentor().instrument()
    gc.collect()
    results: dict[str, Any] = {}
    for path, fmt, style, delivery, events in scenarios(plan):
        make = {"raw": raw_call, "replay": replay_call, "sdk": sdk_call}[path]
        try:
            call = make(ports, fmt, style, delivery, events)
        except ImportError as missing:  # an SDK not installed here (smoke runs in .venv)
            results["/".join((path, fmt, style, delivery, str(events)))] = {
                "us": float("nan"),
                "n": float("nan"),
                "skipped": str(missing),
            }
            continue
        count = {"raw": plan["calls"], "replay": plan["replay_calls"], "sdk": plan["sdk_calls"]}
        count = count[path]
        cpu_us, seen = _median_cpu_us(call, plan["warmup"], count)
        results["/".join((path, fmt, style, delivery, str(events)))] = {"us": cpu_us, "n": seen}
    spans = sdk.exporter.count
    if config != "none" and spans == 0:
        raise SystemExit(f"{config}: instrumented but produced no span")
    return {"config": config, "results": results, "spans": spans}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_rss(config: str, ports: dict[str, int], events: int) -> dict[str, Any]:
    """RSS growth while one long chunked stream of each format is consumed through httpx2."""
    import httpx2

    from benchmarks.otel_setup import install_sdk

    install_sdk()
    if config != "none":
        from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor

        LLMRouterInstrumentor().instrument()
    client = httpx2.Client()
    out: dict[str, Any] = {}
    for fmt in FORMATS:
        url = f"http://127.0.0.1:{_port(ports, fmt)}{PATHS[fmt]}"
        headers = _headers(fmt, "spaced", "burst", events)
        for warm in (1000, 1000):  # warm both paths so allocator pools exist before measuring
            warm_headers = _headers(fmt, "spaced", "burst", warm)
            with client.stream("POST", url, content=request_body(fmt), headers=warm_headers) as r:
                for _ in r.iter_bytes():
                    pass
        gc.collect()
        baseline = peak = 0
        reads = 0
        with client.stream("POST", url, content=request_body(fmt), headers=headers) as response:
            for _ in response.iter_bytes():
                reads += 1
                if reads == 1000:
                    baseline = peak = _rss_bytes()
                elif reads % 1000 == 0:
                    peak = max(peak, _rss_bytes())
        out[fmt] = {"growth_kb": (max(peak, _rss_bytes()) - baseline) / 1024, "reads": reads}
    return out


# The orchestrator ---------------------------------------------------------------------------


class Server:
    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, "-m", "benchmarks.delivery_server"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 1 + len(WIRE_PORTS) or line[0] != "PORTS":
            self.close()
            raise SystemExit(f"delivery server did not start: {line!r}")
        self.ports = dict(zip(WIRE_PORTS, map(int, line[1:])))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _env(config: str, ports: dict[str, int], before: Optional[str]) -> dict[str, str]:
    env = dict(os.environ)
    path = str(ROOT)
    if config == "before" and before:
        path = str(Path(before).resolve()) + os.pathsep + path
    env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    env["OTEL_PYTHON_LLM_ROUTER_PROVIDERS"] = ",".join(
        f"127.0.0.1:{port}={PROVIDER[wire]}/{wire}" for wire, port in ports.items()
    )
    env.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
    env["OTEL_SDK_DISABLED"] = "false"
    env.update(CONFIG_ENV[config])
    return env


def _child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(
            f"{' '.join(argv[2:6])} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1])


def measure(
    python: str, plan: dict[str, Any], configs: list[str], before: Optional[str], log: Any
) -> dict[str, Any]:
    server = Server(python)
    data: dict[str, Any] = {"plan": plan, "configs": configs, "rounds": [], "rss": {}}
    try:
        for number in range(plan["rounds"]):
            order = configs if number % 2 == 0 else list(reversed(configs))
            entry = {}
            for config in order:
                argv = [python, "-m", "benchmarks.delivery", "--client", config]
                argv += ["--ports", json.dumps(server.ports), "--plan", json.dumps(plan)]
                entry[config] = _child(argv, _env(config, server.ports, before))
                print(
                    f"delivery round {number + 1}/{plan['rounds']} {config}", file=log, flush=True
                )
            data["rounds"].append(entry)
        for config in configs if plan.get("rss", True) else ():
            argv = [python, "-m", "benchmarks.delivery", "--rss", config]
            argv += ["--ports", json.dumps(server.ports), "--plan", json.dumps(plan)]
            data["rss"][config] = _child(argv, _env(config, server.ports, before))
    finally:
        server.close()
    data["summary"] = summarise(data)
    return data


def _stat(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan")}
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """Per-event overhead per (path, format, style, delivery, config), across rounds."""
    rows: dict[str, Any] = {}
    for path, fmt, style, delivery, events in scenarios(data["plan"]):
        short, long = data["plan"].get("lengths") or _lengths(path, delivery)
        if events != long:
            continue
        key = "/".join((path, fmt, style, delivery))
        row: dict[str, Any] = {}
        for config in data["configs"]:
            if config == "none":
                continue
            values, base = [], []
            for entry in data["rounds"]:
                if config not in entry or "none" not in entry:
                    continue
                ours, none = entry[config]["results"], entry["none"]["results"]
                long_key, short_key = f"{key}/{long}", f"{key}/{short}"
                if long_key not in ours or long_key not in none:
                    continue
                grow = (ours[long_key]["us"] - none[long_key]["us"]) - (
                    ours[short_key]["us"] - none[short_key]["us"]
                )
                values.append(grow / (long - short))
                base.append((none[long_key]["us"] - none[short_key]["us"]) / (long - short))
            row[config] = _stat(values)
            row["none_per_event_us"] = _stat(base)
        reads = [
            e["none"]["results"][f"{key}/{long}"]["n"]
            for e in data["rounds"]
            if f"{key}/{long}" in e.get("none", {}).get("results", {})
        ]
        row["reads_or_events"] = statistics.median(reads) if reads else float("nan")
        rows[key] = row
    return rows


def _fmt(stat: dict[str, float]) -> str:
    if stat["median"] != stat["median"]:
        return "-"
    return f"{stat['median']:.2f} ({stat['min']:.2f} to {stat['max']:.2f})"


def _verdict(value: float, target: float) -> str:
    if value != value:
        return "-"
    return "met" if value <= target else "**not met**"


TABLES = {
    "replay": (
        "Plain httpx2, pieces replayed in-process (the hook's per-event cost; targets judged here)",
        "*reads*: pieces the caller iterated for the long stream.",
    ),
    "raw": (
        "Plain httpx2 over a real connection (cross-check: each read also costs system calls)",
        "*reads*: `iter_bytes` chunks of the long stream, as received.",
    ),
    "sdk": (
        "Through the SDKs (openai, anthropic, google-genai), real connection",
        "*reads*: events the SDK yielded. The SDK's own work per event (pydantic models) is "
        "tens to hundreds of µs and varies more than the hook costs: these rows are noise.",
    ),
}


def markdown(data: dict[str, Any]) -> str:
    summary = data["summary"]
    configs = [c for c in data["configs"] if c != "none"]
    lines = [
        "### Per-event overhead by stream format and delivery",
        "",
        "Client CPU µs per event over no instrumentation: median (min to max) of "
        f"{len(data['rounds'])} paired rounds; per-stream costs cancel out (two stream lengths, "
        "see `benchmarks/delivery.py`). *none per event* is the uninstrumented client's own "
        "CPU per event. Targets for the hook (`ours`): <= 1 µs per event delivered one per read "
        "(`per-event`, `keepalive`), <= 0.5 µs `coalesced`.",
    ]
    head = "| format | JSON | delivery | reads | none per event | "
    head += " | ".join(LABELS[c] for c in configs) + " |"
    for path, (title, note) in TABLES.items():
        target_column = path == "replay"
        lines += ["", f"#### {title}", "", note, ""]
        lines.append(head + (" target |" if target_column else ""))
        lines.append("|" + "---|" * (5 + len(configs) + (1 if target_column else 0)))
        for key, row in summary.items():
            row_path, fmt, style, delivery = key.split("/")
            if row_path != path:
                continue
            cells = [fmt, style, delivery, f"{row['reads_or_events']:.0f}"]
            cells.append(f"{row['none_per_event_us']['median']:.1f}")
            cells += [_fmt(row[c]) for c in configs]
            if target_column:
                target = TARGET_COALESCED_US if delivery == "coalesced" else TARGET_PER_EVENT_US
                ours = row.get("ours", {"median": float("nan")})["median"]
                cells.append(f"<= {target}: {_verdict(ours, target)}")
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "#### Memory over one 100,000-event stream (httpx2, chunked, spaced JSON)",
        "",
        "| configuration | " + " | ".join(FORMATS) + " |",
        "|---|" + "---|" * len(FORMATS),
    ]
    for config, result in data["rss"].items():
        cells = [f"{result[fmt]['growth_kb']:.0f} KiB" if fmt in result else "-" for fmt in FORMATS]
        lines.append(f"| {LABELS.get(config, config)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--rss", help=argparse.SUPPRESS)
    parser.add_argument("--ports", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks, not numbers")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--out", help="directory for delivery.json and delivery.md")
    parser.add_argument("--before", help="a source tree (its src/) to run as 'before' as well")
    parser.add_argument("--configs", default="none,ours,ours_tpoc")
    parser.add_argument("--paths", default=",".join(PATHS_MEASURED), help="replay,raw,sdk")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--no-rss", action="store_true", help="skip the 100k-event memory runs")
    args = parser.parse_args(argv)
    if args.client or args.rss:
        ports = json.loads(args.ports)
        plan = json.loads(args.plan)
        if args.client:
            print(json.dumps(run_client(args.client, ports, plan)))
        else:
            print(json.dumps(run_rss(args.rss, ports, plan["rss_events"])))
        return 0
    plan = dict(SMOKE if args.smoke else FULL, smoke=args.smoke)
    if args.rounds:
        plan["rounds"] = args.rounds
    plan["paths"] = [p for p in args.paths.split(",") if p]
    plan["formats"] = [f for f in args.formats.split(",") if f]
    plan["rss"] = not args.no_rss
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if "none" not in configs:
        configs.insert(0, "none")
    if args.before and "before" not in configs:
        configs.append("before")
    started = time.time()
    data = measure(sys.executable, plan, configs, args.before, sys.stdout)
    data["elapsed_s"] = round(time.time() - started, 1)
    text = markdown(data)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "delivery.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        (out / "delivery.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
