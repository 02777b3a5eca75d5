"""A fake LLM provider speaking the real OpenAI and Anthropic wire formats, with no dependencies.

Why it exists: the examples and the zero-code tests must run without an API key and without the
internet, yet exercise exactly what a real provider sends (JSON bodies, SSE framing, the final
usage chunk, error bodies). Answers are deterministic, so tests can predict every token count.

Endpoints (with or without the ``/v1`` prefix):

- ``POST /v1/chat/completions`` — OpenAI Chat Completions; ``"stream": true`` gives SSE chunks and,
  when ``stream_options.include_usage`` is set, the final usage chunk with empty ``choices``;
- ``POST /v1/embeddings`` — OpenAI Embeddings (``encoding_format`` ``float`` or ``base64``);
- ``POST /v1/messages`` — Anthropic Messages, plain and SSE (``message_start`` ... ``message_stop``);
- ``GET /healthz`` — readiness probe for docker compose.

Usage numbers: input tokens = words in the request's text, output tokens = words in the reply
(:data:`REPLY_WORDS`, cut to ``max_tokens``). Error injection: a model named ``error-<status>``
(e.g. ``error-429``) answers that status with the provider's own error body.

Run it: ``python examples/fake_provider.py --port 8000`` (repeat ``--port`` to serve several ports,
e.g. one per provider, since instrumentation tells providers apart by host and port). Use it from tests::

    with FakeProvider() as provider:
        client = openai.OpenAI(base_url=provider.openai_base_url, api_key="test")
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterable, List, Optional, Tuple

REPLY_WORDS: Tuple[str, ...] = tuple(
    ["Hello!", "This", "is", "the", "fake", "provider", "answering", "deterministically."]
)
EMBEDDING_DIMENSIONS = 8
RESPONSE_MODEL_SUFFIX = "-2025-01-01"

_OPENAI_ERRORS: Dict[int, Tuple[str, Optional[str]]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}
_ANTHROPIC_ERRORS: Dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


# -- deterministic content ---------------------------------------------------------------------


def _words(value: Any) -> int:
    """Words in every string inside ``value`` (message content, parts, system prompts)."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_words(v) for k, v in value.items() if k in ("content", "text", "system"))
    if isinstance(value, list):
        return sum(_words(item) for item in value)
    return 0


def input_tokens(body: Dict[str, Any]) -> int:
    """Input token count the fake reports for a chat/messages request (at least 1)."""
    return max(_words(body.get("messages", [])) + _words(body.get("system", "")), 1)


def reply_words(body: Dict[str, Any]) -> Tuple[Tuple[str, ...], bool]:
    """The reply's words and whether ``max_tokens`` (or ``max_completion_tokens``) cut it."""
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and 0 < limit < len(REPLY_WORDS):
        return REPLY_WORDS[:limit], True
    return REPLY_WORDS, False


def response_model(model: str) -> str:
    """Providers answer with a dated snapshot of the requested alias; so does the fake."""
    return model + RESPONSE_MODEL_SUFFIX


def embedding_input_tokens(body: Dict[str, Any]) -> int:
    raw = body.get("input", "")
    texts = [raw] if isinstance(raw, str) else list(raw)
    return max(sum(len(t.split()) if isinstance(t, str) else len(t) for t in texts), 1)


def _error_status(model: Any) -> Optional[int]:
    if isinstance(model, str) and model.startswith("error-"):
        try:
            return int(model[len("error-") :])
        except ValueError:
            return None
    return None


# -- the server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    """What the fake got, for tests that check what a client or instrumentor sent."""

    method: str
    path: str
    headers: Dict[str, str]
    body: Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # -- plumbing ----------------------------------------------------------------------------
    def _json(self, status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _sse(self, events: Iterable[bytes], headers: Dict[str, str]) -> None:
        """Send SSE events with chunked transfer encoding, one flush per event."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        first = True
        for event in events:
            delay = self.server.first_chunk_delay_s if first else self.server.chunk_delay_s
            if delay:
                time.sleep(delay)
            first = False
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return None

    def _route(self) -> str:
        path = self.path.split("?", 1)[0]
        return path[3:] if path.startswith("/v1/") else path

    # -- methods -----------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self._route() in ("/healthz", "/health"):
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        body = self._read_body()
        route = self._route()
        self.server.record(ReceivedRequest("POST", self.path, dict(self.headers.items()), body))
        anthropic = route == "/messages"
        if not isinstance(body, dict):
            self._error(400, anthropic, "request body is not a JSON object")
            return
        status = _error_status(body.get("model"))
        if status is not None:
            self._error(status, anthropic, f"injected error {status} for model {body['model']}")
            return
        if route == "/chat/completions":
            self._openai_chat(body)
        elif route == "/embeddings":
            self._openai_embeddings(body)
        elif anthropic:
            self._anthropic_messages(body)
        else:
            self._error(404, False, f"unknown path {self.path}")

    def _error(self, status: int, anthropic: bool, message: str) -> None:
        request_id = self.server.next_id("req_")
        if anthropic:
            payload: Dict[str, Any] = {
                "type": "error",
                "error": {"type": _ANTHROPIC_ERRORS.get(status, "api_error"), "message": message},
            }
            self._json(status, payload, {"request-id": request_id})
            return
        error_type, code = _OPENAI_ERRORS.get(status, ("server_error", None))
        payload = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
        headers = {"x-request-id": request_id}
        if status == 429:
            headers["retry-after"] = "0"
        self._json(status, payload, headers)

    # -- OpenAI ------------------------------------------------------------------------------
    def _openai_chat(self, body: Dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        words, cut = reply_words(body)
        prompt = input_tokens(body)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": len(words),
            "total_tokens": prompt + len(words),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }
        finish = "length" if cut else "stop"
        completion_id = self.server.next_id("chatcmpl-fake")
        created = int(time.time())
        headers = {"x-request-id": self.server.next_id("req_")}
        base = {
            "id": completion_id,
            "created": created,
            "model": response_model(model),
            "system_fingerprint": "fp_fake",
        }
        if not body.get("stream"):
            self._json(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": " ".join(words),
                                "refusal": None,
                            },
                            "logprobs": None,
                            "finish_reason": finish,
                        }
                    ],
                    "usage": usage,
                },
                headers,
            )
            return
        options = body.get("stream_options") or {}
        include_usage = bool(options.get("include_usage"))

        def chunk(delta: Dict[str, Any], finish_reason: Optional[str]) -> bytes:
            payload: Dict[str, Any] = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
                ],
            }
            if include_usage:
                payload["usage"] = None
            return b"data: " + json.dumps(payload).encode() + b"\n\n"

        def events() -> Iterable[bytes]:
            yield chunk({"role": "assistant", "content": "", "refusal": None}, None)
            for index, word in enumerate(words):
                yield chunk({"content": word if index == 0 else " " + word}, None)
            yield chunk({}, finish)
            if include_usage:
                final = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
                yield b"data: " + json.dumps(final).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"

        self._sse(events(), headers)

    def _openai_embeddings(self, body: Dict[str, Any]) -> None:
        raw = body.get("input", "")
        texts = [raw] if isinstance(raw, str) else list(raw)
        tokens = embedding_input_tokens(body)
        data = []
        for index, _ in enumerate(texts):
            vector = [round(0.125 * (index + 1) * (d + 1), 6) for d in range(EMBEDDING_DIMENSIONS)]
            if body.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                embedding: Any = base64.b64encode(packed).decode()
            else:
                embedding = vector
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        self._json(
            200,
            {
                "object": "list",
                "data": data,
                "model": response_model(str(body.get("model", ""))),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
            {"x-request-id": self.server.next_id("req_")},
        )

    # -- Anthropic ---------------------------------------------------------------------------
    def _anthropic_messages(self, body: Dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        words, cut = reply_words(body)
        prompt = input_tokens(body)
        stop_reason = "max_tokens" if cut else "end_turn"
        message_id = self.server.next_id("msg_fake")
        headers = {"request-id": self.server.next_id("req_")}
        usage = {
            "input_tokens": prompt,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": len(words),
        }
        message: Dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": response_model(model),
            "content": [{"type": "text", "text": " ".join(words)}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            self._json(200, message, headers)
            return

        def event(name: str, payload: Dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()

        def events() -> Iterable[bytes]:
            start = {**message, "content": [], "stop_reason": None}
            start["usage"] = {**usage, "output_tokens": 1}
            yield event("message_start", {"type": "message_start", "message": start})
            yield event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
            yield event("ping", {"type": "ping"})
            for index, word in enumerate(words):
                text = word if index == 0 else " " + word
                yield event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": text},
                    },
                )
            yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": len(words)},
                },
            )
            yield event("message_stop", {"type": "message_stop"})

        self._sse(events(), headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: Tuple[str, int],
        first_chunk_delay_s: float,
        chunk_delay_s: float,
        verbose: bool,
    ) -> None:
        super().__init__(address, _Handler)
        self.first_chunk_delay_s = first_chunk_delay_s
        self.chunk_delay_s = chunk_delay_s
        self.verbose = verbose
        self.requests: List[ReceivedRequest] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            del self.requests[:-1000]  # bounded: a long-running demo must not grow forever

    def next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):06d}"


class FakeProvider:
    """The fake provider on ``host:port`` (port 0 picks a free one), served from a thread.

    Args:
        first_chunk_delay_s: pause before the first SSE event (gives a visible time to first chunk).
        chunk_delay_s: pause before every later SSE event.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        first_chunk_delay_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        verbose: bool = False,
    ) -> None:
        self._server = _Server((host, port), first_chunk_delay_s, chunk_delay_s, verbose)
        self._thread: Optional[threading.Thread] = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Root URL (what the ``anthropic`` SDK's ``base_url`` takes)."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """URL with ``/v1`` (what the ``openai`` SDK's ``base_url`` / ``OPENAI_BASE_URL`` takes)."""
        return f"{self.base_url}/v1"

    @property
    def requests(self) -> List[ReceivedRequest]:
        with self._server._lock:
            return list(self._server.requests)

    def start(self) -> FakeProvider:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (0.0.0.0 in a container)"
    )
    parser.add_argument(
        "--port",
        type=int,
        action="append",
        help="port to listen on; repeat it to serve several ports (default 8000)",
    )
    parser.add_argument(
        "--first-chunk-delay", type=float, default=0.05, help="seconds before the first SSE event"
    )
    parser.add_argument(
        "--chunk-delay", type=float, default=0.01, help="seconds before each later SSE event"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    providers = [
        FakeProvider(
            args.host,
            port,
            first_chunk_delay_s=args.first_chunk_delay,
            chunk_delay_s=args.chunk_delay,
            verbose=args.verbose,
        )
        for port in (args.port or [8000])
    ]
    for provider in providers[1:]:
        provider.start()
    for provider in providers:
        print(f"fake provider listening on {provider.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        providers[0].serve_forever()


if __name__ == "__main__":
    main()
