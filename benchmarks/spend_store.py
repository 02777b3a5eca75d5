"""What a budget record costs, in-process store against the Redis store (docs/fleet.md).

One record = ``SpendTracker.record`` for a caller with a one-hour duration window (the work the
observer adds per priced request), on a call of a real GenAI pipeline. The two stores run in
interleaved rounds so a busy machine slows them alike. The Redis store is one ``EVALSHA`` round
trip to a ``redis-server`` on 127.0.0.1 (started here on a free port unless ``--url`` is given):
its wall time includes the server's work and the loopback round trip, its CPU time only this
process's share.

    python -m benchmarks.spend_store [--rounds 7] [--records 2000] [--url redis://...]

For instruction counts (this process only; the server runs outside), run one store N times
under /work/shared/tools/instructions-per-unit (see docs/fleet.md for the exact command):

    N=... python -m benchmarks.spend_store --only process|redis --url redis://127.0.0.1:PORT/0
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from typing import Any, Callable, Optional

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from opentelemetry.instrumentation.llm_router import BudgetRange, CallerContext, SpendTracker
from opentelemetry.instrumentation.llm_router._genai import GenAITelemetry
from opentelemetry.instrumentation.llm_router._spend_redis import RedisSpendStore, connect


def _tracker(kind: str, url: Optional[str]) -> SpendTracker:
    if kind == "process":
        return SpendTracker()
    assert url is not None
    return SpendTracker(store=RedisSpendStore(connect(url, 5.0), prefix="bench:"))


def _records(kind: str, url: Optional[str]) -> Callable[[int], tuple[float, float]]:
    tracker = _tracker(kind, url)
    telemetry = GenAITelemetry(TracerProvider(sampler=ALWAYS_OFF), MeterProvider())
    call = telemetry.start_call("chat", "openai", "gpt-4o")
    callers = [
        CallerContext(f"acct-{i}", budget=10**9, budget_range=BudgetRange.duration(3600))
        for i in range(16)
    ]

    def run(n: int) -> tuple[float, float]:
        """Wall and CPU µs per record over ``n`` records."""
        wall, cpu = time.perf_counter_ns(), time.process_time_ns()
        for i in range(n):
            tracker.record(call, callers[i & 15], 0.00475)
        wall, cpu = time.perf_counter_ns() - wall, time.process_time_ns() - cpu
        assert tracker.fallbacks == 0, "the Redis store did not answer"
        return wall / n / 1000, cpu / n / 1000

    return run


def _redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian package 'redis-server')")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            connect(url, 1.0).ping()
            return server, url
        except Exception:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("redis-server did not start")


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--url", help="a running Redis (default: start one here)")
    parser.add_argument("--only", choices=["process", "redis"], help="N records of one store")
    args = parser.parse_args(argv)
    if args.only:  # for instructions-per-unit: warm up, then N records
        run = _records(args.only, args.url)
        run(50)
        run(int(os.environ.get("N", "100")))
        return
    server: Optional[subprocess.Popen[bytes]] = None
    directory = tempfile.mkdtemp()
    url = args.url
    if url is None:
        server, url = _redis(directory)
    try:
        runs = {kind: _records(kind, url) for kind in ("process", "redis")}
        for run in runs.values():
            run(200)  # warm up: imports, the script's first EVAL, connections
        figures: dict[str, list[tuple[float, float]]] = {kind: [] for kind in runs}
        for _ in range(args.rounds):
            for kind, run in runs.items():
                figures[kind].append(run(args.records))
    finally:
        if server is not None:
            server.kill()
            server.wait()
    _report(figures, args)


def _report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"SpendTracker.record, {args.rounds} rounds x {args.records} records, duration window")
    base_wall = statistics.median(w for w, _ in figures["process"])
    for kind, values in figures.items():
        walls = [w for w, _ in values]
        cpus = [c for _, c in values]
        print(
            f"  {kind:8s} wall {statistics.median(walls):7.1f} µs/record "
            f"(range {min(walls):.1f}-{max(walls):.1f}; x{statistics.median(walls) / base_wall:.1f}"
            f" of process)   CPU {statistics.median(cpus):6.1f} µs/record"
        )


if __name__ == "__main__":
    main()
