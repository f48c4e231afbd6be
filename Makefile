# Makefile - builds and tests flinkhpa.  See HACKING.md for the file-naming
# rules it relies on; README.md for what the targets do for users.
#
#   make            bin/flinkhpa-adapter, bin/flinkhpa-gen
#   make test       unit + black-box tests + a short fuzz run
#   make asan       the same suites built with ASan+UBSan
#   make valgrind   the same suites under valgrind, leaks are errors
#   make fuzz       longer fuzz runs (FUZZ_SECONDS each, default 300)
#   make bench      benchmarks, printed side by side with the reference
#   make demo       the demo (see README)
#
# MODE selects the build flavour and its directory build/MODE:
# release (default), asan, debug (for valgrind), fuzz (clang, libFuzzer).

MODE ?= release
BUILD := build/$(MODE)
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

ifeq ($(MODE),release)
BINDIR := bin
else
BINDIR := $(BUILD)/bin
endif

CC_release := gcc
CC_debug := gcc
CC_asan := gcc
CC_fuzz := clang
CC := $(CC_$(MODE))

OPT_release := -O2 -g
OPT_debug := -O0 -g
OPT_asan := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
OPT_fuzz := -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

PKGS := libmicrohttpd libcurl json-c yaml-0.1 libprotobuf-c gnutls
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Werror
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -DFH_VERSION='"$(VERSION)"' \
	-I. -I$(BUILD)
CFLAGS := -std=c11 $(OPT_$(MODE)) $(WARN) -MMD -MP \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS := $(filter -fsanitize=%,$(OPT_$(MODE)))
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# Sources by role: every file with main() is a program's main.c.
COMMON_SRC := $(wildcard common/*.c)
ADAPTER_SRC := $(wildcard adapter/*.c)
GEN_SRC := $(wildcard gen/*.c)
EMU_SRC := $(wildcard hack/emu/*.c)
MODEL_SRC := $(wildcard model/*.c)
PROTO_SRC := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,\
	$(wildcard proto/*.proto))
LIB_SRC := $(COMMON_SRC) $(MODEL_SRC) $(filter-out %/main.c,$(ADAPTER_SRC) $(GEN_SRC) \
	$(EMU_SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard tests/bench/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
PROTO_OBJ := $(PROTO_SRC:.c=.o)
COMMON_OBJ := $(call obj,$(COMMON_SRC))
LIB_OBJ := $(call obj,$(LIB_SRC)) $(PROTO_OBJ)

ADAPTER := $(BINDIR)/flinkhpa-adapter
EMU := $(BINDIR)/flinkhpa-emu
GEN := $(BINDIR)/flinkhpa-gen
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests-bin/%,$(UNIT_SRC))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz-bin/%,$(FUZZ_SRC))
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench-bin/%,$(BENCH_SRC))

DEPS := hack/deps.sh
FUZZ_SECONDS ?= 300
TEST_FUZZ_SECONDS ?= 10

.PHONY: all programs tests test asan valgrind fuzz fuzz-build bench demo \
	e2e clean deps-build deps-test check-suites
.DEFAULT_GOAL := all
# objects made by pattern chains are kept (no rebuild of them every time)
.SECONDARY:

all: deps-build
	$(Q)$(MAKE) --no-print-directory programs

programs: $(ADAPTER) $(GEN) $(EMU)

tests: programs $(UNIT_BIN) $(BENCH_BIN)

deps-build:
	$(Q)$(DEPS) build

deps-test:
	$(Q)$(DEPS) build test

$(ADAPTER): $(call obj,$(ADAPTER_SRC)) $(COMMON_OBJ) $(PROTO_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(EMU): $(call obj,$(EMU_SRC) $(MODEL_SRC)) $(COMMON_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(GEN): $(call obj,$(GEN_SRC) $(MODEL_SRC)) $(COMMON_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests-bin/%: $(BUILD)/tests/unit/%.o $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

$(BUILD)/bench-bin/%: $(BUILD)/tests/bench/%.o $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz-bin/%: $(BUILD)/tests/fuzz/%.o $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Generated protobuf code: one source of truth in proto/, output in build/.
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/proto/%.o: $(BUILD)/proto/%.c
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# Objects that include generated headers wait for them.
$(call obj,$(ADAPTER_SRC) $(UNIT_SRC) $(FUZZ_SRC)): | $(PROTO_SRC)

# ---- test suites ----

RUN_SUITES = tests/run.sh

test: deps-test
	$(Q)$(DEPS) k8s
	$(Q)$(MAKE) --no-print-directory MODE=release tests
	$(Q)$(MAKE) --no-print-directory MODE=fuzz fuzz-build
	$(Q)FH_BIN=bin FH_TESTBIN=build/release/tests-bin FH_FUZZBIN=build/fuzz/fuzz-bin \
		FH_TOOLBIN=build/release/bench-bin \
		FH_FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) $(RUN_SUITES)

asan: deps-test
	$(Q)$(MAKE) --no-print-directory MODE=asan tests
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		FH_BIN=build/asan/bin FH_TESTBIN=build/asan/tests-bin \
		FH_TOOLBIN=build/asan/bench-bin $(RUN_SUITES)

valgrind: deps-test
	$(Q)$(DEPS) valgrind
	$(Q)$(MAKE) --no-print-directory MODE=debug tests
	$(Q)FH_BIN=build/debug/bin FH_TESTBIN=build/debug/tests-bin \
		FH_TOOLBIN=build/debug/bench-bin \
		FH_TIMEOUT_FACTOR=10 FH_E2E_JOBS=1 FH_WRAP_EMU= \
		FH_WRAP="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
		$(RUN_SUITES)

# The end-to-end suite alone (real control plane; see hack/cluster-up.sh).
e2e: deps-test
	$(Q)$(DEPS) k8s
	$(Q)$(MAKE) --no-print-directory MODE=release tests
	$(Q)FH_BIN=bin FH_TOOLBIN=build/release/bench-bin FH_ONLY=e2e $(RUN_SUITES)

fuzz-build: $(FUZZ_BIN)

fuzz: deps-test
	$(Q)$(MAKE) --no-print-directory MODE=fuzz fuzz-build
	$(Q)FH_FUZZBIN=build/fuzz/fuzz-bin FH_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FH_ONLY=fuzz $(RUN_SUITES)

bench: deps-build
	$(Q)$(DEPS) bench
	$(Q)$(MAKE) --no-print-directory MODE=release tests
	$(Q)FH_BIN=bin FH_BENCH_BIN=build/release/bench-bin tests/bench/run.sh

demo: deps-build
	$(Q)$(DEPS) demo
	$(Q)$(MAKE) --no-print-directory MODE=release programs
	$(Q)hack/demo.sh

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
