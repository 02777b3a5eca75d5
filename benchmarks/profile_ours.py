"""Where our hook's time goes: pyinstrument over the scenarios whose overhead the targets bound.

Runs in one process with ``LLMRouterInstrumentor`` on (or ``--config`` another configuration, to
compare) against the fake provider, profiles each scenario with a fine sampling interval, and
writes for each:

- the time spent under frames of our package per call, grouped by the function through which the
  caller's code entered it (so that SDK and network time are not charged to us);
- the call tree below those entry points, pruned to the frames that matter.

``scripts/bench.sh --profile`` writes ``benchmarks/results/profiles/*.txt``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Callable

from benchmarks.client import PROMPT_1K, chat_call, raw_call, stream_call
from benchmarks.configurations import CONFIGURATIONS
from benchmarks.otel_setup import install_sdk

ROOT = Path(__file__).resolve().parent.parent
OURS = os.sep + os.path.join("opentelemetry", "instrumentation", "llm_router") + os.sep
INTERVAL_S = 0.0001


def _is_ours(frame: Any) -> bool:
    return OURS in (frame.file_path or "")


def _entries(frame: Any, found: list[Any]) -> None:
    """Frames of our package whose caller is not ours: where the traffic enters our code."""
    if _is_ours(frame):
        found.append(frame)
        return
    for child in frame.children:
        _entries(child, found)


def _tree(frame: Any, total: float, depth: int, lines: list[str], min_share: float) -> None:
    if depth > 14:
        return
    for child in sorted(frame.children, key=lambda f: f.time, reverse=True):
        if child.time < total * min_share:
            continue
        where = f"{Path(child.file_path or '?').name}:{child.line_no}" if child.file_path else ""
        mark = "*" if _is_ours(child) else " "
        lines.append(f"{'  ' * depth}{mark} {child.time * 1e3:8.2f} ms  {child.function}  {where}")
        _tree(child, total, depth + 1, lines, min_share)


def profile(name: str, calls: int, run: Callable[[], None], out: Path) -> str:
    from pyinstrument import Profiler

    run()  # warm-up outside the profile
    profiler = Profiler(interval=INTERVAL_S)
    profiler.start()
    for _ in range(calls):
        run()
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame()
    entries: list[Any] = []
    if root is not None:
        _entries(root, entries)
    by_entry: dict[str, list[Any]] = {}
    for frame in entries:
        by_entry.setdefault(f"{frame.function} ({Path(frame.file_path).name})", []).append(frame)
    ours_s = sum(frame.time for frame in entries)
    lines = [
        f"# {name}: {calls} calls, {session.duration * 1e3:.0f} ms profiled "
        f"(interval {INTERVAL_S * 1e6:.0f} µs; sampling adds its own overhead)",
        f"time under our package: {ours_s * 1e3:.1f} ms = {ours_s / calls * 1e6:.1f} µs per call "
        f"({ours_s / max(session.duration, 1e-9):.1%} of the run)",
        "",
        "## By entry point (µs per call)",
    ]
    for label, frames in sorted(by_entry.items(), key=lambda kv: -sum(f.time for f in kv[1])):
        spent = sum(f.time for f in frames)
        lines.append(f"{spent / calls * 1e6:9.1f} µs  {label}")
    lines += ["", "## Call trees below the entry points (* = our code; >= 1% of our time)"]
    for frames in by_entry.values():
        for frame in frames:
            if frame.time < ours_s * 0.01:
                continue
            lines.append(
                f"{frame.time * 1e3:8.2f} ms  {frame.function}  "
                f"{Path(frame.file_path).name}:{frame.line_no}"
            )
            _tree(frame, ours_s, 1, lines, 0.01)
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.txt").write_text(text)
    return text


def main() -> None:
    from benchmarks.run import Provider, client_env

    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="ours", choices=sorted(CONFIGURATIONS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "profiles"))
    parser.add_argument("--calls", type=int, default=2000, help="non-streaming calls")
    args = parser.parse_args()
    provider = Provider(sys.executable)
    try:
        os.environ.update(client_env(provider.port))
        sdk = install_sdk()
        CONFIGURATIONS[args.config].instrument()
        port = provider.port
        out = Path(args.out)
        plans: list[tuple[str, int, Callable[[], None]]] = [
            ("nonstream_openai_sdk", args.calls, chat_call(port, PROMPT_1K)),
            ("nonstream_httpx2", args.calls, raw_call(port, 0)),
            ("stream_2000_httpx2", 100, raw_call(port, 2000)),
            ("stream_2000_openai_sdk", 5, stream_call(port, 2000, [])),
        ]
        for name, calls, run in plans:
            text = profile(f"{args.config}_{name}", calls, run, out)
            print(text[: text.find("## Call trees")])
        if args.config != "none" and CONFIGURATIONS[args.config].instrumented:
            assert sdk.exporter.count > 0, f"{args.config} produced no span"
    finally:
        provider.close()


if __name__ == "__main__":
    main()
