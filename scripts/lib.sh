# Shared helpers for the project's scripts (sourced, not run).
log() { printf '\033[1;34m[revintel]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[revintel]\033[0m %s\n' "$*" >&2; exit 1; }
