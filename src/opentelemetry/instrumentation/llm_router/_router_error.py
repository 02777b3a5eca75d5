"""The router's error type: nine kinds, each shown as its message (``bitrouter_core`` ``BitrouterError``).

They are exceptions, so a Python router can raise them, and immutable values, so an observer can
keep them. ``kind`` is the snake_case name of the variant; it becomes ``error.type`` unless the
error says something more precise (see :meth:`RouterError.error_type`): the one rule every source
follows is in ``_genai._error_type``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Optional

from opentelemetry.instrumentation.llm_router._genai._error_type import (
    provider_error_type,
    transport_error_type,
)


class RouterError(Exception):
    """Base of the nine error kinds. Immutable once built."""

    kind: ClassVar[str] = "router_error"

    def __setattr__(self, name: str, value: Any) -> None:
        # Python itself sets __traceback__, __context__ and friends on raised exceptions.
        if name.startswith("__") or not hasattr(self, "_frozen"):
            super().__setattr__(name, value)
            return
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __post_init__(self) -> None:
        Exception.__init__(self, self._render())
        object.__setattr__(self, "_frozen", True)

    def _render(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    @property
    def provider_name(self) -> Optional[str]:
        """The provider the error concerns, when the kind carries one."""
        return getattr(self, "provider", None)

    def error_type(self) -> str:
        """The value for ``error.type``: the kind, or for provider errors what the provider said."""
        return self.kind

    def __str__(self) -> str:
        """The Rust ``Display`` text, e.g. ``provider error: rate limited``."""
        return self._render()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(self))  # type: ignore[arg-type]

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce rebuilds from ``args`` (the message) and then sets ``__dict__``,
        # which is wrong for these fields and refused by the freeze: rebuild from the fields.
        return (type(self), tuple(getattr(self, f.name) for f in fields(self)))  # type: ignore[arg-type]

    def __hash__(self) -> int:
        return hash((type(self), *(_hashable(getattr(self, f.name)) for f in fields(self))))  # type: ignore[arg-type]


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (dict, list)) else value


_ERROR = dict(eq=False, repr=True)


@dataclass(**_ERROR)
class UnsupportedFeature(RouterError):
    kind: ClassVar[str] = "unsupported_feature"
    provider: str
    feature: str
    details: Optional[str] = None

    def _render(self) -> str:
        return f"{self.provider} does not support {self.feature}"


@dataclass(**_ERROR)
class Cancelled(RouterError):
    kind: ClassVar[str] = "cancelled"
    provider: Optional[str]
    message: str

    def _render(self) -> str:
        return f"request cancelled: {self.message}"


@dataclass(**_ERROR)
class InvalidRequest(RouterError):
    kind: ClassVar[str] = "invalid_request"
    provider: Optional[str]
    message: str
    body: Optional[Any] = None

    def _render(self) -> str:
        return f"invalid request: {self.message}"


@dataclass(**_ERROR)
class Transport(RouterError):
    kind: ClassVar[str] = "transport"
    provider: Optional[str]
    message: str

    def _render(self) -> str:
        return f"transport failure: {self.message}"

    def error_type(self) -> str:
        """``timeout`` when the message says the call timed out, else ``transport``: the kind
        has no variant of its own for a timeout, and the hook tells the two apart."""
        return transport_error_type(self.message)


@dataclass(**_ERROR)
class ResponseDecode(RouterError):
    kind: ClassVar[str] = "response_decode"
    provider: Optional[str]
    message: str
    body: Optional[Any] = None

    def _render(self) -> str:
        return f"response decode failure: {self.message}"


@dataclass(**_ERROR)
class InvalidResponse(RouterError):
    kind: ClassVar[str] = "invalid_response"
    provider: Optional[str]
    message: str
    body: Optional[Any] = None

    def _render(self) -> str:
        return f"invalid response: {self.message}"


@dataclass(frozen=True)
class ProviderErrorContext:
    """What the provider's error response said, as far as the router parsed it."""

    status_code: Optional[int] = None
    error_type: Optional[str] = None
    code: Optional[str] = None
    param: Optional[str] = None
    request_id: Optional[str] = None
    body: Optional[Any] = None


@dataclass(**_ERROR)
class ProviderError(RouterError):
    """``Provider(provider, message, context)``: the upstream answered with an error."""

    kind: ClassVar[str] = "provider"
    provider: Optional[str]
    message: str
    context: ProviderErrorContext = ProviderErrorContext()

    def _render(self) -> str:
        return f"provider error: {self.message}"

    def error_type(self) -> str:
        """What the provider said, by the rule every source follows: its ``code`` (OpenAI's
        ``rate_limit_exceeded``, not the ``type`` ``requests`` beside it), else its
        ``error_type``, else what the error ``body`` says (a body the router did not parse),
        else the HTTP status, else ``provider``."""
        ctx = self.context
        found = provider_error_type(ctx.code, ctx.error_type)
        if found is not None and not found.isdigit():
            return found
        from opentelemetry.instrumentation.llm_router._wire._errors import body_error_type

        return (
            body_error_type(ctx.body)
            or provider_error_type(ctx.code, None, ctx.status_code)
            or self.kind
        )


@dataclass(**_ERROR)
class StreamProtocol(RouterError):
    kind: ClassVar[str] = "stream_protocol"
    provider: Optional[str]
    message: str
    chunk: Optional[Any] = None

    def _render(self) -> str:
        return f"stream protocol failure: {self.message}"


@dataclass(**_ERROR)
class AccessDenied(RouterError):
    kind: ClassVar[str] = "access_denied"
    message: str

    def _render(self) -> str:
        return f"access denied: {self.message}"


ERROR_KINDS: tuple[type[RouterError], ...] = (
    UnsupportedFeature,
    Cancelled,
    InvalidRequest,
    Transport,
    ResponseDecode,
    InvalidResponse,
    ProviderError,
    StreamProtocol,
    AccessDenied,
)
