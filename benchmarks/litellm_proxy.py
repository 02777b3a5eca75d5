"""What the LiteLLM adapter costs the proxy: latency and CPU per request, adapter on and off.

Three LiteLLM proxies (from ``.venv-litellm``, the pinned test install) run side by side in front
of the benchmark's fast fake provider, each on its own port:

- ``bare``: ``litellm -c config`` (no OpenTelemetry at all): the proxy's own cost;
- ``hook``: ``opentelemetry-instrument litellm -c config``: our httpx hook on the upstream calls
  (plus the OpenTelemetry SDK and OTLP export to a local receiver);
- ``adapter``: the same with the adapter's line in the config: a router span per request too.

Rounds are paired: each round sends the same number of sequential non-streaming chat requests
(plain httpx, keep-alive) directly to the provider, then through each proxy, in a rotating order;
per request it takes the client's wall time and the proxy process's CPU time (user + system from
``/proc``). The adapter's cost is the difference ``adapter - hook`` within a round; the hook's is
``hook - bare``; the proxy's own is ``bare - direct`` (latency) and ``bare`` (CPU). Medians over
rounds, with the min-max.

On a shared 2-core machine the proxy's own per-request cost (tens of ms of wall time, ~15 ms of
CPU) varies by more than the instrumentation adds, so the script also measures the adapter's own
work in process: a real ``litellm.Router`` call is made once to capture LiteLLM's real hook
arguments, then the adapter's hooks for one request (pre-call, pre-API, post-call, success event:
span begun, resolved, attributes, metrics) are replayed many times against an SDK that exports
nothing, and their CPU time per request is compared with an identical loop without the adapter.

``python -m benchmarks.litellm_proxy [--rounds 5] [--requests 200] [--out benchmarks/results]``
(about 5 minutes plus the proxies' start-up). Needs ``bash scripts/setup.sh`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.litellm_proxy import VENV_BIN, LiteLLMProxy, proxy_environment
from tests.support.otlp_receiver import OTLPReceiver

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """model_list:
  - model_name: bench
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: os.environ/FAKE_PROVIDER_BASE_URL
      api_key: os.environ/FAKE_PROVIDER_KEY
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
"""
ADAPTER_LINE = """litellm_settings:
  callbacks: ["opentelemetry.instrumentation.llm_router.litellm.callback"]
"""
CONFIGURATIONS = ("bare", "hook", "adapter")
BODY = {"model": "bench", "messages": [{"role": "user", "content": "hello " * 50}]}
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its finished children, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICKS


def start_provider() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_provider"],
        cwd=str(ROOT),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        raise RuntimeError(f"fake provider did not start: {line!r}")
    return process, int(line.split()[1])


def start_proxies(
    provider_port: int, receiver: OTLPReceiver, workdir: Path
) -> dict[str, LiteLLMProxy]:
    plain = workdir / "config.yaml"
    plain.write_text(CONFIG)
    adapted = workdir / "config-adapter.yaml"
    adapted.write_text(CONFIG + ADAPTER_LINE)
    base_env = proxy_environment(receiver.grpc_endpoint, provider_port)
    base_env["OTEL_METRIC_EXPORT_INTERVAL"] = "60000"  # the SDK default, not the tests' 0.5 s
    base_env["OTEL_BSP_SCHEDULE_DELAY"] = "5000"
    proxies: dict[str, LiteLLMProxy] = {}
    try:
        proxies["bare"] = LiteLLMProxy(plain, base_env, workdir / "bare.log", instrument=False)
        proxies["hook"] = LiteLLMProxy(plain, base_env, workdir / "hook.log")
        proxies["adapter"] = LiteLLMProxy(adapted, base_env, workdir / "adapter.log")
    except BaseException:
        for proxy in proxies.values():
            proxy.stop()
        raise
    return proxies


def measure(
    client: httpx.Client, url: str, headers: dict[str, str], requests: int, pid: int | None
) -> tuple[float, float | None]:
    """Median wall ms per request, and CPU ms per request of ``pid`` (None: no process)."""
    walls = []
    cpu_before = cpu_seconds(pid) if pid else 0.0
    for _ in range(requests):
        start = time.perf_counter()
        response = client.post(url, json=BODY, headers=headers)
        walls.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
    cpu = (cpu_seconds(pid) - cpu_before) / requests * 1000 if pid else None
    return statistics.median(walls) * 1000, cpu


def adapter_cpu_us(provider_port: int, requests: int = 2_000) -> dict[str, float]:
    """CPU µs per request of the adapter's own hooks, replayed with LiteLLM's real arguments."""
    import asyncio

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    import litellm
    from litellm.integrations.custom_logger import CustomLogger
    from litellm.proxy._types import UserAPIKeyAuth
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    from opentelemetry.instrumentation.llm_router._litellm._callback import OTelLiteLLMCallback

    class Capture(CustomLogger):  # type: ignore[misc]
        seen: dict[str, Any] = {}

        def log_pre_api_call(self, model: Any, messages: Any, kwargs: dict) -> None:
            self.seen["pre_api"] = (model, messages, dict(kwargs))

        async def async_log_success_event(
            self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
        ) -> None:
            self.seen["success"] = (dict(kwargs), response_obj, start_time, end_time)

    class Discard(SpanExporter):
        exported = 0

        def export(self, spans: Any) -> SpanExportResult:
            Discard.exported += len(spans)
            return SpanExportResult.SUCCESS

    capture = Capture()
    litellm.logging_callback_manager._reset_all_callbacks()
    litellm.callbacks = [capture]
    router = litellm.Router(
        model_list=[
            {
                "model_name": "bench",
                "litellm_params": {
                    "model": "openai/gpt-4o-mini",
                    "api_base": f"http://127.0.0.1:{provider_port}/v1",
                    "api_key": "sk-bench",
                },
            }
        ]
    )
    data = {"model": "bench", "messages": BODY["messages"], "litellm_call_id": "capture"}

    async def capture_once() -> None:
        await router.acompletion(**data)
        for _ in range(500):
            if "success" in capture.seen:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError(f"LiteLLM reported no success event (saw {sorted(capture.seen)})")

    asyncio.run(capture_once())
    litellm.logging_callback_manager._reset_all_callbacks()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(Discard()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    adapter = OTelLiteLLMCallback(tracer_provider, meter_provider)
    auth = UserAPIKeyAuth(api_key="sk-bench-key", team_id="t", max_budget=10.0, spend=1.0)
    model, messages, pre_kwargs = capture.seen["pre_api"]
    kwargs, response, start, end = capture.seen["success"]

    async def one(call_id: str, with_adapter: bool) -> None:
        request = {**data, "litellm_call_id": call_id}
        if with_adapter:
            await adapter.async_pre_call_hook(auth, None, request, "acompletion")
            adapter.log_pre_api_call(model, messages, {**pre_kwargs, "litellm_call_id": call_id})
            await adapter.async_post_call_success_hook(request, auth, response)
            await adapter.async_log_success_event(
                {**kwargs, "litellm_call_id": call_id}, response, start, end
            )
        else:  # the same dict copies and awaits, no adapter
            _ = {**pre_kwargs, "litellm_call_id": call_id}, {**kwargs, "litellm_call_id": call_id}
            await asyncio.sleep(0)

    loops = iter(range(1_000_000))

    async def loop(with_adapter: bool) -> float:
        prefix = f"bench-{next(loops)}"
        cpu = time.process_time()
        for index in range(requests):
            await asyncio.create_task(one(f"{prefix}-{index}", with_adapter))
        return (time.process_time() - cpu) / requests * 1e6

    async def paired() -> list[float]:
        await loop(True)  # warm up
        return [await loop(True) - await loop(False) for _ in range(5)]

    result = summary(asyncio.run(paired()))
    if Discard.exported != 6 * requests:  # the warm-up loop and five measured ones, a span each
        raise RuntimeError(f"the adapter made {Discard.exported} spans for {6 * requests} requests")
    return result


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--in-process-only", action="store_true", help="only the adapter's own cost (no proxies)"
    )
    args = parser.parse_args()
    if args.in_process_only:
        provider, port = start_provider()
        try:
            print(json.dumps({"adapter_in_process_cpu_us": adapter_cpu_us(port)}, indent=2))
        finally:
            provider.terminate()
            provider.wait(timeout=10)
        return

    provider, port = start_provider()
    receiver = OTLPReceiver().start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-litellm-"))
    proxies: dict[str, LiteLLMProxy] = {}
    try:
        proxies = start_proxies(port, receiver, workdir)
        auth = {"Authorization": f"Bearer {proxy_environment('', 0)['LITELLM_MASTER_KEY']}"}
        targets: dict[str, tuple[str, dict[str, str], int | None]] = {
            "direct": (f"http://127.0.0.1:{port}/v1/chat/completions", {}, None),
            **{
                name: (f"{proxy.base_url}/v1/chat/completions", auth, proxy.process.pid)
                for name, proxy in proxies.items()
            },
        }
        rounds: list[dict[str, Any]] = []
        with httpx.Client(timeout=30) as client:
            for url, headers, _ in targets.values():  # warm every path (imports, caches)
                for _ in range(args.warmup):
                    client.post(url, json=BODY, headers=headers)
            names = list(targets)
            for index in range(args.rounds):
                order = names[index % len(names) :] + names[: index % len(names)]
                result: dict[str, Any] = {}
                for name in order:
                    url, headers, pid = targets[name]
                    wall, cpu = measure(client, url, headers, args.requests, pid)
                    result[name] = {"wall_ms": wall, "cpu_ms": cpu}
                rounds.append(result)
                print(f"round {index + 1}: " + json.dumps(result), flush=True)
        spans = len(receiver.spans())
        in_process = adapter_cpu_us(port)
        print("adapter in process, CPU us per request: " + json.dumps(in_process), flush=True)
    finally:
        for proxy in proxies.values():
            proxy.stop()
        receiver.stop()
        provider.terminate()
        provider.wait(timeout=10)

    def paired(a: str, b: str, field: str) -> dict[str, float]:
        return summary([r[a][field] - r[b][field] for r in rounds])

    report = {
        "litellm": _litellm_version(),
        "rounds": args.rounds,
        "requests_per_round": args.requests,
        "spans_exported": spans,
        "proxy_own_latency_ms": paired("bare", "direct", "wall_ms"),
        "proxy_own_cpu_ms": summary([r["bare"]["cpu_ms"] for r in rounds]),
        "hook_latency_ms": paired("hook", "bare", "wall_ms"),
        "hook_cpu_ms": paired("hook", "bare", "cpu_ms"),
        "adapter_latency_ms": paired("adapter", "hook", "wall_ms"),
        "adapter_cpu_ms": paired("adapter", "hook", "cpu_ms"),
        "adapter_in_process_cpu_us": in_process,
        "raw": rounds,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "litellm_proxy.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "raw"}, indent=2))


def _litellm_version() -> str:
    try:
        return subprocess.run(
            [
                str(VENV_BIN / "python"),
                "-c",
                "import importlib.metadata as m; print(m.version('litellm'))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


if __name__ == "__main__":
    main()
