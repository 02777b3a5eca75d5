"""The SDKs of the matrix: how to build each one's client and make each call type with it.

Every SDK is driven through its public API only. A client is built either with a base URL pointing
at the loopback provider (the host then comes from ``OTEL_PYTHON_LLM_ROUTER_PROVIDERS``) or, for the
default-host cells, with no base URL at all and an HTTP client of the SDK's own kind whose transport
forwards every request to the loopback provider: the hook sees the SDK's real default host and must
recognise it from the built-in table alone.

A call returns what the SDK gave the caller, reduced to plain data (``model_dump``, lists of stream
chunks, the exception's type, status and body), so the results with and without the hook can be
compared for equality.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import re
from typing import Any, Callable, Optional

import httpx
import httpx2

from tests.sdk_matrix import wire as W
from tests.sdk_matrix.wire import Wire

KEY = "sk-sdk-matrix-canary-0001"
_HTTP_DATE = re.compile(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT")
MESSAGES = [{"role": "user", "content": "Say hello."}]


# Forwarding transports: the SDK's client keeps its real URL, the bytes go to 127.0.0.1 ------------


def _forward(request: Any, port: int) -> None:
    request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)


def forwarding_client(module: Any, port: int, is_async: bool, **kwargs: Any) -> Any:
    """A ``module.Client``/``AsyncClient`` (httpx or httpx2) that sends everything to ``port``."""
    if is_async:

        class AsyncForward(module.AsyncHTTPTransport):  # type: ignore[name-defined,misc]
            async def handle_async_request(self, request: Any) -> Any:
                _forward(request, port)
                return await super().handle_async_request(request)

        return module.AsyncClient(transport=AsyncForward(), **kwargs)

    class Forward(module.HTTPTransport):  # type: ignore[name-defined,misc]
        def handle_request(self, request: Any) -> Any:
            _forward(request, port)
            return super().handle_request(request)

    return module.Client(transport=Forward(), **kwargs)


# Reducing results to comparable plain data ------------------------------------------------------


def plain(value: Any, drop: frozenset[str] = frozenset()) -> Any:
    """``value`` as JSON-like data; keys in ``drop`` (values an SDK makes up per call) removed."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: plain(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, (list, tuple)):
        return [plain(v, drop) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def error_of(exc: BaseException) -> dict[str, Any]:
    """What a caller can see of an SDK's error: its type, status and body or message."""
    status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
    response = getattr(exc, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    body = getattr(exc, "body", None)
    text = _HTTP_DATE.sub("<date>", str(exc))  # some SDKs quote the response headers
    return {"type": type(exc).__name__, "status": status, "body": plain(body), "str": text}


async def _aiter(stream: Any) -> list[Any]:
    return [item async for item in stream]


@dataclasses.dataclass
class SDK:
    """One SDK: its distribution, wire format, provider, and call makers.

    ``calls[call](client, model)`` makes the call synchronously (``acalls`` asynchronously, an
    awaitable); ``error`` exceptions are caught by the runner and reduced with :func:`error_of`.
    """

    name: str
    dist: str
    wire: Wire
    provider: str
    entry: str
    """The OTEL_PYTHON_LLM_ROUTER_PROVIDERS spec (``provider/format``) for base-URL cells."""
    make: Callable[[Optional[str], int, bool], Any]
    """``make(base_url or None, port, is_async)``: the client (``None``: the default host)."""
    calls: dict[str, Callable[[Any, str], Any]]
    acalls: dict[str, Callable[[Any, str], Any]]
    models: dict[str, Optional[str]]
    """The request model of each call type (``None``: the request names none)."""
    error_types: tuple[type[BaseException], ...] = ()
    drop: frozenset[str] = frozenset()
    default_host: str = ""
    async_transport: str = "httpx"
    """What carries the async client's requests: ``httpx``/``httpx2``, or ``aiohttp``."""

    @property
    def version(self) -> str:
        return importlib.metadata.version(self.dist)


def _openai_like(
    name: str,
    dist: str,
    wire: Wire,
    provider: str,
    factory: Callable[..., Any],
    afactory: Callable[..., Any],
    http: Any,
    path: str,
    chat_model: str,
    embed_model: Optional[str],
    errors: tuple[type[BaseException], ...],
    default_host: str,
    embed_kwargs: Optional[dict[str, Any]] = None,
) -> SDK:
    """A Stainless-style OpenAI-shaped SDK (openai, groq, together, fireworks)."""

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        kwargs: dict[str, Any] = {"api_key": KEY, "max_retries": 0}
        if base_url is not None:
            kwargs["base_url"] = base_url + path
        else:
            kwargs["http_client"] = forwarding_client(http, port, is_async)
        return (afactory if is_async else factory)(**kwargs)

    def chat(c: Any, model: str) -> Any:
        return c.chat.completions.create(model=model, messages=MESSAGES)

    def stream(c: Any, model: str) -> Any:
        return list(c.chat.completions.create(model=model, messages=MESSAGES, stream=True))

    def embed(c: Any, model: str) -> Any:
        return c.embeddings.create(model=model, input="Say hello.", **(embed_kwargs or {}))

    async def achat(c: Any, model: str) -> Any:
        return await c.chat.completions.create(model=model, messages=MESSAGES)

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(
            await c.chat.completions.create(model=model, messages=MESSAGES, stream=True)
        )

    async def aembed(c: Any, model: str) -> Any:
        return await c.embeddings.create(model=model, input="Say hello.", **(embed_kwargs or {}))

    calls = {"chat": chat, "stream": stream, "error": chat}
    acalls = {"chat": achat, "stream": astream, "error": achat}
    models: dict[str, Optional[str]] = {"chat": chat_model, "stream": chat_model}
    if embed_model is not None:
        calls["embeddings"], acalls["embeddings"] = embed, aembed
        models["embeddings"] = embed_model
    return SDK(
        name,
        dist,
        wire,
        provider,
        f"{provider}/openai",
        make,
        calls,
        acalls,
        models,
        errors,
        default_host=default_host,
        async_transport="httpx2" if http is httpx2 else "httpx",
    )


# The SDKs ---------------------------------------------------------------------------------------


def _openai() -> SDK:
    import openai

    return _openai_like(
        "openai",
        "openai",
        W.OPENAI,
        "openai",
        openai.OpenAI,
        openai.AsyncOpenAI,
        httpx2,
        "/v1",
        "gpt-4o-mini",
        "text-embedding-3-small",
        (openai.APIStatusError,),
        "api.openai.com",
        {"encoding_format": "float"},
    )


def _groq() -> SDK:
    import groq

    return _openai_like(
        "groq",
        "groq",
        W.GROQ,
        "groq",
        groq.Groq,
        groq.AsyncGroq,
        httpx,
        "",
        "llama-3.1-8b-instant",
        "nomic-embed-text-v1_5",
        (groq.APIStatusError,),
        "api.groq.com",
    )


def _together() -> SDK:
    import together

    return _openai_like(
        "together",
        "together",
        W.TOGETHER,
        "together",
        together.Together,
        together.AsyncTogether,
        httpx,
        "/v1",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "BAAI/bge-base-en-v1.5",
        (together.APIStatusError,),
        "api-inference.together.ai",
    )


def _fireworks() -> SDK:
    import fireworks

    return _openai_like(
        "fireworks-ai",
        "fireworks-ai",
        W.FIREWORKS,
        "fireworks",
        fireworks.Fireworks,
        fireworks.AsyncFireworks,
        httpx,
        "/inference",
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
        None,
        (fireworks.APIStatusError,),
        "api.fireworks.ai",
    )


def _anthropic() -> SDK:
    import anthropic

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        kwargs: dict[str, Any] = {"api_key": KEY, "max_retries": 0}
        if base_url is not None:
            kwargs["base_url"] = base_url
        else:
            kwargs["http_client"] = forwarding_client(httpx2, port, is_async)
        return (anthropic.AsyncAnthropic if is_async else anthropic.Anthropic)(**kwargs)

    def create(c: Any, model: str, **kw: Any) -> Any:
        return c.messages.create(model=model, max_tokens=64, messages=MESSAGES, **kw)

    async def acreate(c: Any, model: str, **kw: Any) -> Any:
        return await c.messages.create(model=model, max_tokens=64, messages=MESSAGES, **kw)

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(await acreate(c, model, stream=True))

    model = "claude-sonnet-4-5"
    return SDK(
        "anthropic",
        "anthropic",
        W.ANTHROPIC,
        "anthropic",
        "anthropic/anthropic",
        make,
        {"chat": create, "stream": lambda c, m: list(create(c, m, stream=True)), "error": create},
        {"chat": acreate, "stream": astream, "error": acreate},
        {"chat": model, "stream": model},
        (anthropic.APIStatusError,),
        default_host="api.anthropic.com",
        async_transport="httpx2",
    )


def _google_genai() -> SDK:
    from google import genai
    from google.genai import errors, types

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        options: dict[str, Any] = {}
        if base_url is not None:
            options["base_url"] = base_url
        elif is_async:
            options["httpx_async_client"] = forwarding_client(httpx, port, True)
        else:
            options["httpx_client"] = forwarding_client(httpx, port, False)
        client = genai.Client(api_key=KEY, http_options=types.HttpOptions(**options))
        return client.aio if is_async else client

    def chat(c: Any, model: str) -> Any:
        return c.models.generate_content(model=model, contents="Say hello.")

    def stream(c: Any, model: str) -> Any:
        return list(c.models.generate_content_stream(model=model, contents="Say hello."))

    def embed(c: Any, model: str) -> Any:
        return c.models.embed_content(model=model, contents="Say hello.")

    async def achat(c: Any, model: str) -> Any:
        return await c.models.generate_content(model=model, contents="Say hello.")

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(
            await c.models.generate_content_stream(model=model, contents="Say hello.")
        )

    async def aembed(c: Any, model: str) -> Any:
        return await c.models.embed_content(model=model, contents="Say hello.")

    return SDK(
        "google-genai",
        "google-genai",
        W.GEMINI,
        "gcp.gemini",
        "gcp.gemini/gemini",
        make,
        {"chat": chat, "stream": stream, "error": chat, "embeddings": embed},
        {"chat": achat, "stream": astream, "error": achat, "embeddings": aembed},
        {
            "chat": "gemini-2.5-flash",
            "stream": "gemini-2.5-flash",
            "embeddings": "gemini-embedding-001",
        },
        (errors.APIError,),
        drop=frozenset({"sdk_http_response"}),
        default_host="generativelanguage.googleapis.com",
        async_transport="aiohttp",
    )


def _mistral() -> SDK:
    from mistralai.client import Mistral
    from mistralai.client.errors import SDKError

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        kwargs: dict[str, Any] = {"api_key": KEY}
        if base_url is not None:
            kwargs["server_url"] = base_url
        elif is_async:
            kwargs["async_client"] = forwarding_client(httpx2, port, True)
        else:
            kwargs["client"] = forwarding_client(httpx2, port, False)
        return Mistral(**kwargs)

    def stream(c: Any, model: str) -> Any:
        return list(c.chat.stream(model=model, messages=MESSAGES))

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(await c.chat.stream_async(model=model, messages=MESSAGES))

    def chat(c: Any, model: str) -> Any:
        return c.chat.complete(model=model, messages=MESSAGES)

    async def achat(c: Any, model: str) -> Any:
        return await c.chat.complete_async(model=model, messages=MESSAGES)

    return SDK(
        "mistralai",
        "mistralai",
        W.MISTRAL,
        "mistral_ai",
        "mistral_ai/openai",
        make,
        {
            "chat": chat,
            "stream": stream,
            "error": chat,
            "embeddings": lambda c, m: c.embeddings.create(model=m, inputs=["Say hello."]),
        },
        {
            "chat": achat,
            "stream": astream,
            "error": achat,
            "embeddings": lambda c, m: c.embeddings.create_async(model=m, inputs=["Say hello."]),
        },
        {
            "chat": "mistral-small-latest",
            "stream": "mistral-small-latest",
            "embeddings": "mistral-embed",
        },
        (SDKError,),
        default_host="api.mistral.ai",
        async_transport="httpx2",
    )


def _cohere() -> SDK:
    import cohere
    from cohere.core.api_error import ApiError

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        kwargs: dict[str, Any] = {"api_key": KEY, "max_retries": 0}
        if base_url is not None:
            kwargs["base_url"] = base_url
        else:
            kwargs["httpx_client"] = forwarding_client(httpx, port, is_async)
        return (cohere.AsyncClientV2 if is_async else cohere.ClientV2)(**kwargs)

    embed_kw = {
        "texts": ["Say hello."],
        "input_type": "search_document",
        "embedding_types": ["float"],
    }

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(c.chat_stream(model=model, messages=MESSAGES))

    return SDK(
        "cohere",
        "cohere",
        W.COHERE,
        "cohere",
        "cohere/cohere",
        make,
        {
            "chat": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "stream": lambda c, m: list(c.chat_stream(model=m, messages=MESSAGES)),
            "error": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "embeddings": lambda c, m: c.embed(model=m, **embed_kw),
        },
        {
            "chat": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "stream": astream,
            "error": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "embeddings": lambda c, m: c.embed(model=m, **embed_kw),
        },
        {"chat": "command-a-03-2025", "stream": "command-a-03-2025", "embeddings": "embed-v4.0"},
        (ApiError,),
        default_host="api.cohere.com",
    )


def _ollama() -> SDK:
    import ollama

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        cls = ollama.AsyncClient if is_async else ollama.Client
        if base_url is not None:
            return cls(host=base_url)
        transport = forwarding_client(httpx, port, is_async)._transport
        return cls(host="http://localhost:11434", transport=transport)

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(await c.chat(model=model, messages=MESSAGES, stream=True))

    return SDK(
        "ollama",
        "ollama",
        W.OLLAMA,
        "ollama",
        "ollama/ollama",
        make,
        {
            "chat": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "stream": lambda c, m: list(c.chat(model=m, messages=MESSAGES, stream=True)),
            "error": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "embeddings": lambda c, m: c.embed(model=m, input="Say hello."),
        },
        {
            "chat": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "stream": astream,
            "error": lambda c, m: c.chat(model=m, messages=MESSAGES),
            "embeddings": lambda c, m: c.embed(model=m, input="Say hello."),
        },
        {"chat": "llama3.2", "stream": "llama3.2", "embeddings": "all-minilm"},
        (ollama.ResponseError,),
        default_host="localhost:11434",
    )


def _litellm() -> SDK:
    import litellm
    import openai

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        if base_url is not None:
            return {"api_base": base_url + "/v1", "api_key": KEY}
        cls = openai.AsyncOpenAI if is_async else openai.OpenAI
        client = cls(
            api_key=KEY, max_retries=0, http_client=forwarding_client(httpx2, port, is_async)
        )
        return {"client": client, "api_key": KEY}

    def call(kw: dict[str, Any], model: str, **more: Any) -> Any:
        return litellm.completion(
            model="openai/" + model, messages=MESSAGES, max_retries=0, **kw, **more
        )

    async def acall(kw: dict[str, Any], model: str, **more: Any) -> Any:
        return await litellm.acompletion(
            model="openai/" + model, messages=MESSAGES, max_retries=0, **kw, **more
        )

    async def astream(kw: dict[str, Any], model: str) -> Any:
        return await _aiter(await acall(kw, model, stream=True))

    return SDK(
        "litellm",
        "litellm",
        W.OPENAI,
        "openai",
        "openai/openai",
        make,
        {
            "chat": call,
            "stream": lambda kw, m: list(call(kw, m, stream=True)),
            "error": call,
            "embeddings": lambda kw, m: litellm.embedding(
                model="openai/" + m, input=["Say hello."], max_retries=0, **kw
            ),
        },
        {
            "chat": acall,
            "stream": astream,
            "error": acall,
            "embeddings": lambda kw, m: litellm.aembedding(
                model="openai/" + m, input=["Say hello."], max_retries=0, **kw
            ),
        },
        {"chat": "gpt-4o-mini", "stream": "gpt-4o-mini", "embeddings": "text-embedding-3-small"},
        (litellm.exceptions.APIError, litellm.exceptions.RateLimitError),
        drop=frozenset({"created", "_response_ms", "response_ms", "_hidden_params"}),
        default_host="api.openai.com",
        async_transport="httpx2",
    )


def _huggingface() -> SDK:
    import huggingface_hub
    from huggingface_hub import AsyncInferenceClient, InferenceClient

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        if base_url is None:
            if is_async:
                huggingface_hub.set_async_client_factory(
                    lambda: forwarding_client(httpx2, port, True)
                )
            else:
                huggingface_hub.set_client_factory(lambda: forwarding_client(httpx2, port, False))
            client = (AsyncInferenceClient if is_async else InferenceClient)(
                provider="hf-inference", api_key="hf_" + KEY
            )
            return client, None
        cls = AsyncInferenceClient if is_async else InferenceClient
        return cls(base_url=base_url, api_key="hf_" + KEY), base_url

    def chat(c: Any, model: str, **kw: Any) -> Any:
        client, _ = c
        return client.chat_completion(MESSAGES, model=model, **kw)

    def embed(c: Any, model: str) -> Any:
        client, base = c
        return client.feature_extraction("Say hello.", model=base or model)

    async def astream(c: Any, model: str) -> Any:
        return await _aiter(await chat(c, model, stream=True))

    return SDK(
        "huggingface_hub",
        "huggingface_hub",
        W.HUGGINGFACE,
        "huggingface",
        "huggingface/huggingface",
        make,
        {
            "chat": chat,
            "stream": lambda c, m: list(chat(c, m, stream=True)),
            "error": chat,
            "embeddings": embed,
        },
        {"chat": chat, "stream": astream, "error": chat, "embeddings": embed},
        {
            "chat": "meta-llama/Llama-3.1-8B-Instruct",
            "stream": "meta-llama/Llama-3.1-8B-Instruct",
            "embeddings": "BAAI/bge-small-en-v1.5",
        },
        (huggingface_hub.errors.HfHubHTTPError,),
        default_host="router.huggingface.co",
        async_transport="httpx2",
    )


def _langchain_openai() -> SDK:
    import openai
    from langchain_openai import ChatOpenAI, OpenAIEmbeddings

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        kwargs: dict[str, Any] = {"api_key": KEY, "max_retries": 0}
        if base_url is not None:
            kwargs["base_url"] = base_url + "/v1"
            if is_async:  # its cached default async client would outlive the event loop
                kwargs["http_async_client"] = httpx2.AsyncClient()
        elif is_async:
            kwargs["http_async_client"] = forwarding_client(httpx2, port, True)
        else:
            kwargs["http_client"] = forwarding_client(httpx2, port, False)
        return kwargs

    def chat(kw: dict[str, Any], model: str) -> Any:
        return ChatOpenAI(model=model, **kw).invoke("Say hello.")

    def stream(kw: dict[str, Any], model: str) -> Any:
        return list(ChatOpenAI(model=model, **kw).stream("Say hello."))

    def embed(kw: dict[str, Any], model: str) -> Any:
        return OpenAIEmbeddings(model=model, check_embedding_ctx_length=False, **kw).embed_query(
            "Say hello."
        )

    async def achat(kw: dict[str, Any], model: str) -> Any:
        return await ChatOpenAI(model=model, **kw).ainvoke("Say hello.")

    async def astream(kw: dict[str, Any], model: str) -> Any:
        return await _aiter(ChatOpenAI(model=model, **kw).astream("Say hello."))

    async def aembed(kw: dict[str, Any], model: str) -> Any:
        return await OpenAIEmbeddings(
            model=model, check_embedding_ctx_length=False, **kw
        ).aembed_query("Say hello.")

    return SDK(
        "langchain-openai",
        "langchain-openai",
        W.OPENAI,
        "openai",
        "openai/openai",
        make,
        {"chat": chat, "stream": stream, "error": chat, "embeddings": embed},
        {"chat": achat, "stream": astream, "error": achat, "embeddings": aembed},
        {"chat": "gpt-4o-mini", "stream": "gpt-4o-mini", "embeddings": "text-embedding-3-small"},
        (openai.APIStatusError,),
        drop=frozenset({"id", "run_id"}),
        default_host="api.openai.com",
        async_transport="httpx2",
    )


# Amazon Bedrock Runtime: botocore signs every request (SigV4) and sends it on urllib3 (boto3, the
# botocore hook) or on aiohttp (aiobotocore, the aiohttp hook). botocore builds its URL from the
# endpoint alone, with no transport to swap: its cells name the host through ``endpoint_url``.

AWS_ACCESS, AWS_SECRET, AWS_SESSION = "AKIDSDKMATRIXCANARY1", "sdk/matrix+secret+77", "sdk-token-9"
BEDROCK_CALLS = ("chat", "stream", "invoke", "invoke_stream", "error", "stream_error")
_CLAUDE_BODY = (
    '{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,'
    '"messages":[{"role":"user","content":"Say hello."}]}'
)


def _converse_messages(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _aws_config(config_class: Any) -> Any:
    return config_class(retries={"total_max_attempts": 1, "mode": "standard"})


def _bedrock_models() -> dict[str, Optional[str]]:
    return {
        "chat": "us.amazon.nova-lite-v1:0",
        "stream": "amazon.nova-lite-v1:0",
        "invoke": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "invoke_stream": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "stream_error": "amazon.nova-lite-v1:0",
    }


def _boto3() -> SDK:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        assert base_url is not None and not is_async
        return boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=base_url,
            aws_access_key_id=AWS_ACCESS,
            aws_secret_access_key=AWS_SECRET,
            aws_session_token=AWS_SESSION,
            config=_aws_config(Config),
        )

    def chat(c: Any, model: str) -> Any:
        return c.converse(modelId=model, messages=_converse_messages("Say hello."))

    def stream(c: Any, model: str, text: str = "Say hello.") -> Any:
        events = c.converse_stream(modelId=model, messages=_converse_messages(text))["stream"]
        try:
            return list(events)
        finally:
            events.close()  # a stream that failed is closed by its reader (else at collection)

    def invoke(c: Any, model: str) -> Any:
        reply = c.invoke_model(modelId=model, body=_CLAUDE_BODY)
        return {**reply, "body": reply["body"].read()}

    def invoke_stream(c: Any, model: str) -> Any:
        return list(c.invoke_model_with_response_stream(modelId=model, body=_CLAUDE_BODY)["body"])

    calls = {
        "chat": chat,
        "stream": stream,
        "invoke": invoke,
        "invoke_stream": invoke_stream,
        "error": chat,
        "stream_error": lambda c, m: stream(c, m, W.STREAM_FAILS),
    }
    return SDK(
        "boto3",
        "boto3",
        W.BEDROCK,
        "aws.bedrock",
        "aws.bedrock",
        make,
        calls,
        calls,
        _bedrock_models(),
        (botocore.exceptions.ClientError,),
        drop=frozenset({"ResponseMetadata"}),
        async_transport="",
    )


def _aiobotocore() -> SDK:
    import aiobotocore.session
    import botocore.exceptions
    from aiobotocore.config import AioConfig

    def make(base_url: Optional[str], port: int, is_async: bool) -> Any:
        assert base_url is not None and is_async
        return {
            "service_name": "bedrock-runtime",
            "region_name": "us-east-1",
            "endpoint_url": base_url,
            "aws_access_key_id": AWS_ACCESS,
            "aws_secret_access_key": AWS_SECRET,
            "aws_session_token": AWS_SESSION,
            "config": _aws_config(AioConfig),
        }

    def client(kw: dict[str, Any]) -> Any:
        return aiobotocore.session.get_session().create_client(**kw)

    async def chat(kw: dict[str, Any], model: str) -> Any:
        async with client(kw) as c:
            return await c.converse(modelId=model, messages=_converse_messages("Say hello."))

    async def stream(kw: dict[str, Any], model: str, text: str = "Say hello.") -> Any:
        async with client(kw) as c:
            events = (await c.converse_stream(modelId=model, messages=_converse_messages(text)))[
                "stream"
            ]
            try:
                return await _aiter(events)
            finally:
                events.close()

    async def invoke(kw: dict[str, Any], model: str) -> Any:
        async with client(kw) as c:
            reply = await c.invoke_model(modelId=model, body=_CLAUDE_BODY)
            return {**reply, "body": await reply["body"].read()}

    async def invoke_stream(kw: dict[str, Any], model: str) -> Any:
        async with client(kw) as c:
            reply = await c.invoke_model_with_response_stream(modelId=model, body=_CLAUDE_BODY)
            return await _aiter(reply["body"])

    async def stream_error(kw: dict[str, Any], model: str) -> Any:
        return await stream(kw, model, W.STREAM_FAILS)

    calls = {
        "chat": chat,
        "stream": stream,
        "invoke": invoke,
        "invoke_stream": invoke_stream,
        "error": chat,
        "stream_error": stream_error,
    }
    return SDK(
        "aiobotocore",
        "aiobotocore",
        W.BEDROCK,
        "aws.bedrock",
        "aws.bedrock",
        make,
        calls,
        calls,
        _bedrock_models(),
        (botocore.exceptions.ClientError,),
        drop=frozenset({"ResponseMetadata"}),
        async_transport="aiohttp",
    )


SDK_FACTORIES: dict[str, Callable[[], SDK]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "google-genai": _google_genai,
    "mistralai": _mistral,
    "groq": _groq,
    "cohere": _cohere,
    "ollama": _ollama,
    "together": _together,
    "fireworks-ai": _fireworks,
    "litellm": _litellm,
    "huggingface_hub": _huggingface,
    "langchain-openai": _langchain_openai,
    "boto3": _boto3,
    "aiobotocore": _aiobotocore,
}
ALL_CALLS = ("chat", "stream", "error", "embeddings")
CALLS: dict[str, tuple[str, ...]] = {
    name: ALL_CALLS for name in SDK_FACTORIES if name not in ("anthropic", "fireworks-ai")
}
CALLS["anthropic"] = ("chat", "stream", "error")  # Anthropic has no embeddings API
CALLS["fireworks-ai"] = ("chat", "stream", "error")  # the fireworks-ai SDK has no embeddings call
CALLS["boto3"] = CALLS["aiobotocore"] = BEDROCK_CALLS
"""The call types each SDK has (known without importing it: collection stays fast)."""
MODES: dict[str, tuple[bool, ...]] = {name: (False, True) for name in SDK_FACTORIES}
MODES["boto3"] = (False,)  # boto3 is synchronous
MODES["aiobotocore"] = (True,)  # aiobotocore is boto3's asynchronous twin
"""Whether each SDK's cells run synchronously (``False``), asynchronously (``True``) or both."""
BASE_URL_ONLY = frozenset({"boto3", "aiobotocore"})
"""SDKs without default-host cells: botocore has no transport to forward through (the host table's
Bedrock rows are tested in tests/test_bedrock.py)."""
ERROR_CALLS = frozenset({"error", "stream_error"})
"""Call types that end in the SDK's error: a provider error reply, an error frame mid-stream."""
STREAMED_CALLS = frozenset({"stream", "invoke_stream", "stream_error"})
OPTIONAL_SDKS = {"aiobotocore": "tests/aiobotocore_venv/requirements.txt"}
"""SDKs installed only in a venv of their own (their cells run there: tests/test_aiobotocore.py)."""
