"""``python -m router_app`` (from ``examples/``): serve the router with uvicorn.

``ROUTER_HOST`` (default ``127.0.0.1``; ``0.0.0.0`` in a container) and ``ROUTER_PORT`` (default
``8080``) choose where it listens.

On SIGTERM (``docker stop``, Kubernetes) uvicorn finishes the requests in flight and then re-raises
the signal; with the default handler the process would die without running its exit hooks, and
the OpenTelemetry SDK would lose the spans and metrics still buffered. So SIGTERM is turned into a
normal exit here, which lets the SDK that ``opentelemetry-instrument`` set up flush at exit.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import Optional

import uvicorn

from .app import create_app


def _exit_normally(signum: int, frame: Optional[FrameType]) -> None:
    sys.exit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_normally)
    host = os.environ.get("ROUTER_HOST", "127.0.0.1")
    port = int(os.environ.get("ROUTER_PORT", "8080"))
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
