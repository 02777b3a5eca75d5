"""A fake OpenAI-compatible provider on 127.0.0.1, fast enough not to be what the benchmark measures.

Why not ``http.server``: a threaded stdlib server spends more time per request than the
instrumentations we compare, so its jitter would drown their differences. This is a raw asyncio
protocol that parses only the request line and ``Content-Length`` (the body is read and dropped,
never decoded) and answers with bytes prepared at start-up, over keep-alive connections.

The answer is chosen by a request header, so the server never has to parse the JSON body (a 1 MB
prompt would otherwise cost the server more than the client) and the path stays the real one
(instrumentations recognise the operation by it):

- no ``x-bench-chunks`` header: a non-streaming chat completion with usage;
- ``x-bench-chunks: N``: an SSE stream of ``N`` content chunks (the first carries the role, the
  last the finish reason), a usage chunk with empty ``choices``, then ``data: [DONE]``; each chunk
  with ``"usage":null`` and an ``obfuscation`` padding its token to 16 characters, varied tokens
  (:func:`benchmarks.stream_bodies.openai_tokens`), as OpenAI sends with ``include_usage``.

Any path is answered the same way.

Run ``python -m benchmarks.fake_provider``: it prints ``PORT <n>`` on stdout once it listens and
serves until stdin closes or it is terminated.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Optional

from benchmarks.stream_bodies import Padding, openai_tokens

MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
RESPONSE_ID = "chatcmpl-bench0001"
CREATED = 1_763_800_000
USAGE = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


def chat_completion_body() -> bytes:
    """A non-streaming chat completion, shaped like OpenAI's."""
    return json.dumps(
        {
            "id": RESPONSE_ID,
            "object": "chat.completion",
            "created": CREATED,
            "model": RESPONSE_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello there!", "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
            "system_fingerprint": "fp_bench",
        },
        separators=(",", ":"),
    ).encode()


def _chunk(delta: dict, finish_reason: Optional[str], padding: str) -> bytes:
    event = {
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        "usage": None,
        "obfuscation": padding,
    }
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def stream_body(chunks: int) -> bytes:
    """``chunks`` content chunks, a usage chunk and ``[DONE]``, as OpenAI sends with include_usage."""
    parts = []
    for index, (token, padding) in enumerate(openai_tokens("sdk", chunks)):
        if index == 0:
            delta = {"role": "assistant", "content": token, "refusal": None}
            parts.append(_chunk(delta, None, padding))
        else:
            last = index == chunks - 1
            parts.append(_chunk({"content": token}, "stop" if last else None, padding))
    usage_event = {
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [],
        "usage": {
            "prompt_tokens": USAGE["prompt_tokens"],
            "completion_tokens": chunks,
            "total_tokens": USAGE["prompt_tokens"] + chunks,
        },
        "obfuscation": Padding("sdk-usage").pad(),
    }
    parts.append(b"data: " + json.dumps(usage_event, separators=(",", ":")).encode() + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def http_response(body: bytes, content_type: str) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"content-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\n"
        "x-request-id: req_bench\r\n"
        "openai-processing-ms: 1\r\n"
        "\r\n"
    )
    return head.encode() + body


class Responses:
    """Prepared responses by stream length (0: not streaming); built on first use and kept."""

    def __init__(self) -> None:
        self._cache: dict[int, bytes] = {
            0: http_response(chat_completion_body(), "application/json")
        }

    def for_chunks(self, chunks: int) -> bytes:
        found = self._cache.get(chunks)
        if found is None:
            found = http_response(stream_body(chunks), "text/event-stream")
            self._cache[chunks] = found
        return found


class ProviderProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive: request line + headers, skip ``Content-Length`` bytes, answer."""

    def __init__(self, responses: Responses) -> None:
        self._responses = responses
        self._buffer = bytearray()
        self._skip = 0  # body bytes of the current request still to discard
        self._pending: Optional[bytes] = None
        self._transport: Optional[asyncio.Transport] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._skip:
            if len(data) <= self._skip:
                self._skip -= len(data)
                if self._skip == 0:
                    self._answer()
                return
            data = data[self._skip :]
            self._skip = 0
            self._answer()
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end])
            del self._buffer[: end + 4]
            length = chunks = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"x-bench-chunks":
                    chunks = int(value.strip())
            self._pending = self._responses.for_chunks(chunks)
            if len(self._buffer) >= length:
                del self._buffer[:length]
                self._answer()
            else:
                self._skip = length - len(self._buffer)
                self._buffer.clear()
                return

    def _answer(self) -> None:
        if self._transport is not None and self._pending is not None:
            self._transport.write(self._pending)
        self._pending = None


async def serve(port: int = 0) -> None:
    loop = asyncio.get_running_loop()
    responses = Responses()
    server = await loop.create_server(
        lambda: ProviderProtocol(responses), "127.0.0.1", port, backlog=1024
    )
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    stdin_closed = loop.create_future()

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stdin_closed.set_result, None)

    loop.run_in_executor(None, watch_stdin)
    async with server:
        await stdin_closed


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    try:
        asyncio.run(serve(port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
