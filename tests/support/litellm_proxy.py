"""The real LiteLLM proxy as a subprocess: ``opentelemetry-instrument litellm -c config.yaml``.

It runs from ``.venv-litellm`` (``scripts/setup.sh`` makes it from
``tests/litellm_proxy/requirements.txt``), configured as an operator would: ``OTEL_*`` variables
only, no database, no network (``LITELLM_LOCAL_MODEL_COST_MAP=True``, telemetry off), in front of
the loopback fake provider, exporting OTLP to the tests' receiver. Starting it takes 10-30 s, so a
test module starts one and sends all its traffic through it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Optional

ROOT = Path(__file__).resolve().parents[2]
PROXY_DIR = ROOT / "tests" / "litellm_proxy"
VENV_BIN = ROOT / ".venv-litellm" / "bin"
"""The pinned release (``tests/litellm_proxy/requirements.txt``)."""
NEXT_VENV_BIN = ROOT / ".venv-litellm-next" / "bin"
"""The release an unpinned ``pip install 'litellm[proxy]'`` gets here
(``tests/litellm_proxy/requirements-next.txt``)."""
UPSTREAM_KEY = "sk-upstream-fake-1a2b3c4d5e6f7a8b9c0d"
"""The key the proxy sends the fake provider (must never reach telemetry either)."""
MASTER_KEY = "sk-master-" + "5f4e3d2c1b0a" * 5
"""The proxy's admin key (LiteLLM refuses to start without a strong one)."""
START_TIMEOUT_S = 240.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_environment(
    otlp_endpoint: str, provider_port: int, extra: Optional[dict[str, str]] = None
) -> dict[str, str]:
    """The proxy's whole environment: the machine's basics, no ``OTEL_*`` or ``LITELLM_*`` from
    the test run, and the operator's settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "LITELLM_", "OPENAI_", "ANTHROPIC_", "DATABASE_URL"))
    }
    env.update(
        {
            "OTEL_SERVICE_NAME": "litellm-proxy",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_METRIC_EXPORT_INTERVAL": "500",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_PYTHON_LLM_ROUTER_PROVIDERS": f"127.0.0.1:{provider_port}=openai",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "LITELLM_LOG": "ERROR",
            "FAKE_PROVIDER_BASE_URL": f"http://127.0.0.1:{provider_port}/v1",
            "FAKE_PROVIDER_KEY": UPSTREAM_KEY,
            "LITELLM_MASTER_KEY": MASTER_KEY,
            "NO_PROXY": "127.0.0.1,localhost",
            # LiteLLM's backoff between retries (0.5 s doubling plus up to 0.75 s of jitter)
            # only costs test time: retries happen at once
            "INITIAL_RETRY_DELAY": "0",
            "JITTER": "0",
        }
    )
    env.update(extra or {})
    return env


class LiteLLMProxy:
    """One proxy process on a free loopback port; ``stop()`` ends it (SIGTERM, so the
    OpenTelemetry SDK flushes what it still holds)."""

    def __init__(
        self,
        config: Path,
        env: dict[str, str],
        log_path: Path,
        *,
        instrument: bool = True,
        venv_bin: Path = VENV_BIN,
    ) -> None:
        missing = [
            p
            for p in (venv_bin / "litellm", venv_bin / "opentelemetry-instrument")
            if not p.exists()
        ]
        if missing:
            raise RuntimeError(
                f"{missing[0]} is missing: run `bash scripts/setup.sh` (it makes .venv-litellm)"
            )
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log: IO[bytes] = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        # instrument=False: the bare proxy, for the benchmark's baseline
        wrapper = [str(venv_bin / "opentelemetry-instrument")] if instrument else []
        self.process = subprocess.Popen(
            [
                *wrapper,
                str(venv_bin / "litellm"),
                "-c",  # not --config: opentelemetry-instrument's parser takes --c* as its own
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=str(PROXY_DIR),
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the LiteLLM proxy exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health/liveliness", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"the LiteLLM proxy did not start in {START_TIMEOUT_S}s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
