#!/usr/bin/env bash
# Installs the system (Debian) packages the test suite and benchmarks use, where they are missing:
#   prometheus, promtool       the real Prometheus the dashboard, rules and fleet tests start
#   redis-server               the real Redis the shared spend store tests start
#   valgrind                   instruction counts in benchmarks/
#   librust-{serde,serde-derive,serde-json,chrono}-dev
#                              the crates tests/rust/forward_serde builds against, offline
#   cargo                      only where no Rust toolchain is found (rustup's ~/.cargo/bin counts)
#
# Needs root (or passwordless sudo) and apt-get. Where it cannot install something it says so and
# writes the missing package names to build/unavailable-system-packages; scripts/test.sh passes them
# to the tests as LLM_ROUTER_UNAVAILABLE_PACKAGES, and only those tests skip (with that reason).
# A test whose package this script could have installed fails instead of skipping.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
report=build/unavailable-system-packages

want=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || want+=(prometheus)
command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
command -v valgrind >/dev/null 2>&1 || want+=(valgrind)
for crate in serde-1 serde_derive-1 serde_json-1 chrono-0.4; do
  if ! compgen -G "/usr/share/cargo/registry/${crate}*" >/dev/null; then
    want+=(librust-serde-dev librust-serde-derive-dev librust-serde-json-dev librust-chrono-dev)
    break
  fi
done
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  want+=(cargo)
fi

: >"$report"
if [ ${#want[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    sudo=(none)
  fi
fi
if [ "${sudo[0]:-}" = none ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages.sh: cannot install ${want[*]} (needs root and apt-get);" \
    "the tests that need them will be skipped, each saying so" >&2
  printf '%s\n' "${want[@]}" >"$report"
  exit 0
fi

echo "system-packages.sh: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null 2>build/apt-get.log; then
  # One at a time, so that one package the mirror lacks does not cost the others.
  for package in "${want[@]}"; do
    if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>>build/apt-get.log; then
      echo "system-packages.sh: could not install $package (see build/apt-get.log);" \
        "the tests that need it will be skipped, each saying so" >&2
      echo "$package" >>"$report"
    fi
  done
fi
exit 0
