"""What one byte test costs, in instructions: the unit of every stream fast path's budget.

A coalesced stream's bare client spends well under 2,000 instructions per event (a read carries
dozens of events), so a ≤ +10 % target there leaves a hook one to two hundred instructions per
event. This counts, under callgrind and with the windows of :mod:`benchmarks.cgctl`, what the
operations a parser would spend them on cost when run from Python on the benchmark's own events
(:mod:`benchmarks.stream_bodies`, OpenAI Chat Completions, compact JSON):

- ``loop``: an empty loop turn (subtracted from every other figure);
- ``find-empty``: ``b"".find(key)``: the call alone, nothing scanned;
- ``find-miss``: ``raw.find(b'"error"')``: a key that is not there, so the whole event is scanned;
- ``rfind-miss``: the same from the end;
- ``find-newline``: ``raw.find(10)`` (one byte: ``memchr``), not there either;
- ``endswith``: ``raw.endswith(tail)`` of the event's last 40 bytes, a hit;
- ``orjson`` / ``json``: decoding the event's JSON (``orjson.loads`` / ``json.loads``);
- ``*-read``: the same scans over a whole coalesced read (all 300 events of a stream in one
  ``bytes``), per event of it.

    python -m benchmarks.scan_cost --python benchmarks/.venvs/instr-3.13/bin/python

Prints instructions per operation (the window's count less the empty loop's, over the operations),
for each Python given, and the event's size. Needs valgrind and a C compiler, as
:mod:`benchmarks.instructions` does.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
OPS = 20_000
"""Operations per window: enough that a window's own start and end are a rounding error."""
READ_OPS = 200
"""Operations per window over a whole coalesced read (each scans ~100 KB)."""


def _event() -> bytes:
    from benchmarks.stream_bodies import stream_events

    events = stream_events("chat", "compact", 300)
    return events[len(events) // 2]  # a content event from the middle of the stream


def _read() -> tuple[bytes, int]:
    from benchmarks.stream_bodies import stream_events

    events = stream_events("chat", "compact", 300)
    return b"".join(events), len(events)


def _operations() -> dict[str, tuple[Callable[[int], None], int, int]]:
    """name -> (run it ``n`` times, operations per window, events per operation)."""
    import orjson

    raw = _event()
    data = raw[len(b"data: ") : -2]
    tail = raw[-40:]
    read, events = _read()
    key = b'"error"'

    def loop(n: int) -> None:
        for _ in range(n):
            pass

    def find_empty(n: int) -> None:
        empty = b""
        for _ in range(n):
            empty.find(key)

    def find_miss(n: int) -> None:
        for _ in range(n):
            raw.find(key)

    def rfind_miss(n: int) -> None:
        for _ in range(n):
            raw.rfind(key)

    def find_newline(n: int) -> None:
        for _ in range(n):
            data.find(10)

    def endswith(n: int) -> None:
        for _ in range(n):
            raw.endswith(tail)

    def decode_orjson(n: int) -> None:
        loads = orjson.loads
        for _ in range(n):
            loads(data)

    def decode_json(n: int) -> None:
        loads = json.loads
        for _ in range(n):
            loads(data)

    def find_miss_read(n: int) -> None:
        for _ in range(n):
            read.find(key)

    def find_newline_read(n: int) -> None:
        for _ in range(n):
            read.find(b"\r")

    return {
        "loop": (loop, OPS, 1),
        "find-empty": (find_empty, OPS, 1),
        "find-miss": (find_miss, OPS, 1),
        "rfind-miss": (rfind_miss, OPS, 1),
        "find-newline": (find_newline, OPS, 1),
        "endswith": (endswith, OPS, 1),
        "orjson": (decode_orjson, OPS // 10, 1),
        "json": (decode_json, OPS // 10, 1),
        "find-miss-read": (find_miss_read, READ_OPS, events),
        "find-cr-read": (find_newline_read, READ_OPS, events),
    }


def client() -> None:
    """Under callgrind: one window per operation (after a warm-up run of each)."""
    lib = ctypes.CDLL(os.environ["BENCH_CGCTL"])
    operations = _operations()
    for run, count, _ in operations.values():
        run(count // 10)
    for name, (run, count, _) in operations.items():
        lib.bench_start()
        run(count)
        lib.bench_stop(name.encode())
    loop = operations["loop"][0]
    for count in sorted({c for _, c, _ in operations.values()}):
        lib.bench_start()
        loop(count)
        lib.bench_stop(f"loop-{count}".encode())


def count(python: str) -> dict[str, int]:
    """Every window's instructions, by its label."""
    from benchmarks import cgctl

    library = cgctl.build(ROOT / "build" / "bench-cgctl")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            BENCH_CGCTL=str(library),
            PYTHONHASHSEED="0",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/callgrind.out",
                python,
                "-m",
                "benchmarks.scan_cost",
                "--client",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        found = {}
        for dump in Path(tmp).glob("callgrind.out.*"):
            text = dump.read_text(errors="replace")
            label = re.search(r"^desc: Trigger: Client Request: (\S+)$", text, re.M)
            total = re.search(r"^totals: (\d+)", text, re.M)
            if label and total:
                found[label.group(1)] = int(total.group(1))
    return found


def report(python: str) -> list[str]:
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    counts = count(python)
    operations = _operations()
    raw = _event()
    read, events = _read()
    lines = [
        f"Python {version}: one chat content event of {len(raw)} bytes; a coalesced read of "
        f"{events} events, {len(read):,} bytes (instructions per operation, empty loop turn "
        f"subtracted; *-read: per event of the read)"
    ]
    for name, (_, ops, per) in operations.items():
        total = counts[name] - (0 if name == "loop" else counts[f"loop-{ops}"])
        lines.append(f"  {name:16} {total / ops / per:10,.0f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter(s) to count with")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        client()
        return 0
    for python in args.python or [sys.executable]:
        print("\n".join(report(python)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
