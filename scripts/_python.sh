# Sourced by scripts/setup.sh and scripts/example.sh: which Python interpreters this project uses.
#
# SUPPORTED lists the Python versions the package claims (newest first). Keep it in step with
# `requires-python` and the classifiers in pyproject.toml. CI (scripts/test.sh) runs the whole suite
# on the newest one installed and the package's own tests on the oldest one (OLDEST).
SUPPORTED="3.13 3.12 3.11 3.10"
OLDEST=3.10

# find_python X.Y: prints the path of a working python X.Y (pyenv's newest patch release first,
# then pythonX.Y on PATH), or nothing. A pyenv shim that is not enabled fails `-c`, so it is skipped.
find_python() {
  local version=$1 candidate
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  for candidate in $(ls -d "$root"/versions/"$version".*/bin/python"$version" 2>/dev/null | sort -V -r) \
      "python$version" "/usr/local/bin/python$version" "/usr/bin/python$version"; do
    if "$candidate" -c 'import sys, venv, ensurepip' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 0
}

# newest_python: $PYTHON if set, else the newest supported version found, else python3.
newest_python() {
  if [ -n "${PYTHON:-}" ]; then
    command -v "$PYTHON"
    return 0
  fi
  local version found
  for version in $SUPPORTED; do
    found=$(find_python "$version")
    if [ -n "$found" ]; then
      echo "$found"
      return 0
    fi
  done
  command -v python3
}

# python_version PYTHON: "3.13"
python_version() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}

# ensure_venv DIR PYTHON: DIR is a virtual environment of PYTHON's version (recreated otherwise),
# with pip >= 25.1 (dependency groups).
ensure_venv() {
  local dir=$1 python=$2 want have
  want=$(python_version "$python")
  if [ -x "$dir/bin/python" ]; then
    have=$(python_version "$dir/bin/python" 2>/dev/null || echo none)
    if [ "$have" != "$want" ]; then
      echo "$dir is Python $have, not $want: recreating it" >&2
      rm -rf "$dir"
    fi
  fi
  if [ ! -x "$dir/bin/python" ]; then
    "$python" -m venv "$dir"
  fi
}

# pip_quiet DIR ARGS...: pip install into DIR's venv, quietly. This machine's pip configuration
# prints a harmless "Location ... is ignored" warning per package: those lines are dropped. A failed
# install fails the caller (set -eo pipefail there; the filter itself always succeeds).
pip_quiet() {
  local dir=$1
  shift
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "^WARNING: Location '" || true; }
}
