"""The router's observation events: Python versions of ``bitrouter_core::observe``.

Field names are the Rust ones, so that a router ported from Rust (or one that hands us its events
as dicts) reads the same. Every class is immutable: an event describes something that has happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Optional, Protocol, Union, runtime_checkable

from opentelemetry.instrumentation.llm_router._router_error import RouterError

BudgetScope = Literal["session", "account"]
"""Whom a budget belongs to: one session of the caller, or the whole account."""

BUDGET_SCOPES: tuple[str, ...] = ("session", "account")


@dataclass(frozen=True)
class BudgetRange:
    """The window a budget covers: a number of rounds (requests) or a duration in seconds.

    On the wire (serde, internally tagged): ``{"type": "rounds", "count": N}`` or
    ``{"type": "duration", "seconds": S}``.
    """

    type: Literal["rounds", "duration"]
    count: Optional[int] = None
    seconds: Optional[int] = None

    def __post_init__(self) -> None:
        if self.type == "rounds":
            if not _is_count(self.count) or self.seconds is not None:
                raise ValueError("BudgetRange 'rounds' needs a non-negative integer count only")
        elif self.type == "duration":
            if not _is_count(self.seconds) or self.count is not None:
                raise ValueError("BudgetRange 'duration' needs non-negative integer seconds only")
        else:
            raise ValueError(f"BudgetRange.type must be 'rounds' or 'duration', got {self.type!r}")

    @classmethod
    def rounds(cls, count: int) -> BudgetRange:
        return cls("rounds", count=count)

    @classmethod
    def duration(cls, seconds: int) -> BudgetRange:
        return cls("duration", seconds=seconds)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BudgetRange:
        """The serde form: ``{"type": "rounds", "count": N}`` / ``{"type": "duration", ...}``."""
        kind = data.get("type")
        if kind == "rounds":
            return cls("rounds", count=data.get("count"))
        if kind == "duration":
            return cls("duration", seconds=data.get("seconds"))
        raise ValueError(f"budget_range.type must be 'rounds' or 'duration', got {kind!r}")

    def to_dict(self) -> dict[str, Any]:
        if self.type == "rounds":
            return {"type": "rounds", "count": self.count}
        return {"type": "duration", "seconds": self.seconds}


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class CallerContext:
    """Who made the request and what they may spend.

    ``budget`` is in micro-USD; ``chain`` is a CAIP-2 chain id for routers that settle on-chain.
    """

    account_id: Optional[str] = None
    models: Optional[tuple[str, ...]] = None
    budget: Optional[int] = None
    budget_scope: Optional[BudgetScope] = None
    budget_range: Optional[BudgetRange] = None
    chain: Optional[str] = None

    def __post_init__(self) -> None:
        if self.models is not None and not isinstance(self.models, tuple):
            models = (self.models,) if isinstance(self.models, str) else tuple(self.models)
            object.__setattr__(self, "models", models)
        if isinstance(self.budget_range, Mapping):  # the serde form, as users write it
            try:
                object.__setattr__(self, "budget_range", BudgetRange.from_dict(self.budget_range))
            except (ValueError, TypeError):
                pass  # left as given: the observer reports it (once) and ignores it
        if self.budget_scope is not None and self.budget_scope not in BUDGET_SCOPES:
            raise ValueError(
                f"CallerContext.budget_scope must be 'session' or 'account', "
                f"got {self.budget_scope!r}"
            )


def _fields_of(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` that are fields of the dataclass ``cls`` (others are ignored, as
    serde ignores unknown fields)."""
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class InputTokens:
    """Input token breakdown. ``total`` includes cached tokens (read and written)."""

    total: Optional[int] = None
    no_cache: Optional[int] = None
    cache_read: Optional[int] = None
    cache_write: Optional[int] = None


@dataclass(frozen=True)
class OutputTokens:
    """Output token breakdown. ``total`` includes reasoning tokens."""

    total: Optional[int] = None
    text: Optional[int] = None
    reasoning: Optional[int] = None


@dataclass(frozen=True)
class LanguageModelUsage:
    """Token usage of one request, as the router's provider adapter reported it."""

    input_tokens: InputTokens = field(default_factory=InputTokens)
    output_tokens: OutputTokens = field(default_factory=OutputTokens)
    raw: Optional[Mapping[str, Any]] = None

    def __post_init__(self) -> None:
        # The serde form of the breakdowns (``{"total": 12, ...}``), as users write it.
        if isinstance(self.input_tokens, Mapping):
            value = InputTokens(**_fields_of(InputTokens, self.input_tokens))
            object.__setattr__(self, "input_tokens", value)
        if isinstance(self.output_tokens, Mapping):
            value = OutputTokens(**_fields_of(OutputTokens, self.output_tokens))
            object.__setattr__(self, "output_tokens", value)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LanguageModelUsage:
        """The serde form: ``{"input_tokens": {...}, "output_tokens": {...}, "raw": ...}``."""
        return cls(**_fields_of(cls, data))


@dataclass(frozen=True)
class RequestContext:
    """One request as the router handled it: route asked for, provider and model resolved."""

    route: str
    provider: str
    model: str
    caller: CallerContext = field(default_factory=CallerContext)
    latency_ms: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.caller, Mapping):  # the serde form, as users write it
            caller = CallerContext(**_fields_of(CallerContext, self.caller))
            object.__setattr__(self, "caller", caller)
        elif self.caller is None:
            object.__setattr__(self, "caller", CallerContext())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequestContext:
        """The serde form: ``{"route": ..., "provider": ..., "model": ..., "caller": {...}}``."""
        return cls(**_fields_of(cls, data))


@dataclass(frozen=True)
class RequestSuccessEvent:
    ctx: RequestContext
    usage: LanguageModelUsage = field(default_factory=LanguageModelUsage)

    def __post_init__(self) -> None:
        _context_from_dict(self)
        if self.usage is None:  # "no usage reported"
            object.__setattr__(self, "usage", LanguageModelUsage())
        elif isinstance(self.usage, Mapping):
            object.__setattr__(self, "usage", LanguageModelUsage.from_dict(self.usage))


@dataclass(frozen=True)
class RequestFailureEvent:
    ctx: RequestContext
    error: RouterError
    """A :class:`RouterError`; any other exception (or a message string) is recorded too, with
    its class name as ``error.type``."""

    def __post_init__(self) -> None:
        _context_from_dict(self)


def _context_from_dict(event: Any) -> None:
    if isinstance(event.ctx, Mapping):
        try:
            object.__setattr__(event, "ctx", RequestContext.from_dict(event.ctx))
        except (TypeError, ValueError):
            pass  # left as given: the observer reports it (once)


RequestEvent = Union[RequestSuccessEvent, RequestFailureEvent]


@runtime_checkable
class ObserveCallback(Protocol):
    """The router's observation hook. Both methods run after the request has finished.

    Implementations must not raise: the router calls them on its serving path.
    """

    async def on_request_success(self, event: RequestSuccessEvent) -> None: ...

    async def on_request_failure(self, event: RequestFailureEvent) -> None: ...
