#!/usr/bin/env bash
# The benchmark, one command: sets up benchmarks/.venvs/bench (this package + every instrumentation
# it is compared with + matplotlib), runs the whole harness and writes benchmarks/results/
# (results.md, overhead.png, results.json). Takes about 10 minutes on 2 cores.
#
#   scripts/bench.sh                 full run
#   scripts/bench.sh --smoke         tiny counts, seconds; checks the harness, numbers meaningless.
#                                    Writes benchmarks/results/tmp/smoke/ (git-ignored), never the
#                                    committed results. Installs nothing: uses $BENCH_PYTHON, else the bench venv if
#                                    it exists, else the project's .venv (competitors that are not
#                                    installed there are reported as skipped).
#   scripts/bench.sh --profile       pyinstrument profiles of our hook (non-streaming, 2,000-chunk
#                                    stream) into benchmarks/results/profiles/
#   other arguments go to `python -m benchmarks.run` (--out DIR, --configs none,ours,..., --rounds N)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=benchmarks/.venvs/bench

smoke=false
profile=false
args=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=true; args+=("$arg") ;;
    --profile) profile=true ;;
    *) args+=("$arg") ;;
  esac
done

if $smoke; then
  if [ -n "${BENCH_PYTHON:-}" ]; then
    py=$BENCH_PYTHON
  elif [ -x "$VENV/bin/python" ]; then
    py=$VENV/bin/python
  else
    bash scripts/setup.sh
    py=.venv/bin/python
  fi
  exec "$py" -m benchmarks.run --allow-missing "${args[@]}"
fi

# The newest supported Python, as the tests use (PYTHON=python3.11 scripts/bench.sh for another).
source scripts/_python.sh
ensure_venv "$VENV" "$(newest_python)"
stamp=$VENV/.installed-$(cat pyproject.toml benchmarks/requirements.txt | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -m pip install -q -e . -r benchmarks/requirements.txt 2>&1 \
    | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import opentelemetry.instrumentation.llm_router, openai, matplotlib'
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

if $profile; then
  exec "$VENV/bin/python" -m benchmarks.profile_ours "${args[@]}"
fi
exec "$VENV/bin/python" -m benchmarks.run "${args[@]}"
