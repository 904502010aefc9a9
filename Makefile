# hozen — build, test, lint, benchmark.
GO      ?= go
PKGS    := ./...
DISTS   := linux/amd64 linux/arm64 linux/386 windows/amd64 darwin/amd64 darwin/arm64

.PHONY: all build test test-short test-store test-fleet lint cross bench fuzz clean dist reproducible

all: build

# BIN names the binary 'make build' writes.
BIN     ?= hozen

# The version and commit come from the VCS through debug.ReadBuildInfo
# ('hozen version' prints them). The go command stamps VCS information
# only where .git is a directory (not in a git worktree); these -X values
# stand in for it there. 'make build' and 'make dist' stamp alike.
BUILDVCS   := $(shell git rev-parse --git-dir >/dev/null 2>&1 && echo true || echo false)
VCSVERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
VCSCOMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
VCSLDFLAGS := -X main.ldVersion=$(VCSVERSION) -X main.ldCommit=$(VCSCOMMIT)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=$(BUILDVCS) -ldflags='$(VCSLDFLAGS)' -o $(BIN) ./cmd/hozen

# The test command newcomers and CI run.
test: lint cross
	$(GO) test -race -count=1 $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

# The fleet tooling in deploy/ against real parts: Debian's ansible-playbook
# driving Debian's sshd in network namespaces the test makes (root, ip,
# sshd, ansible-playbook; .ci/run installs them), and the ledger-import
# figures. FLEET_HOSTS live hosts (plus one with sshd stopped).
FLEET_HOSTS ?= 3
test-fleet:
	HOZEN_FLEET=1 HOZEN_FLEET_HOSTS=$(FLEET_HOSTS) $(GO) test -count=1 -v -timeout 30m \
		-run 'TestFleetAnsible|TestFleetLedgerImport|TestVelociraptorArtifact' ./deploy

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

# The evidence store tests against a real S3 server with Object Lock on
# 127.0.0.1: versitygw, built once into $(go env GOPATH)/bin (some 9
# minutes on two cores; .ci/run installs it). VERSITYGW names another.
VERSITYGW_VERSION := v1.8.0
test-store:
	@[ -n "$$VERSITYGW" ] || [ -x "$$($(GO) env GOPATH)/bin/versitygw" ] || \
		CGO_ENABLED=0 $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	$(GO) test -count=1 ./store
	$(GO) test -count=1 -run 'TestCollectPush' ./cmd/hozen

# Every GOOS/GOARCH of a release must compile with CGO_ENABLED=0.
cross:
	@for t in $(DISTS); do \
		echo "build $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/hozen || exit 1; \
	done

# Release: static, reproducible binaries for every target, and SHA256SUMS.
# No timestamps and no build id; paths trimmed; the version and commit
# stamped as for 'make build'. Two builds of one commit with the same Go
# release are byte-identical: 'make reproducible' shows it. DIST names the
# output directory.
DIST      ?= dist
DISTFLAGS := -trimpath -buildvcs=$(BUILDVCS) -ldflags='-s -w -buildid= $(VCSLDFLAGS)'
# Pin what the environment could change: no cgo, baseline instruction sets.
DISTENV   := CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0 GO386=sse2 GOEXPERIMENT= GOFLAGS=

dist:
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@for t in $(DISTS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "dist $(DIST)/hozen-$$os-$$arch$$ext"; \
		$(DISTENV) GOOS=$$os GOARCH=$$arch $(GO) build $(DISTFLAGS) -o $(DIST)/hozen-$$os-$$arch$$ext ./cmd/hozen || exit 1; \
	done
	@cd $(DIST) && sha256sum hozen-* > SHA256SUMS && cat SHA256SUMS

# Build every target twice, the second time with an empty build cache, into
# two directories, and compare them byte for byte.
reproducible:
	@rm -rf dist-a dist-b
	$(MAKE) --no-print-directory dist DIST=dist-a
	@cache=$$(mktemp -d); \
		$(MAKE) --no-print-directory dist DIST=dist-b GOCACHE=$$cache; rc=$$?; \
		chmod -R u+w $$cache; rm -rf $$cache; exit $$rc
	@for f in dist-a/*; do cmp $$f dist-b/$${f#dist-a/} || exit 1; done
	@echo "reproducible: dist-a and dist-b are byte-identical"
	@rm -rf dist-b

# Wall time and memory against tar, zstd and sha256sum on a generated
# corpus (BENCH_MIB, BENCH_SMALL, BENCH_RUNS); the metadata walk against
# find and the program hashing against sha256sum (BENCH_FS_FILES); triage
# on this host; the walk's heap at 100,000 and 1,000,000 files made in
# BENCH_FS_TMP (default /dev/shm: fast to make, about 1 GiB of memory);
# then the Go benchmarks.
bench:
	bash scripts/bench.sh
	bash scripts/bench-fs.sh
	bash scripts/bench-triage.sh
	TMPDIR=$${BENCH_FS_TMP:-/dev/shm} HOZEN_FS_FILES=$${BENCH_FS_FLAT:-1000000} $(GO) test -count=1 -run TestFileSystemMemoryFlat -v ./collect
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./bundle ./custody ./manifest
	$(GO) test -run '^$$' -bench Push -benchtime 3x ./store

# Every fuzz target, one after the other, FUZZTIME each, on one core
# (-parallel 1). -fuzzminimizetime is bounded by executions: minimizing an
# "interesting" input of a few KiB otherwise takes the default 60 s each,
# and fuzzing stalls at a few executions per second. A crasher lands in
# PKG/testdata/fuzz/TARGET/ and is a regression test from then on.
# TestMakeFuzzHasEveryTarget (cmd/hozen) checks the list against the code.
FUZZTIME ?= 10m
FUZZ_TARGETS := \
	./manifest:FuzzParseRecord ./manifest:FuzzParseManifest ./manifest:FuzzParseAllowedLine ./manifest:FuzzRecordJSON \
	./manifest:FuzzReadManifest \
	./bundle:FuzzVerify ./bundle:FuzzUSTARHeader ./bundle:FuzzCheckProof ./collect/profile:FuzzParseProfile \
	./custody:FuzzParseHead ./custody:FuzzLedgerVerify \
	./collect/logins:FuzzUtmp ./collect/logins:FuzzLastlog ./collect/etc:FuzzParseEtc \
	./collect/procfs:FuzzNet ./collect/procfs:FuzzParseMaps ./collect/procfs:FuzzParseKernelTables ./collect/pcblist:FuzzPCBList \
	./collect:FuzzParseDpkgStatus ./collect/rpmdb:FuzzRPMHeader ./collect:FuzzPodmanContainer \
	./collect/procfs:FuzzRawPacket ./collect:FuzzKernelFormats \
	./logparse:FuzzJournal ./logparse:FuzzSyslog

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) \
			-fuzzminimizetime 100x -parallel 1 || exit 1; \
	done

clean:
	rm -rf hozen dist dist-a dist-b
