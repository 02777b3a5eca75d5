"""The benchmark harness: start the fake provider, run rounds of fresh client processes, report.

A round runs the SDK-paths process (floors, ``OTelObserver``, ``ForwardEventRecorder``) and then one
client process per configuration, always in the same order (a b c d e, a b c d e, ...). Every
overhead is the difference to configuration (a) *in the same round*, so slow phases of a busy
machine cancel out; the report gives the median and the min-max of those paired differences
across rounds, and ratios to the SDK floor measured in the same rounds. After the rounds, one
process per configuration consumes a 100,000-chunk stream while its resident memory is sampled,
and the JSONL bridge is timed if the package has it.

``python -m benchmarks.run [--smoke] [--out DIR] [--configs a,b] [--allow-missing]``; the
documented entry point is ``scripts/bench.sh``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from benchmarks import bridge, delivery, machine, report
from benchmarks.client import EXIT_UNAVAILABLE
from benchmarks.configurations import CONFIGURATIONS

ROOT = Path(__file__).resolve().parent.parent

FULL = {
    "rounds": 7,
    "calls": {
        "warmup": 20,
        "warmup_long": 2,
        "nonstream": 400,
        "prompt_1m": 20,
        "stream_50": 60,
        "stream_2000": 5,
        "concurrent_batches": 3,
        "raw": 150,
    },
    "sdk": {"batches": 20, "batch_size": 100},
    "rss_chunks": 100_000,
    "bridge_events": 20_000,
}
SMOKE = {
    "rounds": 1,
    "calls": {
        "warmup": 2,
        "warmup_long": 0,
        "nonstream": 10,
        "prompt_1m": 2,
        "stream_50": 3,
        "stream_2000": 1,
        "concurrent_batches": 1,
        "raw": 20,  # ours is ~150 µs over none on a ~500 µs call: 5 samples could invert it
    },
    "sdk": {"batches": 2, "batch_size": 20},
    "rss_chunks": 2_000,
    "bridge_events": 200,
}


class Provider:
    """The fake provider in its own process; it exits when its stdin closes."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, "-m", "benchmarks.fake_provider"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.close()
            raise SystemExit(f"fake provider did not start: {line!r}")
        self.port = int(line[1])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Unavailable(Exception):
    pass


def run_json(argv: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run one measuring process and return the JSON object it printed last."""
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == EXIT_UNAVAILABLE and lines:
        raise Unavailable(json.loads(lines[-1])["unavailable"])
    if done.returncode != 0 or not lines:
        raise SystemExit(
            f"{' '.join(argv[1:4])} failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
        )
    return json.loads(lines[-1])


def client_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # Our instrumentor records only calls to known providers; the fake one is OpenAI-compatible.
    env["OTEL_PYTHON_LLM_ROUTER_PROVIDERS"] = f"127.0.0.1:{port}=openai"
    # Every configuration with its defaults, except that nothing may leave the machine.
    env.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
    env["OTEL_SDK_DISABLED"] = "false"
    return env


RESULTS = ROOT / "benchmarks" / "results"
SMOKE_OUT = RESULTS / "tmp" / "smoke"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks, not numbers")
    parser.add_argument(
        "--out",
        default=None,
        help="where results go (default: benchmarks/results, the committed numbers; with "
        "--smoke, benchmarks/results/tmp/smoke, which git ignores, so a smoke run never "
        "rewrites the published results)",
    )
    parser.add_argument("--configs", default=",".join(CONFIGURATIONS))
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="report a configuration whose package is not installed as skipped instead of failing",
    )
    parser.add_argument(
        "--no-delivery",
        action="store_true",
        help="skip the stream-delivery benchmark (benchmarks/delivery.py)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite results.md and the chart from OUT/results.json without measuring",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = str(SMOKE_OUT if args.smoke else RESULTS)
    if args.report_only:
        return write_report(
            Path(args.out), json.loads((Path(args.out) / "results.json").read_text())
        )
    plan = SMOKE if args.smoke else FULL
    rounds = args.rounds or plan["rounds"]
    wanted = [key.strip() for key in args.configs.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in CONFIGURATIONS]
    if unknown:
        parser.error(f"unknown configurations: {unknown}; known: {list(CONFIGURATIONS)}")
    if "none" not in wanted:
        wanted.insert(0, "none")
    configs = [key for key in CONFIGURATIONS if key in wanted]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    started = time.time()

    provider = Provider(python)
    env = client_env(provider.port)
    skipped: dict[str, str] = {}
    data: dict[str, Any] = {"rounds": [], "rss": {}, "plan": plan, "smoke": args.smoke}
    try:
        for number in range(rounds):
            entry: dict[str, Any] = {}
            sdk_argv = [python, "-m", "benchmarks.sdk_paths", "--port", str(provider.port)]
            sdk_argv += ["--batches", str(plan["sdk"]["batches"])]
            sdk_argv += ["--batch-size", str(plan["sdk"]["batch_size"])]
            entry["sdk"] = run_json(sdk_argv, env, 600)
            for key in configs:
                if key in skipped:
                    continue
                argv_ = [python, "-m", "benchmarks.client", "--config", key]
                argv_ += ["--port", str(provider.port), "--counts", json.dumps(plan["calls"])]
                try:
                    entry[key] = run_json(argv_, env, 900)
                except Unavailable as why:
                    if not args.allow_missing:
                        raise SystemExit(f"{key} is not installed: {why}") from None
                    skipped[key] = str(why)
                    continue
                print(
                    f"round {number + 1}/{rounds} {key:12s} "
                    f"non-stream {entry[key]['nonstream_us']:8.1f} µs  "
                    f"stream-2000 {entry[key]['stream_2000_us'] / 1000:8.1f} ms",
                    flush=True,
                )
            data["rounds"].append(entry)
        for key in configs:
            if key in skipped:
                continue
            argv_ = [python, "-m", "benchmarks.client", "--config", key, "--mode", "rss"]
            argv_ += ["--port", str(provider.port)]
            argv_ += ["--counts", json.dumps({"rss_chunks": plan["rss_chunks"]})]
            data["rss"][key] = run_json(argv_, env, 900)
            print(f"rss {key:12s} growth {data['rss'][key]['rss_growth_kb']:8.1f} KiB", flush=True)
    finally:
        provider.close()
    data["bridge"] = bridge.measure(python, env, plan["bridge_events"], ROOT)
    if not args.no_delivery:
        delivery_plan = dict(delivery.SMOKE if args.smoke else delivery.FULL, smoke=args.smoke)
        # Smoke: none and ours only (seconds, not minutes); full: ours with and without the
        # per-chunk metric.
        delivery_configs = ["none", "ours"] if args.smoke else ["none", "ours", "ours_tpoc"]
        data["delivery"] = delivery.measure(
            python, delivery_plan, delivery_configs, None, sys.stdout
        )
    data["skipped"] = skipped
    data["configs"] = [key for key in configs if key not in skipped]
    data["machine"] = machine.describe()
    data["elapsed_s"] = round(time.time() - started, 1)
    return write_report(out, data)


def write_report(out: Path, data: dict[str, Any]) -> int:
    summary = report.summarise(data)
    data["summary"] = summary
    (out / "results.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    (out / "results.md").write_text(report.markdown(data, summary))
    chart = report.chart(summary, out / "overhead.png")
    print((out / "results.md").read_text())
    if chart is None:
        print("(chart not drawn: matplotlib is not installed in this environment)")
    print(f"wrote {out} ({data['elapsed_s']} s of measuring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
