"""Generate the conformance test's table of the GenAI semantic conventions from their YAML model.

The conventions' model (``model/**/*.yaml`` of open-telemetry/semantic-conventions, tag v1.41.0)
is the only authority the conformance test (``tests/support/semconv.py``) should answer to, so
its table is generated from the model rather than transcribed by hand::

    .venv/bin/python scripts/semconv_table.py --semconv DIR [--out FILE]
    .venv/bin/python scripts/semconv_table.py --semconv DIR --check   # exit 1 when the committed table differs

``DIR`` is a checkout of the conventions at that tag (its ``model/`` and ``docs/gen-ai/``), e.g.
``git clone --depth 1 --branch v1.41.0 https://github.com/open-telemetry/semantic-conventions``;
``SEMCONV_MODEL_DIR`` in the environment stands for ``--semconv``. The
output, ``tests/data/semconv-1.41.0/conventions.json``, is committed: a clone of this repository
needs nothing beside it. ``tests/test_semconv_table.py`` (a drift check) regenerates it wherever
such a checkout is at hand and fails on any difference.

What the table holds (nothing else is read by the test):

- ``attributes``: every attribute of the registries the instrumentation may write into
  (``gen_ai``, ``openai``, ``error``, ``server``, ``http``, ``exception``), with its type, its
  enumerated well-known values and, when deprecated, why;
- ``spans``: for each client span definition we emit, every attribute it lists with the
  requirement level the model resolves to (``extends`` chains and per-group overrides applied)
  and the condition text of Conditionally Required ones; ``mentioned``: attributes its note
  names (``gen_ai.provider.name`` for the OpenAI and Anthropic spans is set by their note, not
  listed);
- ``metrics``: each client metric's instrument, unit, attributes with levels, the advisory bucket
  boundaries (these live only in ``docs/gen-ai/gen-ai-metrics.md``) and the provider attribute
  groups the provider documents attach to it (``docs/gen-ai/openai.md``);
- ``events``: ``gen_ai.client.operation.exception`` with its attributes and the severity its note
  asks for.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "data" / "semconv-1.41.0" / "conventions.json"

VERSION = "1.41.0"
NAMESPACES = ("gen_ai.", "openai.", "error.", "server.", "http.", "exception.")
SPANS = (
    "span.gen_ai.inference.client",
    "span.openai.inference.client",
    "span.anthropic.inference.client",
    "span.gen_ai.embeddings.client",
)
METRICS = (
    "gen_ai.client.operation.duration",
    "gen_ai.client.token.usage",
    "gen_ai.client.operation.time_to_first_chunk",
    "gen_ai.client.operation.time_per_output_chunk",
)
EVENTS = ("gen_ai.client.operation.exception",)
PROVIDER_DOCS = {"openai": "openai.md", "anthropic": "anthropic.md"}


def load_groups(model: Path) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for path in sorted(model.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in document.get("groups") or []:
            groups[group["id"]] = group
    return groups


def _type(definition: Any) -> tuple[str, list[Any]]:
    if isinstance(definition, dict) and "members" in definition:
        values = [m["value"] for m in definition["members"]]
        kind = "int" if all(isinstance(v, int) for v in values) else "string"
        return kind, values
    return str(definition), []


def registry_attributes(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Attribute id -> its registry definition, for the namespaces we write."""
    out: dict[str, dict[str, Any]] = {}
    for group in groups.values():
        for attribute in group.get("attributes") or []:
            name = attribute.get("id")
            if not name or not name.startswith(NAMESPACES):
                continue
            kind, members = _type(attribute.get("type"))
            entry: dict[str, Any] = {"type": kind}
            if members:
                entry["members"] = sorted(members, key=str)
            deprecated = attribute.get("deprecated")
            if deprecated:
                reason = deprecated.get("reason", "deprecated")
                if deprecated.get("renamed_to"):
                    reason += f", renamed to {deprecated['renamed_to']}"
                entry["deprecated"] = reason
            entry["requirement_level"] = attribute.get("requirement_level", "recommended")
            out[name] = entry
    return out


def _level(requirement: Any) -> dict[str, str]:
    if isinstance(requirement, dict):
        (level, condition), *_ = requirement.items()
        return {"level": level, "condition": " ".join(str(condition).split())}
    return {"level": str(requirement)}


def resolved_attributes(
    groups: dict[str, dict[str, Any]], group_id: str, registry: dict[str, dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """The attributes of a group with the levels the model gives them: those of the group it
    extends, then its own refs, a ref overriding only the fields it states; an attribute no
    group gives a level takes the registry's (Recommended by default)."""
    group = groups[group_id]
    out: dict[str, dict[str, str]] = {}
    if group.get("extends"):
        out.update(resolved_attributes(groups, group["extends"], registry))
    for attribute in group.get("attributes") or []:
        name = attribute.get("ref") or attribute.get("id")
        if "requirement_level" in attribute:
            out[name] = _level(attribute["requirement_level"])
        elif name not in out:
            out[name] = _level(registry.get(name, {}).get("requirement_level", "recommended"))
    return dict(sorted(out.items()))


def _mentioned(text: str, registry: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({n for n in re.findall(r"`([a-z0-9_.]+)`", text or "") if n in registry})


def _section(document: str, heading: str) -> str:
    """The text of the markdown section whose heading line is ``heading``."""
    start = document.index(heading)
    end = document.find("\n## ", start + len(heading))
    nxt = document.find("\n### ", start + len(heading))
    ends = [e for e in (end, nxt) if e != -1]
    return document[start : min(ends) if ends else len(document)]


def buckets(docs: Path, metric: str) -> list[float]:
    section = _section((docs / "gen-ai-metrics.md").read_text(), f"### Metric: `{metric}`")
    found = re.search(r"ExplicitBucketBoundaries\] of\s*\[([^\]]*)\]", section)
    if found is None:
        return []
    return [json.loads(v) for v in found.group(1).split(",")]


def provider_groups(docs: Path, metric: str) -> dict[str, str]:
    """Provider -> the attribute group its document attaches to ``metric``."""
    out = {}
    for provider, name in PROVIDER_DOCS.items():
        text = (docs / name).read_text()
        heading = f"### Metric: `{metric}`"
        if heading not in text:
            continue
        found = re.search(
            r"<!-- semconv (metric_attributes\.[a-z_.]+) -->", _section(text, heading)
        )
        if found:
            out[provider] = found.group(1)
    return out


def table(semconv: Path) -> dict[str, Any]:
    model, docs = semconv / "model", semconv / "docs" / "gen-ai"
    if not model.is_dir():
        raise SystemExit(f"no conventions model at {model}")
    groups = load_groups(model)
    registry = registry_attributes(groups)
    spans = {}
    for span_id in SPANS:
        group = groups[span_id]
        spans[span_id] = {
            "span_kind": group.get("span_kind"),
            "attributes": resolved_attributes(groups, span_id, registry),
            "mentioned": _mentioned(group.get("note", ""), registry),
        }
    by_name = {g.get("metric_name"): g for g in groups.values() if g.get("type") == "metric"}
    metrics = {}
    for name in METRICS:
        group = by_name[name]
        extra = {
            provider: resolved_attributes(groups, group_id, registry)
            for provider, group_id in provider_groups(docs, name).items()
        }
        metrics[name] = {
            "instrument": group["instrument"],
            "unit": group["unit"],
            "buckets": buckets(docs, name),
            "attributes": resolved_attributes(groups, group["id"], registry),
            "provider_attributes": extra,
        }
    events_by_name = {g.get("name"): g for g in groups.values() if g.get("type") == "event"}
    events = {}
    for name in EVENTS:
        group = events_by_name[name]
        severity = re.search(r"severity number (\d+)", group.get("note", ""))
        events[name] = {
            "severity_number": int(severity.group(1)) if severity else None,
            "attributes": resolved_attributes(groups, group["id"], registry),
        }
    attributes = {
        name: {k: v for k, v in entry.items() if k != "requirement_level"}
        for name, entry in sorted(registry.items())
    }
    return {
        "about": (
            "GENERATED by scripts/semconv_table.py from the semantic conventions' YAML model "
            "(and, for bucket boundaries and provider metric groups, docs/gen-ai); do not edit."
        ),
        "conventions": VERSION,
        "attributes": attributes,
        "spans": spans,
        "metrics": metrics,
        "events": events,
    }


def render(semconv: Path) -> str:
    return json.dumps(table(semconv), indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    model_dir = os.environ.get("SEMCONV_MODEL_DIR")
    parser.add_argument(
        "--semconv",
        type=Path,
        default=Path(model_dir) if model_dir else None,
        required=not model_dir,
        help="a checkout of open-telemetry/semantic-conventions at v1.41.0 (or $SEMCONV_MODEL_DIR)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render(args.semconv)
    if args.check:
        if args.out.read_text() != text:
            print(f"{args.out} differs from what {args.semconv} generates", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
