#!/usr/bin/env bash
# Size gates (part of `make test`): the shipped Envoy filter and the Worker's wasm, and the
# production configuration's bundle (`wrangler deploy --dry-run --env production`, offline:
# no account needed), which must build and stay within the same gate.
# Ceilings, not targets: the filter at most 512 KB; the Worker at most 1 MB gzip-compressed
# (Cloudflare's free plan allows 3 MB compressed); the raw size is reported too.
set -euo pipefail
cd "$(dirname "$0")/.."
FILTER=target/filter/cleave_envoy.wasm
WORKER=worker/build/index_bg.wasm
FILTER_MAX=$((512 * 1024))
WORKER_GZIP_MAX=$((1024 * 1024))
filter=$(stat -c %s "$FILTER")
worker_raw=$(stat -c %s "$WORKER")
worker_gzip=$(gzip -9 -c "$WORKER" | wc -c)
printf '[size] Envoy filter %s: %d bytes (gate %d)\n' "$FILTER" "$filter" "$FILTER_MAX"
printf '[size] Worker %s: %d bytes raw, %d bytes gzip -9 (gate %d gzip)\n' "$WORKER" "$worker_raw" "$worker_gzip" "$WORKER_GZIP_MAX"
fail=0
[ "$filter" -le "$FILTER_MAX" ] || { echo "[size] FAILED: the Envoy filter is over $FILTER_MAX bytes"; fail=1; }
[ "$worker_gzip" -le "$WORKER_GZIP_MAX" ] || { echo "[size] FAILED: the Worker is over $WORKER_GZIP_MAX bytes gzip-compressed"; fail=1; }
BUNDLE=target/bundle-production
rm -rf "$BUNDLE"
if WRANGLER_SEND_METRICS=false wrangler deploy --dry-run --env production --outdir "$BUNDLE" >"$BUNDLE.log" 2>&1; then
  bundle_wasm=$(ls "$BUNDLE"/*.wasm)
  bundle_gzip=$(gzip -9 -c "$bundle_wasm" | wc -c)
  printf '[size] production bundle %s: %d bytes raw, %d bytes gzip -9 (gate %d gzip)\n' \
    "$bundle_wasm" "$(stat -c %s "$bundle_wasm")" "$bundle_gzip" "$WORKER_GZIP_MAX"
  [ "$bundle_gzip" -le "$WORKER_GZIP_MAX" ] || { echo "[size] FAILED: the production bundle is over $WORKER_GZIP_MAX bytes gzip-compressed"; fail=1; }
else
  echo "[size] FAILED: wrangler deploy --dry-run --env production did not bundle:"; cat "$BUNDLE.log"; fail=1
fi
exit "$fail"
