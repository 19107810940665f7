#!/usr/bin/env bash
# Sets up whatever is missing, starts PostgreSQL, loads the demo workspace and serves the app
# on http://127.0.0.1:3000 (Ctrl-C stops the server and the fake Chatwoot; `scripts/db.sh
# stop` stops the database). Sign in as demo / demo-password.
#
# Demo data only: the demo project's conversations come from the project's fake Chatwoot
# (devtools, a development fixture on 127.0.0.1:3100) through the real sync, not from inserts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

"$ROOT/scripts/setup.sh"
export DATABASE_URL="${DATABASE_URL:-$("$ROOT/scripts/db.sh" url)}"
export REVINTEL_DEMO_SEED="${REVINTEL_DEMO_SEED:-true}"
export APP_ENV="${APP_ENV:-development}"
# Search by meaning with the local all-MiniLM-L6-v2 model (fetched by the set-up), offline.
export REVINTEL_EMBEDDING_PROVIDER="${REVINTEL_EMBEDDING_PROVIDER:-local}"
FAKE_CHATWOOT_ADDR="127.0.0.1:${REVINTEL_FAKE_CHATWOOT_PORT:-3100}"

log "building the server and the fake Chatwoot"
cargo build -q -p server -p devtools --bins
"$ROOT/target/debug/fake-chatwoot" --addr "$FAKE_CHATWOOT_ADDR" --token dev-token --account-id 1 --scenario demo &
FAKE_PID=$!
trap 'kill "$FAKE_PID" 2>/dev/null || true' EXIT

log "loading the demo workspace (demo data)"
"$ROOT/target/debug/server" seed-demo
"$ROOT/target/debug/server" seed-demo-chatwoot --base-url "http://${FAKE_CHATWOOT_ADDR}" --account-id 1 --token dev-token

log "serving on http://127.0.0.1:3000 (database: ${DATABASE_URL}); sign in as demo / demo-password"
cargo leptos serve
