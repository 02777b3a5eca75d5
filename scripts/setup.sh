#!/usr/bin/env bash
# Creates .venv (if missing) and installs the package with everything the tests and examples use.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import opentelemetry.instrumentation.llm_router' 
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The real LiteLLM proxy that tests/test_litellm_proxy.py starts lives in a venv of its own
# (LiteLLM 1.106 pins openai < 3; the main venv has openai 3). About a minute with a warm pip cache.
LITELLM_PYTHON=${LITELLM_PYTHON:-python3}
if [ ! -x .venv-litellm/bin/python ]; then
  "$LITELLM_PYTHON" -m venv .venv-litellm
fi
litellm_stamp=.venv-litellm/.installed-$(cat tests/litellm_proxy/requirements.txt pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$litellm_stamp" ]; then
  .venv-litellm/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv-litellm/bin/python -m pip install -q -r tests/litellm_proxy/requirements.txt -e . 2>&1 \
    | grep -v '^WARNING: Location' || true
  LITELLM_LOCAL_MODEL_COST_MAP=True .venv-litellm/bin/python -c 'import litellm, opentelemetry.instrumentation.llm_router'
  rm -f .venv-litellm/.installed-*
  touch "$litellm_stamp"
fi
