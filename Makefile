# Cleave: `make dev` serves the Worker locally, `make test` runs every gate.
# Both install what is missing themselves (.ci/tools.sh) and are idempotent.

SHELL := /bin/bash
.SHELLFLAGS := -e -o pipefail -c
.DEFAULT_GOAL := help

# Pinned tool versions (the one place they are set).
export WORKER_BUILD_VERSION := 0.8.7
export WASM_BINDGEN_VERSION := 0.2.130
TOOLS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/cleave/tools

PORT ?= 8787
export WASM_BINDGEN_BIN := $(TOOLS)/wasm-bindgen-cli-$(WASM_BINDGEN_VERSION)/bin/wasm-bindgen
export ESBUILD_BIN := $(CURDIR)/node_modules/.bin/esbuild
export WASM_OPT_BIN := $(CURDIR)/node_modules/.bin/wasm-opt
export WRANGLER_SEND_METRICS := false
export PATH := $(TOOLS)/worker-build-$(WORKER_BUILD_VERSION)/bin:$(TOOLS)/wasm-bindgen-cli-$(WASM_BINDGEN_VERSION)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER := wasm-bindgen-test-runner

WORKER_OUT := worker/build/index.js
WORKER_WASM := worker/build/index_bg.wasm
TEST_LOG := target/test-results.log
FILTER_RAW := target/wasm32-unknown-unknown/release/cleave_envoy.wasm
FILTER_WASM := target/filter/cleave_envoy.wasm
# rustc's default wasm32 features, for binaryen (the target_features section goes with the symbols).
WASM_FEATURES := --enable-bulk-memory --enable-bulk-memory-opt --enable-multivalue --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext
DASHBOARD_OUT := worker/dashboard/dist/admin/app.js
DASHBOARD_SOURCES := $(shell find worker/dashboard/src -name '*.ts' -o -name '*.tsx') \
  $(addprefix worker/dashboard/,index.html styles.css favicon.svg _headers build.mjs tsconfig.json) package-lock.json \
  worker/docs/index.html worker/docs/init.js
CORE_SOURCES := $(shell find shared/src -name '*.rs') shared/Cargo.toml shared/README.md
WORKER_SOURCES := $(CORE_SOURCES) $(shell find worker/src -name '*.rs') worker/Cargo.toml Cargo.toml Cargo.lock \
  worker/openapi.json
FILTER_SOURCES := $(CORE_SOURCES) $(shell find envoy-filter/src -name '*.rs') envoy-filter/Cargo.toml Cargo.toml Cargo.lock

.PHONY: bench-envoy bench-memory bench-proxy bench-worker help dev test bench tools dev-tools worker dashboard filter migrate lint unit nostd wasm-test e2e sizes openapi openapi-check clean

help:
	@echo "make dev    build the Worker and serve it on http://127.0.0.1:$(PORT) (local KV/D1, demo data)"
	@echo "make test   every gate: fmt, clippy, unit/property tests, no_std build, wasm tests, e2e"
	@echo "make bench  criterion benchmarks and the wasm assignment benchmark"

# What `make dev` needs, and what every test needs on top (Envoy, promtool, Chromium).
dev-tools:
	@.ci/tools.sh rust node

tools:
	@.ci/tools.sh rust node envoy promtool chromium

## ---- the Worker ---------------------------------------------------------------
worker: $(WORKER_OUT) $(DASHBOARD_OUT)

# The admin dashboard: static assets the Worker serves under /admin/ (wrangler.toml [assets]).
dashboard: $(DASHBOARD_OUT)

$(DASHBOARD_OUT): $(DASHBOARD_SOURCES)
	node worker/dashboard/build.mjs

$(WASM_OPT_BIN):
	@.ci/tools.sh node

$(WORKER_OUT): $(WORKER_SOURCES) | $(WASM_OPT_BIN)
	@echo "[build] worker (worker-build --release)"
	cd worker && worker-build --release
	@# wasm-bindgen keeps a name section (~170 KB); nothing needs it at run time.
	wasm-opt --strip-debug --strip-producers $(WORKER_WASM) -o $(WORKER_WASM)
	@touch $@

migrate: worker
	@wrangler d1 migrations apply DB --local >/dev/null
	@echo "[dev] D1 migrations applied"
	@WRANGLER=wrangler deploy/upgrade-data-plane.sh

.dev.vars:
	@echo "ADMIN_TOKEN=$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" > $@
	@echo "METRICS_PUBLIC=true" >> $@
	@echo "[dev] generated an admin token in .dev.vars (and METRICS_PUBLIC=true: /metrics open locally)"

dev: dev-tools .dev.vars migrate
	@wrangler d1 execute DB --local --file deploy/demo/demo.sql >/dev/null
	@echo "[dev] demo data loaded"
	@echo "[dev] Cleave on http://127.0.0.1:$(PORT)   admin token: $$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)"
	@echo "[dev] dashboard: http://127.0.0.1:$(PORT)/admin/ (sign in with the token)   API docs: http://127.0.0.1:$(PORT)/docs"
	@echo "[dev] try: curl http://127.0.0.1:$(PORT)/health"
	exec wrangler dev --local --ip 127.0.0.1 --port $(PORT) --show-interactive-dev-session=false

## ---- the Envoy filter ----------------------------------------------------------
filter: $(FILTER_WASM)

$(FILTER_RAW): $(FILTER_SOURCES)
	cargo build --release -p cleave-envoy --target wasm32-unknown-unknown

# The shipped module: the ABI entry points the filter does not implement are removed with
# the code only they reach (Envoy skips a callback a module does not export; the list is
# envoy-filter/abi-exports.json), then the module is optimised for size.
$(FILTER_WASM): $(FILTER_RAW) envoy-filter/abi-exports.json | $(WASM_OPT_BIN)
	@mkdir -p $(@D)
	wasm-metadce --graph-file envoy-filter/abi-exports.json $(WASM_FEATURES) $(FILTER_RAW) -o $@.trimmed >/dev/null
	wasm-opt -Oz --strip-debug --strip-producers $(WASM_FEATURES) $@.trimmed -o $@
	@rm -f $@.trimmed
	@echo "[build] $@: $$(stat -c %s $@) bytes"

## ---- gates ---------------------------------------------------------------------
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p cleave-worker --features openapi --all-targets -- -D warnings
	cargo clippy -p cleave-envoy --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p cleave-worker --target wasm32-unknown-unknown -- -D warnings
	tsc -p worker/dashboard

## ---- the API document (generated from the route table and the types) ---------
# The document, and the dashboard's TypeScript types from it (npm openapi-typescript).
OPENAPI_TS := node_modules/.bin/openapi-typescript worker/openapi.json --array-length --alphabetize

openapi: | $(WASM_OPT_BIN)
	@mkdir -p target
	cargo run -q -p cleave-worker --features openapi --bin openapi > target/openapi.json.new
	mv target/openapi.json.new worker/openapi.json
	$(OPENAPI_TS) -o worker/dashboard/src/api-schema.ts
	@echo "[openapi] wrote worker/openapi.json and worker/dashboard/src/api-schema.ts"

openapi-check: | $(WASM_OPT_BIN)
	cargo run -q -p cleave-worker --features openapi --bin openapi -- --check worker/openapi.json
	@$(OPENAPI_TS) -o target/api-schema.ts >/dev/null 2>&1 || { echo "[openapi] openapi-typescript failed"; exit 1; }
	@cmp -s target/api-schema.ts worker/dashboard/src/api-schema.ts || \
	  { echo "[openapi] worker/dashboard/src/api-schema.ts differs from the generated types: run make openapi and commit it"; exit 1; }
	@echo "[openapi] worker/openapi.json and worker/dashboard/src/api-schema.ts are the generated ones"

unit:
	cargo test --profile e2e --workspace --exclude cleave-e2e 2>&1 | tee -a $(TEST_LOG)

nostd:
	cargo build -p cleave-core --target wasm32v1-none --release
	cargo build -p cleave-core --target wasm32v1-none --release --no-default-features

wasm-test:
	cargo test --release --target wasm32-unknown-unknown -p cleave-core \
	  --test assignment_vectors --test stats_vectors --test model --test analysis \
	  --test targeting_conditions --test assignment_v2_vectors --test shard_vectors --test growthbook_suite --test gates --features regex 2>&1 | tee -a $(TEST_LOG)

sizes: worker filter
	.ci/size-gate.sh

e2e: worker filter
	cargo test --profile e2e -p cleave-e2e -- --test-threads=1 2>&1 | tee -a $(TEST_LOG)

test: tools
	@mkdir -p target && rm -f $(TEST_LOG)
	$(MAKE) --no-print-directory lint openapi-check unit nostd wasm-test sizes e2e
	@echo "[test] all gates passed"
	@.ci/summarize $(TEST_LOG)

bench: tools
	cargo bench -p cleave-core --bench core
	cargo bench -p cleave-core --features regex --bench targeting
	cargo bench -p cleave-core --bench edge_plan
	cargo build --release --target wasm32-unknown-unknown -p cleave-core --example wasm_bench
	node shared/benches/wasm_bench.mjs

bench-worker: tools worker
	@.ci/tools.sh wrk
	tests/bench/worker.sh

bench-proxy: tools worker
	@.ci/tools.sh wrk
	tests/bench/proxy.sh

bench-memory: tools worker
	@.ci/tools.sh wrk
	tests/bench/memory.sh

bench-envoy: tools filter
	@.ci/tools.sh wrk
	tests/bench/envoy.sh

clean:
	rm -rf target worker/build worker/dashboard/dist .wrangler
