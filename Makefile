# spate - the two commands of the README, and a few more.
#   make run    install missing Debian packages, build, run the main job (seed demo 02)
#   make test   install missing Debian packages, build, run every test (+ ASan/UBSan build)
#   make        build into build/ (CLI: build/spate, library: build/libspate.a/.so)
#   make asan   sanitizer build + tests in build-asan/
#   make tsan   ThreadSanitizer build + the threaded tests in build-tsan/ (part of make test)
#   make bench  benchmarks (bench/)
#   make soak   fault-tolerance and state-bound tests at full size (docs/fault-tolerance.md)
#   make fuzz   libFuzzer targets (clang) in build-fuzz/, FUZZ_SECONDS each (part of make test)
JOBS ?= $(shell nproc)
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20

.PHONY: all build deps run test test-fast asan tsan fuzz bench soak clean

all: build

deps:
	@bash scripts/install-deps.sh

build/CMakeCache.txt:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: build/CMakeCache.txt
	cmake --build build -j $(JOBS)

run: deps build
	@bash scripts/run-main-job.sh

test: deps build
	cd build && ctest --output-on-failure -j $(JOBS)
	$(MAKE) asan
	$(MAKE) tsan
	$(MAKE) fuzz

test-fast: build
	cd build && ctest --output-on-failure -j $(JOBS)

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSPATE_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -E '^e2e_kill'

# ThreadSanitizer over the threaded paths: the pool, every golden streaming query
# (map/shuffle/reduce tasks, joins, state stores) and the C API test.
TSAN_TESTS = test_pool_threads test_golden test_dataframe_api test_clock
tsan:
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSPATE_TSAN=ON >/dev/null
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TESTS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -R '^(test_pool_threads|test_golden|test_dataframe_api|test_clock)$$'

# libFuzzer targets tests/fuzz/fuzz_*.c (SQL job files, JSON, CSV, checkpoint logs) built by
# clang with ASan/UBSan, each run FUZZ_SECONDS from a scratch copy of its seed corpus;
# fails on any crash, leak, UB or timeout (docs/fault-tolerance.md "Fuzzing").
fuzz:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=Debug -DSPATE_FUZZ=ON -DSPATE_WERROR=OFF >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	bash scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@bash bench/run.sh

soak: build
	cd build && SPATE_KILLS=200 SPATE_FT_FILES=40 SPATE_FT_PER=1000 SPATE_STATE_EVENTS=10000000 \
	  SPATE_STATE_FILES=200 SPATE_READER_FILES=1600 SPATE_READER_PER=100 SPATE_STATEFUL_FILES=1200 \
	  SPATE_STATEFUL_PER=100 ctest --output-on-failure \
	  -R '^e2e_(kill9|kill9_reader|kill9_stateful|crash_points|corrupt_checkpoint|checkpoint_lock|graceful_stop|verify_oracle|state_bound_window)$$'

clean:
	rm -rf build build-asan build-tsan build-fuzz
