"""Instructions per stream event and per call, counted by callgrind, with CPU time beside them.

Time per event is not a usable figure on a shared machine (the same stream benchmark gave the
hook's own work anywhere from 1.0 to 4.2 µs per event over four runs of one day); instructions
counted by valgrind's callgrind do not move with load (two runs of the same code agree to about
0.02 %). The method: run the client (:mod:`benchmarks.instr_client`) twice under callgrind, with
its repetition count ``N`` low and high; start-up, imports and warm-up are the same in both runs
and cancel out::

    instructions per unit = (Ir(N high) - Ir(N low)) / ((N high - N low) * units per call)

where a unit is one SSE event of the stream (every event the server sends, output or not) or one
call (non-stream). ``PYTHONHASHSEED`` is fixed, as string hashing would otherwise vary the count.
The servers (:mod:`benchmarks.delivery_server`, :mod:`benchmarks.fake_provider`) run outside
callgrind, on 127.0.0.1; the client reads through a real socket. The same client also runs
natively with ``N`` low and high, and the CPU time of its calls per unit is reported beside.

    python -m benchmarks.instructions                          # the default matrix, this Python
    python -m benchmarks.instructions --only stream:chat:compact:per-event --configs none,ours
    python -m benchmarks.instructions --python benchmarks/.venvs/instr-3.11/bin/python ...

Writes a JSON line per measurement to ``--out`` (default
``benchmarks/results/instructions.jsonl``, appended) and prints a table. Needs valgrind (Debian
package ``valgrind``). Under callgrind code runs 30-50 times slower, more on a loaded machine: the
default matrix takes a while; ``--only`` and ``--configs`` pick parts of it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

from benchmarks.stream_bodies import FORMATS, STYLES

ROOT = Path(__file__).resolve().parents[1]
STREAM_SCENARIOS = [
    f"stream:{fmt}:{style}:{delivery}"
    for fmt in FORMATS
    for style in STYLES
    for delivery in ("per-event", "coalesced")
]
SDK_SCENARIOS = ["sdk:nonstream", "sdk:stream"]
CONFIGS = {"stream": ("none", "ours", "ours_chunk"), "sdk": ("none", "ours", "openai_v2")}


def _collected(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    found = re.findall(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"failed under callgrind: {proc.stderr[-1500:]}{proc.stdout[-500:]}")
    return int(found[-1]), proc.stdout


def _native(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, check=True)
    words = proc.stdout.split()
    return {words[i]: float(words[i + 1]) for i in range(0, len(words) - 1, 2)}


def measure(
    python: str, scenario: str, config: str, lo: int, hi: int, env: dict[str, str]
) -> dict[str, Any]:
    cmd = [python, "-m", "benchmarks.instr_client"]
    base = dict(env, PYTHONHASHSEED="0", BENCH_SCENARIO=scenario, BENCH_CONFIG=config)
    # A native run first: it writes whatever .pyc is stale, so that neither counted run pays
    # for compiling (the low run would otherwise, and the difference would be short by it).
    _native(cmd, dict(base, N="0"))
    ir_lo, _ = _collected(cmd, dict(base, N=str(lo)))
    ir_hi, out = _collected(cmd, dict(base, N=str(hi)))
    words = out.split()
    info = {words[i]: float(words[i + 1]) for i in range(0, len(words) - 1, 2)}
    units = info["units"]
    per_unit = (ir_hi - ir_lo) / ((hi - lo) * units)
    t_lo = _native(cmd, dict(base, N=str(lo * 10)))
    t_hi = _native(cmd, dict(base, N=str(hi * 10)))
    cpu_us = (t_hi["cpu"] - t_lo["cpu"]) / ((hi - lo) * 10 * units) * 1e6
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "python": version,
        "scenario": scenario,
        "config": config,
        "unit": "event" if scenario.startswith("stream") else "call",
        "units_per_call": units,
        "reads_per_call": info.get("reads"),
        "instructions_per_unit": round(per_unit),
        "ir_lo": ir_lo,
        "ir_hi": ir_hi,
        "n_lo": lo,
        "n_hi": hi,
        "cpu_us_per_unit": round(cpu_us, 2),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _start(python: str, module: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [python, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split(maxsplit=1)[1].strip()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the client's interpreter")
    parser.add_argument("--only", default="", help="comma-separated scenarios (default: all)")
    parser.add_argument("--configs", default="", help="comma-separated configurations")
    parser.add_argument("--lo", type=int, default=1)
    parser.add_argument("--hi", type=int, default=3)
    parser.add_argument("--events", type=int, default=200, help="output events per stream")
    parser.add_argument("--gap-us", type=int, default=150, help="per-event delivery: gap")
    parser.add_argument("--jobs", type=int, default=2, help="measurements run at once")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/instructions.jsonl")
    args = parser.parse_args(argv)
    scenarios = args.only.split(",") if args.only else STREAM_SCENARIOS + SDK_SCENARIOS
    wanted = set(args.configs.split(",")) if args.configs else None
    delivery, ports = _start(args.python, "benchmarks.delivery_server")
    provider, port = _start(args.python, "benchmarks.fake_provider")
    env = dict(
        os.environ,
        BENCH_DELIVERY_PORTS=",".join(ports.split()),
        BENCH_PROVIDER_PORT=port,
        BENCH_EVENTS=str(args.events),
        BENCH_GAP_US=str(args.gap_us),
    )
    jobs = [
        (scenario, config)
        for scenario in scenarios
        for config in CONFIGS[scenario.split(":")[0]]
        if wanted is None or config in wanted
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = [
                pool.submit(measure, args.python, s, c, args.lo, args.hi, env) for s, c in jobs
            ]
            for future in futures:
                row = future.result()
                with args.out.open("a") as out:
                    out.write(json.dumps(row) + "\n")
                print(
                    f"{row['python']} {row['scenario']:36} {row['config']:10} "
                    f"{row['instructions_per_unit']:>10,} instr/{row['unit']}  "
                    f"{row['cpu_us_per_unit']:8.2f} µs/{row['unit']} CPU  "
                    f"(reads/call {row['reads_per_call']:.0f})",
                    flush=True,
                )
    finally:
        for proc in (delivery, provider):
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
