"""aiobotocore (async Bedrock Runtime) and the sync botocore hook on aiobotocore's botocore, run in
``.venv-aiobotocore``: aiobotocore pins an exact botocore, older than the main venv's boto3, so
it has a venv of its own (made by ``scripts/setup.sh`` from tests/aiobotocore_venv/requirements.txt).

One pytest run there (a subprocess) covers tests/aiobotocore_venv/bedrock_async_cases.py, the boto3
tests of tests/test_bedrock.py and the SDK matrix's aiobotocore and boto3 cells; the tests here
report its outcome per group, from its JUnit XML, with its output when something failed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv-aiobotocore" / "bin" / "python"
GROUPS = {
    "async": "tests/aiobotocore_venv/bedrock_async_cases.py",
    "sync": "tests/test_bedrock.py",
    "matrix": "tests/sdk_matrix/test_matrix.py",
}
MATRIX_CELLS = "boto3 or aiobotocore"
"""The matrix cells run there: aiobotocore's, and boto3's on aiobotocore's botocore."""


@pytest.fixture(scope="module")
def venv_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the three groups in .venv-aiobotocore; returns each test's outcome by node id."""
    if not VENV_PYTHON.exists():
        pytest.fail(f"{VENV_PYTHON} is missing: run `bash scripts/setup.sh` (it makes it)")
    report = tmp_path_factory.mktemp("aiobotocore") / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [
        str(VENV_PYTHON),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:tests.support.tested_versions",  # the main run's record is the one that counts
        "--confcutdir=tests",  # not the docs collector (Sybil is not installed there)
        f"--junitxml={report}",
        GROUPS["async"],
        GROUPS["sync"] + "::" + "test_frames_are_what_botocore_parses",
        *_boto3_tests(),
        GROUPS["matrix"],
        "-k",
        f"not test_sdk_cell or {MATRIX_CELLS}",
    ]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    outcomes: dict[str, str] = {}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            path = case.get("classname", "").replace(".", "/")
            node = f"{path}.py::{case.get('name')}"
            failed = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None
            outcomes[node] = "failed" if failed else "skipped" if skipped else "passed"
    return {
        "returncode": done.returncode,
        "output": done.stdout + done.stderr,
        "outcomes": outcomes,
    }


def _boto3_tests() -> list[str]:
    """tests/test_bedrock.py's tests that call boto3 (its httpx tests need nothing of botocore's
    but the signer, and run in the main venv)."""
    source = (ROOT / GROUPS["sync"]).read_text(encoding="utf-8")
    names = re.findall(r"^def (test_boto3\w*)\(", source, flags=re.MULTILINE)
    return [f"{GROUPS['sync']}::{name}" for name in names]


def _group(run: dict[str, Any], group: str) -> dict[str, str]:
    path = GROUPS[group]
    found = {n: o for n, o in run["outcomes"].items() if n.startswith(path)}
    bad = {n: o for n, o in found.items() if o != "passed"}
    assert found and not bad and run["returncode"] in (0, 1), (bad, run["output"][-6000:])
    return found


def test_aiobotocore_bedrock_runtime(venv_run: dict[str, Any]) -> None:
    found = _group(venv_run, "async")
    assert len(found) >= 18, sorted(found)
    names = {n.split("::")[1].split("[")[0] for n in found}
    for operation in (
        "test_converse",
        "test_converse_stream_piece_by_piece",
        "test_invoke_model_body_read_by_the_caller",
        "test_invoke_model_with_response_stream",
        "test_error_reply",
        "test_stream_exception_frame",
        "test_stream_closed_early",
        "test_stream_reader_cancelled",
        "test_stream_abandoned",
        "test_one_span_per_attempt",
        "test_uninstrument",
    ):
        assert operation in names


def test_sync_hook_on_aiobotocores_botocore(venv_run: dict[str, Any]) -> None:
    found = _group(venv_run, "sync")
    assert len(found) == len(_boto3_tests()) + 3  # + the three frame checks


def test_matrix_bedrock_cells(venv_run: dict[str, Any]) -> None:
    """The SDK matrix's aiobotocore cells (async) and boto3 cells (sync, on the older botocore):
    every call type of each, as the matrix lists them."""
    from tests.sdk_matrix.sdks import CALLS

    found = _group(venv_run, "matrix")
    for name, mode in (("aiobotocore", "async"), ("boto3", "sync")):
        for call in CALLS[name]:
            node = f"{GROUPS['matrix']}::test_sdk_cell[{name}-{call}-{mode}-base_url]"
            assert found.get(node) == "passed", (node, sorted(found))
    for node, outcome in sorted(found.items()):
        print(f"{node.split('[')[-1].rstrip(']')}: {outcome}")  # the rows, in the run's log


def test_whole_run_passed(venv_run: dict[str, Any]) -> None:
    assert venv_run["returncode"] == 0, venv_run["output"][-6000:]


def test_aiobotocore_absent_costs_nothing() -> None:
    """In the main venv (no aiobotocore), instrumenting imports neither aiobotocore nor boto3's
    modules and logs no warning; uninstrument puts botocore's ``Endpoint._send`` back."""
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "import botocore.endpoint\n"
        "original = botocore.endpoint.Endpoint.__dict__['_send']\n"
        "from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor\n"
        "LLMRouterInstrumentor().instrument()\n"
        "assert 'aiobotocore' not in sys.modules\n"
        "assert botocore.endpoint.Endpoint.__dict__['_send'] is not original\n"
        "LLMRouterInstrumentor().uninstrument()\n"
        "assert botocore.endpoint.Endpoint.__dict__['_send'] is original\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert "WARNING" not in done.stderr, done.stderr
