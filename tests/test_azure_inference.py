"""Azure OpenAI and Azure AI model inference on one host are two providers, told apart by path.

The real ``openai`` SDK's ``AzureOpenAI`` (httpx) and the real ``azure-ai-inference`` async client
(aiohttp) call a local server speaking the OpenAI wire format; the host entry names the Azure
provider, the path decides which of the two the span reports.
"""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from opentelemetry.instrumentation.llm_router._wire import DEFAULT_TABLE
from tests.support.openai_wire import chat_reply
from tests.support.scripted_server import ScriptedServer

KEY = "azure-key-canary-7d2e"


def _span(span_exporter: Any) -> Any:
    (span,) = [
        s
        for s in span_exporter.get_finished_spans()
        if s.instrumentation_scope.name == "opentelemetry.instrumentation.llm_router"
    ]
    return span


@pytest.mark.parametrize(
    ("host", "path", "provider"),
    [
        ("res.services.ai.azure.com", "/models/chat/completions", "azure.ai.inference"),
        ("res.services.ai.azure.com", "/models/embeddings", "azure.ai.inference"),
        (
            "res.services.ai.azure.com",
            "/openai/deployments/gpt-4o/chat/completions",
            "azure.ai.openai",
        ),
        ("res.openai.azure.com", "/openai/v1/chat/completions", "azure.ai.openai"),
        ("res.cognitiveservices.azure.com", "/openai/deployments/d/embeddings", "azure.ai.openai"),
        ("mistral-large.eastus2.models.ai.azure.com", "/chat/completions", "azure.ai.inference"),
    ],
)
def test_path_tells_the_azure_api(host: str, path: str, provider: str) -> None:
    route = DEFAULT_TABLE.lookup(host, 443)
    info = route.format.request_info(
        "POST", path + "?api-version=2024-05-01-preview", b'{"model": "m", "input": "x"}'
    )
    assert info is not None
    assert (info.provider or route.provider) == provider


def test_azure_openai_sdk(instrument: Any, span_exporter: Any) -> None:
    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=azure.ai.openai")
        client = openai.AzureOpenAI(
            azure_endpoint=server.url,
            api_key=KEY,
            api_version="2024-10-21",
            max_retries=0,
        )
        client.chat.completions.create(
            model="my-deployment", messages=[{"role": "user", "content": "hi"}]
        )
    span = _span(span_exporter)
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span.attributes["gen_ai.request.model"] == "my-deployment"
    assert span.attributes["gen_ai.usage.input_tokens"] == 12


def test_azure_ai_inference_sdk(instrument: Any, span_exporter: Any) -> None:
    from azure.ai.inference.aio import ChatCompletionsClient
    from azure.ai.inference.models import UserMessage
    from azure.core.credentials import AzureKeyCredential

    with ScriptedServer(chat_reply()) as server:
        instrument(f"{server.host_port}=azure.ai.openai")

        async def call() -> Any:
            async with ChatCompletionsClient(
                endpoint=server.url + "/models", credential=AzureKeyCredential(KEY)
            ) as client:
                return await client.complete(
                    model="Mistral-large-2407", messages=[UserMessage(content="hi")]
                )

        result = asyncio.run(call())
        (request,) = server.received
    assert result.choices[0].message.content == "This is a test."
    assert request.path.startswith("/models/chat/completions?api-version=")
    span = _span(span_exporter)
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.inference"
    assert span.attributes["gen_ai.request.model"] == "Mistral-large-2407"
    assert span.attributes["gen_ai.usage.output_tokens"] == 5
    assert KEY not in str(dict(span.attributes))
