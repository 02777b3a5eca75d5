"""Attribute names: the GenAI semantic conventions (v1.41.0) and our ``llm_router.*`` extensions.

The only place in the package that spells an attribute name; sources hand values to
:mod:`._telemetry`, which puts them under these names.
"""

# Set at span creation (samplers see them).
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

# Request parameters.
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"

# OpenAI-specific (the ``openai.*`` namespace of the conventions).
OPENAI_API_TYPE = "openai.api.type"
OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier"
AWS_BEDROCK_GUARDRAIL_ID = "aws.bedrock.guardrail.id"
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"

# Response.
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
ERROR_TYPE = "error.type"

# Content (opt-in only).
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"

# Metric-only.
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"

# The ``gen_ai.client.operation.exception`` log event (Logs API) and its attributes.
GEN_AI_CLIENT_OPERATION_EXCEPTION = "gen_ai.client.operation.exception"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"

# Router extensions.
LLM_ROUTER_ROUTE = "llm_router.route"
LLM_ROUTER_REQUEST_ID = "llm_router.request.id"
LLM_ROUTER_ENDPOINT = "llm_router.endpoint"
LLM_ROUTER_FORWARD_STATUS = "llm_router.forward.status"
LLM_ROUTER_ACCOUNT_ID = "llm_router.account.id"
LLM_ROUTER_ACCOUNT_MODELS = "llm_router.account.models"
LLM_ROUTER_BUDGET = "llm_router.budget.micro_usd"
LLM_ROUTER_BUDGET_SCOPE = "llm_router.budget.scope"
LLM_ROUTER_BUDGET_RANGE_TYPE = "llm_router.budget.range.type"
LLM_ROUTER_BUDGET_RANGE_COUNT = "llm_router.budget.range.count"
LLM_ROUTER_BUDGET_RANGE_SECONDS = "llm_router.budget.range.seconds"
LLM_ROUTER_CHAIN = "llm_router.chain"
LLM_ROUTER_INSIDE_SDK_SPAN = "llm_router.inside_sdk_span"
LLM_ROUTER_COST_USD = "llm_router.cost.usd"
LLM_ROUTER_COST_SOURCE = "llm_router.cost.source"
LLM_ROUTER_COST_PRICES = "llm_router.cost.prices"
LLM_ROUTER_BUDGET_SPENT = "llm_router.budget.spent.micro_usd"
LLM_ROUTER_BUDGET_USED_FRACTION = "llm_router.budget.used_fraction"
LLM_ROUTER_BUDGET_EXCEEDED = "llm_router.budget.exceeded"
LLM_ROUTER_BUDGET_STORE = "llm_router.budget.store"

# Retries: the number of an upstream call within one router request (1, 2, ...), and on the
# router's own span how many upstream calls the request took.
LLM_ROUTER_ATTEMPT = "llm_router.attempt"
LLM_ROUTER_ATTEMPTS = "llm_router.attempts"

# Who called, as a gateway with virtual keys, teams and organisations knows it (e.g. LiteLLM).
# ``llm_router.account.id`` is the hashed key; these are the other identities around it.
LLM_ROUTER_ACCOUNT_NAME = "llm_router.account.name"
LLM_ROUTER_ACCOUNT_TEAM_ID = "llm_router.account.team.id"
LLM_ROUTER_ACCOUNT_USER_ID = "llm_router.account.user.id"
LLM_ROUTER_ACCOUNT_ORG_ID = "llm_router.account.org.id"
LLM_ROUTER_ACCOUNT_END_USER_ID = "llm_router.account.end_user.id"
LLM_ROUTER_BUDGET_OWNER = "llm_router.budget.owner"
