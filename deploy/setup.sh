#!/usr/bin/env bash
# Sourced by deploy/demo.sh and deploy/test.sh: make this machine ready to run Kết Nối.
# Installs into .venv/ (Python 3.11+), fetches Kafka's jars (Maven), and, when PostgreSQL's
# server is missing, installs Debian's postgresql (as root) for the PostgreSQL test runs.
set -euo pipefail

REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="$REPO_ROOT/.venv"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  die "Python 3.11 or newer is needed: apt-get install python3 python3-venv (Debian 13) or use pyenv"
}

install_python_packages() {
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.installed-$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -c1-16)"
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "Creating $VENV"
    "$(find_python)" -m venv "$VENV" || die "could not create a virtualenv: apt-get install python3-venv"
  fi
  if [[ ! -f "$stamp" ]]; then
    say "Installing Kết Nối and its dependencies into .venv (pip)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$REPO_ROOT[dev]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

ensure_postgres_binaries() {
  if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1; then
    return 0
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "Installing PostgreSQL's server (Debian package postgresql) for the PostgreSQL test runs"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # Debian starts a cluster on install; the tests run their own, so leave the system one off.
    if command -v service >/dev/null 2>&1; then service postgresql stop >/dev/null 2>&1 || true; fi
  else
    die "PostgreSQL's server is needed for the tests: apt-get install postgresql (as root)"
  fi
}

ensure_fonts() {
  # Printable agendas (PDF) embed DejaVu Sans, which has every Vietnamese diacritic.
  [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "Installing DejaVu fonts (Debian package fonts-dejavu-core) for the PDF agendas"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
  else
    die "DejaVu fonts are needed for PDF agendas: apt-get install fonts-dejavu-core (as root)"
  fi
}

fetch_kafka() {
  say "Fetching Apache Kafka's jars (Maven Central, cached outside the repo)"
  bash "$REPO_ROOT/deploy/kafka/kafka.sh" fetch
}

export PATH="$VENV/bin:$PATH"
