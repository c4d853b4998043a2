# pairpad: `make run` starts the server, `make test` checks everything a change can break.

GO        ?= go
NODE_DEPS := testdata/yjs/node_modules/.package-lock.json
WEB_DEPS  := webclient/node_modules/.package-lock.json
BENCH_SERVER_DEPS := bench/server/node_modules/.package-lock.json
FUZZTIME  ?= 60s
# Packages whose Fuzz targets `make fuzz` runs (and `make test` runs briefly).
FUZZ_PKGS := ./crdt/... ./completion/... ./internal/... ./server/internal/room

# staticcheck's release, installed by make lint: release 2026.2.2 is module version v0.8.2
# (the module proxy knows only the latter).
STATICCHECK_VERSION := 2026.2.2
STATICCHECK_MODULE := v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: run cluster test test-go test-web lint webclient languages fuzz fuzz-short bench bench-store bench-history bench-server bench-cluster eval models fixtures clean

run:
	$(GO) run ./cmd/pairpad

# cluster runs three nodes on one Postgres database (DATABASE_URL, else CLUSTER_DATABASE_URL;
# created if missing) on ports 8001 to 8003, behind pairpad proxy on 127.0.0.1:8000, until
# Ctrl-C. scripts/cluster.sh says what else it reads.
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pairpad_cluster
cluster:
	@GO='$(GO)' CLUSTER_DATABASE_URL='$(CLUSTER_DATABASE_URL)' scripts/cluster.sh

test: $(NODE_DEPS) lint test-web test-go fuzz-short

# lint checks that gofmt leaves the Go files as they are, then runs go vet and staticcheck
# (installed at the pinned release if it is not).
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not formatted by gofmt: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@if ! $(STATICCHECK) -version 2>/dev/null | grep -q "^staticcheck $(STATICCHECK_VERSION) "; then \
	  echo "go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_MODULE)"; \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_MODULE); \
	fi
	$(STATICCHECK) ./...

# test-web runs the web app's unit tests and, in CI, checks that the committed build in
# webclient/dist is what the sources build to. The browser end-to-end test is a Go test
# (cmd/pairpad) run by test-go against the real binary.
test-web: $(WEB_DEPS)
	cd webclient && npm test
	@if [ -n "$$CI" ]; then \
	  cd webclient && npm run build >/dev/null && cd .. && \
	  if [ -n "$$(git status --porcelain -- webclient/dist)" ]; then \
	    git status --short -- webclient/dist; \
	    echo "webclient/dist differs from a fresh build of the sources: run make webclient and commit it"; exit 1; \
	  fi; \
	fi

# webclient rebuilds the web app into webclient/dist, which the binary embeds; commit the result.
webclient: $(WEB_DEPS)
	cd webclient && npm run build

# languages writes the web app's copy of the language catalogue (package language); commit it,
# then run make webclient. A test of language/gen fails while the copy is stale.
languages:
	$(GO) run ./language/gen -o webclient/src/lib/languages.gen.ts

test-go:
	$(GO) test -race -count=1 ./...

# fuzz runs every Fuzz target for FUZZTIME each; fuzz-short is the quick pass make test runs.
fuzz:
	@set -e; for pkg in $$($(GO) list $(FUZZ_PKGS)); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# fuzz-short counts executions rather than seconds: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" as the time runs out (go.dev/issue/75804).
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10000x

# bench measures pairpad's CRDT and yjs on the editing traces in ../shared/traces in one run.
bench: $(NODE_DEPS)
	$(GO) run ./crdt/internal/tracebench -traces $(or $(TRACES),../shared/traces)

# bench-store measures one small append to rooms of growing snapshots, and one group commit of
# 20 to 1000 rooms' appends, in the embedded store and in Postgres (TEST_DATABASE_URL; skipped
# without it): bytes written and time per append, time per group commit, the slowest append
# while another room compacts 32 MiB. Then the time the embedded store takes to open with its
# journal at its limit.
bench-store:
	$(GO) test ./store -run '^$$' -bench '^(BenchmarkAppendBySnapshot|BenchmarkAppendBatchByRooms|BenchmarkAppendDuringCompaction)$$'
	$(GO) test ./store/embedded -run '^$$' -bench '^BenchmarkOpenFullJournal$$'

# bench-history measures what a room's history costs on the automerge-paper trace (TRACES, default
# ../shared/traces): bytes per edit and rebuild times in the embedded store and Postgres
# (TEST_DATABASE_URL; skipped without it), and, replayed into a room, the version list's and a
# version's text's response times against the bars of issue 13 (300 and 100 ms).
bench-history:
	TRACES_DIR=$(abspath $(or $(TRACES),../shared/traces)) $(GO) test ./store -run '^$$' -bench '^BenchmarkHistoryTrace$$' -benchtime 1x
	TRACES_DIR=$(abspath $(or $(TRACES),../shared/traces)) $(GO) test ./server -run '^$$' -bench '^BenchmarkHistoryTrace$$' -benchtime 1x

# bench-server measures pairpad's server against Hocuspocus 3.x (bench/server, in memory) with
# pairpad load, in one run: typing at 200 and 1000 rooms and 10,000 idle connections, each
# against a fresh server, pairpad on the embedded store and on Postgres (TEST_DATABASE_URL or
# DATABASE_URL; a database of its own). It raises the open-file limit for the connections.
bench-server: $(BENCH_SERVER_DEPS)
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	$(GO) build -o "$$dir/pairpad" ./cmd/pairpad && \
	{ ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; } && \
	$(GO) run ./bench/server -bin "$$dir/pairpad" -hocuspocus bench/server/hocuspocus.mjs $(BENCH_SERVER_FLAGS)

# bench-cluster measures three nodes behind pairpad proxy against one node, in one run: the
# latency of typing at 200 rooms (RESULT load-p50, load-p99, load-delivered; the bar: routing adds
# at most 5 ms to the p99), and the time the clients of a killed node's rooms take to get a
# keystroke through again (RESULT failover; the bar: lease duration + 5 s). Each cluster runs on
# a database of its own on TEST_DATABASE_URL (or DATABASE_URL). BENCH_CLUSTER_FLAGS passes flags
# to bench/cluster (-parts, -rooms, -lease, -failover-rooms, ...).
bench-cluster:
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	$(GO) build -o "$$dir/pairpad" ./cmd/pairpad && \
	{ ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; } && \
	$(GO) run ./bench/cluster -bin "$$dir/pairpad" $(BENCH_CLUSTER_FLAGS)

# eval measures the autocomplete engines on the Go and Python standard libraries (see completion/eval).
eval:
	$(GO) run ./completion/eval -full

# models rebuilds the autocomplete engine's embedded n-gram models from permissively licensed code
# (never from the standard libraries the evaluation samples): the Go modules listed in
# completion/ngram/gen/go-modules.txt, downloaded from the module proxy into $(CORPUS), and this
# project's own; the Python packages and npm packages installed here. It then refits the engine's
# confidence calibration. The output is committed.
CORPUS := $(CURDIR)/.corpus
PY_SITE := $(shell python3 -c 'import site; print(":".join(site.getsitepackages()))' 2>/dev/null):/usr/lib/python3/dist-packages
PY_STDLIB := $(shell python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])' 2>/dev/null):$(wildcard /usr/lib/python3.*)
models: $(WEB_DEPS)
	$(GO) mod download
	GOMODCACHE=$(CORPUS)/gomod $(GO) mod download $$(cat completion/ngram/gen/go-modules.txt)
	$(GO) run ./completion/ngram/gen -lang go -roots "$(CORPUS)/gomod:$$($(GO) env GOMODCACHE)" -exclude "$$($(GO) env GOROOT)/src" \
	  -min-context 64 -keep 4 -max-bytes 60000000 -o completion/ngram/models/go.ngram.gz
	$(GO) run ./completion/ngram/gen -lang python -roots "$(PY_SITE)" -exclude "$(subst $(eval) ,:,$(PY_STDLIB))" \
	  -min-context 20 -keep 3 -o completion/ngram/models/python.ngram.gz
	$(GO) run ./completion/ngram/gen -lang javascript -roots webclient/node_modules \
	  -min-context 20 -keep 3 -max-bytes 20000000 -o completion/ngram/models/javascript.ngram.gz
	$(GO) test ./completion -run TestCalibrate -calibrate

# fixtures regenerates the yjs compatibility fixtures; the output is committed.
fixtures: $(NODE_DEPS)
	cd testdata/yjs && node generate.mjs && node lib0-fixtures.mjs && node protocol-fixtures.mjs && node nesting.mjs && node check.mjs

$(NODE_DEPS): testdata/yjs/package.json testdata/yjs/package-lock.json
	cd testdata/yjs && npm ci --no-audit --no-fund

$(BENCH_SERVER_DEPS): bench/server/package.json bench/server/package-lock.json
	cd bench/server && npm ci --no-audit --no-fund

$(WEB_DEPS): webclient/package.json webclient/package-lock.json
	cd webclient && npm ci --no-audit --no-fund

clean:
	rm -rf testdata/yjs/node_modules webclient/node_modules bench/server/node_modules
