#!/usr/bin/env bash
# Moves exposures and events that earlier versions kept in D1 into the experiments' shards
# (docs/data-plane.md, "Upgrading"). Idempotent: run it as often as you like.
#
#   deploy/upgrade-data-plane.sh                       # the local database (make migrate runs it)
#   CLEAVE_URL=https://cleave.example.com ADMIN_TOKEN=... deploy/upgrade-data-plane.sh
#
# Locally it does nothing when D1 holds no such rows; otherwise it serves the built Worker
# on a free 127.0.0.1 port for the move (the shards are Durable Objects, reached only
# through the Worker) and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
WRANGLER=${WRANGLER:-node_modules/.bin/wrangler}
export WRANGLER_SEND_METRICS=false

step_until_done() {
  local base=$1 token=$2 answer
  while :; do
    answer=$(curl -sS --fail-with-body -X POST -H "authorization: Bearer $token" "$base/api/v1/data-plane/upgrade") || {
      echo "[upgrade] step failed: $answer" >&2; return 1; }
    echo "[upgrade] $answer"
    python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["done"] else 1)' "$answer" && return 0
  done
}

if [[ -n "${CLEAVE_URL:-}" ]]; then
  : "${ADMIN_TOKEN:?set ADMIN_TOKEN to the admin token of the Worker}"
  step_until_done "${CLEAVE_URL%/}" "$ADMIN_TOKEN"
  exit 0
fi

legacy=$("$WRANGLER" d1 execute DB --local --json \
  --command "SELECT (SELECT COUNT(*) FROM assignments) + (SELECT COUNT(*) FROM events)
             + (SELECT COUNT(*) FROM holdout_members) + (SELECT COUNT(*) FROM holdout_events) AS n" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["results"][0]["n"])')
if [[ "$legacy" == "0" ]]; then
  echo "[upgrade] no exposures, events or holdout rows left in D1: the data plane is up to date"
  exit 0
fi
echo "[upgrade] moving $legacy D1 rows (exposures, events, holdout members and events) into the shards"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="upgrade-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
log=$(mktemp /tmp/cleave-upgrade.XXXXXX.log)
setsid "$WRANGLER" dev --local --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false \
  --var "ADMIN_TOKEN:$token" </dev/null >"$log" 2>&1 &
pid=$!
trap 'kill -TERM -- "-$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/ping" >/dev/null || { echo "[upgrade] the Worker did not start:" >&2; cat "$log" >&2; exit 1; }
step_until_done "http://127.0.0.1:$port" "$token"
