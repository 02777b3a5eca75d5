"""The router's HTTP surface: ``POST /v1/chat/completions`` (plain and streaming) on Starlette.

Each request: resolve the route, forward with ``httpx`` (translating to Anthropic Messages where the
route says so), relay the answer, and report (see :mod:`.report`). Upstream failures are given back
to the client with the upstream's status and an OpenAI-style error body.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Dict, Optional, Tuple

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route as HTTPRoute

from opentelemetry.instrumentation.llm_router import (
    Cancelled,
    InvalidRequest,
    LanguageModelUsage,
    ProviderError,
    ProviderErrorContext,
    ResponseDecode,
    Transport,
)

from .accounts import ACCOUNT_HEADER, Accounts
from .report import Attempt, Reporter
from .routes import ANTHROPIC, Route, RouteTable, table_from_env
from .sse import SSEDecoder
from .translate import (
    MessagesStreamToChat,
    anthropic_error_to_openai,
    chat_to_messages,
    message_to_chat,
    openai_usage,
)

ANTHROPIC_VERSION = "2023-06-01"


def _error(status: int, message: str, error_type: str, code: Optional[str] = None) -> JSONResponse:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def _upstream_request(route: Route, body: Dict[str, Any]) -> Tuple[str, str, Dict[str, str], Any]:
    """(endpoint name, URL, headers, JSON body) of the upstream call for this route."""
    upstream = route.upstream
    if upstream.provider == ANTHROPIC:
        headers = {"x-api-key": upstream.api_key, "anthropic-version": ANTHROPIC_VERSION}
        url = f"{upstream.base_url}/v1/messages"
        return "anthropic.messages", url, headers, chat_to_messages(body, route.model)
    forwarded = {**body, "model": route.model}
    if body.get("stream"):
        # The router bills by usage, so it always asks for the final usage chunk; it strips that
        # chunk again for clients that did not ask for it (see _relay_openai).
        forwarded["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    headers = {"Authorization": f"Bearer {upstream.api_key}"}
    url = f"{upstream.base_url}/chat/completions"
    return f"{upstream.provider}.chat_completions", url, headers, forwarded


def _provider_error(
    provider: str, status: int, raw: bytes, headers: httpx.Headers
) -> ProviderError:
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = raw.decode("utf-8", errors="replace")[:1000]
    error = parsed.get("error") if isinstance(parsed, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    return ProviderError(
        provider,
        str(error.get("message") or f"upstream status {status}"),
        ProviderErrorContext(
            status_code=status,
            error_type=error.get("type"),
            code=str(code) if code is not None else None,
            request_id=headers.get("x-request-id") or headers.get("request-id"),
            body=parsed,
        ),
    )


class Router:
    def __init__(
        self,
        table: RouteTable,
        reporter: Reporter,
        client: httpx.AsyncClient,
        accounts: Accounts,
    ) -> None:
        self.table = table
        self.accounts = accounts
        self.reporter = reporter
        self.client = client

    async def chat_completions(self, request: Request) -> Response:
        caller = self.accounts.caller(request.headers.get(ACCOUNT_HEADER))
        try:
            body = await request.json()
        except ValueError:
            body = None
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, str) or not model:
            attempt = self.reporter.attempt("", "router", "", caller)
            attempt.failed(InvalidRequest(None, "body must be a JSON object with a model"))
            return _error(400, "body must be a JSON object with a model", "invalid_request_error")
        route = self.table.resolve(model)
        if route is None:
            attempt = self.reporter.attempt(model, "router", model, caller)
            attempt.failed(InvalidRequest(None, f"no route for model {model!r}"))
            return _error(404, f"no route for model {model!r}", "invalid_request_error", "no_route")
        provider = route.upstream.provider
        attempt = self.reporter.attempt(route.key, provider, route.model, caller)
        stream = bool(body.get("stream"))
        endpoint, url, headers, upstream_body = _upstream_request(route, body)
        attempt.upstream_start(endpoint, stream)
        try:
            upstream = await self.client.send(
                self.client.build_request("POST", url, json=upstream_body, headers=headers),
                stream=stream,
            )
        except httpx.TimeoutException as exc:
            attempt.upstream_done(0, "timeout", error=str(exc))
            attempt.failed(Transport(provider, f"upstream timed out: {exc}"))
            return _error(504, "upstream timed out", "upstream_error")
        except httpx.HTTPError as exc:
            attempt.upstream_done(0, "error", error=str(exc))
            attempt.failed(Transport(provider, f"{type(exc).__name__}: {exc}"))
            return _error(502, "upstream unreachable", "upstream_error")
        if upstream.status_code >= 400:
            raw = await upstream.aread()
            await upstream.aclose()
            error = _provider_error(provider, upstream.status_code, raw, upstream.headers)
            attempt.upstream_done(upstream.status_code, "error", error=error.message)
            attempt.failed(error)
            payload = error.context.body
            if provider == ANTHROPIC or not isinstance(payload, dict):
                payload = anthropic_error_to_openai(upstream.status_code, payload)
            return JSONResponse(payload, status_code=upstream.status_code)
        if stream:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            relay = (
                _relay_anthropic(upstream, attempt, include_usage)
                if provider == ANTHROPIC
                else _relay_openai(upstream, attempt, include_usage)
            )
            return StreamingResponse(
                relay, media_type="text/event-stream", headers={"x-request-id": attempt.request_id}
            )
        try:
            data = json.loads(await upstream.aread())
        except ValueError as exc:
            attempt.upstream_done(upstream.status_code, "error", error=str(exc))
            attempt.failed(ResponseDecode(provider, str(exc)))
            return _error(502, "upstream answered with invalid JSON", "upstream_error")
        if provider == ANTHROPIC:
            data = message_to_chat(data)
        usage = openai_usage(data.get("usage") or {})
        attempt.upstream_done(upstream.status_code, "success", usage)
        attempt.succeeded(usage)
        return JSONResponse(data, headers={"x-request-id": attempt.request_id})


class _StreamState:
    """What a relay learnt from the stream: usage, and whether the terminal event went by."""

    def __init__(self) -> None:
        self.usage: Optional[LanguageModelUsage] = None
        self.done = False


async def _relay_openai(
    upstream: httpx.Response, attempt: Attempt, include_usage: bool
) -> AsyncIterator[bytes]:
    """Relay each upstream event as soon as it is complete; keep the usage chunk for the report."""
    decoder = SSEDecoder()
    state = _StreamState()
    async with _Reporting(upstream, attempt, state):
        async for raw in upstream.aiter_raw():
            for event in decoder.feed(raw):
                if event.data == "[DONE]":
                    state.done = True
                else:
                    try:
                        chunk = json.loads(event.data)
                    except ValueError:
                        chunk = {}
                    if isinstance(chunk, dict) and chunk.get("usage"):
                        state.usage = openai_usage(chunk["usage"])
                        if not chunk.get("choices") and not include_usage:
                            continue
                yield b"data: " + event.data.encode() + b"\n\n"


async def _relay_anthropic(
    upstream: httpx.Response, attempt: Attempt, include_usage: bool
) -> AsyncIterator[bytes]:
    decoder = SSEDecoder()
    converter = MessagesStreamToChat(include_usage)
    state = _StreamState()
    async with _Reporting(upstream, attempt, state):
        async for raw in upstream.aiter_raw():
            for event in decoder.feed(raw):
                lines = converter.convert(event.event, event.data)
                state.usage = converter.usage
                state.done = state.done or converter.finished
                for line in lines:
                    yield line


class _Reporting:
    """Report a relayed stream exactly once: success once its terminal event went by (clients such
    as the openai SDK hang up right after ``[DONE]``), failure if the upstream broke, cancelled if
    the client went away earlier. Reports synchronously, before awaiting anything, because a
    cancelled task may not get to run another await."""

    def __init__(self, upstream: httpx.Response, attempt: Attempt, state: _StreamState) -> None:
        self.upstream, self.attempt, self.state = upstream, attempt, state

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        attempt, provider, usage = self.attempt, self.attempt.provider, self.state.usage
        status = self.upstream.status_code
        if exc is None or self.state.done:
            attempt.upstream_done(status, "success", usage)
            attempt.succeeded(usage)
        elif isinstance(exc, httpx.HTTPError):
            attempt.upstream_done(status, "error", usage, str(exc))
            attempt.failed(Transport(provider, f"stream broke: {type(exc).__name__}: {exc}"))
        else:  # GeneratorExit, CancelledError: the client went away
            attempt.upstream_done(status, "error", usage, "client disconnected")
            attempt.failed(Cancelled(provider, "client disconnected mid-stream"))
        await self.upstream.aclose()
        return False


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(
    table: Optional[RouteTable] = None,
    reporter: Optional[Reporter] = None,
    client: Optional[httpx.AsyncClient] = None,
    accounts: Optional[Accounts] = None,
) -> Any:
    """The ASGI app. With ``opentelemetry-instrumentation-asgi`` installed it is wrapped in its
    middleware, so each request has a SERVER span and the router's spans nest under it."""
    router = Router(
        table or table_from_env(),
        reporter or Reporter(),
        client or httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)),
        accounts or Accounts(),
    )
    app = Starlette(
        routes=[
            HTTPRoute("/v1/chat/completions", router.chat_completions, methods=["POST"]),
            HTTPRoute("/healthz", _healthz, methods=["GET"]),
        ]
    )
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    except ImportError:
        return app
    return OpenTelemetryMiddleware(app, excluded_urls="healthz", exclude_spans=["receive", "send"])
