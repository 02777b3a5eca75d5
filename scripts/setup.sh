#!/usr/bin/env bash
# Creates a virtual environment with the package (editable) and the development groups of
# pyproject.toml's [dependency-groups] (pip >= 25.1 installs them: `pip install -e . --group dev`).
#
#   scripts/setup.sh            .venv: the newest supported Python found (or $PYTHON), group `dev`
#                               (tests + ruff)
#   scripts/setup.sh --oldest   .venv-oldest: the oldest supported Python (scripts/_python.sh),
#                               group `test`; scripts/test.sh runs the package's tests there
#
# A venv made with another Python version than the one chosen is recreated; reinstalls happen only
# when pyproject.toml changed (a stamp file in the venv).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh

venv=.venv
group=dev
if [ "${1:-}" = "--oldest" ]; then
  venv=.venv-oldest
  group=test
  python=$(find_python "$OLDEST")
  if [ -z "$python" ]; then
    echo "setup.sh: Python $OLDEST (the oldest supported) is not installed" >&2
    exit 3
  fi
else
  python=$(newest_python)
fi

ensure_venv "$venv" "$python"
stamp=$venv/.installed-$( (cat pyproject.toml; python_version "$python"; echo "$group") | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "setup.sh: installing into $venv (Python $(python_version "$python"), group $group)" >&2
  pip_quiet "$venv" --upgrade "pip >= 25.1"
  pip_quiet "$venv" -e . --group "$group"
  "$venv/bin/python" -c 'import opentelemetry.instrumentation.llm_router'
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

if [ "$venv" != .venv ]; then
  exit 0  # the oldest-Python venv runs the package's own tests only: no LiteLLM proxy
fi

# The real LiteLLM proxies that tests/test_litellm_proxy.py starts live in venvs of their own
# (LiteLLM 1.106 pins openai < 3; the main venv has openai 3): the pinned release in .venv-litellm,
# the release an unpinned `pip install 'litellm[proxy]'` gets here in .venv-litellm-next. About a
# minute each with a warm pip cache.
LITELLM_PYTHON=${LITELLM_PYTHON:-python3}
litellm_venv() {  # litellm_venv VENV REQUIREMENTS
  if [ ! -x "$1/bin/python" ]; then
    "$LITELLM_PYTHON" -m venv "$1"
  fi
  local stamp
  stamp=$1/.installed-$(cat "$2" pyproject.toml | sha1sum | cut -c1-12)
  if [ ! -f "$stamp" ]; then
    "$1/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    "$1/bin/python" -m pip install -q -r "$2" -e . 2>&1 | grep -v '^WARNING: Location' || true
    LITELLM_LOCAL_MODEL_COST_MAP=True "$1/bin/python" -c 'import litellm, opentelemetry.instrumentation.llm_router'
    rm -f "$1"/.installed-*
    touch "$stamp"
  fi
}
litellm_venv .venv-litellm tests/litellm_proxy/requirements.txt
litellm_venv .venv-litellm-next tests/litellm_proxy/requirements-next.txt

# aiobotocore pins an exact botocore, older than the main venv's boto3: the async Bedrock tests
# (tests/test_aiobotocore.py runs them) live in a venv of their own.
if [ ! -x .venv-aiobotocore/bin/python ]; then
  "$python" -m venv .venv-aiobotocore
fi
aiobotocore_stamp=.venv-aiobotocore/.installed-$(cat tests/aiobotocore_venv/requirements.txt pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$aiobotocore_stamp" ]; then
  .venv-aiobotocore/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv-aiobotocore/bin/python -m pip install -q -r tests/aiobotocore_venv/requirements.txt -e . 2>&1 \
    | grep -v '^WARNING: Location' || true
  .venv-aiobotocore/bin/python -c 'import aiobotocore, boto3, opentelemetry.instrumentation.llm_router'
  rm -f .venv-aiobotocore/.installed-*
  touch "$aiobotocore_stamp"
fi

# Other GenAI instrumentations (openai-v2, OpenLLMetry) that tests/test_coexist.py runs beside ours,
# in a venv of their own: in the main venv `opentelemetry-instrument` would load them everywhere.
if [ ! -x .venv-coexist/bin/python ]; then
  "$python" -m venv .venv-coexist
fi
coexist_stamp=.venv-coexist/.installed-$(cat tests/coexist/requirements.txt pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$coexist_stamp" ]; then
  .venv-coexist/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv-coexist/bin/python -m pip install -q -r tests/coexist/requirements.txt -e . 2>&1 \
    | grep -v '^WARNING: Location' || true
  .venv-coexist/bin/python -c 'import opentelemetry.instrumentation.openai_v2, opentelemetry.instrumentation.openai, opentelemetry.instrumentation.llm_router'
  rm -f .venv-coexist/.installed-*
  touch "$coexist_stamp"
fi
