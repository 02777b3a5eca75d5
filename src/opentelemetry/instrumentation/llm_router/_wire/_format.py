"""The steps every JSON wire format shares, so that a format module says only what is its own.

A format declares:

- its endpoints: a table of path suffixes (:func:`suffix_endpoint`), or a method
  :meth:`JsonFormat.endpoint` for paths that carry the model (Gemini, Vertex AI);
- its request parameters as a :class:`ParameterNames` table (which body key holds which
  ``gen_ai.request.*`` value), read by :func:`read_parameters`;
- :meth:`JsonFormat.summarise`: one decoded response object into a summary, using the shared
  helpers for usage (:func:`token_counts`), finish reasons (:func:`indexed_reasons`) and
  error bodies (:func:`~._errors.read_error`,
  :func:`~._errors.read_error_object`).

:class:`JsonFormat` then answers the :class:`~._base.WireFormat` questions the same way for all:
POST only, the body read by the shared strategy (:func:`~._request.read_body`), the model from the
body or else the path, the stream flag, and a whole response body decoded once. A format with a
different body layout (Ollama's lines, Gemini's arrays) overrides just that step.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Union

from opentelemetry.instrumentation.llm_router._genai import RequestParameters, TokenCounts
from opentelemetry.instrumentation.llm_router._wire._base import (
    RequestInfo,
    ResponseSummary,
    StreamParser,
)
from opentelemetry.instrumentation.llm_router._wire._request import read_body, strip_query
from opentelemetry.instrumentation.llm_router._wire._values import (
    count,
    integer,
    loads,
    number,
    strings,
    text,
)

Keys = Union[str, tuple[str, ...]]
"""One body key, or alternatives tried in order (the first that is present wins)."""


class Endpoint(NamedTuple):
    """What a request path means to a format."""

    operation: str
    """``gen_ai.operation.name``."""
    kind: str
    """The format's own tag for the endpoint (see :attr:`~._base.RequestInfo.kind`)."""
    model: Optional[str] = None
    """The model when the path names it (used when the body does not)."""
    stream: Optional[bool] = None
    """``True`` / ``False`` when the path decides streaming; ``None``: the body's ``"stream":
    true`` asks for one; :data:`UNLESS_FALSE`: a stream unless the body says ``"stream":
    false`` (Ollama)."""


def suffix_endpoint(path: str, table: tuple[tuple[str, Endpoint], ...]) -> Optional[Endpoint]:
    """The endpoint of the first suffix in ``table`` that ``path`` ends with."""
    for suffix, endpoint in table:
        if path.endswith(suffix):
            return endpoint
    return None


_READERS = {
    "max_tokens": "integer",
    "temperature": "number",
    "top_p": "number",
    "top_k": "number",
    "frequency_penalty": "number",
    "presence_penalty": "number",
    "stop_sequences": "strings",
    "seed": "integer",
    "choice_count": "integer",
}
"""Each parameter a :class:`ParameterNames` table can point at, and its tolerant reader."""


class ParameterNames:
    """Which body keys hold the request parameters a format reads (left out: the format has no
    such parameter). Alternatives are tried in order: ``("max_completion_tokens",
    "max_tokens")``, or a camelCase name and its snake_case twin.

    ``names.read(body, output_type=None)`` is the :class:`RequestParameters` the table points at
    in ``body`` (each value through its tolerant reader; a choice count of 1, every API's
    default, left out), or ``None`` when the body sets none of them. The table is turned once
    into that plain function, which does exactly what a hand-written reader would (one ``get``
    per key, one reader call per parameter in the table): request parsing runs on every call,
    and a generic loop over the table cost about a tenth more than the parsing it replaced."""

    __slots__ = ("names", "read")

    def __init__(self, **names: Keys) -> None:
        unknown = set(names) - set(_READERS)
        if unknown:
            raise TypeError(f"no such request parameter: {sorted(unknown)}")
        self.names = names
        self.read = _compile(names)


def _compile(names: dict[str, Keys]) -> Any:
    lines = [
        "def read(body, output_type=None):",
        "    if not body:",
        "        return None",
        "    get = body.get",
    ]
    arguments = []
    for field, keys in names.items():
        alternatives = (keys,) if isinstance(keys, str) else tuple(keys)
        lines.append(f"    {field} = get({alternatives[0]!r})")
        for key in alternatives[1:]:
            lines.append(f"    if {field} is None:")
            lines.append(f"        {field} = get({key!r})")
        if field == "choice_count":  # 1 is every API's default: left out
            lines.append("    choice_count = integer(choice_count)")
            lines.append("    if choice_count == 1:")
            lines.append("        choice_count = None")
            arguments.append("choice_count=choice_count")
        else:
            arguments.append(f"{field}={_READERS[field]}({field})")
    arguments.append("output_type=output_type")
    lines.append(f"    params = RequestParameters({', '.join(arguments)})")
    lines.append("    return params if params.attributes() else None")
    scope: dict[str, Any] = {
        "RequestParameters": RequestParameters,
        "integer": integer,
        "number": number,
        "strings": strings,
    }
    exec("\n".join(lines), scope)
    return scope["read"]


def token_counts(
    input_tokens: Optional[int] = None,
    output_tokens: Optional[int] = None,
    cache_read: Optional[int] = None,
    cache_creation: Optional[int] = None,
    reasoning: Optional[int] = None,
) -> Optional[TokenCounts]:
    """The counts a response said, or ``None`` when it said none (never zeros for silence)."""
    if (
        input_tokens is None
        and output_tokens is None
        and cache_read is None
        and cache_creation is None
        and reasoning is None
    ):
        return None
    return TokenCounts(input_tokens, output_tokens, cache_read, cache_creation, reasoning)


def merge_counts(usage: Any, keys: tuple[str, ...], into: dict[str, int]) -> None:
    """The valid counts under ``keys`` of a ``usage`` object, overriding those already in
    ``into``: streams that repeat cumulative usage (Anthropic, Gemini) keep the latest of each
    count, and a count a later event leaves out is never zeroed."""
    if isinstance(usage, dict):
        for key in keys:
            value = count(usage.get(key))
            if value is not None:
                into[key] = value


def indexed_reasons(reasons: dict[int, str]) -> list[str]:
    """Finish reasons collected per choice / candidate index, in index order."""
    return [reasons[i] for i in sorted(reasons)]


UNLESS_FALSE: Any = "unless false"
""":attr:`Endpoint.stream` of an API that streams by default."""

_UNSEEN: Any = object()
PATH_CACHE_SIZE = 256
"""Paths whose meaning a format keeps; a client with more (models in the path) starts over."""


class JsonFormat:
    """A wire format whose requests and responses are JSON objects (see the module docs).

    Subclasses set :attr:`name` and :attr:`endpoints` (or override :meth:`endpoint`), and
    implement :meth:`parameters`, :meth:`summarise`, :meth:`stream_parser` and
    :meth:`input_messages`."""

    name = ""
    endpoints: tuple[tuple[str, Endpoint], ...] = ()
    """``(path suffix, endpoint)`` pairs, tried in order."""
    path_names_model = False
    """``True``: the model is the path's alone (Gemini), never a body's ``model``."""
    response_headers: tuple[str, ...] = ()
    """Response headers (lower-case names) the format reads beside the body: the hook hands their
    values over in :attr:`~._base.RequestInfo.response_headers` (Bedrock: its error type and
    token counts). Empty for most formats: then the hook looks at no header."""

    def endpoint(self, path: str) -> Optional[Endpoint]:
        """What ``path`` (no query, no trailing slash) asks for; ``None``: no call we know."""
        return suffix_endpoint(path, self.endpoints)

    def parameters(
        self, kind: str, fields: dict[str, Any], large_body: Optional[bytes]
    ) -> Optional[RequestParameters]:
        """The request parameters of a body whose top-level pairs are ``fields``;
        ``large_body`` is the raw body when it was not decoded in full here (a large body:
        ``fields`` may come from its two ends only), for a format that looks deeper."""
        return None

    def __init__(self) -> None:
        # A client sends to a handful of paths: what each one means is worked out once.
        self._paths: dict[str, Optional[Endpoint]] = {}

    def request_info(
        self, method: str, path: str, body: Optional[bytes], capture_content: bool = False
    ) -> Optional[RequestInfo]:
        if method != "POST":
            return None
        endpoint = self._paths.get(path, _UNSEEN)
        if endpoint is _UNSEEN:
            endpoint = self.endpoint(strip_query(path))
            if len(self._paths) >= PATH_CACHE_SIZE:
                self._paths.clear()
            self._paths[path] = endpoint
        if endpoint is None:
            return None
        kind = endpoint.kind
        need_model = endpoint.model is None and not self.path_names_model
        fields, full = read_body(body, capture_content, need_model=need_model)
        stream = endpoint.stream
        if stream is None:
            stream = fields.get("stream") is True
        elif stream is UNLESS_FALSE:
            stream = fields.get("stream") is not False
        if self.path_names_model:
            model = text(endpoint.model)
        else:
            model = text(fields.get("model")) or endpoint.model
        return RequestInfo(
            operation=endpoint.operation,
            request_model=model,
            stream=stream,
            parameters=self.parameters(kind, fields, None if full is not None else body),
            kind=kind,
            body=full if capture_content else None,
        )

    def summarise(
        self, kind: str, obj: dict[str, Any], capture: bool, summary: ResponseSummary
    ) -> None:
        """Fill ``summary`` from one decoded response object of endpoint ``kind`` (a format may set
        this to its module function as a ``staticmethod``: no call in between)."""

    def parse_response(
        self, info: RequestInfo, body: bytes, capture_content: bool
    ) -> ResponseSummary:
        summary = ResponseSummary()
        obj = loads(body)
        if isinstance(obj, dict):
            self.summarise(info.kind, obj, capture_content, summary)
        return summary

    def stream_parser(self, info: RequestInfo, capture_content: bool) -> StreamParser:
        raise NotImplementedError

    def input_messages(
        self, info: RequestInfo
    ) -> tuple[Optional[list[dict[str, Any]]], Optional[list[dict[str, Any]]]]:
        return None, None
