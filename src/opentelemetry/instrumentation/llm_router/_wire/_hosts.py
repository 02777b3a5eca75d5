"""Which hosts are LLM providers, which provider name and wire format each one gets.

The hook asks :meth:`HostTable.lookup` for every request it sees, to any host, so a miss must cost
next to nothing: one lower-casing, two dict probes and one ``str.endswith`` over a tuple of
suffixes. Users add or override hosts with ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS`` (see
:func:`parse_providers`); their entries win over the built-in table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from opentelemetry.instrumentation.llm_router._provider_names import provider_name
from opentelemetry.instrumentation.llm_router._wire._base import WireFormat
from opentelemetry.instrumentation.llm_router._wire._registry import FORMATS


@dataclass(frozen=True)
class ProviderRoute:
    """A known provider host: ``provider`` is the ``gen_ai.provider.name``; ``format`` parses it."""

    provider: str
    format: WireFormat


def _route(provider: str, fmt: str) -> ProviderRoute:
    return ProviderRoute(provider, FORMATS[fmt])


BUILTIN_HOSTS: dict[str, ProviderRoute] = {
    "api.openai.com": _route("openai", "openai"),
    "api.anthropic.com": _route("anthropic", "anthropic"),
    "generativelanguage.googleapis.com": _route("gcp.gemini", "gemini"),
    "aiplatform.googleapis.com": _route("gcp.vertex_ai", "gemini"),
    "api.mistral.ai": _route("mistral_ai", "openai"),
    "api.eu.mistral.ai": _route("mistral_ai", "openai"),
    "api.us.mistral.ai": _route("mistral_ai", "openai"),
    "api.groq.com": _route("groq", "openai"),
    "api.deepseek.com": _route("deepseek", "openai"),
    "api.x.ai": _route("x_ai", "openai"),
    "api.cohere.com": _route("cohere", "cohere"),
    "api.cohere.ai": _route("cohere", "cohere"),
    "api.perplexity.ai": _route("perplexity", "openai"),
    "openrouter.ai": _route("openrouter", "openai"),
    "api.together.xyz": _route("together", "openai"),
    "api.together.ai": _route("together", "openai"),
    "api-inference.together.ai": _route("together", "openai"),
    "api.fireworks.ai": _route("fireworks", "openai"),
    "router.huggingface.co": _route("huggingface", "huggingface"),
    "api-inference.huggingface.co": _route("huggingface", "huggingface"),
}
"""Exact host names (any port). Each route's format is everything that host speaks, chosen by
path (see :mod:`._registry`): e.g. Gemini's host reads native, OpenAI-compatible and Vertex
Anthropic calls."""

BUILTIN_HOST_PORTS: dict[tuple[str, int], ProviderRoute] = {
    ("localhost", 11434): _route("ollama", "ollama"),
    ("127.0.0.1", 11434): _route("ollama", "ollama"),
    ("::1", 11434): _route("ollama", "ollama"),
}
"""Host and port pairs (a local Ollama is only Ollama on its own port)."""

BUILTIN_SUFFIXES: tuple[tuple[str, ProviderRoute], ...] = (
    (".openai.azure.com", _route("azure.ai.openai", "azure")),
    (".cognitiveservices.azure.com", _route("azure.ai.openai", "azure")),
    (".services.ai.azure.com", _route("azure.ai.openai", "azure")),
    (".openai.azure.us", _route("azure.ai.openai", "azure")),
    (".models.ai.azure.com", _route("azure.ai.inference", "azure")),
    (".endpoints.huggingface.cloud", _route("huggingface", "huggingface")),
    ("-aiplatform.googleapis.com", _route("gcp.vertex_ai", "gemini")),
)
"""Host name suffixes (Azure resources, Azure AI Foundry, Azure Government, Azure serverless model
endpoints, Hugging Face Inference Endpoints (TEI / TGI), Vertex AI regional endpoints). The ``azure`` format reports Azure AI model inference
paths (``/models/...``) as ``azure.ai.inference`` (see :mod:`.azure`)."""

BUILTIN_PATTERNS: tuple[tuple[str, str, ProviderRoute], ...] = (
    ("bedrock-runtime.", ".amazonaws.com", _route("aws.bedrock", "bedrock")),
    ("bedrock-runtime-fips.", ".amazonaws.com", _route("aws.bedrock", "bedrock")),
)
"""``prefix.*suffix`` host names (a regional AWS endpoint: ``bedrock-runtime.<region>.amazonaws
.com``); written ``prefix*suffix`` in the docs."""

LOOPBACK_ALIASES = ("localhost", "127.0.0.1", "::1")
"""Names of this machine. A request to one of them that matches no entry, while an entry names
another of them with the same port (the base URL says ``localhost``, the entry ``127.0.0.1``),
gets no span, as for any unknown host, and one WARNING that names the entry to add. Entries are
matched exactly: ``localhost`` may resolve to another address than ``127.0.0.1`` (``::1``, or
another service), so one name is not taken for the other."""

_SUFFIXES = tuple(suffix for suffix, _ in BUILTIN_SUFFIXES)

_DEFAULT_FORMATS = {
    "openai": "openai",
    "aws.bedrock": "bedrock",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "anthropic": "anthropic",
    "gcp.gemini": "gemini",
    "gcp.vertex_ai": "gemini",
    "ollama": "ollama",
    "cohere": "cohere",
    "huggingface": "huggingface",
}
"""The format of a known provider name when the user gives none (others: ``openai``)."""


def provider_format(provider: str) -> WireFormat:
    """The format of the API a provider named ``provider`` speaks (``openai`` for a name not
    listed): what its host gets without a ``/format``, and what the LiteLLM adapter reads the
    provider's error answer with, so the answer reads as the hook reads it."""
    return FORMATS[_DEFAULT_FORMATS.get(provider_name(provider), "openai")]


_logger = logging.getLogger(__name__)
_UNKNOWN = object()
_CACHE_SIZE = 4096


class HostTable:
    """Built-in hosts plus the user's overrides; :meth:`lookup` is the hot path.

    Answers are memoised per ``(host, port)`` as given (a process talks to few distinct hosts),
    so a repeated lookup, hit or miss, is one tuple and one dict probe. The memo is bounded: it
    is cleared when it reaches :data:`_CACHE_SIZE` entries.
    """

    __slots__ = ("_cache", "_hinted", "_ports", "_user_hosts", "_user_ports")

    def __init__(self, overrides: Optional[dict[tuple[str, Optional[int]], ProviderRoute]] = None):
        self._user_hosts: dict[str, ProviderRoute] = {}
        self._user_ports: dict[tuple[str, int], ProviderRoute] = {}
        for (host, port), route in (overrides or {}).items():
            if port is None:
                self._user_hosts[host.lower()] = route
            else:
                self._user_ports[(host.lower(), port)] = route
        self._hinted = False
        # Built-in host:port entries, unless the user claimed that host for every port.
        self._ports = {
            key: route
            for key, route in BUILTIN_HOST_PORTS.items()
            if key[0] not in self._user_hosts
        }
        self._cache: dict[tuple[str, Optional[int]], Optional[ProviderRoute]] = {}

    def lookup(self, host: str, port: Optional[int]) -> Optional[ProviderRoute]:
        """The provider route for a request to ``host:port``, or ``None`` for any other host.

        A user entry with a port matches only that port; one without matches every port; user
        entries win over built-in ones; host names compare case-insensitively.
        """
        key = (host, port)
        route = self._cache.get(key, _UNKNOWN)
        if route is not _UNKNOWN:
            return route  # type: ignore[return-value]
        route = self._resolve(host, port)
        cache = self._cache
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = route
        return route

    def _resolve(self, host: str, port: Optional[int]) -> Optional[ProviderRoute]:
        host = host.lower()
        if self._user_ports:
            # httpx reports the scheme's default port as None: then an entry for 443 or 80 fits.
            for candidate in (port,) if port is not None else (443, 80):
                route = self._user_ports.get((host, candidate))
                if route is not None:
                    return route
        if self._user_hosts:
            route = self._user_hosts.get(host)
            if route is not None:
                return route
        route = BUILTIN_HOSTS.get(host)
        if route is not None:
            return route
        if port is not None:
            route = self._ports.get((host, port))
            if route is not None:
                return route
        if host.endswith(_SUFFIXES):
            for suffix, route in BUILTIN_SUFFIXES:
                if host.endswith(suffix):
                    return route
        for prefix, suffix, route in BUILTIN_PATTERNS:
            if host.startswith(prefix) and host.endswith(suffix):
                return route
        if host in LOOPBACK_ALIASES and not self._hinted:
            self._hint_loopback(host, port)
        return None

    def _hint_loopback(self, host: str, port: Optional[int]) -> None:
        """Once per table: a request to ``host:port`` found no entry, but another name of this
        machine has one for that port (or for every port): say which entry would match."""
        for alias in LOOPBACK_ALIASES:
            if alias == host:
                continue
            entry = self._user_ports.get((alias, port)) if port is not None else None
            if entry is None:
                entry = self._user_hosts.get(alias)
            if entry is not None:
                self._hinted = True
                shown = f"[{host}]" if ":" in host else host
                target = f"{shown}:{port}" if port is not None else shown
                _logger.warning(
                    "OTEL_PYTHON_LLM_ROUTER_PROVIDERS has an entry for %s but not for %s: requests "
                    "to %s are not traced. Add '%s=%s/%s' (or use the same host name in the base URL "
                    "and in the entry).",
                    alias,
                    host,
                    target,
                    target,
                    entry.provider,
                    entry.format.name,
                )
                return


DEFAULT_TABLE = HostTable()
lookup = DEFAULT_TABLE.lookup
"""Lookup in the built-in table only (no user overrides)."""


def _split_host_port(target: str) -> tuple[str, Optional[int], Optional[str]]:
    """``(host, port, problem)`` of ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``."""
    if target.startswith("["):
        close = target.find("]")
        if close < 0:
            return "", None, "unclosed '[' in an IPv6 host"
        host, rest = target[1:close], target[close + 1 :]
        if not rest:
            return host, None, None
        if not rest.startswith(":"):
            return "", None, f"unexpected {rest!r} after the IPv6 host"
        port_text = rest[1:]
    elif target.count(":") == 1:
        host, port_text = target.split(":")
    elif ":" in target:
        return "", None, "an IPv6 host must be written in brackets, e.g. [::1]:8080"
    else:
        return target, None, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return "", None, f"bad port {port_text!r} (expected a number from 1 to 65535)"
    return host, int(port_text), None


def parse_providers(
    value: str,
) -> tuple[dict[tuple[str, Optional[int]], ProviderRoute], list[str]]:
    """Parse ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS``: comma-separated ``host[:port]=provider[/format]``.

    Returns ``({(host, port or None): route}, warnings)``, one warning per malformed entry naming
    the entry and what is wrong; malformed entries are skipped, never fatal. ``format`` is one of
    ``openai``, ``azure``, ``bedrock``, ``anthropic``, ``gemini``, ``ollama``, ``cohere``, ``huggingface``;
    without it a provider we know keeps its own format (``azure.ai.openai``/``azure.ai.inference``
    -> azure, ``aws.bedrock`` -> bedrock, ``anthropic`` -> anthropic, ``gcp.gemini``/
    ``gcp.vertex_ai`` -> gemini, ``ollama``, ``cohere``, ``huggingface``) and any other gets
    ``openai``. The provider name is kept as written (use the GenAI conventions' names).
    """
    overrides: dict[tuple[str, Optional[int]], ProviderRoute] = {}
    warnings: list[str] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue

        def warn(problem: str, entry: str = entry) -> None:
            warnings.append(
                f"OTEL_PYTHON_LLM_ROUTER_PROVIDERS: ignoring entry {entry!r}: {problem}"
            )

        if "=" not in entry:
            warn("missing '=' (expected host[:port]=provider[/format])")
            continue
        target, _, spec = entry.partition("=")
        target = target.strip()
        spec = spec.strip()
        if "://" in target or "/" in target:
            warn("give a host name, not a URL (expected host[:port]=provider[/format])")
            continue
        host, port, problem = _split_host_port(target)
        if problem is not None:
            warn(problem)
            continue
        host = host.strip().lower()
        if not host:
            warn("empty host")
            continue
        if any(char.isspace() for char in host):
            warn("the host contains whitespace")
            continue
        provider, slash, fmt = spec.partition("/")
        provider = provider.strip()
        fmt = fmt.strip().lower()
        if not provider:
            warn("empty provider name")
            continue
        if slash and not fmt:
            warn("empty format after '/' (expected one of: " + ", ".join(sorted(FORMATS)) + ")")
            continue
        if not slash:
            fmt = _DEFAULT_FORMATS.get(provider_name(provider), "openai")
        if fmt not in FORMATS:
            warn(f"unknown format {fmt!r} (expected one of: " + ", ".join(sorted(FORMATS)) + ")")
            continue
        key = (host, port)
        if key in overrides:
            warnings.append(
                f"OTEL_PYTHON_LLM_ROUTER_PROVIDERS: entry {entry!r} repeats host {target!r}; "
                "it replaces the earlier entry"
            )
        overrides[key] = ProviderRoute(provider, FORMATS[fmt])
    return overrides, warnings
