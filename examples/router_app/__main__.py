"""``python -m router_app`` (from ``examples/``): serve the router with uvicorn.

``ROUTER_HOST`` (default ``127.0.0.1``; ``0.0.0.0`` in a container) and ``ROUTER_PORT`` (default
``8080``) choose where it listens.
"""

from __future__ import annotations

import os

import uvicorn

from .app import create_app


def main() -> None:
    host = os.environ.get("ROUTER_HOST", "127.0.0.1")
    port = int(os.environ.get("ROUTER_PORT", "8080"))
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
