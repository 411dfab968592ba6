# The two commands a new user needs: `make run` and `make test`. Both install what is
# missing (scripts/setup.sh) and build first.
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
# `make fuzz`: seconds of exploration per target, parallel processes per target (-fork), and
# which targets (default: all; names as in fuzz/CMakeLists.txt, e.g. FUZZ_TARGETS="agenda jwks").
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
FUZZ_TARGETS ?=
CTEST_FLAGS ?= --output-on-failure --timeout 600

.PHONY: all setup build build-asan build-fuzz run test test-release test-asan test-fuzz fuzz bench \
        bench-containers format clean

all: build

setup:
	@scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOP_SANITIZE=ON

$(FUZZ_BUILD)/build.ninja:
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++-14 -DPOP_FUZZ=ON

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

build-asan: setup $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

build-fuzz: setup $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

run: build
	$(BUILD)/pop server

test: test-release test-asan test-fuzz

test-release: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest $(CTEST_FLAGS) -j $(JOBS)

# Each fuzz target over its committed seeds and regression inputs plus a short exploration
# (fuzz/README.md).
test-fuzz: build-fuzz
	cd $(FUZZ_BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

# A long exploration of each target in turn (fuzz/README.md): FUZZ_SECONDS each with
# FUZZ_JOBS processes; new inputs are merged into $(FUZZ_BUILD)/fuzz-work/corpus/, findings
# land in $(FUZZ_BUILD)/fuzz-work/findings/. Fails when any target found something.
fuzz: build-fuzz
	fuzz/explore.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# bench_server's peer rows need bench/peers/node_modules, installed from its lockfile; without
# it (no npm, no registry) bench_server says why it skipped them.
bench: build
	@scripts/setup.sh --bench
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix bench/peers --no-audit --no-fund --loglevel=error || \
	    echo "bench: npm ci failed; bench_server will skip the peer rows"; fi
	$(BUILD)/bench_run_vs_ninja
	$(BUILD)/bench_scheduler
	$(BUILD)/bench_store
	$(BUILD)/bench_server
	$(BUILD)/bench_events

# Needs root (it starts a private dockerd under $(BUILD)/bench-engine).
bench-containers: build
	src/testing/container_engine.sh start $(BUILD)/bench-engine $(BUILD)/pop
	$(BUILD)/bench_containers --docker-host unix://$(CURDIR)/$(BUILD)/bench-engine/docker.sock; \
	  status=$$?; src/testing/container_engine.sh stop $(BUILD)/bench-engine; exit $$status

format:
	find src bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
