# tests: one cmocka binary holding every suite (tests/test_*.c), linked
# against the real libraries. `make check` builds it and everything it
# drives, then runs it with RS_BIN_DIR pointing at the built programs.

# Suites sit in a folder per part of the tree they test (tests/README.md);
# the helpers every suite may use stay at the top of tests/.
TEST_DIRS := formats guest-trace kernel collector cli viewer build
TEST_SRCS := tests/testlib.c tests/testlib_events.c tests/stress/stress.c \
             tests/stress/stress_qemu.c \
             tests/smp_fixture.c \
             $(foreach d,$(TEST_DIRS),$(wildcard tests/$(d)/test_*.c))
# The kernel's clock calibration is plain C but for rdtsc: test_refclock.c
# runs it here, against simulated references.
TEST_SRCS += kernel/platform/pvh/refclock.c
# The bare-metal kernel's ACPI CPU count, plain C behind a map function:
# test_acpi_madt.c runs it on hand-made tables.
TEST_SRCS += kernel/platform/pvh/acpi.c
TEST_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(TEST_SRCS))
TEST_BIN  := $(BUILD)/tests/ringside-tests
CMOCKA_LIBS := $(call pkgconf,--libs cmocka)

# Libraries a suite may call; fragments that exist add theirs.
TEST_LIBS = $(COLLECTOR_LIB) $(VIEWER_LIB) $(KERNEL_HOSTED_LIB) $(FORMATS_LIBS) \
            $(GT_LIB) $(CLI_LIB)

$(TEST_BIN): $(TEST_OBJS) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(TEST_OBJS) $(TEST_LIBS) \
		$(VIEWER_LIBS) $(CMOCKA_LIBS) $(FORMATS_LDLIBS) \
		$(COLLECTOR_LDLIBS) $(TEST_LDLIBS) -lpthread -lm

# Programs the tests drive, when their fragments exist.
TEST_PROGS = $(filter $(BIN)/%,$(ALL_PROGS))

# The real Xen suite (its own QEMU, its own files under build/xen) runs
# beside the cmocka suite under `make -j2 check`: one after the other they
# took a cold `make check` 6 minutes here, about 15 on a machine 2.5x
# slower. Each prints its own summary line ("xen: ..." and cmocka's), so
# their output interleaves. It tests the dom0 tools as shipped, so the
# sanitized pass does not repeat it.
ifneq ($(SANITIZE),1)
CHECK_XEN := check-xen
endif

.PHONY: check-unit
check-run: check-unit $(CHECK_XEN)
check-unit: all $(TEST_BIN)
	RS_BIN_DIR=$(abspath $(BIN)) RS_BUILD_DIR=$(abspath $(BUILD)) \
		$(TEST_BIN)

# Another kernel links guest-trace with nothing but pkg-config's flags.
EMBED_BIN := $(BUILD)/tests/freestanding-embed
$(EMBED_BIN): tests/freestanding_embed.c $(GT_LIB) $(GT_PC)
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -ffreestanding -nostdlib -static \
		-fno-stack-protector -o $@ $< \
		$$(PKG_CONFIG_PATH=$(abspath $(LIB))/pkgconfig pkg-config \
			--cflags --libs guest-trace)

# (The sanitized archive needs the ASan runtime, so only the plain build.)
ifneq ($(SANITIZE),1)
check-unit: $(EMBED_BIN)
endif
EXTRA_CFLAGS_tests/ := $(call pkgconf,--cflags sqlite3)
# Every suite folder compiles like tests/ itself (later fragments add to
# EXTRA_CFLAGS_tests/, hence `=`), and finds the shared helpers there.
$(foreach d,$(TEST_DIRS),$(eval EXTRA_CFLAGS_tests/$(d)/ = $$(EXTRA_CFLAGS_tests/) -Itests))
