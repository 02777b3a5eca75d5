"""The per-request logic behind the wrapped ``ClientSession._request``.

``_request`` is where every aiohttp call starts (``session.get/post/request`` and the
``async with`` forms all go through it), for sessions created before or after ``instrument()``.
For a URL whose host is no known LLM provider the wrapper costs one ``split`` and one dictionary
lookup of the URL's authority and calls through, without even an extra coroutine. For a provider host it adds a
client middleware (aiohttp >= 3.12) for this one request, innermost, so it sees the final request
(URL with query, merged headers, auth, the body as aiohttp will send it) and spans the connection,
the sending and the response headers, exactly as ``send`` does for httpx. The response's body
reader is then wrapped (``_content``) so the body is observed as the caller reads it.

One ``_request`` is one logical call and one span, as one ``send`` is for httpx: aiohttp runs the
middleware chain once per hop, so a redirect it follows (301/302/303/307/308 with a ``Location``)
or a request it resends on a dropped keep-alive connection continues the call the first hop
started, and the call ends with the response ``_request`` returns, or with what it raises
(``TooManyRedirects``, a refused redirect URL, a cancellation between hops).

When the request is sent by an httpx client whose transport is aiohttp (litellm, fireworks, …),
the httpx hook has already started the call: the context says so, and nothing is added here.
"""

from __future__ import annotations

import logging
import time
import zlib
from typing import Any, Callable, Optional

from opentelemetry import context, trace
from opentelemetry.instrumentation.llm_router._aiohttp._content import observed_content_class
from opentelemetry.instrumentation.llm_router._clients._amend import include_usage_body
from opentelemetry.instrumentation.llm_router._clients._core import IN_CALL, CallCore, Started
from opentelemetry.instrumentation.llm_router._clients._credentials import credential_values

_logger = logging.getLogger(__name__)

_AUTHORITIES = 1024
"""Distinct URL authorities remembered (cleared when full: an app talks to few hosts)."""
_REDIRECTS = frozenset((301, 302, 303, 307, 308))
"""The statuses aiohttp follows (with ``allow_redirects``, given a ``Location`` or ``URI``)."""


class AiohttpHook:
    """The hook for the installed aiohttp: a wrapper for ``ClientSession._request``."""

    def __init__(self, aiohttp_module: Any, core: CallCore) -> None:
        self._core = core
        self._config = core.config
        self._lookup = core.lookup
        self._hooks = core.hooks
        import yarl  # aiohttp's own URL type

        self._url_type = yarl.URL
        self._payload_types: tuple[type, ...] = (aiohttp_module.payload.BytesPayload,)
        self._content_class = observed_content_class(aiohttp_module.streams)
        self._authorities: dict[str, bool] = {}
        """``"host:port"`` as written in URL strings -> is it a provider host?"""

    # -- the wrapper (wrapt signature): decide, then call through -----------------------------

    def disable(self) -> None:
        """Record nothing from now on (``uninstrument()`` when another library's wrapper holds
        ours, so ours cannot be removed from the chain)."""
        self._lookup = _no_route
        self._authorities.clear()  # what the old lookup answered no longer holds

    def request(self, wrapped: Callable[..., Any], session: Any, args: Any, kwargs: Any) -> Any:
        """``ClientSession._request(method, str_or_url, **kwargs)``: a coroutine either way."""
        try:
            url = args[1] if len(args) > 1 else kwargs["str_or_url"]
            if type(url) is str and session._base_url is None:
                # the common case, inline: one split and one dictionary lookup
                parts = url.split("/", 3)  # ["https:", "", "host:port", "path?query"]
                known = self._authorities.get(parts[2]) if len(parts) > 2 else False
                if known is None:
                    known = self._remember(url, parts[2])
            else:
                known = self._for_provider(session, url)
            if not known or context.get_value(IN_CALL):
                return wrapped(*args, **kwargs)
            middlewares = kwargs.get("middlewares")
            if middlewares is None:
                middlewares = session._middlewares
            decompressed = kwargs.get("auto_decompress")
            if decompressed is None:
                decompressed = session.auto_decompress
            call = _Call(self, bool(decompressed), kwargs.get("allow_redirects", True))
            kwargs = dict(kwargs)
            kwargs["middlewares"] = (*middlewares, call)
        except Exception:
            _logger.debug("llm_router: not tracing an aiohttp request", exc_info=True)
            return wrapped(*args, **kwargs)
        return self._traced(call, wrapped, args, kwargs)

    async def _traced(self, call: _Call, wrapped: Any, args: Any, kwargs: Any) -> Any:
        """``_request`` itself: the call its hops started ends with what it returns or raises."""
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            started = call.started
            if started is not None:
                call.started = None
                self._core.raised(started, exc)
            raise
        started = call.started
        if started is not None:  # a redirect status aiohttp did not follow after all
            call.started = None
            self._responded(started, response, call.decompressed)
        return response

    def _remember(self, url: str, authority: str) -> bool:
        """Look up a URL string's authority (``host:port`` as written) and remember the answer."""
        host, port = _host_port(url)
        known = host is not None and self._lookup(host, port) is not None
        if len(self._authorities) >= _AUTHORITIES:
            self._authorities.clear()
        self._authorities[authority] = known
        return known

    def _for_provider(self, session: Any, url: Any) -> bool:
        """Whether a URL object, or a URL relative to the session's base URL, is a provider
        host's (the middleware looks again at the final URL)."""
        if session._base_url is not None:
            url = session._build_url(url)
        elif not isinstance(url, self._url_type):
            url = self._url_type(url)
        return url.host is not None and self._lookup(url.host, url.explicit_port) is not None

    # -- the middleware's work ----------------------------------------------------------------

    async def observe(self, call: _Call, request: Any, handler: Any) -> Any:
        """One hop of ``call``: the first starts the call, a later one (after a redirect or a
        resend) continues it; a hop that fails leaves the ending to :meth:`_traced` (aiohttp
        may resend), one that is a redirect aiohttp will follow leaves it to the next hop."""
        started = call.started
        if started is None:
            started = self._start(request)
            if started is None:
                return await handler(request)
            call.started = started
            first = True
        else:
            first = False
            span_context = trace.set_span_in_context(started.call.span)
            started.token = context.attach(context.set_value(IN_CALL, True, span_context))
        try:
            if first:
                await self._before_sending(started, request)
            response = await handler(request)
        finally:
            context.detach(started.token)
        if call.follows(response):
            return response
        call.started = None
        self._responded(started, response, call.decompressed)
        return response

    def _start(self, request: Any) -> Optional[Started]:
        try:
            url = request.url
            host = url.host
            port = url.explicit_port
            route = self._lookup(host, port)
            if route is None:  # e.g. the base URL and the final one differ
                return None
            return self._core.start(
                route,
                request,
                url,
                request.method,
                url.scheme,
                host,
                port,
                url.path,
                self._body(request),
                request_credentials,
            )
        except Exception:
            _logger.debug("llm_router: not tracing an aiohttp request", exc_info=True)
            return None

    async def _before_sending(self, started: Started, request: Any) -> None:
        """The user's request hook, and the opt-in stream-usage amendment; never raises."""
        try:
            if self._hooks is not None:
                await self._core.async_request_hook(started)
            if self._config.stream_include_usage and started.info.stream:
                amended = include_usage_body(started.info, self._body(request))
                if amended is not None:
                    await request.update_body(amended)
        except Exception:
            _logger.debug("llm_router: could not prepare an aiohttp request", exc_info=True)

    def _body(self, request: Any) -> Optional[bytes]:
        """The request body if aiohttp holds it as bytes (``data=`` bytes/str, ``json=``);
        ``None`` for a streamed or file upload we must not read."""
        body = request.body
        if isinstance(body, self._payload_types):
            value = body._value  # what BytesPayload.as_bytes() returns, without awaiting
            if type(value) is bytes:
                return value
            return bytes(value)
        return None

    def _responded(self, started: Started, response: Any, decompressed: bool) -> None:
        """Headers are in: watch the body the caller will read."""
        call = started.call
        try:
            status = response.status
            call.set_status_code(status)
            headers = response.headers
            content_type = headers.get("Content-Type", "")
            decoder = None if decompressed else _raw_decoder(headers.get("Content-Encoding"))
            observation = self._core.observation(
                started,
                status,
                content_type,
                decoder,
                self._config.settings.record_time_per_output_chunk,
                response,
            )
            response.content = self._content_class(response.content, observation)
        except Exception:
            _logger.debug("llm_router: could not observe an aiohttp response", exc_info=True)
            call.end(time.time_ns())


class _Call:
    """One ``_request`` to a provider host: the client middleware aiohttp runs for each of its
    hops, and the call those hops started and have not ended yet (``started``)."""

    __slots__ = ("_hook", "allow_redirects", "decompressed", "started")

    def __init__(self, hook: AiohttpHook, decompressed: bool, allow_redirects: Any) -> None:
        self._hook = hook
        self.decompressed = decompressed
        self.allow_redirects = allow_redirects
        self.started: Optional[Started] = None

    async def __call__(self, request: Any, handler: Any) -> Any:
        return await self._hook.observe(self, request, handler)

    def follows(self, response: Any) -> bool:
        """Whether aiohttp will follow this response to another hop (as ``_request`` decides;
        when it then gives up instead, ``_traced`` ends the call with what it raises)."""
        if response.status not in _REDIRECTS or not self.allow_redirects:
            return False
        headers = response.headers
        return "Location" in headers or "URI" in headers


def _no_route(host: str, port: Optional[int]) -> None:
    """The lookup of a disabled hook: no host is a provider."""
    return None


def _host_port(url: str) -> tuple[Optional[str], Optional[int]]:
    """``(host, explicit port)`` of an absolute URL string, with a few string operations (the
    table lookup compares host names case-insensitively)."""
    parts = url.split("/", 3)  # ["https:", "", "user@host:port", "path?query"]
    if len(parts) < 3 or parts[1] or not parts[0].endswith(":"):
        return None, None
    netloc = parts[2]
    for separator in "?#@[":
        if separator in netloc:
            return _netloc_slow(netloc)
    host, _, port = netloc.partition(":")
    if not port:
        return host, None
    return host, int(port) if port.isdigit() else None


def _netloc_slow(netloc: str) -> tuple[Optional[str], Optional[int]]:
    """The rare forms: a query or fragment right after the host, user info, an IPv6 literal."""
    for separator in "?#":
        netloc = netloc.split(separator, 1)[0]
    netloc = netloc.rpartition("@")[2]
    if netloc.startswith("["):
        close = netloc.find("]")
        host, rest = netloc[1:close], netloc[close + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = netloc.partition(":")
    return host, (int(port) if port.isdigit() else None) if port else None


def request_credentials(request: Any) -> list[str]:
    """The credential values an aiohttp request carries (see ``_clients._credentials``): its
    credential headers and query parameters, the latter decoded and as sent."""
    try:
        url = request.url
        raw = [pair.partition("=")[::2] for pair in url.raw_query_string.split("&")]
        return credential_values(request.headers.items(), [*url.query.items(), *raw])
    except Exception:
        _logger.debug("llm_router: could not read the request's credentials", exc_info=True)
        return []


def _raw_decoder(content_encoding: Optional[str]) -> Optional[Callable[[bytes], bytes]]:
    """A decoder for a body the caller reads compressed (``auto_decompress=False``)."""
    if not content_encoding:
        return None
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if codings in (["gzip"], ["x-gzip"]):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress
    if codings == ["deflate"]:
        return zlib.decompressobj(zlib.MAX_WBITS).decompress
    return _undecodable


def _undecodable(chunk: bytes) -> bytes:
    """A content coding we do not decode: the parser sees nothing (no usage, no error)."""
    return b""
