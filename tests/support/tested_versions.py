"""Records what a test run ran on: the Python, the OpenTelemetry SDK, every HTTP client and SDK.

A pytest plugin (``tests/conftest.py``): at the end of a session it writes
``build/tested-versions/python-X.Y.json`` with the interpreter, the installed version of each
distribution in :data:`DISTRIBUTIONS` (those present), the LiteLLM release of the proxy's own venv,
the aiobotocore, botocore and boto3 releases of ``.venv-aiobotocore`` and the run's outcome counts. ``scripts/tested_versions.py`` turns the records of the newest- and
oldest-Python runs into the table in docs/tested-versions.md, so that table states what CI ran,
not what we meant to run.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
RECORDS = ROOT / "build" / "tested-versions"
SCOPE_ENV = "LLM_ROUTER_TEST_SCOPE"
"""What the run covers, as scripts/test.sh says: ``whole suite`` or ``package's own tests``."""

DISTRIBUTIONS = (
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-instrumentation",
    "opentelemetry-exporter-otlp-proto-grpc",
    "opentelemetry-exporter-prometheus",
    "httpx",
    "httpx2",
    "aiohttp",
    "openai",
    "anthropic",
    "google-genai",
    "mistralai",
    "groq",
    "cohere",
    "ollama",
    "together",
    "fireworks-ai",
    "huggingface_hub",
    "langchain-openai",
    "litellm",
    "boto3",
    "botocore",
    "aiobotocore",
    "genai-prices",
    "redis",
    "rich",
)


def _version(distribution: str) -> Optional[str]:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _litellm_proxy_version() -> Optional[str]:
    """The LiteLLM releases in ``.venv-litellm`` and ``.venv-litellm-next`` (the proxy tests' own
    venvs: the pinned release, the one an unpinned install gets), as ``1.106.12, 1.108.7``."""
    found = []
    for venv in (".venv-litellm", ".venv-litellm-next"):
        for info in sorted(ROOT.glob(f"{venv}/lib/python*/site-packages/litellm-*.dist-info")):
            release = re.match(r"litellm-(.+)\.dist-info$", info.name)
            if release:
                found.append(release.group(1))
                break
    return ", ".join(found) or None


def _venv_versions(venv: str, distributions: tuple[str, ...]) -> Optional[str]:
    """The releases of ``distributions`` installed in ``venv`` (a venv of the tests' own), as
    ``aiobotocore 3.10.0, botocore 1.43.117``."""
    found = []
    for distribution in distributions:
        for info in sorted(ROOT.glob(f"{venv}/lib/python*/site-packages/*.dist-info")):
            name, _, release = info.name[: -len(".dist-info")].partition("-")
            if name.lower().replace("_", "-") == distribution:
                found.append(f"{distribution} {release}")
                break
    return ", ".join(found) or None


def _commit() -> str:
    """The commit under test (a clean checkout's HEAD), or ``unknown``."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _ran_aiobotocore(session: pytest.Session) -> bool:
    """Whether this run had the tests that use ``.venv-aiobotocore``."""
    return any("test_aiobotocore" in item.nodeid for item in session.items)


def _ran_the_proxy(session: pytest.Session) -> bool:
    """Whether this run had the LiteLLM proxy tests (they use ``.venv-litellm``)."""
    return any("test_litellm_proxy" in item.nodeid for item in session.items)


class _Outcomes:
    def __init__(self) -> None:
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    def pytest_runtest_logreport(self, report: Any) -> None:
        counted = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
        if counted and report.outcome in self.counts:
            self.counts[report.outcome] += 1


_OUTCOMES = _Outcomes()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_OUTCOMES, "llm_router_tested_versions_outcomes")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if getattr(session.config, "workerinput", None) is not None or session.testscollected == 0:
        return
    record = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": f"{platform.system()} {platform.machine()}",
        "scope": os.environ.get(SCOPE_ENV, "selected tests"),
        "commit": _commit(),
        "date": datetime.date.today().isoformat(),
        "arguments": list(session.config.invocation_params.args),
        "exit_status": int(exitstatus),
        "collected": session.testscollected,
        "outcomes": dict(_OUTCOMES.counts),
        "distributions": {d: v for d in DISTRIBUTIONS if (v := _version(d)) is not None},
        "litellm_proxy": _litellm_proxy_version() if _ran_the_proxy(session) else None,
        "aiobotocore_venv": (
            _venv_versions(".venv-aiobotocore", ("aiobotocore", "botocore", "boto3"))
            if _ran_aiobotocore(session)
            else None
        ),
    }
    try:
        RECORDS.mkdir(parents=True, exist_ok=True)
        name = "python-{}.{}.json".format(*sys.version_info[:2])
        (RECORDS / name).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass  # a read-only checkout: the record is a by-product, never a failure
