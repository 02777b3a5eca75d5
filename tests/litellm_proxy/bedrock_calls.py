"""LiteLLM's Bedrock path in the proxy's own venvs (``.venv-litellm``: the pinned release,
``.venv-litellm-next``: the newest): tests/test_litellm_bedrock.py runs this script there, with
the hook instrumented and a local server speaking Bedrock's wire, and reads what it wrote.

Writes one JSON object to the file its third argument names (LiteLLM prints to stdout): per
call, the route, the reply text or error class, the request paths and whether each was
SigV4-signed, and the hook's spans (attributes, and everything exported as text, for the caller to
search for credentials).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import sys
from pathlib import Path

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_TELEMETRY"] = "False"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import litellm
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from opentelemetry.instrumentation.llm_router import LLMRouterInstrumentor
from opentelemetry.instrumentation.llm_router.litellm import OTelLiteLLMCallback
from tests.sdk_matrix.wire import BEDROCK, ERROR_MODEL
from tests.support.scripted_server import ScriptedServer


def main() -> None:
    routes = json.loads(sys.argv[1])
    credentials = json.loads(sys.argv[2])
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    calls = []
    with ScriptedServer(BEDROCK.respond) as server:
        LLMRouterInstrumentor().instrument(
            tracer_provider=provider, providers=f"{server.host_port}=aws.bedrock"
        )
        for model, stream in routes:
            exporter.clear()
            before = len(server.received)
            outcome = {"model": model, "stream": stream}
            try:
                reply = litellm.completion(
                    model=model,
                    messages=[{"role": "user", "content": "Say hello."}],
                    stream=stream,
                    aws_bedrock_runtime_endpoint=server.url,
                    aws_region_name="us-east-1",
                    num_retries=0,
                    **credentials,
                )
                outcome["text"] = (
                    "".join(c.choices[0].delta.content or "" for c in reply)
                    if stream
                    else reply.choices[0].message.content
                )
            except Exception as exc:  # the error route: what LiteLLM raised
                outcome["error"] = type(exc).__name__
            sent = server.received[before:]
            outcome["paths"] = [r.path for r in sent]
            outcome["signed"] = [
                r.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256") for r in sent
            ]
            outcome["spans"] = [
                {
                    "name": s.name,
                    "attributes": {k: v for k, v in s.attributes.items()},
                    "exported": json.dumps(dict(s.attributes)) + repr(s.events) + repr(s.status),
                }
                for s in exporter.get_finished_spans()
                if s.instrumentation_scope.name == "opentelemetry.instrumentation.llm_router"
            ]
            calls.append(outcome)
        adapter = asyncio.run(_adapter_and_hook(server.url, credentials, provider, exporter))
    result = {"litellm": importlib.metadata.version("litellm"), "calls": calls, "adapter": adapter}
    Path(sys.argv[3]).write_text(json.dumps(result), encoding="utf-8")


async def _adapter_and_hook(
    url: str, credentials: dict, provider: TracerProvider, exporter: InMemorySpanExporter
) -> dict:
    """The throttled call again through ``litellm.acompletion`` with the LiteLLM adapter
    registered: ``error.type`` of its router span and of the hook's span of the same call."""
    exporter.clear()
    litellm.callbacks = [OTelLiteLLMCallback(provider, MeterProvider())]
    try:
        await litellm.acompletion(
            model=f"bedrock/converse/{ERROR_MODEL}",
            messages=[{"role": "user", "content": "Say hello."}],
            aws_bedrock_runtime_endpoint=url,
            aws_region_name="us-east-1",
            num_retries=0,
            **credentials,
        )
    except Exception:  # the throttled answer, as LiteLLM raises it
        pass
    views: dict = {}
    for _ in range(200):  # LiteLLM reports the failure from a background task
        for span in exporter.get_finished_spans():
            view = "router" if "llm_router.route" in span.attributes else "hook"
            views[view] = span.attributes.get("error.type")
        if len(views) == 2:
            break
        await asyncio.sleep(0.05)
    litellm.callbacks = []
    return views


if __name__ == "__main__":
    main()
