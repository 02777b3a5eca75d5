#!/usr/bin/env bash
# Runs the console example: a tiny Python "router" whose requests become GenAI spans, printed as
# one readable trace per request (OTEL_TRACES_EXPORTER=console for the SDK's JSON instead). No
# collector, no network. Installs only what the example needs (the package and its `console`
# extra) into .venv-example; the test tools live in .venv (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh
venv=.venv-example
python=$(newest_python)
ensure_venv "$venv" "$python"
stamp=$venv/.installed-$( (cat pyproject.toml; python_version "$python") | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "example.sh: installing the package with its console extra into $venv" >&2
  pip_quiet "$venv" -e '.[console]'
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
exec "$venv/bin/python" examples/console_router.py
