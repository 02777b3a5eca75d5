"""Instructions per stream event and per call, counted by callgrind, with CPU time beside them.

Time per event is not a usable figure on a shared machine (the same stream benchmark gave the
hook's own work anywhere from 1.0 to 4.2 µs per event over four runs of one day); instructions
counted by valgrind's callgrind do not move with load. The method:

- the client (:mod:`benchmarks.instr_client`) runs under callgrind with instrumentation off; after
  warm-up it counts *windows* of ``--calls`` calls each, switching instrumentation on for the window
  alone (:mod:`benchmarks.cgctl`): start-up, imports, ``.pyc`` compiling and warm-up are never in a
  count. Each window is repeated (``--repeats``); a row whose repeats disagree by more than
  ``--tolerance`` is refused;
- streams are measured at two lengths (``--events``, default 50 and 300 output events), so the
  per-call work (request, span, the records at the end) cancels out of the difference::

      marginal per event = (instructions per call at 300 - at 50) / (events at 300 - at 50)
      per call (fixed)   = instructions per call at 50 - 50-length events * marginal per event
      total per event    = instructions per call at 300 / events at 300

  where an event is every event the server sends (output or not) and a call of the non-stream
  scenario is its unit;
- a configuration that costs less than the bare client (``none``) of the same scenario, or that
  made no span where it should, is refused too: such a row is printed as ``INVALID`` with the
  reason and written with ``"valid": false``, never as a figure.

The servers (:mod:`benchmarks.delivery_server`, :mod:`benchmarks.fake_provider`) run outside
callgrind, on 127.0.0.1; the client reads through a real socket, one read per event where the
delivery is ``per-event`` (the server writes the next event only once the client has read the
last). The same client also runs natively (``--native-factor`` times the calls) and the CPU time
per unit of its windows is reported beside. Every run of the client has ``PYTHONHASHSEED=0`` and
``PYTHONDONTWRITEBYTECODE=1``; everything it imports is compiled first (``compileall``).

    python -m benchmarks.instructions                          # the whole matrix, this Python
    python -m benchmarks.instructions --only stream:chat:compact:per-event --configs none,ours
    python -m benchmarks.instructions --python benchmarks/.venvs/instr-3.11/bin/python ...
    python -m benchmarks.instructions --table benchmarks/results/instructions.jsonl

Writes a JSON line per measurement to ``--out`` (default
``benchmarks/results/instructions.jsonl``, appended) and prints a table. Needs valgrind and a C
compiler (Debian packages ``valgrind``, ``gcc``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

from benchmarks import cgctl
from benchmarks.stream_bodies import FORMATS, STYLES

ROOT = Path(__file__).resolve().parents[1]
STREAM_SCENARIOS = [
    f"stream:{fmt}:{style}:{delivery}"
    for delivery in ("per-event", "coalesced")
    for style in STYLES
    for fmt in FORMATS
]
SDK_SCENARIOS = ["sdk:nonstream", "sdk:stream"]
CONFIGS = {"stream": ("none", "ours"), "sdk": ("none", "ours", "openai_v2")}
"""Measured by default; ``ours_chunk`` (ours with the opt-in per-chunk metric) and ``floor`` (the
OpenTelemetry SDK calls alone that ours makes for a chat stream, :mod:`benchmarks.stream_floor`)
on request."""
ALLOWED = {
    "stream": ("none", "ours", "ours_chunk", "floor"),
    "sdk": ("none", "ours", "ours_chunk", "openai_v2"),
}
"""openai-v2 patches the ``openai`` SDK: it sees nothing of a plain ``httpx2`` stream."""
MAKES_SPANS = {"none": False, "ours": True, "ours_chunk": True, "openai_v2": True, "floor": True}


def _windows(out: str) -> tuple[list[dict[str, Any]], int]:
    windows, spans = [], -1
    for line in out.splitlines():
        if line.startswith("{"):
            value = json.loads(line)
            if "spans" in value:
                spans = value["spans"]
            else:
                windows.append(value)
    return windows, spans


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {proc.stderr[-2000:]}{proc.stdout[-500:]}")
    return proc


def counted(python: str, env: dict[str, str], library: Path) -> tuple[list[dict[str, Any]], int]:
    """The client under callgrind: its windows, each with ``ir`` (instructions of the window)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        proc = _run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                python,
                "-m",
                "benchmarks.instr_client",
            ],
            dict(env, BENCH_CGCTL=str(library)),
        )
        counts = {}
        for dump in Path(tmp).glob("callgrind.out.*"):
            text = dump.read_text(errors="replace")
            label = re.search(r"^desc: Trigger: Client Request: (\S+)$", text, re.M)
            total = re.search(r"^totals: (\d+)", text, re.M)
            if label and total:
                counts[label.group(1)] = int(total.group(1))
    windows, spans = _windows(proc.stdout)
    for window in windows:
        window["ir"] = counts[f"{window['repeat']}:{window['length']}"]
    return windows, spans


def _spread(values: list[float]) -> float:
    """How far apart repeats are: (max - min) / mean, in %."""
    mean = statistics.fmean(values)
    return (max(values) - min(values)) / mean * 100 if mean else 0.0


def summarise(windows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Per call at each length (mean of repeats), and for two lengths the marginal cost per
    event, the fixed cost per call and the total per event at the longer one. ``spread_pct``:
    how far the repeats of the longest length are apart, and (two lengths) the repeats' marginal
    costs; ``fixed_spread_pct``: the repeats' fixed costs (short windows: the noisiest figure,
    reported, not judged)."""
    by_length: dict[int, list[float]] = {}
    by_repeat: dict[int, dict[int, float]] = {}
    units: dict[int, float] = {}
    for window in windows:
        value = window[key] / window["calls"]
        by_length.setdefault(window["length"], []).append(value)
        by_repeat.setdefault(window["repeat"], {})[window["length"]] = value
        units[window["length"]] = window["units"]
    per_call = {length: statistics.fmean(values) for length, values in by_length.items()}
    out: dict[str, Any] = {
        "per_call": {str(k): v for k, v in per_call.items()},
        "windows": {str(k): [round(x) for x in v] for k, v in by_length.items()},
        "spread_pct": round(_spread(by_length[max(by_length)]), 4),
    }
    if len(per_call) >= 2:
        lo, hi = min(per_call), max(per_call)

        def split(costs: dict[int, float]) -> tuple[float, float]:
            marginal = (costs[hi] - costs[lo]) / (units[hi] - units[lo])
            return marginal, costs[lo] - marginal * units[lo]

        marginal, fixed = split(per_call)
        repeats = [split(costs) for costs in by_repeat.values()]
        out["marginal_per_event"] = marginal
        out["fixed_per_call"] = fixed
        out["total_per_event"] = per_call[hi] / units[hi]
        # the repeats' marginal costs, against the total per event (a coalesced stream's
        # marginal cost is a few % of it: its own spread in % would judge noise of nothing)
        margins = [m for m, _ in repeats]
        apart = (max(margins) - min(margins)) / out["total_per_event"] * 100
        out["spread_pct"] = round(max(out["spread_pct"], apart), 4)
        out["fixed_spread_pct"] = round(_spread([f for _, f in repeats]), 4)
    return out


def measure(
    python: str, scenario: str, config: str, args: argparse.Namespace, env: dict[str, str]
) -> dict[str, Any]:
    # A non-stream call is short: a young collection more in one window than in the other
    # would be a few % of it (3.11, two calls per window: repeats 2-3 % apart); more calls.
    calls = args.calls * (args.nonstream_factor if scenario == "sdk:nonstream" else 1)
    base = dict(
        env,
        BENCH_SCENARIO=scenario,
        BENCH_CONFIG=config,
        BENCH_CALLS=str(calls),
        BENCH_REPEATS=str(args.repeats),
    )
    windows, spans = counted(python, base, args.library)
    native = dict(base, BENCH_CALLS=str(calls * args.native_factor))
    cpu_windows, _ = _windows(_run([python, "-m", "benchmarks.instr_client"], native).stdout)
    ir = summarise(windows, "ir")
    cpu = summarise(cpu_windows, "cpu")
    stream = len({w["length"] for w in windows}) > 1
    row: dict[str, Any] = {
        "python": args.version,
        "scenario": scenario,
        "config": config,
        "lengths": sorted({w["length"] for w in windows}),
        "units_per_call": {str(w["length"]): w["units"] for w in windows},
        "reads_per_call": {str(w["length"]): w["reads"] for w in windows},
        "calls_per_window": calls,
        "repeats": args.repeats,
        "instructions_per_call": {k: round(v) for k, v in ir["per_call"].items()},
        "spread_pct": ir["spread_pct"],
        "fixed_spread_pct": ir.get("fixed_spread_pct"),
        "windows_instructions_per_call": ir["windows"],
        "cpu_us_per_call": {k: round(v * 1e6, 1) for k, v in cpu["per_call"].items()},
        "spans": spans,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": args.commit,
    }
    if stream:
        row["unit"] = "event"
        for name in ("marginal_per_event", "fixed_per_call", "total_per_event"):
            row[name] = round(ir[name])
            row[f"cpu_us_{name}"] = round(cpu[name] * 1e6, 3)
    else:
        row["unit"] = "call"
        only = next(iter(ir["per_call"].values()))
        row["per_call"] = round(only)
        row["cpu_us_per_call_only"] = round(next(iter(cpu["per_call"].values())) * 1e6, 1)
    return row


def validate(rows: list[dict[str, Any]], tolerance: float) -> None:
    """Mark each row of one scenario valid or not (with the reasons), in place."""
    bare = next((r for r in rows if r["config"] == "none"), None)
    for row in rows:
        problems = []
        if row["spread_pct"] > tolerance:
            problems.append(f"repeats disagree by {row['spread_pct']:.3f} % (> {tolerance} %)")
        if row["spans"] < 0 or (row["spans"] > 0) != MAKES_SPANS[row["config"]]:
            problems.append(f"{row['spans']} spans from {row['config']}")
        if bare is not None and row is not bare:
            for length, value in row["instructions_per_call"].items():
                if value < bare["instructions_per_call"].get(length, 0):
                    problems.append(f"costs less than the bare client per call at {length}")
            if row.get("marginal_per_event", 0) < bare.get("marginal_per_event", 0) * (
                1 - tolerance / 100
            ):
                problems.append("costs less than the bare client per event")
        row["valid"] = not problems
        row["problems"] = problems


def describe(row: dict[str, Any]) -> str:
    head = f"{row['python']} {row['scenario']:38} {row['config']:10}"
    if not row.get("valid", True):
        return f"{head} INVALID: {'; '.join(row['problems'])}"
    if row["unit"] == "event":
        return (
            f"{head} {row['marginal_per_event']:>9,} instr/event marginal, "
            f"{row['fixed_per_call']:>11,} per call, {row['total_per_event']:>9,} total/event  "
            f"| {row['cpu_us_marginal_per_event']:7.2f} µs/event, "
            f"{row['cpu_us_fixed_per_call']:8.1f} µs/call CPU  (spread {row['spread_pct']:.3f} %)"
        )
    return (
        f"{head} {row['per_call']:>11,} instr/call  | {row['cpu_us_per_call_only']:8.1f} µs/call"
        f" CPU  (spread {row['spread_pct']:.3f} %)"
    )


def precompile(python: str) -> None:
    """Compile every source the client may import, so that no run compiles (the client runs
    with ``PYTHONDONTWRITEBYTECODE=1``: nothing it does changes what the next run finds)."""
    paths = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            *paths,
            str(ROOT / "src"),
            str(ROOT / "benchmarks"),
        ],
        capture_output=True,
        check=False,
    )


def _start(python: str, module: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [python, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[1:]


def table(path: Path) -> str:
    """The latest valid row of each (Python, scenario, configuration) in ``path``, as Markdown."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "marginal_per_event" in row or "per_call" in row:
            latest[(row["python"], row["scenario"], row["config"])] = row
    lines = [
        "| Python | scenario | config | instr/event marginal | instr/call fixed | instr/event total"
        " | instr/call | µs/event | µs/call | valid |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (python, scenario, config), row in sorted(latest.items()):
        valid = "yes" if row.get("valid") else "NO: " + "; ".join(row.get("problems", []))
        if row["unit"] == "event":
            lines.append(
                f"| {python} | {scenario} | {config} | {row['marginal_per_event']:,} | "
                f"{row['fixed_per_call']:,} | {row['total_per_event']:,} | | "
                f"{row['cpu_us_marginal_per_event']:.2f} | {row['cpu_us_fixed_per_call']:.1f} |"
                f" {valid} |"
            )
        else:
            lines.append(
                f"| {python} | {scenario} | {config} | | | | {row['per_call']:,} | | "
                f"{row['cpu_us_per_call_only']:.1f} | {valid} |"
            )
    return "\n".join(lines)


def _rescored(row: dict[str, Any]) -> dict[str, Any]:
    """A row's spread computed again from its windows (rows that kept them)."""
    found = row.get("windows_instructions_per_call")
    if not found or row["unit"] != "event":
        return row
    windows = [
        {"repeat": r, "length": int(n), "calls": 1, "units": row["units_per_call"][n], "ir": v}
        for n, values in found.items()
        for r, v in enumerate(values)
    ]
    return dict(row, spread_pct=summarise(windows, "ir")["spread_pct"])


def revalidate(path: Path, tolerance: float) -> None:
    """Judge every row of ``path`` again (the spreads from their windows), in place."""
    rows = [_rescored(json.loads(line)) for line in path.read_text().splitlines()]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["python"], row["scenario"]), []).append(row)
    for group in groups.values():
        validate(group, tolerance)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _bare_rows(path: Optional[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if path is not None:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["config"] == "none" and row.get("valid"):
                found[(row["python"], row["scenario"])] = row
    return found


def _pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:+.1f} %" if whole else "-"


def _at(*rows: Optional[dict[str, Any]]) -> str:
    """The commits the rows were measured at (``?``: a row from before rows named theirs)."""
    return ", ".join((row.get("commit") or "?") if row else "-" for row in rows)


def summary(path: Path) -> str:
    """The hook's (and openai-v2's) added instructions against the bare client of the same
    scenario and Python, from the latest valid rows of ``path``, with the targets of issue 25."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row.get("valid") and ("marginal_per_event" in row or "per_call" in row):
            latest[(row["python"], row["scenario"], row["config"])] = row
    streams = [
        "| Python | format | JSON | delivery | bare: instr/event (marginal) | ours: + per event"
        " | bare: instr/call (fixed) | ours: + per call | bare: total/event at the longer"
        " | ours: + total/event | total ≤ +10 % | CPU µs/event bare, ours (marginal)"
        " | measured at: bare, ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    sdk = [
        "| Python | scenario | bare | ours: + | openai-v2: + | ours / openai-v2 | CPU µs bare,"
        " ours, openai-v2 | measured at: bare, ours, openai-v2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (python, scenario, config), ours in sorted(latest.items()):
        bare = latest.get((python, scenario, "none"))
        if config != "ours" or bare is None:
            continue
        if scenario.startswith("stream:"):
            _, fmt, style, delivery = scenario.split(":")
            extra = ours["marginal_per_event"] - bare["marginal_per_event"]
            # issue 25's measure: the total per event of a long stream (per-call work included)
            total = ours["total_per_event"] - bare["total_per_event"]
            met = "met" if total <= 0.1 * bare["total_per_event"] else "**not met**"
            streams.append(
                f"| {python} | {fmt} | {style} | {delivery} | {bare['marginal_per_event']:,} | "
                f"{extra:+,} ({_pct(extra, bare['marginal_per_event'])}) | "
                f"{bare['fixed_per_call']:,} | {ours['fixed_per_call'] - bare['fixed_per_call']:+,}"
                f" | {bare['total_per_event']:,} | "
                f"{_pct(ours['total_per_event'] - bare['total_per_event'], bare['total_per_event'])}"
                f" | {met} | {bare['cpu_us_marginal_per_event']:.1f}, "
                f"{ours['cpu_us_marginal_per_event']:.1f} | {_at(bare, ours)} |"
            )
            continue
        v2 = latest.get((python, scenario, "openai_v2"))
        if scenario == "sdk:nonstream":
            ours_add = ours["per_call"] - bare["per_call"]
            v2_add = v2["per_call"] - bare["per_call"] if v2 else None
            cpu = [r["cpu_us_per_call_only"] if r else 0 for r in (bare, ours, v2)]
            sdk.append(
                f"| {python} | non-stream, per call | {bare['per_call']:,} | {ours_add:+,} | "
                + (f"{v2_add:+,} | {ours_add / v2_add:.2f}x" if v2_add else "- | -")
                + f" | {cpu[0]:.0f}, {cpu[1]:.0f}, {cpu[2]:.0f} | {_at(bare, ours, v2)} |"
            )
            continue
        for name, label in (
            ("marginal_per_event", "stream, per chunk (marginal)"),
            ("fixed_per_call", "stream, per call (fixed)"),
        ):
            ours_add = ours[name] - bare[name]
            v2_add = v2[name] - bare[name] if v2 else None
            cpu = [r[f"cpu_us_{name}"] if r else 0 for r in (bare, ours, v2)]
            sdk.append(
                f"| {python} | {label} | {bare[name]:,} | {ours_add:+,} | "
                + (f"{v2_add:+,} | {ours_add / v2_add:.2f}x" if v2_add else "- | -")
                + f" | {cpu[0]:.1f}, {cpu[1]:.1f}, {cpu[2]:.1f} | {_at(bare, ours, v2)} |"
            )
        for length in (min(ours["lengths"]), max(ours["lengths"])):
            key = str(length)
            b = bare["instructions_per_call"][key]
            ours_add = ours["instructions_per_call"][key] - b
            v2_add = v2["instructions_per_call"][key] - b if v2 else None
            cpu = [r["cpu_us_per_call"][key] if r else 0 for r in (bare, ours, v2)]
            sdk.append(
                f"| {python} | stream of {length} chunks, whole call | {b:,} | {ours_add:+,} | "
                + (f"{v2_add:+,} | {ours_add / v2_add:.2f}x" if v2_add else "- | -")
                + f" | {cpu[0]:.0f}, {cpu[1]:.0f}, {cpu[2]:.0f} | {_at(bare, ours, v2)} |"
            )
    others = [
        "| Python | scenario | configuration | + per event (marginal) | + per call (fixed)"
        " | + total/event | ours: + per event, + per call | measured at |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (python, scenario, config), row in sorted(latest.items()):
        bare = latest.get((python, scenario, "none"))
        if config not in ("ours_chunk", "floor") or bare is None or row["unit"] != "event":
            continue
        ours = latest.get((python, scenario, "ours"))
        extra = row["marginal_per_event"] - bare["marginal_per_event"]
        fixed = row["fixed_per_call"] - bare["fixed_per_call"]
        total = row["total_per_event"] - bare["total_per_event"]
        others.append(
            f"| {python} | {scenario} | {config} | {extra:+,} ({_pct(extra, bare['marginal_per_event'])})"
            f" | {fixed:+,} | {total:+,} ({_pct(total, bare['total_per_event'])}) | "
            + (
                f"{ours['marginal_per_event'] - bare['marginal_per_event']:+,}, "
                f"{ours['fixed_per_call'] - bare['fixed_per_call']:+,} |"
                if ours
                else "- |"
            )
            + f" {_at(bare, row)} |"
        )
    text = "\n".join(streams) + "\n\n" + "\n".join(sdk)
    return text + ("\n\n" + "\n".join(others) if len(others) > 2 else "")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the client's interpreter")
    parser.add_argument("--only", default="", help="comma-separated scenarios (default: all)")
    parser.add_argument("--configs", default="", help="comma-separated configurations")
    parser.add_argument("--events", default="50,300", help="the two stream lengths")
    parser.add_argument("--calls", type=int, default=2, help="calls per counted window")
    parser.add_argument("--nonstream-factor", type=int, default=10, help="sdk:nonstream: calls x")
    parser.add_argument("--repeats", type=int, default=2, help="windows per length")
    parser.add_argument("--tolerance", type=float, default=1.0, help="repeats' spread, %%")
    parser.add_argument("--native-factor", type=int, default=5, help="native calls = calls x this")
    parser.add_argument("--gap-us", type=int, default=150, help="per-event delivery: gap")
    parser.add_argument("--jobs", type=int, default=2, help="measurements run at once")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/instructions.jsonl")
    parser.add_argument("--table", type=Path, help="print the Markdown table of a results file")
    parser.add_argument("--summary", type=Path, help="print the added costs and the targets")
    parser.add_argument("--revalidate", type=Path, help="judge a results file's rows again")
    parser.add_argument(
        "--bare-from", type=Path, help="take the bare client's rows from this file, not measure"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.table))
        return 0
    if args.summary:
        print(summary(args.summary))
        return 0
    if args.revalidate:
        revalidate(args.revalidate, args.tolerance)
        return 0
    scenarios = args.only.split(",") if args.only else SDK_SCENARIOS + STREAM_SCENARIOS
    wanted = None
    if args.configs:  # the bare client always: every row is checked against it
        wanted = ["none"] + [c for c in args.configs.split(",") if c != "none"]
    bare = _bare_rows(args.bare_from)
    args.version = subprocess.run(
        [args.python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    args.library = cgctl.build(ROOT / "build" / "bench-cgctl")
    args.commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    precompile(args.python)
    delivery, ports = _start(args.python, "benchmarks.delivery_server")
    provider, port = _start(args.python, "benchmarks.fake_provider")
    env = dict(
        os.environ,
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        BENCH_DELIVERY_PORTS=",".join(ports),
        BENCH_PROVIDER_PORT=port[0],
        BENCH_LENGTHS=args.events,
        BENCH_GAP_US=str(args.gap_us),
    )
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    failed = 0
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            plan: list[tuple[str, list[Future[dict[str, Any]]]]] = []
            for scenario in scenarios:
                configs = [
                    c
                    for c in (wanted or CONFIGS[scenario.split(":")[0]])
                    if c in ALLOWED[scenario.split(":")[0]]
                ]
                if (args.version, scenario) in bare:
                    configs = [c for c in configs if c != "none"]
                futures = [
                    pool.submit(measure, args.python, scenario, c, args, env) for c in configs
                ]
                plan.append((scenario, futures))
            for scenario, futures in plan:
                rows = []
                for future in futures:
                    try:
                        rows.append(future.result())
                    except Exception as error:  # one broken measurement must not lose the rest
                        failed += 1
                        print(f"{args.version} {scenario} FAILED: {error}", flush=True)
                known = bare.get((args.version, scenario))
                validate(rows + ([known] if known else []), args.tolerance)
                with lock, args.out.open("a") as out:
                    for row in rows:
                        out.write(json.dumps(row) + "\n")
                for row in rows:
                    print(describe(row), flush=True)
    finally:
        for proc in (delivery, provider):
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
