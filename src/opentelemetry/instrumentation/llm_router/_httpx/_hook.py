"""The per-request logic behind the wrapped ``Client.send`` / ``AsyncClient.send``.

For a request to a host that is no known LLM provider the hook costs one table lookup and calls
through. For a provider it hands the request's parts to the shared core (``_clients._core``), which
reads what the request asks for and starts the GenAI span as the current span (so an httpx-level
span nests under it); after ``send`` it either parses the body that ``send`` already read or wraps
the response's byte stream so the body is observed as the caller reads it. Only what is particular
to httpx lives here: reading its request and response objects, its decoders, its stream classes.

Whatever goes wrong in here is logged at debug level and the request goes on as if we were not
there; what the network raises reaches the caller unchanged.
"""

from __future__ import annotations

import logging
import time
from types import ModuleType
from typing import Any, Callable, Optional

from opentelemetry import context
from opentelemetry.instrumentation.llm_router._clients._core import CallCore, Started
from opentelemetry.instrumentation.llm_router._clients._observation import ResponseObservation
from opentelemetry.instrumentation.llm_router._httpx._request import (
    add_stream_include_usage,
    request_credentials,
)
from opentelemetry.instrumentation.llm_router._httpx._streams import stream_classes

_logger = logging.getLogger(__name__)


class HttpxModuleHook:
    """The hook for one httpx module (``httpx`` or ``httpx2``): wrappers for both send methods."""

    def __init__(self, module: ModuleType, core: CallCore) -> None:
        self._module = module
        self._core = core
        self._config = core.config
        self._lookup = core.lookup
        self._hooks = core.hooks
        self._sync_stream, self._async_stream = stream_classes(
            module.SyncByteStream, module.AsyncByteStream
        )
        self._byte_stream = module.ByteStream
        self._content_property = getattr(module.Response, "content", None)
        self._decoders: dict[str, Any] = getattr(
            getattr(module, "_decoders", None), "SUPPORTED_DECODERS", {}
        )

    def disable(self) -> None:
        """Record nothing from now on: every request passes straight through (``uninstrument()``
        when another library's wrapper holds ours, so ours cannot be removed from the chain)."""
        self._lookup = _no_route

    # -- the wrappers (wrapt signature) -----------------------------------------------------------

    def send(self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        started = self._start(args, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        try:  # the user's hook inside: interrupted (KeyboardInterrupt), the call still ends
            if self._hooks is not None:
                self._core.request_hook(started)
            response = wrapped(*args, **kwargs)
        except BaseException as exc:
            self._core.raised(started, exc)
            raise
        finally:
            context.detach(started.token)
        observation = self._responded(started, response, self._sync_stream)
        if observation is not None:
            observation.finish()
        return response

    async def send_async(
        self, wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any
    ) -> Any:
        started = self._start(args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        try:  # the user's hook inside: cancelled while it runs, the call still ends
            if self._hooks is not None:
                await self._core.async_request_hook(started)
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            self._core.raised(started, exc)
            raise
        finally:
            context.detach(started.token)
        observation = self._responded(started, response, self._async_stream)
        if observation is not None:  # the body was read: end the call, awaiting an async hook
            await observation.afinish()
        return response

    # -- before sending ---------------------------------------------------------------------------

    def _start(self, args: Any, kwargs: Any) -> Optional[Started]:
        """Start the call for an LLM request, or ``None`` to let the request pass untouched."""
        try:
            request = args[0] if args else kwargs["request"]
            url = request.url
            host = url.host
            port = url.port
            route = self._lookup(host, port)
            if route is None:
                return None
            try:
                body = request.content  # request_body(), inlined: this runs on every call
            except Exception:  # RequestNotRead: a generator or file body we must not consume
                body = None
            started = self._core.start(
                route,
                request,
                url,
                request.method,
                url.scheme,
                host,
                port,
                url.path,
                body,
                request_credentials,
            )
        except Exception:
            _logger.debug("llm_router: not tracing a request", exc_info=True)
            return None
        if started is not None and self._config.stream_include_usage and started.info.stream:
            try:
                add_stream_include_usage(request, started.info, body, self._byte_stream)
            except Exception:
                _logger.debug("llm_router: could not ask for stream usage", exc_info=True)
        return started

    # -- after sending ----------------------------------------------------------------------------

    def _responded(
        self, started: Started, response: Any, stream_class: type
    ) -> Optional[ResponseObservation]:
        """``send`` returned: parse the body it read, or watch the stream the caller will read.

        For a body ``send`` already read, the observation that has parsed it, for the caller to
        end (the async client awaits the user's async response hook); ``None`` otherwise."""
        call = started.call
        try:
            status_code = response.status_code
            call.set_status_code(status_code)
            headers = response.headers
            # What ``response.content`` gives once read, without the ResponseNotRead it raises
            # (and builds a message for) on every streamed call; any other class is asked.
            body = getattr(response, "_content", None)
            if body is None and type(response).content is not self._content_property:
                try:
                    body = response.content
                except Exception:  # ResponseNotRead: the caller will stream it
                    body = None
            content_type, content_encoding = _content_headers(headers)
            if body is not None:  # already read and decoded by httpx (``stream=False``)
                if self._core.complete(started, status_code, content_type, body, headers):
                    return None  # parsed, and the call ended
                observation = self._core.observation(
                    started, status_code, content_type, None, False, response
                )
                observation.parse(body)
                return observation
            observation = self._core.observation(
                started,
                status_code,
                content_type,
                self._decoder(content_encoding),
                self._config.settings.record_time_per_output_chunk,
                response,
            )
            response.stream = stream_class(response.stream, observation)
        except Exception:
            _logger.debug("llm_router: could not observe a response", exc_info=True)
            call.end(time.time_ns())
        return None

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


def _content_headers(headers: Any) -> tuple[str, Optional[str]]:
    """``(content-type or "", content-encoding or None)`` as ``headers.get`` gives them, in one
    pass over the header list httpx and httpx2 keep (lower-cased names, raw values).

    ``Headers.get`` lower-cases and encodes the name, builds a list and, for a header that is
    not there (``content-encoding`` nearly always), raises and catches ``KeyError``: two of them
    cost more than the rest of reading the response's status and headers. Any surprise (another
    headers class, a value that is not ASCII) falls back to ``get``."""
    items = getattr(headers, "_list", None)
    if type(items) is list:
        content_type: Optional[bytes] = None
        content_encoding: Optional[bytes] = None
        try:
            for _, name, value in items:
                if name == b"content-type":
                    content_type = value if content_type is None else content_type + b", " + value
                elif name == b"content-encoding":
                    content_encoding = (
                        value if content_encoding is None else content_encoding + b", " + value
                    )
            return (
                "" if content_type is None else content_type.decode("ascii"),
                None if content_encoding is None else content_encoding.decode("ascii"),
            )
        except (TypeError, ValueError):  # not the layout we know, or not ASCII: ask httpx
            pass
    return headers.get("content-type", ""), headers.get("content-encoding")


def _undecodable(chunk: bytes) -> bytes:
    """A content coding we cannot decode: the parser sees nothing (no usage, no error)."""
    return b""


def _no_route(host: str, port: Optional[int]) -> None:
    """The lookup of a disabled hook: no host is a provider."""
    return None
