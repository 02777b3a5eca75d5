"""``examples/console_router.py`` (what ``scripts/example.sh`` runs) prints spans and metrics."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "console_router.py"


def test_console_example_prints_spans_and_metrics() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    span_names = re.findall(r'^    "name": "([^"]+)"', out, flags=re.MULTILINE)
    # Each routed request: one observer span; each upstream call: one forward-event span.
    assert sorted(span_names) == sorted(
        ["chat claude-sonnet-4-5"] * 2
        + ["chat deepseek-chat"] * 2
        + ["chat acme-1"] * 2
        + ["chat llama-3.3-70b-versatile"] * 3
    )
    # The metrics are one JSON document printed at shutdown, after the last span.
    metrics = json.loads(out[out.rindex('{\n    "resource_metrics"') :])
    names = {
        metric["name"]
        for rm in metrics["resource_metrics"]
        for sm in rm["scope_metrics"]
        for metric in sm["metrics"]
    }
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"} <= names
    assert '"error.type": "rate_limit_exceeded"' in out
    assert '"error.type": "access_denied"' in out
    assert '"llm_router.account.id": "acct-alice"' in out
    assert "access denied: account acct-alice may not use" in done.stderr
