"""System programs the tests start (Prometheus, Redis, cargo, valgrind): found, skipped or failed.

``scripts/test.sh`` installs them first (``scripts/system-packages.sh``) and exports
``LLM_ROUTER_UNAVAILABLE_PACKAGES``, the Debian packages it could not install. A test whose program
is missing skips only when its package is in that list (the README's command tried and said why);
otherwise it fails, so a green run never hides a test that could have run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable, Optional

import pytest

UNAVAILABLE_ENV = "LLM_ROUTER_UNAVAILABLE_PACKAGES"


def find_program(name: str, extra_dirs: Iterable[Path] = ()) -> Optional[str]:
    """The program's path on PATH or in one of ``extra_dirs``, or None."""
    found = shutil.which(name)
    if found is not None:
        return found
    for directory in extra_dirs:
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require_program(name: str, package: str, extra_dirs: Iterable[Path] = ()) -> str:
    """The program's path; a skip if ``scripts/system-packages.sh`` could not install ``package``,
    a failure with the command to run otherwise."""
    found = find_program(name, extra_dirs)
    if found is not None:
        return found
    if package in os.environ.get(UNAVAILABLE_ENV, "").split():
        pytest.skip(
            f"{name} is not installed and scripts/system-packages.sh could not install the "
            f"Debian package {package!r} here (not root, or no apt-get)"
        )
    pytest.fail(
        f"{name} is not installed: run `bash scripts/system-packages.sh` (Debian package "
        f"{package!r}), or the README's test command `bash scripts/test.sh`, which runs it",
        pytrace=False,
    )


def die_with_parent() -> None:
    """``preexec_fn`` for a server a test starts: the kernel kills it (SIGKILL) when the test
    process dies, even killed, so no Redis or Prometheus outlives an interrupted run (Linux's
    PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass
