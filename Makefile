# Makefile - builds and tests flinkhpa.  See HACKING.md for the file-naming
# rules it relies on; README.md for what the targets do for users.
#
#   make            bin/flinkhpa-adapter, bin/flinkhpa-gen
#   make test       unit + black-box tests + a short fuzz run
#   make asan       the same suites built with ASan+UBSan
#   make valgrind   the same suites under valgrind, leaks are errors
#   make fuzz       longer fuzz runs (FUZZ_SECONDS each, default 300)
#   make bench      benchmarks, printed side by side with the reference
#                   (SCALE=10000: 10,000 pods and TaskManagers, not 1,000)
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
# The release version is the file VERSION (the image tag, what --version
# prints); the revision is git's, printed beside it.
VERSION := $(shell cat VERSION)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
REVISION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Our flags come first; a user's CPPFLAGS, CFLAGS and LDFLAGS are appended
# (make CFLAGS=-O0 keeps the warnings, -MMD and pkg-config), never replace
# them.  WERROR= turns -Werror off (a packager's newer compiler).
WERROR ?= -Werror
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla $(WERROR)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FH_CPPFLAGS := -D_POSIX_C_SOURCE=200809L -DFH_VERSION='"$(VERSION)"' \
	-DFH_VERSION_MAJOR='"$(VERSION_MAJOR)"' \
	-DFH_VERSION_MINOR='"$(VERSION_MINOR)"' -I. -I$(BUILD)
FH_CFLAGS := -std=c11 $(OPT_$(MODE)) $(WARN) -MMD -MP $(PKG_CFLAGS)
FH_LDFLAGS := $(filter -fsanitize=%,$(OPT_$(MODE)))
ALL_CPPFLAGS = $(FH_CPPFLAGS) $(REV_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(FH_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(FH_LDFLAGS) $(LDFLAGS)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# Rebuild when the flags change, as git's GIT-CFLAGS does: the stamp is
# rewritten only when its text differs, and every object depends on it.
# The revision goes only into the two main.o (their --version), with its
# own stamp, so a commit does not rebuild the tree.
FLAGS_STAMP := $(BUILD)/FH-CFLAGS
REVISION_STAMP := $(BUILD)/FH-REVISION
shq = '$(subst ','\'',$(1))'
define write_stamp
@mkdir -p $(@D)
@if [ "$$(cat $@ 2>/dev/null)" != $(call shq,$(1)) ]; then \
	printf '%s\n' $(call shq,$(1)) >$@; fi
endef
$(FLAGS_STAMP): FORCE
	$(call write_stamp,$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LDLIBS))
$(REVISION_STAMP): FORCE
	$(call write_stamp,$(REVISION))
FORCE:

# Sources by role: every file with main() is a program's main.c.
COMMON_SRC := $(wildcard common/*.c)
ADAPTER_SRC := $(wildcard adapter/*.c adapter/*/*.c)
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
# LD_PRELOAD shims for the tests (tests/tools/NAME.c), beside the tools in
# FH_TOOLBIN as NAME.so; never sanitizer builds (preloaded into any mode).
SHIM_SRC := $(wildcard tests/tools/*.c)
SHIM_BIN := $(patsubst tests/tools/%.c,$(BUILD)/bench-bin/%.so,$(SHIM_SRC))

DEPS := hack/deps.sh
FUZZ_SECONDS ?= 300
TEST_FUZZ_SECONDS ?= 10

.PHONY: all programs tests test asan valgrind fuzz fuzz-build bench demo chaos \
	e2e clean deps deps-build deps-test FORCE
.DEFAULT_GOAL := all
# objects made by pattern chains are kept (no rebuild of them every time)
.SECONDARY:

# `make` only builds: installing packages is for `make deps`, and for the
# README's two commands `make demo` and `make test`, which call it.
all: programs

programs: $(ADAPTER) $(GEN) $(EMU)

tests: programs $(UNIT_BIN) $(BENCH_BIN) $(SHIM_BIN)

# Every package any target needs; the other targets only check for theirs.
deps:
	$(Q)$(DEPS) build test demo valgrind bench k8s

deps-build:
	$(Q)$(DEPS) build

deps-test:
	$(Q)$(DEPS) build test

# What a target needs but does not install (make deps does).
need = $(Q)$(DEPS) --check $(1)

# One link rule: a program is its objects, the libraries, and the flags of
# its kind (LINK_EXTRA: cmocka for tests, libFuzzer for fuzzers).
define link
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $(LINK_EXTRA) -o $@ $(filter %.o,$^) \
		$(LINK_LIBS) $(LDLIBS)
endef

$(ADAPTER): $(call obj,$(ADAPTER_SRC) $(MODEL_SRC)) $(COMMON_OBJ) $(PROTO_OBJ)
	$(link)
$(EMU): $(call obj,$(EMU_SRC) $(MODEL_SRC)) $(COMMON_OBJ)
	$(link)
$(GEN): $(call obj,$(GEN_SRC) $(MODEL_SRC)) $(COMMON_OBJ)
	$(link)
$(BUILD)/tests-bin/%: $(BUILD)/tests/unit/%.o $(LIB_OBJ)
	$(link)
$(BUILD)/bench-bin/%: $(BUILD)/tests/bench/%.o $(LIB_OBJ)
	$(link)
$(BUILD)/fuzz-bin/%: $(BUILD)/tests/fuzz/%.o $(LIB_OBJ)
	$(link)
$(BUILD)/tests-bin/%: LINK_LIBS = $(TEST_LDLIBS)
$(BUILD)/bench-bin/%.so: tests/tools/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@echo "  SHLIB   $@"
	$(Q)$(CC) -std=c11 -O2 -g $(WARN) -fPIC -shared $(CPPFLAGS) $(CFLAGS) \
		$(LDFLAGS) -o $@ $< -ldl
$(BUILD)/fuzz-bin/%: LINK_EXTRA = -fsanitize=fuzzer

# Generated protobuf code: one source of truth in proto/, output in build/.
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/proto/%.o: $(BUILD)/proto/%.c $(FLAGS_STAMP)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# --version prints the revision too: only the mains see it.
MAIN_OBJ := $(call obj,adapter/main.c gen/main.c)
$(MAIN_OBJ): $(REVISION_STAMP)
$(MAIN_OBJ): REV_CPPFLAGS = -DFH_REVISION='"$(REVISION)"'

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

asan:
	$(call need,build test k8s)
	$(Q)$(MAKE) --no-print-directory MODE=asan tests
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		FH_BIN=build/asan/bin FH_TESTBIN=build/asan/tests-bin \
		FH_TOOLBIN=build/asan/bench-bin $(RUN_SUITES)

valgrind:
	$(call need,build test valgrind k8s)
	$(Q)$(MAKE) --no-print-directory MODE=debug tests
	$(Q)FH_BIN=build/debug/bin FH_TESTBIN=build/debug/tests-bin \
		FH_TOOLBIN=build/debug/bench-bin \
		FH_TIMEOUT_FACTOR=10 FH_E2E_JOBS=1 FH_WRAP_EMU= \
		FH_WRAP="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
		$(RUN_SUITES)

# The end-to-end suite alone (real control plane; see hack/cluster-up.sh).
e2e:
	$(call need,build test k8s)
	$(Q)$(MAKE) --no-print-directory MODE=release tests
	$(Q)FH_BIN=bin FH_TOOLBIN=build/release/bench-bin FH_ONLY=e2e $(RUN_SUITES)

# The chaos run alone, as long as asked: make chaos DURATION=1h (s, m, h).
DURATION ?= 5m
chaos:
	$(call need,build test k8s)
	$(Q)$(MAKE) --no-print-directory MODE=release tests
	$(Q)secs=$$(echo '$(DURATION)' | sed -e 's/h$$/*3600/' -e 's/m$$/*60/' -e 's/s$$//') && \
		FH_BIN=bin FH_TOOLBIN=build/release/bench-bin FH_ONLY=e2e FH_FILTER=chaos \
		FH_CHAOS_SECONDS=$(DURATION) FH_E2E_TIMEOUT=$$((2 * $$secs + 900)) \
		$(RUN_SUITES)

fuzz-build: $(FUZZ_BIN)

fuzz:
	$(call need,build test)
	$(Q)$(MAKE) --no-print-directory MODE=fuzz fuzz-build
	$(Q)FH_FUZZBIN=build/fuzz/fuzz-bin FH_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FH_ONLY=fuzz $(RUN_SUITES)

bench:
	$(call need,build bench)
	$(Q)$(MAKE) --no-print-directory MODE=release tests
	$(Q)FH_BIN=bin FH_BENCH_BIN=build/release/bench-bin FH_BENCH_SCALE=$(SCALE) tests/bench/run.sh

demo: deps-build
	$(Q)$(DEPS) demo
	$(Q)$(MAKE) --no-print-directory MODE=release programs
	$(Q)hack/demo.sh

clean:
	rm -rf build bin

# ---- install and image ----
# make install [PREFIX=/usr/local] [DESTDIR=] [WITH_EMU=1] [STRIP=1]:
# flinkhpa-adapter and flinkhpa-gen (and the Flink emulator with WITH_EMU=1)
# into $(DESTDIR)$(PREFIX)/bin; STRIP=1 strips them (the Containerfile does).
# make image: the container image flinkhpa-adapter:$(cat VERSION), built
# from the Containerfile with buildah (hack/image.sh says how, and what it
# does when no registry can be reached); prints its name, id and size.
PREFIX ?= /usr/local
DESTDIR ?=
WITH_EMU ?= 0
STRIP ?= 0
INSTALL_PROGRAMS := $(ADAPTER) $(GEN) $(if $(filter 1,$(WITH_EMU)),$(EMU))

.PHONY: install image
install: $(INSTALL_PROGRAMS)
	$(Q)install -d "$(DESTDIR)$(PREFIX)/bin"
	$(Q)install -m 0755 $(if $(filter 1,$(STRIP)),-s) $(INSTALL_PROGRAMS) \
		"$(DESTDIR)$(PREFIX)/bin/"
	@echo "  INSTALL $(notdir $(INSTALL_PROGRAMS)) -> $(DESTDIR)$(PREFIX)/bin"

image:
	$(call need,build image)
	$(Q)hack/image.sh

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
