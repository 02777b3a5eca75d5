"""A real ``redis-server`` (Debian package ``redis-server``) on a free loopback port.

No persistence (``--save ''``, no append-only file): a stopped server comes back empty, as a
cache-only Redis in production would. ``stop`` kills it (SIGKILL, like a crashed node);
``start`` brings it back on the same port. A test that needs it fails when it is missing, unless
scripts/system-packages.sh (run by scripts/test.sh) could not install it here: then it skips
with that reason.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.support.apps import free_port
from tests.support.system import die_with_parent, require_program


def require_redis_server() -> str:
    """The ``redis-server`` path: a skip only where scripts/system-packages.sh could not install
    it (tests/support/system.py), a failure otherwise."""
    return require_program("redis-server", "redis-server")


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1, started and stopped by the test."""

    def __init__(self, directory: Path, port: Optional[int] = None) -> None:
        self.binary = require_redis_server()
        self.port = port or free_port()
        self.directory = directory
        self.process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--daemonize", "no",
                "--enable-debug-command", "local",  # DEBUG SLEEP: a slow Redis, for real
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.process = None
                raise RuntimeError(f"redis-server exited with {code}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("redis-server did not answer PING")

    def kill(self) -> None:
        """SIGKILL, as a crashed node: nothing is saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real Redis for the session; tests keep apart by key prefix."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()
