#!/usr/bin/env bash
# Installs the Debian packages the tests use (scripts/system-packages.sh), runs ruff and the whole
# test suite on the newest supported Python (.venv), then the package's own tests (hook, observer, forward-event recorder, bridge, mapping, wire formats, pricing) on the
# oldest supported Python (.venv-oldest). Each venv is set up on first use (scripts/setup.sh).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -q -x           pytest options go to both runs
#   scripts/test.sh tests/test_x.py a focused run (a test path among the arguments): newest only
#   SKIP_OLDEST=1 scripts/test.sh   newest only
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh

# The package's own tests: the part of the suite that must pass on every supported Python. The
# rest (examples, docs, zero-code/OTLP end to end, Prometheus, load) runs on the newest only.
PACKAGE_TESTS=(
  tests/test_hook_*.py tests/test_observer.py tests/test_composite.py tests/test_forward_*.py
  tests/test_bridge.py tests/test_mapping.py tests/test_wire_*.py tests/test_router_errors.py
  tests/test_pricing.py tests/test_spend.py tests/test_spend_redis.py tests/test_console_exporter.py
  tests/test_bedrock*.py tests/test_vertex_*.py tests/test_azure_inference.py
  tests/test_huggingface_routes.py tests/test_error_type.py tests/test_stream_*.py
)

bash scripts/system-packages.sh
rm -rf build/tested-versions  # this run's records only (scripts/tested_versions.py reads them)
LLM_ROUTER_UNAVAILABLE_PACKAGES=$(tr '\n' ' ' <build/unavailable-system-packages)
export LLM_ROUTER_UNAVAILABLE_PACKAGES
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== Python $(python_version .venv/bin/python): the whole suite" >&2
newest=0
LLM_ROUTER_TEST_SCOPE="whole suite" .venv/bin/python -m pytest "$@" || newest=$?

# A test path among the arguments (tests/test_x.py, tests/test_x.py::test_y, docs/) is a focused
# run: the oldest-Python pass, which has its own file list, is left out.
focused=false
for arg in "$@"; do
  case "$arg" in -*) continue ;; esac
  if [ -e "${arg%%::*}" ]; then
    focused=true
  fi
done
if [ "${SKIP_OLDEST:-}" = 1 ] || $focused; then
  exit "$newest"
fi
# Run even when the newest failed, so that one failure does not hide the other's.
bash scripts/setup.sh --oldest
echo "== Python $(python_version .venv-oldest/bin/python): the package's own tests" >&2
oldest=0
LLM_ROUTER_TEST_SCOPE="package's own tests" .venv-oldest/bin/python -m pytest "$@" "${PACKAGE_TESTS[@]}" \
  || oldest=$?
# What these two runs tested (docs/tested-versions.md is this table from a full run).
.venv/bin/python scripts/tested_versions.py || true
if [ "$newest" != 0 ]; then
  echo "== the whole suite on the newest Python failed (pytest exit $newest)" >&2
  exit "$newest"
fi
exit "$oldest"
