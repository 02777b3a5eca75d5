"""A real Prometheus server (Debian package ``prometheus``) started by a test on a free port.

It scrapes the given targets every second and evaluates the given rule files every second; the
test reads it through the HTTP API (queries, label values, alerts). Used by the dashboard test
(tests/test_prometheus_dashboard.py) and the rules test (tests/test_prometheus_rules.py).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

import httpx

from tests.support.apps import free_port
from tests.support.system import die_with_parent, require_program


class Prometheus:
    def __init__(
        self, workdir: Path, targets: Sequence[str] | str, rule_files: Sequence[Path] = ()
    ) -> None:
        if isinstance(targets, str):
            targets = [targets]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "prometheus.yml"
        # JSON is YAML: no quoting questions for paths and targets.
        config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(path) for path in rule_files],
                    "scrape_configs": [
                        {"job_name": "llm-router", "static_configs": [{"targets": list(targets)}]}
                    ],
                }
            )
        )
        self._proc = subprocess.Popen(
            [
                require_program("prometheus", "prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent,
        )

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise AssertionError(f"prometheus exited: {self._proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("prometheus not ready")

    def query(self, expr: str) -> List[Dict[str, Any]]:
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()
        assert reply["status"] == "success", f"{expr}: {reply}"
        return list(reply["data"]["result"])

    def label_values(self, label: str, match: str) -> List[str]:
        reply = httpx.get(
            f"{self.url}/api/v1/label/{label}/values", params={"match[]": match}, timeout=10
        ).json()
        assert reply["status"] == "success", f"{label} {match}: {reply}"
        return list(reply["data"])

    def alerts(self) -> List[Dict[str, Any]]:
        """Every pending and firing alert (``/api/v1/alerts``)."""
        reply = httpx.get(f"{self.url}/api/v1/alerts", timeout=10).json()
        assert reply["status"] == "success", reply
        return list(reply["data"]["alerts"])

    def wait_for(self, expr: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query(expr):
                return
            time.sleep(0.25)
        raise AssertionError(f"no data for {expr} within {timeout}s")

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
