#!/usr/bin/env bash
# Everything the tests need, then the tests: lint (ruff), types (mypy), unit and integration
# tests (pytest) against a real Kafka broker that the test session starts and stops itself.
# Extra arguments go to pytest, e.g. `bash deploy/test.sh tests/unit -x`.
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/setup.sh"
cd "$REPO_ROOT"

install_python_packages
fetch_kafka
ensure_fonts
ensure_postgres_binaries

say "ruff check"
ruff check .
say "ruff format --check"
ruff format --check .
say "mypy"
mypy
say "pytest"
exec pytest "$@"
