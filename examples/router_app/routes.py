"""Which upstream serves a model name: aliases, ``provider/model`` names and model-name prefixes.

Configured from the environment so the same code talks to the bundled fake provider (default, no
key needed) or to real providers:

- ``ROUTER_OPENAI_BASE_URL`` (default ``http://127.0.0.1:8000/v1``) and ``ROUTER_OPENAI_API_KEY``
  (else ``OPENAI_API_KEY``, else a dummy key the fake accepts);
- ``ROUTER_ANTHROPIC_BASE_URL`` (default ``http://127.0.0.1:8001``) and ``ROUTER_ANTHROPIC_API_KEY``
  (else ``ANTHROPIC_API_KEY``);
- ``ROUTER_ALIASES``: extra aliases, ``alias=provider/model`` separated by commas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

OPENAI = "openai"
ANTHROPIC = "anthropic"

DEFAULT_ALIASES: Dict[str, Tuple[str, str]] = {
    "fast": (OPENAI, "gpt-4o-mini"),
    "smart": (ANTHROPIC, "claude-sonnet-4-5"),
}
# Model-name prefixes -> provider, first match wins. ``error-<status>`` goes to the (fake) OpenAI
# upstream, which answers with that status: handy to see failures in Jaeger and Grafana.
PREFIXES: Tuple[Tuple[str, str], ...] = (
    ("gpt-", OPENAI),
    ("o1", OPENAI),
    ("o3", OPENAI),
    ("o4", OPENAI),
    ("text-embedding-", OPENAI),
    ("error-", OPENAI),
    ("claude-", ANTHROPIC),
)


@dataclass(frozen=True)
class Upstream:
    """One provider the router can forward to."""

    provider: str
    base_url: str
    api_key: str


@dataclass(frozen=True)
class Route:
    """The decision for one request: the route key the client used and where it goes."""

    key: str
    upstream: Upstream
    model: str


class RouteTable:
    """Resolves a client's model name to a :class:`Route`."""

    def __init__(
        self, upstreams: Mapping[str, Upstream], aliases: Mapping[str, Tuple[str, str]]
    ) -> None:
        self.upstreams = dict(upstreams)
        self.aliases = dict(aliases)

    def resolve(self, model: str) -> Optional[Route]:
        if model in self.aliases:
            provider, target = self.aliases[model]
        elif "/" in model:
            provider, target = model.split("/", 1)
        else:
            provider = next((p for prefix, p in PREFIXES if model.startswith(prefix)), "")
            target = model
        upstream = self.upstreams.get(provider)
        if upstream is None or not target:
            return None
        return Route(key=model, upstream=upstream, model=target)


def _parse_aliases(raw: str) -> Dict[str, Tuple[str, str]]:
    aliases: Dict[str, Tuple[str, str]] = {}
    for item in raw.split(","):
        alias, _, target = item.strip().partition("=")
        provider, _, model = target.partition("/")
        if alias and provider and model:
            aliases[alias] = (provider, model)
    return aliases


def table_from_env(env: Mapping[str, str] = os.environ) -> RouteTable:
    upstreams = {
        OPENAI: Upstream(
            OPENAI,
            env.get("ROUTER_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1").rstrip("/"),
            env.get("ROUTER_OPENAI_API_KEY") or env.get("OPENAI_API_KEY") or "fake-key",
        ),
        ANTHROPIC: Upstream(
            ANTHROPIC,
            env.get("ROUTER_ANTHROPIC_BASE_URL", "http://127.0.0.1:8001").rstrip("/"),
            env.get("ROUTER_ANTHROPIC_API_KEY") or env.get("ANTHROPIC_API_KEY") or "fake-key",
        ),
    }
    aliases = {**DEFAULT_ALIASES, **_parse_aliases(env.get("ROUTER_ALIASES", ""))}
    return RouteTable(upstreams, aliases)
