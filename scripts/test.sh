#!/usr/bin/env bash
# Sets up whatever is missing, then runs every test: format, lints, unit and integration tests
# against the real PostgreSQL (a fresh database per test), and the Playwright suite in Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

"$ROOT/scripts/setup.sh"
DB_URL="$("$ROOT/scripts/db.sh" url)"
# Tests create and drop their own databases through the server's maintenance database.
export DATABASE_URL="${DB_URL%/*}/postgres"
export APP_ENV=test
# Incremental caches only pay off across edits; on a full run they double the size of target/
# for our crates (CI's disk has run out before).
export CARGO_INCREMENTAL=0

step() { log "== $*"; }
started=$(date +%s)

step "rustfmt"
cargo fmt --all -- --check

step "clippy (server, entity, migration, testkit, devtools, segment-tree; app with ssr)"
cargo clippy -p server -p entity -p migration -p testkit -p devtools -p segment-tree --all-targets -- -D warnings
step "clippy (app + frontend for wasm, hydrate)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
cargo nextest run --workspace --exclude frontend --no-fail-fast

step "end-to-end (Playwright in Chromium)"
E2E_DB="revintel_e2e"
psql "${DB_URL%/*}/postgres" -qAt -v ON_ERROR_STOP=1 \
  -c "drop database if exists ${E2E_DB} with (force)" -c "create database ${E2E_DB}"
# Test fixtures: a fake Telegram Bot API receives the signup PINs the journeys read back; a
# fake Chatwoot feeds the demo project through the real sync.
cargo build -q -p server -p devtools --bins
FAKE_TELEGRAM_ADDR="127.0.0.1:${REVINTEL_FAKE_TELEGRAM_PORT:-3200}"
FAKE_CHATWOOT_ADDR="127.0.0.1:${REVINTEL_FAKE_CHATWOOT_PORT:-3100}"
"$ROOT/target/debug/fake-telegram" --addr "$FAKE_TELEGRAM_ADDR" --token e2e-bot-token &
FAKE_TELEGRAM_PID=$!
"$ROOT/target/debug/fake-chatwoot" --addr "$FAKE_CHATWOOT_ADDR" --token dev-token --account-id 1 --scenario demo &
FAKE_CHATWOOT_PID=$!
trap 'kill "$FAKE_TELEGRAM_PID" "$FAKE_CHATWOOT_PID" 2>/dev/null || true' EXIT
DATABASE_URL="${DB_URL%/*}/${E2E_DB}" "$ROOT/target/debug/server" seed-demo
DATABASE_URL="${DB_URL%/*}/${E2E_DB}" "$ROOT/target/debug/server" seed-demo-chatwoot \
  --base-url "http://${FAKE_CHATWOOT_ADDR}" --account-id 1 --token dev-token
# `cargo leptos end-to-end` answers success without running a test when its build fails, so
# build first (that command does fail), then require Playwright's own record of a passing run.
cargo leptos build
LAST_RUN="$ROOT/end2end/test-results/.last-run.json"
rm -f "$LAST_RUN"
DATABASE_URL="${DB_URL%/*}/${E2E_DB}" REVINTEL_DEMO_SEED=true APP_ENV=test \
  REVINTEL_TELEGRAM_BOT_TOKEN=e2e-bot-token REVINTEL_TELEGRAM_API_BASE="http://${FAKE_TELEGRAM_ADDR}" \
  REVINTEL_TELEGRAM_WEBHOOK_SECRET=e2e-webhook-secret FAKE_TELEGRAM_URL="http://${FAKE_TELEGRAM_ADDR}" \
  FAKE_CHATWOOT_URL="http://${FAKE_CHATWOOT_ADDR}" \
  cargo leptos end-to-end
grep -q '"status": *"passed"' "$LAST_RUN" 2>/dev/null ||
  die "Playwright did not record a passing run ($LAST_RUN)"

log "all tests passed in $(( $(date +%s) - started ))s"
