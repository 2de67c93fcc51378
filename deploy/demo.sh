#!/usr/bin/env bash
# Install, start the whole system (Kafka, topics, every service) and load the demo data.
# Stop it all with: .venv/bin/ketnoi down
set -euo pipefail
source "$(dirname -- "${BASH_SOURCE[0]}")/setup.sh"
cd "$REPO_ROOT"

install_python_packages
fetch_kafka
ensure_fonts

say "Starting Kết Nối"
ketnoi up "$@"
