"""A fake LLM provider on asyncio, in its own process, for load tests: thousands of open streams.

The threaded :class:`~tests.support.scripted_server.ScriptedServer` spends a thread per
connection; holding a thousand streams open at once needs an event loop. Running it in a child
process also gives it the machine's second core, so the client under test is not competing with
its own server for the GIL.

Each streamed answer is a valid exchange of the requested wire format
(:func:`tests.support.wire_samples.exchange`) whose usage and response id are derived from the
number in ``caller-<n>`` found in the request body: a response that reaches the wrong caller, or
usage attributed to the wrong span, is visible.

``x-hold: N`` on a request makes the server send the first event, then wait until N streams are
held open together (or ``HOLD_TIMEOUT_S`` passed) before sending the rest: this proves the calls
really were concurrent. ``GET /stats`` answers ``{"peak": ..., "served": ...}``; ``POST /reset``
zeroes the counters.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Optional

from tests.support.wire_samples import exchange

HOLD_TIMEOUT_S = 20.0
_NUMBER = re.compile(rb"caller-(\d+)")
_FAMILIES = (
    ("/chat/completions", "openai_chat"),
    ("/messages", "anthropic_messages"),
    ("/responses", "openai_responses"),
    (":streamGenerateContent", "gemini_generate_content"),
)


def usage_for(number: int) -> tuple[int, int]:
    """``(input_tokens, output_tokens)`` the server reports for request ``caller-<number>``."""
    return number + 1, 2 * number + 3


def response_id_for(family: str, number: int) -> str:
    return str(exchange(family, True, tag=str(number)).expect["response_id"])


class _Provider:
    def __init__(self) -> None:
        self.open = 0
        self.peak = 0
        self.served = 0
        self.held = 0
        self.release = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                _method, target = line.decode("latin-1").split(" ")[:2]
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                if target == "/stats":
                    self._json(writer, {"peak": self.peak, "served": self.served})
                elif target == "/reset":
                    self.open = self.peak = self.served = self.held = 0
                    self.release = asyncio.Event()
                    self._json(writer, {})
                else:
                    await self._stream(writer, target, headers, body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()

    @staticmethod
    def _json(writer: asyncio.StreamWriter, value: Any) -> None:
        data = json.dumps(value).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(data), data)
        )

    async def _stream(
        self, writer: asyncio.StreamWriter, target: str, headers: dict[str, str], body: bytes
    ) -> None:
        family = next((f for suffix, f in _FAMILIES if suffix in target), "openai_chat")
        match = _NUMBER.search(body)
        number = int(match.group(1)) if match else 0
        n_in, n_out = usage_for(number)
        pieces = exchange(
            family,
            True,
            input_tokens=n_in,
            output_tokens=n_out,
            tag=str(number),
            completion="alpha beta gamma delta",
        ).pieces
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            for index, piece in enumerate(pieces):
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                if index == 0 and "x-hold" in headers:
                    await self._hold(int(headers["x-hold"]))
            writer.write(b"0\r\n\r\n")
            self.served += 1
        finally:
            self.open -= 1

    async def _hold(self, target: int) -> None:
        self.held += 1
        if self.held >= target:
            self.release.set()
        try:
            await asyncio.wait_for(self.release.wait(), HOLD_TIMEOUT_S)
        except asyncio.TimeoutError:
            pass


async def _serve() -> None:
    provider = _Provider()
    server = await asyncio.start_server(provider.handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    # Runs until the parent closes our stdin (or dies): no orphan server outlives a test run.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class AsyncProvider:
    """``with AsyncProvider() as provider: ... provider.url ...`` (a child process)."""

    def __init__(self) -> None:
        self._process: Optional[subprocess.Popen[str]] = None
        self.port = 0

    def __enter__(self) -> AsyncProvider:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.async_provider"],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as response:
            return dict(json.loads(response.read()))

    def reset(self) -> None:
        request = urllib.request.Request(self.url + "/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


if __name__ == "__main__":
    asyncio.run(_serve())
