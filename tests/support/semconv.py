"""Conformance of our spans, metric points and log events to the GenAI conventions v1.41.0.

What the conventions say is read from one table, ``tests/data/semconv-1.41.0/conventions.json``,
GENERATED from the conventions' YAML model by ``scripts/semconv_table.py`` (never edited by hand;
``tests/test_semconv_table.py`` regenerates it where the model is at hand and fails on any
difference): attribute names, types, enumerated well-known values and deprecations of the
registries; for each span definition and client metric the attributes it lists and their
requirement levels; instruments, units, advisory bucket boundaries; the exception event.

Checks give :class:`Deviation` values (``MUST`` or ``SHOULD``) rather than raising, so a test can
show all of them at once, and a test can seed a deviation to prove the checker sees it.
Conditionally Required and Recommended attributes are checked against :class:`WireFacts`: what
the request and response on the wire actually said (:data:`CONDITION_OF` names, per attribute,
the fact its condition text asks for). Without wire facts only what a span shows by itself is
checked (its error status, ``server.address`` and the registry rules).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

DATA = Path(__file__).resolve().parents[1] / "data" / "semconv-1.41.0"
TABLE = "conventions.json"
"""Generated from the conventions' YAML model by ``scripts/semconv_table.py``; never edited."""

NAMESPACES = ("gen_ai.", "openai.", "server.", "error.", "http.response.", "exception.")
"""Attributes in these namespaces must exist in the registry; others (``llm_router.*``) are ours."""

GENAI_NAMESPACES = ("gen_ai.", "openai.")
"""Attributes of these namespaces on a span must be listed by its definition (or named by its note)."""

CLOSED_FOR_US = frozenset(
    {"gen_ai.operation.name", "gen_ai.token.type", "gen_ai.output.type", "openai.api.type"}
)
"""Enumerations whose values we never take from the wire: only well-known values may appear.
The others (provider names, error codes, service tiers) may carry custom values, which the
conventions allow when no well-known value applies."""


REQUIRED_FROM_THE_WIRE = {"gen_ai.request.model": "request_model"}
"""Required attributes that only the wire can give: OpenAI spans require ``gen_ai.request.model``,
but a request that names no model (a router event without one, a malformed body) has none to
report, and we never invent one. Required whenever the wire (or the span itself) has it."""


@dataclass(frozen=True)
class Deviation:
    level: str  # "MUST" | "SHOULD"
    where: str
    what: str

    def __str__(self) -> str:
        return f"[{self.level}] {self.where}: {self.what}"


@dataclass
class Registry:
    names: set[str]
    deprecated: dict[str, str]
    enums: dict[str, set[Any]]
    types: dict[str, str]
    instruments: dict[str, tuple[str, str]]  # metric -> (instrument kind, unit)
    table: dict[str, Any]


CONDITION_OF = {
    "server.address": "always",
    "server.port": "server_address",
    "error.type": "error",
    "gen_ai.request.model": "request_model",
    "gen_ai.request.choice.count": "request_choice_count_not_1",
    "gen_ai.request.seed": "request_seed",
    "gen_ai.request.stream": "request_stream",
    "gen_ai.output.type": "request_output_format",
    "gen_ai.conversation.id": "conversation_id",
    "gen_ai.request.max_tokens": "request_max_tokens",
    "gen_ai.request.temperature": "request_temperature",
    "gen_ai.request.top_p": "request_top_p",
    "gen_ai.request.top_k": "request_top_k",
    "gen_ai.request.stop_sequences": "request_stop_sequences",
    "gen_ai.request.frequency_penalty": "request_frequency_penalty",
    "gen_ai.request.presence_penalty": "request_presence_penalty",
    "gen_ai.request.encoding_formats": "request_encoding_formats",
    "gen_ai.embeddings.dimension.count": "request_dimensions",
    "gen_ai.response.id": "response_id",
    "gen_ai.response.model": "response_model",
    "gen_ai.response.finish_reasons": "response_finish_reasons",
    "gen_ai.response.time_to_first_chunk": "successful_stream",
    "gen_ai.usage.input_tokens": "usage_input_tokens",
    "gen_ai.usage.cache_read.input_tokens": "usage_cache_read_input_tokens",
    "gen_ai.usage.cache_creation.input_tokens": "usage_cache_creation_input_tokens",
    "gen_ai.usage.output_tokens": "usage_output_tokens",
    "gen_ai.usage.reasoning.output_tokens": "usage_reasoning_output_tokens",
    "openai.request.service_tier": "request_service_tier_not_auto",
    "openai.response.service_tier": "response_service_tier",
    "openai.response.system_fingerprint": "response_system_fingerprint",
    "openai.api.type": "openai_api_type",
}
"""For each Conditionally Required or Recommended attribute of a span or metric we emit, the
condition key (:class:`WireFacts`) under which the wire has what it needs. The levels and the
condition texts come from the generated table; this is only how the test reads those texts on
the wire. An attribute the table lists and this map lacks fails ``test_every_condition_is_read``,
so a new attribute in the conventions cannot pass unchecked."""


def _levels(attributes: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """A generated attribute list split by level, each conditional one with its condition key."""
    out: dict[str, Any] = {
        "required": [],
        "conditionally_required": {},
        "recommended": {},
        "opt_in": [],
    }
    for name, spec in attributes.items():
        level = spec["level"]
        if level in ("required", "opt_in"):
            out[level].append(name)
        else:
            out[level][name] = CONDITION_OF.get(name, f"unread condition of {name}")
    return out


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The generated table (``conventions.json``), in the shapes the checks use."""
    generated = json.loads((DATA / TABLE).read_text())
    attributes = generated["attributes"]
    table: dict[str, Any] = {"generated": generated, "spans": {}, "metrics": {}, "events": {}}
    for span_id, spec in generated["spans"].items():
        levels = _levels(spec["attributes"])
        levels["allowed"] = set(spec["attributes"]) | set(spec["mentioned"])
        table["spans"][span_id] = levels
    for name, spec in generated["metrics"].items():
        table["metrics"][name] = {
            "buckets": spec["buckets"],
            "attributes": _levels(spec["attributes"]),
            "providers": {p: _levels(a) for p, a in spec["provider_attributes"].items()},
        }
    table["events"] = generated["events"]
    return Registry(
        names=set(attributes),
        deprecated={n: a["deprecated"] for n, a in attributes.items() if "deprecated" in a},
        enums={n: set(a["members"]) for n, a in attributes.items() if "members" in a},
        types={n: a["type"] for n, a in attributes.items()},
        instruments={n: (m["instrument"], m["unit"]) for n, m in generated["metrics"].items()},
        table=table,
    )


# Wire facts --------------------------------------------------------------------------------


@dataclass
class WireFacts:
    """What the request and response on the wire said, as condition keys (:data:`CONDITION_OF`).

    ``conditions`` holds the keys that hold (``request_stream``, ``response_service_tier``,
    ...). Built by :func:`facts_from_exchange` from plain JSON, sharing no code with the parsers.
    """

    conditions: set[str] = field(default_factory=set)


def _sse_objects(text: str) -> list[dict[str, Any]]:
    objects = []
    for line in text.splitlines():
        if line.startswith("data:"):
            data = line[5:].strip()
            if data.startswith("{"):
                try:
                    value = json.loads(data)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    objects.append(value)
    return objects


def _response_objects(body: str) -> list[dict[str, Any]]:
    stripped = body.lstrip()
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except ValueError:
            return []
        return [value] if isinstance(value, dict) else []
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError:
            return []
        return [v for v in value if isinstance(v, dict)]
    objects = _sse_objects(body)
    # Responses API stream events wrap the response object.
    return objects + [o["response"] for o in objects if isinstance(o.get("response"), dict)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def facts_from_exchange(
    family: str, path: str, request: Mapping[str, Any], status: int, response_body: str
) -> WireFacts:
    """The conditions one recorded or sample exchange makes true.

    ``family`` is ``openai_chat``, ``openai_completions``, ``openai_embeddings``,
    ``openai_responses``, ``anthropic_messages`` or ``gemini_generate_content``.
    """
    facts = WireFacts()
    c = facts.conditions
    c.add("always")
    objects = _response_objects(response_body)
    error = status >= 400 or any(
        isinstance(o.get("error"), (dict, str)) or o.get("type") == "error" for o in objects
    )
    if error:
        c.add("error")
    gemini = family == "gemini_generate_content"
    if _present(request.get("model")) or gemini:
        c.add("request_model")
    stream = request.get("stream") is True or ":streamGenerateContent" in path
    if stream:
        c.add("request_stream")
        if not error:
            c.add("successful_stream")
    config = _dict(request.get("generationConfig") or request.get("generation_config"))
    params = config if gemini else request
    aliases = {
        "max_tokens": (
            "max_tokens",
            "max_completion_tokens",
            "max_output_tokens",
            "maxOutputTokens",
        ),
        "temperature": ("temperature",),
        "top_p": ("top_p", "topP"),
        "top_k": ("top_k", "topK"),
        "stop_sequences": ("stop", "stop_sequences", "stopSequences"),
        "frequency_penalty": ("frequency_penalty", "frequencyPenalty"),
        "presence_penalty": ("presence_penalty", "presencePenalty"),
        "seed": ("seed",),
    }
    for key, names in aliases.items():
        if any(_present(params.get(n)) for n in names):
            c.add(f"request_{key}")
    choices = params.get("candidateCount") if gemini else request.get("n")
    if isinstance(choices, int) and choices != 1:
        c.add("request_choice_count_not_1")
    if family == "openai_embeddings":
        if _present(request.get("encoding_format")):
            c.add("request_encoding_formats")
        if isinstance(request.get("dimensions"), int):
            c.add("request_dimensions")
    output_format = (
        _present(request.get("response_format"))
        or _present(_dict(request.get("text")).get("format"))
        or _present(request.get("output_format"))
        or _present(_dict(request.get("output_config")).get("format"))
        or any(
            _present(config.get(k))
            for k in ("responseMimeType", "response_mime_type", "responseSchema", "response_schema")
        )
    )
    if output_format:
        c.add("request_output_format")
    if family.startswith("openai_"):
        tier = request.get("service_tier")
        if isinstance(tier, str) and tier != "auto":
            c.add("request_service_tier_not_auto")
        if family in ("openai_chat", "openai_responses"):
            c.add("openai_api_type")
    if family == "openai_responses" and _present(request.get("conversation")):
        c.add("conversation_id")
    if not error:
        _response_facts(family, objects, c)
    return facts


def _response_facts(family: str, objects: Sequence[dict[str, Any]], c: set[str]) -> None:
    gemini = family == "gemini_generate_content"
    anthropic = family == "anthropic_messages"
    for obj in objects:
        message = obj.get("message") if anthropic and isinstance(obj.get("message"), dict) else obj
        if _present(message.get("responseId" if gemini else "id")):
            c.add("response_id")
        if _present(message.get("modelVersion" if gemini else "model")):
            c.add("response_model")
        if family.startswith("openai_"):
            if _present(obj.get("service_tier")):
                c.add("response_service_tier")
            if _present(obj.get("system_fingerprint")):
                c.add("response_system_fingerprint")
            conversation = obj.get("conversation")
            if isinstance(conversation, dict) and _present(conversation.get("id")):
                c.add("conversation_id")
        for choice in obj.get("choices") or obj.get("candidates") or []:
            if isinstance(choice, dict) and _present(
                choice.get("finish_reason") or choice.get("finishReason")
            ):
                c.add("response_finish_reasons")
        delta = obj.get("delta") if isinstance(obj.get("delta"), dict) else {}
        if obj.get("status") in ("completed", "incomplete") or _present(
            delta.get("stop_reason") or message.get("stop_reason")
        ):
            c.add("response_finish_reasons")
        usage = obj.get("usage") or obj.get("usageMetadata") or message.get("usage") or {}
        if not isinstance(usage, dict):
            continue
        if any(k in usage for k in ("prompt_tokens", "input_tokens", "promptTokenCount")):
            c.add("usage_input_tokens")
        if any(k in usage for k in ("completion_tokens", "output_tokens", "candidatesTokenCount")):
            c.add("usage_output_tokens")
        details = _dict(usage.get("prompt_tokens_details") or usage.get("input_tokens_details"))
        if "cached_tokens" in details or "cache_read_input_tokens" in usage:
            c.add("usage_cache_read_input_tokens")
        if "cachedContentTokenCount" in usage:
            c.add("usage_cache_read_input_tokens")
        if "cache_creation_input_tokens" in usage:
            c.add("usage_cache_creation_input_tokens")
        out = _dict(usage.get("completion_tokens_details") or usage.get("output_tokens_details"))
        if "reasoning_tokens" in out or "thoughtsTokenCount" in usage:
            c.add("usage_reasoning_output_tokens")


# Checks ------------------------------------------------------------------------------------


def _type_ok(expected: str, value: Any) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "int":
        return type(value) is int
    if expected == "double":
        return type(value) in (float, int)
    if expected == "boolean":
        return type(value) is bool
    if expected == "string[]":
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    if expected == "any":  # complex values go on spans as JSON text
        return isinstance(value, str)
    return False


def check_attributes(attributes: Mapping[str, Any], where: str) -> list[Deviation]:
    """Every conventions-namespace attribute exists, is current, has its type and a value the
    registry allows."""
    reg = registry()
    out = []
    for name, value in attributes.items():
        if not name.startswith(NAMESPACES):
            continue
        if name not in reg.names:
            out.append(Deviation("MUST", where, f"{name} is not in the v1.41.0 registry"))
            continue
        if name in reg.deprecated:
            out.append(Deviation("MUST", where, f"{name} is deprecated: {reg.deprecated[name]}"))
        expected = reg.types.get(name)
        if expected is None:
            out.append(Deviation("MUST", where, f"{name}: no type in the generated table"))
        elif not _type_ok(expected, value):
            out.append(Deviation("MUST", where, f"{name}={value!r} is not of type {expected}"))
        allowed = reg.enums.get(name)
        if allowed is not None and name in CLOSED_FOR_US and value not in allowed:
            out.append(Deviation("MUST", where, f"{name}={value!r} is not a well-known value"))
        if allowed is not None and isinstance(value, str) and value not in allowed:
            # A custom value must not be a misspelling of a well-known one.
            folded = {v.lower().replace("-", "_").replace(".", "_") for v in allowed}
            if value.lower().replace("-", "_").replace(".", "_") in folded:
                out.append(Deviation("MUST", where, f"{name}={value!r} misspells a known value"))
    return out


def span_kind_of(attributes: Mapping[str, Any]) -> str:
    """Which span definition of the conventions applies."""
    if attributes.get("gen_ai.operation.name") == "embeddings":
        return "span.gen_ai.embeddings.client"
    provider = attributes.get("gen_ai.provider.name")
    if provider == "openai":
        return "span.openai.inference.client"
    if provider == "anthropic":
        return "span.anthropic.inference.client"
    return "span.gen_ai.inference.client"


def _own_conditions(attributes: Mapping[str, Any], error: bool) -> set[str]:
    """Conditions a span shows by itself."""
    conditions = {"always"}
    if error:
        conditions.add("error")
    if "server.address" in attributes:
        conditions.add("server_address")
    if attributes.get("gen_ai.request.model"):
        conditions.add("request_model")
    return conditions


def check_span(
    name: str,
    kind: str,
    attributes: Mapping[str, Any],
    error: bool,
    wire: Optional[WireFacts] = None,
    events: Sequence[str] = (),
) -> list[Deviation]:
    """Registry rules, the span's Required attributes, and its Conditionally Required (MUST) and
    Recommended (SHOULD) ones whose condition holds: on the wire when ``wire`` is given, else
    only those the span shows by itself. Conventions-namespace attributes its definition does
    not list (nor its note name) are deviations, and so is an ``exception`` span event: the
    conventions' recording-errors guidance makes recording an error as a span event NOT
    RECOMMENDED; a GenAI failure is the ``gen_ai.client.operation.exception`` log event."""
    definition_name = span_kind_of(attributes)
    where = f"span {name!r} ({definition_name})"
    out = check_attributes(attributes, where)
    definition = registry().table["spans"][definition_name]
    if kind != "CLIENT":
        out.append(Deviation("SHOULD", where, f"span kind {kind}, not CLIENT"))
    operation = attributes.get("gen_ai.operation.name")
    model = attributes.get("gen_ai.request.model")
    expected_name = f"{operation} {model}" if model else f"{operation}"
    if name != expected_name:
        out.append(Deviation("SHOULD", where, f"name is not {expected_name!r}"))
    conditions = _own_conditions(attributes, error)
    if wire is not None:
        conditions |= wire.conditions
    for attribute in definition["required"]:
        needs = REQUIRED_FROM_THE_WIRE.get(attribute)
        if attribute not in attributes and (needs is None or needs in conditions):
            out.append(Deviation("MUST", where, f"Required {attribute} is missing"))
    if wire is not None and "error" in wire.conditions and not error:
        out.append(Deviation("MUST", where, "the wire says error, the span status does not"))
    for attribute, condition in definition["conditionally_required"].items():
        if condition in conditions and attribute not in attributes:
            out.append(
                Deviation(
                    "MUST", where, f"Conditionally Required {attribute} missing ({condition})"
                )
            )
    if wire is not None:
        for attribute, condition in definition["recommended"].items():
            if condition in conditions and attribute not in attributes:
                out.append(
                    Deviation("SHOULD", where, f"Recommended {attribute} missing ({condition})")
                )
    for attribute in attributes:
        # The GenAI namespaces are the definition's to list; another convention's attribute
        # (``http.response.status_code``: what the HTTP exchange said) may come along.
        if attribute.startswith(GENAI_NAMESPACES) and attribute not in definition["allowed"]:
            out.append(Deviation("SHOULD", where, f"{attribute} is not an attribute of this span"))
    if "exception" in events:
        out.append(Deviation("SHOULD", where, "an exception span event (NOT RECOMMENDED)"))
    if "error.type" in attributes and not error:
        out.append(Deviation("MUST", where, "error.type on a span that did not fail"))
    if "gen_ai.request.stream" in attributes and attributes["gen_ai.request.stream"] is not True:
        out.append(Deviation("MUST", where, "gen_ai.request.stream set for a non-streaming call"))
    if attributes.get("openai.request.service_tier") == "auto":
        out.append(Deviation("MUST", where, "openai.request.service_tier is 'auto'"))
    return out


def check_metric(
    name: str,
    unit: str,
    kind: str,
    explicit_bounds: Optional[Sequence[float]],
    attributes: Mapping[str, Any],
    wire: Optional[WireFacts] = None,
) -> list[Deviation]:
    """One metric point: its instrument, unit, advisory buckets and attribute set.

    ``kind`` is ``histogram`` / ``counter`` / ... as the SDK reports the metric's data. Metrics
    outside ``gen_ai.*`` are ours (``llm_router.*``) and only have their attributes checked.
    """
    reg = registry()
    where = f"metric {name}"
    out = check_attributes(attributes, where)
    if not name.startswith("gen_ai."):
        return out
    spec = reg.table["metrics"].get(name)
    if spec is None or name not in reg.instruments:
        return [*out, Deviation("MUST", where, "not a metric of the v1.41.0 conventions")]
    want_kind, want_unit = reg.instruments[name]
    if kind != want_kind:
        out.append(Deviation("MUST", where, f"instrument {kind}, not {want_kind}"))
    if unit != want_unit:
        out.append(Deviation("MUST", where, f"unit {unit!r}, not {want_unit!r}"))
    if explicit_bounds is not None and [float(b) for b in explicit_bounds] != [
        float(b) for b in spec["buckets"]
    ]:
        out.append(Deviation("SHOULD", where, f"buckets {list(explicit_bounds)}"))
    levels = spec["attributes"]
    allowed = {
        *levels["required"],
        *levels["conditionally_required"],
        *levels["recommended"],
    }
    provider = spec["providers"].get(attributes.get("gen_ai.provider.name"))
    if provider is not None:  # the provider's own metric attribute group (OpenAI's)
        allowed |= set(provider["recommended"]) | set(provider["conditionally_required"])
    for attribute in attributes:
        if attribute.startswith(NAMESPACES) and attribute not in allowed:
            out.append(Deviation("MUST", where, f"{attribute} is not an attribute of this metric"))
    for attribute in levels["required"]:
        if attribute not in attributes:
            out.append(Deviation("MUST", where, f"Required {attribute} is missing"))
    conditions = _own_conditions(attributes, "error.type" in attributes)
    if wire is not None:
        conditions |= wire.conditions
    for attribute, condition in levels["conditionally_required"].items():
        if condition in conditions and attribute not in attributes:
            out.append(
                Deviation(
                    "MUST", where, f"Conditionally Required {attribute} missing ({condition})"
                )
            )
    if wire is not None:
        recommended = dict(levels["recommended"])
        if provider is not None:
            recommended.update(provider["recommended"])
        for attribute, condition in recommended.items():
            if condition in conditions and attribute not in attributes:
                out.append(
                    Deviation("SHOULD", where, f"Recommended {attribute} missing ({condition})")
                )
    return out


def check_exception_event(
    event_name: Optional[str],
    severity_number: Optional[int],
    attributes: Mapping[str, Any],
    raised: bool,
) -> list[Deviation]:
    """A ``gen_ai.client.operation.exception`` log record."""
    spec = registry().table["events"]["gen_ai.client.operation.exception"]
    levels = spec["attributes"]
    where = f"event {event_name}"
    out = check_attributes(attributes, where)
    if event_name != "gen_ai.client.operation.exception":
        out.append(Deviation("MUST", where, "wrong event name"))
    if severity_number != spec["severity_number"]:
        out.append(Deviation("SHOULD", where, f"severity {severity_number}, not WARN (13)"))
    for attribute in levels:
        if attribute not in registry().names:
            out.append(Deviation("MUST", where, f"{attribute}: not in the registry"))
    # exception.type and exception.message: each Required when the other is absent.
    if "exception.type" not in attributes and "exception.message" not in attributes:
        out.append(Deviation("MUST", where, "neither exception.type nor exception.message"))
    for attribute in levels:
        # Conditionally Required ones are "recommended otherwise"; a stack trace exists only
        # when an exception was raised.
        needed = raised or attribute != "exception.stacktrace"
        if needed and attribute not in attributes:
            out.append(Deviation("SHOULD", where, f"Recommended {attribute} missing"))
    return out
