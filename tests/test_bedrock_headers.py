"""What Bedrock says in response headers beside the body: AWS adds its own token counts
(``X-Amzn-Bedrock-Input-Token-Count`` / ``-Output-Token-Count``) to every InvokeModel answer, and
the families whose body has no usage (Mistral, Cohere) are counted by them; a body's own usage is
kept. Through httpx, aiohttp and the real boto3 client (which returns the same headers)."""

from __future__ import annotations

import json
from typing import Any, Optional

import aiohttp
import boto3
import httpx
import pytest
from botocore.config import Config

from tests.support.scripted_server import ScriptedServer, json_reply

COUNTS = {"X-Amzn-Bedrock-Input-Token-Count": "13", "X-Amzn-Bedrock-Output-Token-Count": "7"}
CASES = {
    # family: (model, request, reply, headers, expected (input, output))
    "mistral": (
        "mistral.mistral-7b-instruct-v0:2",
        {"prompt": "<s>[INST] hi [/INST]", "max_tokens": 9},
        {"outputs": [{"text": "Hello", "stop_reason": "stop"}]},
        COUNTS,
        (13, 7),
    ),
    "cohere": (
        "cohere.command-text-v14",
        {"prompt": "hi", "max_tokens": 9},
        {"id": "g1", "generations": [{"id": "x", "text": "Hello", "finish_reason": "COMPLETE"}]},
        COUNTS,
        (13, 7),
    ),
    "llama-body-wins": (  # the body's counts are kept; the headers only fill what it lacks
        "meta.llama3-8b-instruct-v1:0",
        {"prompt": "hi"},
        {"generation": "Hi", "prompt_token_count": 5, "generation_token_count": 2, "stop_reason": "stop"},
        COUNTS,
        (5, 2),
    ),
    "malformed-headers": (
        "mistral.mistral-7b-instruct-v0:2",
        {"prompt": "hi"},
        {"outputs": [{"text": "Hello", "stop_reason": "stop"}]},
        {"X-Amzn-Bedrock-Input-Token-Count": "²", "X-Amzn-Bedrock-Output-Token-Count": "-4"},
        (None, None),
    ),
}  # fmt: skip


def _reply(reply: Any, headers: dict[str, str]) -> Any:
    out = json_reply(reply)
    out.headers = dict(headers)
    return out


async def _call(client: str, server: Any, model: str, request: Any) -> None:
    url = f"{server.url}/model/{model.replace(':', '%3A')}/invoke"
    if client == "httpx":
        httpx.post(url, json=request)
    elif client == "aiohttp":
        async with aiohttp.ClientSession() as session, session.post(url, json=request) as r:
            await r.read()
    else:
        bedrock = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            config=Config(retries={"total_max_attempts": 1}),
        )
        result = bedrock.invoke_model(modelId=model, body=json.dumps(request))
        result["body"].read()


@pytest.mark.parametrize("client", ["httpx", "aiohttp", "boto3"])
@pytest.mark.parametrize("case", CASES)
async def test_token_counts_from_headers(
    case: str, client: str, instrument: Any, span_exporter: Any
) -> None:
    model, request, reply, headers, (inputs, outputs) = CASES[case]
    with ScriptedServer(_reply(reply, headers)) as server:
        instrument(f"{server.host_port}=aws.bedrock")
        await _call(client, server, model, request)
    (span,) = span_exporter.get_finished_spans()
    a = span.attributes
    got: tuple[Optional[int], Optional[int]] = (
        a.get("gen_ai.usage.input_tokens"),
        a.get("gen_ai.usage.output_tokens"),
    )
    assert got == (inputs, outputs)
    assert "error.type" not in a
