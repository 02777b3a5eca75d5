#!/usr/bin/env bash
# Sets up .venv and runs the console example: a tiny Python "router" whose events become spans
# and metrics printed to the terminal (no collector needed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python examples/console_router.py
