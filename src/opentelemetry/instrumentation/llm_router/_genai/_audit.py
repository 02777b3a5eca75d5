"""Audit records: one OpenTelemetry log record per request, whatever the trace sampler decides.

Spans are sampled; a team that must keep a record of every request (compliance, chargeback,
disputes) needs something that is not. With ``OTEL_PYTHON_LLM_ROUTER_AUDIT=true`` (or
``TelemetrySettings(audit=True)``) every call the mapping ends emits one log record, event name
``llm_router.request.audit``, in the span's context: the record carries the trace and span id
(set even when the span was not sampled) and is exported by the logger provider, which no trace
sampler touches.

What it holds is an allow-list, never the span's whole attribute set: who (account, key alias,
team, user, org, end user), what (operation, route, provider, request and response model,
server, endpoint, request id), when (the record's time is the end; the start and the duration are
attributes), tokens, cost, budget figures, status (``ok`` / ``error``), ``error.type`` and the
HTTP status. Never content (messages, prompts, error texts) and never a credential: those are not
on the list, whatever content capture says.

One record per request: an upstream attempt inside a router request (a call with
``llm_router.attempt``, as the LiteLLM adapter marks them) is covered by the router request's
record and emits none of its own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Mapping, Optional

from opentelemetry._logs import Logger, SeverityNumber

from opentelemetry import trace
from opentelemetry.instrumentation.llm_router._genai import _attributes as A

if TYPE_CHECKING:
    from opentelemetry.instrumentation.llm_router._genai._telemetry import GenAICall

_logger = logging.getLogger(__name__)

AUDIT_ENV = "OTEL_PYTHON_LLM_ROUTER_AUDIT"
EVENT_NAME = "llm_router.request.audit"
STATUS = "llm_router.request.status"
START_TIME = "llm_router.request.start_time_unix_nano"
DURATION = "llm_router.request.duration"

# Set when the call starts (samplers see them): the first part of who and what.
_START_KEYS = (
    A.GEN_AI_OPERATION_NAME,
    A.GEN_AI_PROVIDER_NAME,
    A.GEN_AI_REQUEST_MODEL,
    A.SERVER_ADDRESS,
    A.SERVER_PORT,
    A.LLM_ROUTER_ROUTE,
    A.LLM_ROUTER_REQUEST_ID,
    A.LLM_ROUTER_ENDPOINT,
    A.LLM_ROUTER_ACCOUNT_ID,
    A.LLM_ROUTER_BUDGET,
    A.LLM_ROUTER_BUDGET_SCOPE,
    A.LLM_ROUTER_BUDGET_RANGE_TYPE,
    A.LLM_ROUTER_CHAIN,
)
# Learnt while the call runs or at its end.
_END_KEYS = (
    A.GEN_AI_RESPONSE_MODEL,
    A.GEN_AI_RESPONSE_ID,
    A.GEN_AI_USAGE_INPUT_TOKENS,
    A.GEN_AI_USAGE_OUTPUT_TOKENS,
    A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    A.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    A.HTTP_RESPONSE_STATUS_CODE,
    A.ERROR_TYPE,
    A.LLM_ROUTER_FORWARD_STATUS,
    A.LLM_ROUTER_COST_USD,
    A.LLM_ROUTER_COST_SOURCE,
    A.LLM_ROUTER_ACCOUNT_NAME,
    A.LLM_ROUTER_ACCOUNT_TEAM_ID,
    A.LLM_ROUTER_ACCOUNT_USER_ID,
    A.LLM_ROUTER_ACCOUNT_ORG_ID,
    A.LLM_ROUTER_ACCOUNT_END_USER_ID,
    A.LLM_ROUTER_BUDGET_OWNER,
    A.LLM_ROUTER_BUDGET_SPENT,
    A.LLM_ROUTER_BUDGET_USED_FRACTION,
    A.LLM_ROUTER_BUDGET_EXCEEDED,
    A.LLM_ROUTER_BUDGET_STORE,
    A.LLM_ROUTER_ATTEMPTS,
)


def audit_from_env(env: Mapping[str, str]) -> bool:
    """``OTEL_PYTHON_LLM_ROUTER_AUDIT``: true turns the records on (default off)."""
    raw = env.get(AUDIT_ENV, "").strip().lower()
    if raw in ("", "false", "0", "no", "off"):
        return False
    if raw in ("true", "1", "yes", "on"):
        return True
    _logger.warning("%s=%r is not true or false; audit records are off", AUDIT_ENV, raw)
    return False


class AuditLog:
    """Emits the audit record of each ended call through ``logger``."""

    __slots__ = ("_logger",)

    def __init__(self, logger: Logger) -> None:
        self._logger = logger

    def emit(
        self,
        call: GenAICall,
        start: Optional[Mapping[str, Any]],
        attributes: Mapping[str, Any],
        failed: bool,
        end_time_ns: int,
    ) -> None:
        """One record for ``call`` (its start attributes and those learnt since); never raises."""
        try:
            if A.LLM_ROUTER_ATTEMPT in attributes:
                return  # an upstream attempt: the router request's record covers it
            record: dict[str, Any] = {}
            if start:
                for key in _START_KEYS:
                    value = start.get(key)
                    if value is not None:
                        record[key] = value
            for key in _END_KEYS:
                value = attributes.get(key)
                if value is not None:
                    record[key] = value
            record[STATUS] = "error" if failed else "ok"
            record[START_TIME] = call.start_time_ns
            record[DURATION] = max(end_time_ns - call.start_time_ns, 0) / 1e9
            self._logger.emit(
                timestamp=end_time_ns,
                context=trace.set_span_in_context(call.span),
                severity_number=SeverityNumber.INFO,  # a record, not a problem: status says
                severity_text="INFO",
                attributes=record,
                event_name=EVENT_NAME,
            )
        except Exception:  # an old Logs API or a broken provider must not lose the call
            _logger.debug("could not emit the audit record", exc_info=True)
