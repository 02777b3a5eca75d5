"""Where our hook's time goes, on the paths the targets bound: a py-spy profile per scenario.

py-spy samples the workload process from outside (no tracing hooks inside it, so the profile is
not distorted by profiler overhead the way a ``setprofile``-based profiler distorts call-heavy
code) and only while it is on the CPU. Each sample's stack is then read from the root: a sample
is *ours* when it lies below a frame of our package and not below the I/O our wrapper calls into
(``httpx2`` / ``httpcore2`` sending and receiving, which happens with or without us). Our samples
are charged to the nearest frame of our package (the function responsible, including the
OpenTelemetry SDK or json work it asked for) and, separately, to the library the sampled line is
in. Shares become µs per call through the workload's measured CPU time per call.

``scripts/bench.sh --profile`` writes ``benchmarks/results/profiles/<config>_<scenario>.txt``;
``--config httpx`` (or any other) profiles another configuration the same way.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
OURS = "/opentelemetry/instrumentation/llm_router/"
# What our wrapper calls into and would happen without us: not our cost.
IO_DIRS = ("/httpx2/", "/httpcore2/", "/httpx/", "/httpcore/", "/h11/", "/anyio/")
IO_FILES = ("/socket.py", "/selectors.py", "/ssl.py")
LIBRARIES = (
    (OURS, "ours"),
    ("/opentelemetry/sdk/", "opentelemetry-sdk"),
    ("/opentelemetry/", "opentelemetry (api, semconv, instrumentation)"),
    ("/wrapt/", "wrapt"),
    ("/json/", "json (stdlib)"),
)
SCENARIOS: dict[str, tuple[str, int]] = {
    # name -> (description, calls)
    "nonstream_openai_sdk": ("non-streaming chat completion through the openai SDK", 4000),
    "nonstream_httpx2": ("non-streaming chat completion through plain httpx2", 4000),
    "stream_2000_httpx2": ("2,000-chunk stream through plain httpx2", 300),
    "stream_2000_openai_sdk": ("2,000-chunk stream through the openai SDK", 10),
}


def _workload(scenario: str, port: int) -> Callable[[], None]:
    from benchmarks.client import PROMPT_1K, chat_call, raw_call, stream_call

    return {
        "nonstream_openai_sdk": lambda: chat_call(port, PROMPT_1K),
        "nonstream_httpx2": lambda: raw_call(port, 0),
        "stream_2000_httpx2": lambda: raw_call(port, 2000),
        "stream_2000_openai_sdk": lambda: stream_call(port, 2000, []),
    }[scenario]()


def run_workload(config: str, scenario: str, port: int, calls: int) -> None:
    """The profiled process: instrument, warm up, run ``calls`` calls, print CPU µs per call."""
    from benchmarks.configurations import CONFIGURATIONS
    from benchmarks.otel_setup import install_sdk

    sdk = install_sdk()
    CONFIGURATIONS[config].instrument()
    call = _workload(scenario, port)
    for _ in range(max(calls // 20, 2)):
        call()
    cpu_us = _profiled_loop(call, calls)
    if CONFIGURATIONS[config].instrumented and sdk.exporter.count == 0:
        raise SystemExit(f"{config} produced no span")
    print(json.dumps({"cpu_us_per_call": cpu_us}))


def _profiled_loop(call: Callable[[], None], calls: int) -> float:
    """The only part of the process whose samples are analysed; returns CPU µs per call."""
    start = time.process_time_ns()
    for _ in range(calls):
        call()
    return (time.process_time_ns() - start) / calls / 1000


def _frames(stack: str) -> list[tuple[str, str]]:
    """``func (file:line);...`` -> [(function, "file:line")], root first."""
    frames = []
    for part in stack.split(";"):
        function, _, where = part.rpartition(" (")
        frames.append((function, where.rstrip(")")))
    return frames


def _is_io(where: str) -> bool:
    path = where.rsplit(":", 1)[0]
    return any(part in path for part in IO_DIRS) or path.endswith(IO_FILES)


def _library(where: str) -> str:
    for part, name in LIBRARIES:
        if part in where:
            return name
    path = where.rsplit(":", 1)[0]
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0]
    return "python stdlib" if "/lib/python3" in path else path


def _short(where: str) -> str:
    """A readable location: from the package directory on."""
    for marker in ("/site-packages/", "/src/", "/lib/python3"):
        if marker in where:
            rest = where.split(marker, 1)[1]
            return rest.split("/", 1)[1] if marker == "/lib/python3" else rest
    return where


def analyse(raw: str, calls: int, cpu_us: float, title: str) -> str:
    total = 0
    ours = 0
    by_function: Counter[str] = Counter()
    by_library: Counter[str] = Counter()
    by_line: Counter[str] = Counter()
    by_stack: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = _frames(stack)
        if not any(function == "_profiled_loop" for function, _ in frames):
            continue  # start-up, imports, warm-up
        count = int(count_text)
        total += count
        owner = None
        entry_index = None
        for index, (function, where) in enumerate(frames):
            if OURS in where:
                if owner is None:
                    entry_index = index
                owner = (function, where)
            elif owner is not None and _is_io(where):
                owner = None
        if owner is None:
            continue
        ours += count
        leaf_function, leaf_where = frames[-1]
        by_function[f"{owner[0]} ({_short(owner[1]).rsplit(':', 1)[0]})"] += count
        by_library[_library(leaf_where)] += count
        by_line[f"{leaf_function} ({_short(leaf_where)})"] += count
        chain = " > ".join(function for function, _ in frames[entry_index:])
        by_stack[chain] += count

    def us(samples: int) -> float:
        return samples / total * cpu_us if total else float("nan")

    lines = [
        f"# {title}",
        "",
        f"{calls} calls; workload CPU time {cpu_us:,.1f} µs per call; {total} samples.",
        f"Ours: {ours} samples = {ours / max(total, 1):.1%} = **{us(ours):,.1f} µs per call** "
        "(below our frames, excluding the httpx2/httpcore2 I/O we wrap).",
        "",
        "## By our function (nearest frame of our package; includes SDK work it asked for)",
        "",
    ]
    lines += [f"{us(n):8.1f} µs  {name}" for name, n in by_function.most_common(20)]
    lines += ["", "## By library of the sampled line", ""]
    lines += [f"{us(n):8.1f} µs  {name}" for name, n in by_library.most_common()]
    lines += ["", "## Hottest lines", ""]
    lines += [f"{us(n):8.1f} µs  {name}" for name, n in by_line.most_common(25)]
    lines += ["", "## Hottest stacks from our entry point", ""]
    lines += [f"{us(n):8.1f} µs  {name}" for name, n in by_stack.most_common(25)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="ours")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "profiles"))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # internal: the profiled workload
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_workload(args.config, args.run, args.port, args.calls)
        return

    from benchmarks.run import Provider, client_env

    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed (it is in benchmarks/requirements.txt)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    provider = Provider(sys.executable)
    try:
        env = client_env(provider.port)
        for scenario in args.scenarios.split(","):
            description, calls = SCENARIOS[scenario]
            raw_file = out / f".{args.config}_{scenario}.raw"
            spy_argv = [py_spy, "record", "--full-filenames", "-r", str(args.rate)]
            spy_argv += ["--format", "raw"]
            workload = [sys.executable, "-m", "benchmarks.profile_ours", "--config", args.config]
            workload += ["--run", scenario, "--port", str(provider.port), "--calls", str(calls)]
            done = subprocess.run(
                [*spy_argv, "-o", str(raw_file), "--", *workload],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            results = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not results:
                raise SystemExit(f"profiling {scenario} failed:\n{done.stderr[-3000:]}")
            cpu_us = json.loads(results[-1])["cpu_us_per_call"]
            title = f"{args.config}: {description}"
            text = analyse(raw_file.read_text(), calls, cpu_us, title)
            raw_file.unlink()
            (out / f"{args.config}_{scenario}.txt").write_text(text)
            print(text[: text.find("## By library")])
    finally:
        provider.close()


if __name__ == "__main__":
    main()
