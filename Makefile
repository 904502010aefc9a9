# hozen — build, test, lint, benchmark.
GO      ?= go
PKGS    := ./...
DISTS   := linux/amd64 linux/arm64 linux/386 windows/amd64 darwin/amd64 darwin/arm64

.PHONY: all build test test-short lint cross bench fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o hozen ./cmd/hozen

# The test command newcomers and CI run.
test: lint cross
	$(GO) test -race -count=1 $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# Every GOOS/GOARCH of a release must compile with CGO_ENABLED=0.
cross:
	@for t in $(DISTS); do \
		echo "build $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/hozen || exit 1; \
	done

# Wall time and memory against tar, zstd and sha256sum on a generated
# corpus (BENCH_MIB, BENCH_SMALL, BENCH_RUNS), then the Go benchmarks.
bench:
	bash scripts/bench.sh
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./bundle ./custody ./manifest

clean:
	rm -rf hozen dist
