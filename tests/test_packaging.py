"""What a user gets from ``python -m build``: a wheel and an sdist with the licence and full metadata.

The sdist is built first and the wheel from it (what ``python -m build`` does), so a file the
build needs but the sdist lacks fails here. ``--no-isolation`` uses the hatchling of this venv (the
``test`` dependency group), so the test needs no network.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email import message_from_string
from email.message import Message
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NAME = "opentelemetry_instrumentation_llm_router"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _wheel(dist: Path) -> zipfile.ZipFile:
    (wheel,) = dist.glob(f"{NAME}-*.whl")
    return zipfile.ZipFile(wheel)


def _metadata(dist: Path) -> Message:
    with _wheel(dist) as wheel:
        (path,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return message_from_string(wheel.read(path).decode())


def test_wheel_carries_the_licence_and_the_typed_package(dist: Path) -> None:
    with _wheel(dist) as wheel:
        names = wheel.namelist()
        (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert b"Apache License" in wheel.read(licence)
        assert b"Version 2.0, January 2004" in wheel.read(licence)
        assert "opentelemetry/instrumentation/llm_router/py.typed" in names
        assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/"))]
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        text = wheel.read(entry_points).decode()
    assert "[opentelemetry_instrumentor]\nllm_router = " in text
    assert "[opentelemetry_traces_exporter]\nllm_router_console = " in text
    assert "llm-router-otel = " in text


def test_metadata_is_complete(dist: Path) -> None:
    meta = _metadata(dist)
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["License-File"] == "LICENSE"
    assert meta["Requires-Python"] == ">=3.10"
    classifiers = meta.get_all("Classifier") or []
    for wanted in (
        "Framework :: OpenTelemetry",
        "Framework :: OpenTelemetry :: Instrumentations",
        "Development Status :: 4 - Beta",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.13",
    ):
        assert wanted in classifiers
    assert "opentelemetry" in (meta["Keywords"] or "")
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    assert urls["Changelog"].endswith("/blob/main/CHANGELOG.md")
    # Users' extras only: development tools are dependency groups, never published.
    assert set(meta.get_all("Provides-Extra") or []) == {
        "console",
        "instruments-any",
        "litellm",
        "otlp",
        "prices",
        "prometheus",
        "redis",
        "yaml",
    }
    requirements = " ".join(meta.get_all("Requires-Dist") or [])
    for tool in ("ruff", "pytest", "hypothesis", "sybil"):
        assert tool not in requirements


def test_the_long_description_has_no_relative_links(dist: Path) -> None:
    meta = _metadata(dist)
    assert meta.get_content_type() == "text/plain"  # the description is the message body
    assert meta["Description-Content-Type"] == "text/markdown"
    description = meta.get_payload()
    assert description.startswith("# opentelemetry-instrumentation-llm-router")
    targets = re.findall(r"\]\(([^)\s]+)", description)
    assert len(targets) > 10
    relative = [t for t in targets if not t.startswith(("https://", "http://", "mailto:"))]
    assert relative == []
    assert "/blob/main/docs/bridge.md" in description
    assert "/blob/main/docs/benchmarks.md" in description
    assert "/blob/main/CHANGELOG.md" in description


def test_sdist_carries_the_tests_with_their_data(dist: Path) -> None:
    (sdist,) = dist.glob(f"{NAME}-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    corpus = sorted((ROOT / "tests" / "data" / "wire-corpus").iterdir())
    for path in [ROOT / "LICENSE", ROOT / "hatch_build.py", ROOT / "scripts" / "test.sh", *corpus]:
        assert str(path.relative_to(ROOT)) in names
    assert "tests/data/wire-corpus/README.md" in names
    assert not [name for name in names if name.startswith((".venv", "benchmarks/.venvs"))]
