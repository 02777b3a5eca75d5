"""Running the examples as real subprocesses under ``opentelemetry-instrument``, for the zero-code
and Prometheus tests: clean environments, free ports, readiness waits and clean shutdowns.

Why a clean environment: the point of those tests is that *only* the variables the test sets
configure the app, so every ``OTEL_*`` (and provider/router) variable of the outer shell is dropped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import httpx

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
BIN = Path(sys.executable).parent
OPENTELEMETRY_INSTRUMENT = BIN / "opentelemetry-instrument"

_DROPPED_PREFIXES = ("OTEL_", "OPENAI_", "ANTHROPIC_", "ROUTER_")


def clean_env(extra: Mapping[str, str]) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(extra)
    return env


def otlp_env(service_name: str, endpoint: str, protocol: str) -> Dict[str, str]:
    """The standard OTel variables that send traces and metrics over OTLP, exporting promptly."""
    return {
        "OTEL_SERVICE_NAME": service_name,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def instrumented(args: List[str]) -> List[str]:
    return [str(OPENTELEMETRY_INSTRUMENT), sys.executable, *args]


def run_instrumented(args: List[str], env: Mapping[str, str], timeout: float = 30.0) -> str:
    """Run to completion under ``opentelemetry-instrument``; returns stdout, raises on failure."""
    done = subprocess.run(
        instrumented(args),
        env=dict(env),
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{args} exited with {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done.stdout


class RouterProcess:
    """The router example (``python -m router_app``) under ``opentelemetry-instrument``."""

    def __init__(self, env: Mapping[str, str], port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**env, "ROUTER_HOST": "127.0.0.1", "ROUTER_PORT": str(self.port)}
        self._proc: Optional[subprocess.Popen[str]] = None
        self.output = ""

    def start(self, timeout: float = 20.0) -> RouterProcess:
        self._proc = subprocess.Popen(
            instrumented(["-m", "router_app"]),
            env=self._env,
            cwd=str(EXAMPLES),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.stop()
                raise AssertionError(f"router exited early:\n{self.output}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"router not healthy within {timeout}s:\n{self.output}")

    def stop(self, timeout: float = 15.0) -> str:
        """SIGTERM (uvicorn shuts down cleanly, the SDK flushes at exit); returns the output."""
        proc = self._proc
        if proc is None:
            return self.output
        self._proc = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        self.output = out or ""
        return self.output

    def __enter__(self) -> RouterProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
