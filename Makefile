# Thin wrapper around CMake. `make run` and `make check` are the contract
# with a new user: both install what is missing first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CONF       ?= examples/feedpubd.conf

.PHONY: all deps build run check check-asan bench fuzz soak format clean \
	valgrind

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/feedpubd --config $(CONF)

check: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFEEDPUBD_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory check-asan

check-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFEEDPUBD_WERROR=ON -DFEEDPUBD_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/cold-build

# libFuzzer (clang): every target in tests/fuzz/ for FUZZ_SECONDS each,
# starting from its seed corpus; new inputs and crashers stay in
# build-fuzz/ (copy a crasher into tests/fuzz/corpus/ to keep it as a test).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= fuzz_release fuzz_date fuzz_config fuzz_xmlrpc
fuzz:
	@./scripts/install-deps.sh fuzz
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFEEDPUBD_SANITIZE=ON -DFEEDPUBD_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus/$$t build-fuzz/crashes/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		build-fuzz/tests/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		    -rss_limit_mb=2048 -print_final_stats=1 \
		    -artifact_prefix=build-fuzz/crashes/$$t/ \
		    build-fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | \
		    grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|^artifact' ; \
		test -z "$$(ls build-fuzz/crashes/$$t)" || exit 1; \
	done

# The reliability suite's long form (tests/reliability/, see
# docs/reliability.md): 500 SIGKILLs, 100,000 tiny files... Figures go to
# $(BUILD)/reliability-figures.jsonl, one JSON object per scenario.
soak: build
	rm -f $(BUILD)/reliability-figures.jsonl
	cd $(BUILD) && SOAK=1 RELTEST_FIGURES=$(CURDIR)/$(BUILD)/reliability-figures.jsonl \
	    ctest --output-on-failure -R '^reliability/'
	@cat $(BUILD)/reliability-figures.jsonl

# The style of .clang-format on the lines you changed (git clang-format):
# the tree is hand-formatted in that style, not churned by a tool.
format:
	@./scripts/install-deps.sh fuzz
	git clang-format

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz

# Valgrind memcheck over the integration suite (issue 8): every feedpubd
# the tests start runs under valgrind (tests/integration/feedtest.py,
# $VALGRIND), deadlines times 10. An error or a definite leak exits 99 and
# fails its test; the logs stay in $(VALGRIND_LOGS), one per process.
VALGRIND_LOGS  ?= /tmp/feedpubd-valgrind
VALGRIND_TESTS ?= test_once test_bad_input test_daemon
valgrind: build
	rm -rf $(VALGRIND_LOGS)
	@fail=0; for t in $(VALGRIND_TESTS); do \
		echo "valgrind: $$t"; \
		VALGRIND=1 VALGRIND_LOGS=$(VALGRIND_LOGS) \
		    FEEDPUBD=$(CURDIR)/$(BUILD)/feedpubd \
		    TESTDATA=$(CURDIR)/tests/data PYTHONDONTWRITEBYTECODE=1 \
		    /usr/bin/python3 tests/integration/$$t.py || fail=1; \
	done; \
	echo "valgrind: $$(ls $(VALGRIND_LOGS) | wc -l) processes," \
	    "$$(grep -l '^==' $(VALGRIND_LOGS)/*.log | wc -l) with a report" \
	    "(grep '^==' $(VALGRIND_LOGS)/*.log; valgrind's own lines are" \
	    "'--PID--': it does not know openat2, and fileopen() falls back)"; \
	exit $$fail
