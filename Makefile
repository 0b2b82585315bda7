# ringside - top-level build.
#
# Each folder owns a fragment (<folder>/<folder>.mk) that adds its targets;
# this file holds the shared flags and the user-facing goals. Everything is
# built under build/ and nothing is written elsewhere.
#
#   make            build everything hosted (and the kernel, when present)
#   make deps       install every Debian package the project needs
#   make check      run the whole test suite (SANITIZE=1: under ASan+UBSan)
#   make check-unikraft  the tracer inside a real Unikraft (PEERS=DIR)
#   make bench      run the benchmarks side by side, print one table
#   make stress     writers at full speed against a live reader, 10^8 events
#   make fuzz       fuzz every reader of foreign input (fuzz/README.md)
#   make demo       boot the demo workload and show its trace
#   make install    the programs, the SQLite extension, guest-trace for
#                   other kernels, the man pages (PREFIX, DESTDIR: install.mk)

BUILD    ?= build
# The one version of everything built here: --version, the man pages.
VERSION  := 0.1.0
CC       ?= gcc
SANITIZE ?= 0

# Two flavours of host build share one tree layout; the sanitized one goes
# to its own directory so the two never mix objects.
ifeq ($(SANITIZE),1)
  BUILD    := $(BUILD)/asan
  SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
# -UNDEBUG: assert() states callers' contracts and internal invariants
# (never checks of foreign input, which are errors); they stay on in every
# build, as SQLite's and sysprof's do in theirs.
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -fno-omit-frame-pointer \
               -UNDEBUG -D_GNU_SOURCE $(SAN_FLAGS) -Iformats/contract -Iformats/store \
               -Iformats/interchange -Iformats/analysis -Iguest-trace/include \
               -Icli
HOST_LDFLAGS := $(SAN_FLAGS)

# Freestanding flags for code that runs in a guest (guest-trace, kernel core
# on bare metal). -mno-red-zone: interrupts share the stack.
FREE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin \
               -nostdlib -mno-red-zone -fno-pic -fno-pie -fno-stack-protector \
               -fno-omit-frame-pointer -Iformats/contract -Iguest-trace/include

# Flags from pkg-config, asked while the fragments are parsed. The
# packages come from `make deps`, and a fresh `make check` or `make demo`
# parses every fragment before its deps recipe has installed anything (the
# build itself re-enters make afterwards), so a package missing at parse
# time is not an error yet: ask quietly. Every package asked about is
# remembered, and pkg-check fails the build loudly, naming the missing
# ones, when something is compiled without them.
PKGS_NEEDED :=
pkgconf = $(eval PKGS_NEEDED += $(filter-out -%,$(1)))$(shell pkg-config $(1) 2>/dev/null)

BIN := $(BUILD)/bin
LIB := $(BUILD)/lib
OBJ := $(BUILD)/obj

.PHONY: all deps check check-run bench demo demo-run clean fuzz
all:

include formats/formats.mk
include cli/cli.mk
include guest-trace/guest-trace.mk
-include guest-trace/ports/mini-os/mini-os.mk
-include kernel/kernel.mk
-include kernel/platform/pvh/pvh.mk
-include collector/collector.mk
include tests/tests.mk
include tests/stress/stress.mk
-include tests/xen/xen.mk
-include tests/unikraft/unikraft.mk
# After tests.mk: it adds the viewer's include flags to the tests'.
-include viewer/viewer.mk
-include bench/bench.mk
-include fuzz/fuzz.mk
# Man pages: ringside(1) and ringside-view(1) are printed by the programs
# themselves from the option tables that parse their command lines (cli/);
# guest-trace(3) is written by hand. `make install` puts each where its
# suffix says (man1, man3).
MAN_DIR   := $(BUILD)/man
MAN_PAGES := $(MAN_DIR)/ringside.1 $(MAN_DIR)/ringside-view.1 \
             guest-trace/guest-trace.3
.PHONY: man
man: $(MAN_PAGES)
all: man

$(MAN_DIR)/ringside.1: $(COLLECTOR_BIN)
	@mkdir -p $(dir $@)
	$(COLLECTOR_BIN) --man > $@.tmp && mv $@.tmp $@

$(MAN_DIR)/ringside-view.1: $(VIEWER_BIN)
	@mkdir -p $(dir $@)
	$(VIEWER_BIN) --man > $@.tmp && mv $@.tmp $@

# Last: it installs what the fragments and the man pages above build.
include install.mk

# The loud half of pkgconf: before anything hosted is compiled.
.PHONY: pkg-check
pkg-check:
	@pkg-config --print-errors --exists $(sort $(PKGS_NEEDED)) || \
	{ echo "make: packages missing (above); run 'make deps'" >&2; exit 1; }

# Objects: one rule for every hosted C file, mirrored under $(OBJ).
$(OBJ)/%.o: %.c | pkg-check
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(EXTRA_CFLAGS_$(dir $<)) -MMD -MP -c $< -o $@

# Dependency files live only under the object trees; build/xen holds a
# Debian root whose /etc/rc*.d must never be read as makefiles.
-include $(shell find $(OBJ) $(BUILD)/free $(BUILD)/kernel-pvh \
	$(BUILD)/kernel-free-check -name '*.d' -type f 2>/dev/null)

deps:
	./.ci/deps.sh

# The README's two commands work on a fresh machine: each installs what is
# missing first, then re-enters make so nothing is built before the
# packages it needs exist.
check: deps
	$(MAKE) check-run

demo: deps
	$(MAKE) demo-run

fuzz: deps
	$(MAKE) fuzz-run

clean:
	rm -rf build

# The demo: boot the bare-metal kernel's demo workload under QEMU (TCG),
# collect it live into build/demo.db, show what happened, and open it in
# the viewer when there is a display to open it on.
DEMO_DB := $(BUILD)/demo.db
demo-run: all
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/ringside run --workload demo -o $(DEMO_DB)
	$(BIN)/ringside-view --render $(BUILD)/demo.png --size 1400x800 $(DEMO_DB)
	@echo
	@echo "The trace is in $(DEMO_DB), drawn in $(BUILD)/demo.png."
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "Opening it in ringside-view."; \
		$(BIN)/ringside-view $(DEMO_DB); \
	else \
		echo "No display: open it later with $(BIN)/ringside-view $(DEMO_DB)"; \
	fi
