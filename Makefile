# trailq build targets. The README gives the two commands a new user needs; these are the rest.
GO ?= go

.PHONY: build test demo bench bench-go fuzz lint clean

build:
	$(GO) build -o bin/trailq ./cmd/trailq

test:
	$(GO) test ./...

# The main job on the shipped sample logs: the console sign-ins of every account and region.
demo: build
	./bin/trailq signins --source testdata/sample/AWSLogs --store bin/sample.duckdb --since 2010-01-01 --utc --format table

# Side by side with DuckDB and jq on generated data (BENCH_SCALE=0.01 for a quick run); results in docs/BENCHMARKS.md.
bench:
	scripts/bench.sh

# Go benchmarks (decoder, key parser, load path, generator, S3 source, …), for benchstat.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./internal/cloudtrail
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSameAsBefore$$' -fuzztime 30s ./internal/cloudtrail
	$(GO) test -run '^$$' -fuzz '^FuzzParseKey$$' -fuzztime 30s ./internal/cloudtrail
	$(GO) test -run '^$$' -fuzz '^FuzzValid$$' -fuzztime 30s ./internal/cloudtrail
	$(GO) test -run '^$$' -fuzz '^FuzzPartFile$$' -fuzztime 60s -parallel 1 ./internal/store

lint:
	$(GO) vet ./...
	test -z "$$(gofmt -l .)"

clean:
	rm -rf bin
