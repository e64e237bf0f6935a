# The two set-up commands on a fresh Debian 12 machine:
#   make demo   install, build, serve the demo on 127.0.0.1:8080 (SQLite under var/)
#   make test   install, build, lint, and pass every suite (plain and ASan+UBSan)
.PHONY: all deps build web demo test test-release test-asan lint format check-layers bench bench-case-read bench-audit-verify bench-report-1m clean

DEMO_DB ?= var/demo.db
LISTEN ?= 127.0.0.1:8080

all: build

deps:
	@scripts/install-deps

build: deps web
	cmake --preset release >/dev/null
	cmake --build --preset release

# The web app (web/, TypeScript + Vite) into build/web, which `ctims serve`
# serves. Rebuilt only when its sources change; `npm ci` only when the lock
# file does. The build fails when the first load is over budget.
WEB_SRC := $(shell find web/src web/public web/scripts -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/package.json

web: build/web/index.html

build/web/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run --silent build

web/node_modules/.package-lock.json: web/package-lock.json | deps
	cd web && npm ci --no-audit --no-fund --loglevel=error

demo: build
	DEMO_DB=$(DEMO_DB) LISTEN=$(LISTEN) scripts/demo

test: deps lint test-release test-asan
	@echo "make test: all suites passed (release and ASan+UBSan)"

test-release: build
	ctest --preset release

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan
	ctest --preset asan

lint: deps check-layers
	scripts/lint

format:
	scripts/lint --fix

check-layers:
	@scripts/check-layers

# One after the other (never in parallel under make -j: they would measure
# each other).
bench: build
	cmake --build --preset release --target bench-case-read
	cmake --build --preset release --target bench-audit-verify

bench-case-read: build
	cmake --build --preset release --target bench-case-read

bench-audit-verify: build
	cmake --build --preset release --target bench-audit-verify

# Issue 5 §6: not part of `bench` (generating 1,000,000 persons takes tens of
# minutes; BENCH_DB=... BENCH_KEY=... measures an existing database).
bench-report-1m: build
	cmake --build --preset release --target bench-report-1m

clean:
	rm -rf build
