"""The tested-versions table is made from what the runs recorded (scripts/tested_versions.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.docs import ROOT

SCRIPT = ROOT / "scripts" / "tested_versions.py"


def _record(directory: Path, python: str, scope: str, distributions: dict[str, str]) -> None:
    record = {
        "python": python,
        "platform": "Linux x86_64",
        "scope": scope,
        "arguments": [],
        "outcomes": {"passed": 10, "failed": 0, "skipped": 1},
        "distributions": distributions,
        "litellm_proxy": "1.106.12" if scope == "whole suite" else None,
        "aiobotocore_venv": "aiobotocore 3.10.0, botocore 1.43.117"
        if scope == "whole suite"
        else None,
    }
    (directory / f"python-{python[:4]}.json").write_text(json.dumps(record))


def test_one_column_per_run_newest_first(tmp_path: Path) -> None:
    _record(tmp_path, "3.10.13", "package's own tests", {"opentelemetry-sdk": "1.45.2"})
    _record(tmp_path, "3.13.0", "whole suite", {"opentelemetry-sdk": "1.45.2", "openai": "3.63.0"})
    out = tmp_path / "page.md"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--records", str(tmp_path), "--write", str(out)],
        check=True,
        cwd=ROOT,
    )
    page = out.read_text()
    header = next(line for line in page.splitlines() if line.startswith("| |"))
    assert header.index("3.13.0 (whole suite)") < header.index("3.10.13 (package's own tests)")
    assert "| `openai` | 3.63.0 | not installed |" in page
    assert "| tests | 10 passed, 0 failed, 1 skipped | 10 passed, 0 failed, 1 skipped |" in page
    assert "| `litellm` (the proxy's own venv) | 1.106.12 | not used |" in page
    assert (
        "| `aiobotocore` (its own venv) | aiobotocore 3.10.0, botocore 1.43.117 | not used |"
        in page
    )


def test_no_records_is_an_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--records", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode != 0 and "no records" in done.stderr
