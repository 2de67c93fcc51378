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
ketnoi org init
ketnoi up "$@"
say "Loading the Quảng Bình demo data through the public APIs"
ketnoi seed
say "Ready. Try: ketnoi status · the APIs' docs at http://127.0.0.1:8001/docs, :8002/docs, :8003/docs, :8004/docs (conferences) · ketnoi down"
