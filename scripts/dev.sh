#!/usr/bin/env bash
# Sets up whatever is missing, starts PostgreSQL, loads the demo workspace and serves the app
# on http://127.0.0.1:3000 (Ctrl-C stops the server; `scripts/db.sh stop` stops the database).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

"$ROOT/scripts/setup.sh"
export DATABASE_URL="${DATABASE_URL:-$("$ROOT/scripts/db.sh" url)}"
export REVINTEL_DEMO_SEED="${REVINTEL_DEMO_SEED:-true}"
export APP_ENV="${APP_ENV:-development}"
log "serving on http://127.0.0.1:3000 (database: ${DATABASE_URL})"
exec cargo leptos serve
