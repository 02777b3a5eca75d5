"""Configuration from ``OTEL_*`` environment variables (and keyword arguments that override them).

Bad values are the user's mistake, so each gives one warning that names the variable and the value,
and the setting falls back to its default; the rest of the instrumentation keeps working.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from opentelemetry.instrumentation.llm_router._genai import TelemetrySettings
from opentelemetry.instrumentation.llm_router._genai._telemetry import METRIC_OPT_IN_ATTRIBUTES

_logger = logging.getLogger(__name__)

PROVIDERS = "OTEL_PYTHON_LLM_ROUTER_PROVIDERS"
METRIC_ATTRIBUTES = "OTEL_PYTHON_LLM_ROUTER_METRIC_ATTRIBUTES"
TIME_PER_OUTPUT_CHUNK = "OTEL_PYTHON_LLM_ROUTER_TIME_PER_OUTPUT_CHUNK"
STREAM_INCLUDE_USAGE = "OTEL_PYTHON_LLM_ROUTER_STREAM_INCLUDE_USAGE"
SDK_SPANS = "OTEL_PYTHON_LLM_ROUTER_SDK_SPANS"
CONTENT_MAX_LENGTH = "OTEL_PYTHON_LLM_ROUTER_CONTENT_MAX_LENGTH"
RECORD_METRICS = "OTEL_PYTHON_LLM_ROUTER_RECORD_METRICS"
LITELLM_ADAPTER = "OTEL_PYTHON_LLM_ROUTER_LITELLM"
CAPTURE_MESSAGE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

SDK_SPAN_MODES = ("nest", "exclusive")

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}
# Values of OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT that other GenAI instrumentations
# accept; any of them that puts content on spans turns our capture on.
_CONTENT_ON = _TRUE | {"span_only", "span_and_event"}
_CONTENT_OFF = _FALSE | {"no_content", "event_only"}


def env_flag(name: str, default: bool, env: Optional[Mapping[str, str]] = None) -> bool:
    """A boolean environment variable; anything unrecognised warns and gives ``default``."""
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    _logger.warning("%s=%r is not true or false; using %s", name, raw, str(default).lower())
    return default


def capture_content_from_env(env: Optional[Mapping[str, str]] = None) -> bool:
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(CAPTURE_MESSAGE_CONTENT)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in _CONTENT_ON:
        return True
    if value not in _CONTENT_OFF:
        _logger.warning(
            "%s=%r is not true or false; message content is not captured",
            CAPTURE_MESSAGE_CONTENT,
            raw,
        )
    return False


def metric_opt_in_from_env(env: Optional[Mapping[str, str]] = None) -> frozenset[str]:
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(METRIC_ATTRIBUTES)
    if not raw:
        return frozenset()
    chosen = set()
    for item in raw.split(","):
        key = item.strip().lower()
        if not key:
            continue
        if key in METRIC_OPT_IN_ATTRIBUTES:
            chosen.add(key)
        else:
            _logger.warning(
                "%s=%r: unknown attribute %r ignored (known: %s)",
                METRIC_ATTRIBUTES,
                raw,
                key,
                ", ".join(sorted(METRIC_OPT_IN_ATTRIBUTES)),
            )
    return frozenset(chosen)


def positive_int_from_env(name: str, default: int, env: Optional[Mapping[str, str]] = None) -> int:
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        _logger.warning("%s=%r is not a positive integer; using %d", name, raw, default)
        return default
    return value


def choice_from_env(
    name: str, choices: tuple[str, ...], env: Optional[Mapping[str, str]] = None
) -> str:
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    raw = env.get(name)
    if raw is None or not raw.strip():
        return choices[0]
    value = raw.strip().lower()
    if value in choices:
        return value
    _logger.warning("%s=%r is not one of %s; using %s", name, raw, "|".join(choices), choices[0])
    return choices[0]


def settings_from_env(env: Optional[Mapping[str, str]] = None) -> TelemetrySettings:
    """The mapping settings the environment asks for (metric opt-ins, chunk timing, pricing)."""
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    from opentelemetry.instrumentation.llm_router._genai._audit import audit_from_env
    from opentelemetry.instrumentation.llm_router._pricer import pricer_from_env

    return TelemetrySettings(
        metric_opt_in=metric_opt_in_from_env(env),
        record_time_per_output_chunk=env_flag(TIME_PER_OUTPUT_CHUNK, False, env),
        record_metrics=env_flag(RECORD_METRICS, True, env),
        pricer=pricer_from_env(env),
        audit=audit_from_env(env),
    )


@dataclass
class HookConfig:
    """Everything the httpx hook needs to know, resolved once at ``instrument()``."""

    settings: TelemetrySettings = field(default_factory=TelemetrySettings)
    hosts: Any = field(default_factory=lambda: _host_table({}))
    """The ``_wire._hosts.HostTable``: built-in providers plus ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS``."""
    capture_content: bool = False
    content_max_length: int = 16_384
    stream_include_usage: bool = False
    sdk_spans: str = "nest"


def hook_config_from_env(env: Optional[Mapping[str, str]] = None) -> HookConfig:
    if env is None:  # not a default argument: help() would render the environment
        env = os.environ
    from opentelemetry.instrumentation.llm_router._wire._hosts import parse_providers

    overrides: dict[Any, Any] = {}
    raw = env.get(PROVIDERS)
    if raw:
        overrides, problems = parse_providers(raw)
        for problem in problems:  # each already names the variable and the entry
            _logger.warning("%s", problem)
    return HookConfig(
        settings=settings_from_env(env),
        hosts=_host_table(overrides),
        capture_content=capture_content_from_env(env),
        content_max_length=positive_int_from_env(CONTENT_MAX_LENGTH, 16_384, env),
        stream_include_usage=env_flag(STREAM_INCLUDE_USAGE, False, env),
        sdk_spans=choice_from_env(SDK_SPANS, SDK_SPAN_MODES, env),
    )


def _host_table(overrides: dict[Any, Any]) -> Any:
    from opentelemetry.instrumentation.llm_router._wire._hosts import HostTable

    return HostTable(overrides)
