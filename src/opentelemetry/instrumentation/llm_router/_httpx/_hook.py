"""The per-request logic behind the wrapped ``Client.send`` / ``AsyncClient.send``.

For a request to a host that is no known LLM provider the hook costs one table lookup and calls
through. For a provider it reads what the request asks for, starts the GenAI span as the current
span (so an httpx-level span nests under it), sends, and then either parses the body that ``send``
already read or wraps the response's byte stream so the body is observed as the caller reads it.

Whatever goes wrong in here is logged at debug level and the request goes on as if we were not
there; what the network raises reaches the caller unchanged.
"""

from __future__ import annotations

import logging
import time
from types import ModuleType
from typing import Any, Callable, Optional

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router._attempts import next_attempt
from opentelemetry.instrumentation.llm_router._config import HookConfig
from opentelemetry.instrumentation.llm_router._genai import GenAICall, GenAITelemetry
from opentelemetry.instrumentation.llm_router._genai._telemetry import SCOPE_NAME
from opentelemetry.instrumentation.llm_router._httpx._observation import (
    ResponseObservation,
    content_json,
)
from opentelemetry.instrumentation.llm_router._httpx._request import (
    add_stream_include_usage,
    request_body,
)
from opentelemetry.instrumentation.llm_router._httpx._streams import stream_classes
from opentelemetry.instrumentation.llm_router._wire._base import RequestInfo, WireFormat
from opentelemetry.instrumentation.llm_router._wire._hosts import ProviderRoute

_logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"https": 443, "http": 80}
_GENAI_MARKER = "gen_ai.provider.name"


class _Started:
    """A request we are tracing: its call, format and what it asked for."""

    __slots__ = ("call", "format", "info", "request", "token")

    def __init__(
        self,
        call: GenAICall,
        wire_format: WireFormat,
        info: RequestInfo,
        token: object,
        request: Any,
    ):
        self.call = call
        self.format = wire_format
        self.info = info
        self.token = token
        self.request = request


class HttpxModuleHook:
    """The hook for one httpx module (``httpx`` or ``httpx2``): wrappers for both send methods."""

    def __init__(
        self,
        module: ModuleType,
        telemetry: GenAITelemetry,
        config: HookConfig,
        url_excluded: Optional[Callable[[str], bool]],
    ) -> None:
        self._module = module
        self._telemetry = telemetry
        self._config = config
        self._url_excluded = url_excluded
        self._lookup: Callable[[str, Optional[int]], Optional[ProviderRoute]] = config.hosts.lookup
        self._sync_stream, self._async_stream = stream_classes(
            module.SyncByteStream, module.AsyncByteStream
        )
        self._byte_stream = module.ByteStream
        self._decoders: dict[str, Any] = getattr(
            getattr(module, "_decoders", None), "SUPPORTED_DECODERS", {}
        )

    # -- the wrappers (wrapt signature) -----------------------------------------------------------

    def send(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        started = self._start(args, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as exc:
            self._raised(started, exc)
            raise
        finally:
            context.detach(started.token)
        self._responded(started, response, self._sync_stream)
        return response

    async def send_async(
        self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any
    ) -> Any:
        started = self._start(args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            self._raised(started, exc)
            raise
        finally:
            context.detach(started.token)
        self._responded(started, response, self._async_stream)
        return response

    # -- before sending ---------------------------------------------------------------------------

    def _start(self, args: Any, kwargs: Any) -> Optional[_Started]:
        """Start the call for an LLM request, or ``None`` to let the request pass untouched."""
        try:
            request = args[0] if args else kwargs["request"]
            url = request.url
            route = self._lookup(url.host, url.port)
            if route is None:
                return None
            return self._start_call(request, url, route)
        except Exception:
            _logger.debug("llm_router: not tracing a request", exc_info=True)
            return None

    def _start_call(self, request: Any, url: Any, route: ProviderRoute) -> Optional[_Started]:
        if self._url_excluded is not None and self._url_excluded(str(url)):
            return None
        config = self._config
        wire_format = route.format
        body = request_body(request)
        info = wire_format.request_info(request.method, url.path, body, config.capture_content)
        if info is None:
            return None
        if config.stream_include_usage and info.stream:
            add_stream_include_usage(request, info, body, self._byte_stream)
        parent_span = trace.get_current_span()
        port = url.port or _DEFAULT_PORTS.get(url.scheme)
        call = self._telemetry.start_call(
            info.operation,
            route.provider,
            info.request_model,
            server_address=url.host,
            server_port=port,
            stream=info.stream,
            parameters=info.parameters,
        )
        attempt = next_attempt()
        if attempt is not None:  # inside a router request that counts its upstream calls
            call.set_attempt(attempt)
        sdk_span_name = _enclosing_sdk_span(parent_span)
        if sdk_span_name is not None:
            call.set_inside_sdk_span(sdk_span_name)
        if config.capture_content:
            self._capture_input(call, wire_format, info)
        token = context.attach(trace.set_span_in_context(call.span))
        return _Started(call, wire_format, info, token, request)

    def _capture_input(self, call: GenAICall, wire_format: WireFormat, info: RequestInfo) -> None:
        try:
            messages, system = wire_format.input_messages(info)
        except Exception:
            _logger.debug("llm_router: could not read input messages", exc_info=True)
            return
        limit = self._config.content_max_length
        call.set_content(
            input_messages=content_json(messages, limit),
            system_instructions=content_json(system, limit),
        )

    # -- after sending ----------------------------------------------------------------------------

    def _raised(self, started: _Started, exc: BaseException) -> None:
        """``send`` raised (connect error, timeout, cancellation): the call failed."""
        try:
            started.call.fail(type(exc).__qualname__, str(exc) or type(exc).__qualname__, exc)
            started.call.end()
        except Exception:
            _logger.debug("llm_router: could not record a failed request", exc_info=True)

    def _responded(self, started: _Started, response: Any, stream_class: type) -> None:
        """``send`` returned: parse the body it read, or watch the stream the caller will read."""
        call = started.call
        try:
            status_code = response.status_code
            call.set_status_code(status_code)
            headers = response.headers
            body = _read_body(response)
            if body is not None:  # already read and decoded by httpx (``stream=False``)
                observation = self._observe(started, status_code, headers, None, False)
                observation.complete(body)
                return
            observation = self._observe(
                started,
                status_code,
                headers,
                self._decoder(headers.get("content-encoding")),
                self._config.settings.record_time_per_output_chunk,
            )
            response.stream = stream_class(response.stream, observation)
        except Exception:
            _logger.debug("llm_router: could not observe a response", exc_info=True)
            call.end(time.time_ns())

    def _observe(
        self,
        started: _Started,
        status_code: int,
        headers: Any,
        decoder: Optional[Callable[[bytes], bytes]],
        per_chunk_metric: bool,
    ) -> ResponseObservation:
        config = self._config
        return ResponseObservation.for_response(
            started.call,
            started.format,
            started.info,
            status_code,
            headers.get("content-type", ""),
            config.capture_content,
            config.content_max_length,
            decoder,
            per_chunk_metric,
            started.request,
        )

    def _decoder(self, content_encoding: Optional[str]) -> Optional[Callable[[bytes], bytes]]:
        """A decoder for a compressed body (the stream carries raw bytes); ``None`` for identity."""
        if not content_encoding:
            return None
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if not codings:
            return None
        decoders = [self._decoders[c]() for c in reversed(codings) if c in self._decoders]
        if len(decoders) != len(codings):
            return _undecodable

        def decode(chunk: bytes) -> bytes:
            for decoder in decoders:
                chunk = decoder.decode(chunk)
                if type(chunk) is not bytes:  # httpx2's decoders yield their output
                    chunk = b"".join(chunk)
            return chunk

        return decode


def _undecodable(chunk: bytes) -> bytes:
    """A content coding we cannot decode: the parser sees nothing (no usage, no error)."""
    return b""


def _read_body(response: Any) -> Optional[bytes]:
    """The body, if ``send`` already read it (``stream=False``); ``None`` for an unread stream."""
    try:
        return response.content
    except Exception:  # ResponseNotRead: the caller will stream it
        return None


def _enclosing_sdk_span(span: Any) -> Optional[str]:
    """The name of an SDK's own GenAI span around this request (e.g. anthropic's), if any."""
    attributes = getattr(span, "attributes", None)
    if not attributes or _GENAI_MARKER not in attributes:
        return None
    scope = getattr(span, "instrumentation_scope", None)
    if scope is not None and scope.name == SCOPE_NAME:
        return None
    return getattr(span, "name", None)
