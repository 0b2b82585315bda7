# tests/stress: `make stress` runs two stresses and fails if either does.
#
# The ring stress (tests/stress/stress.c; `STRESS_EVENTS=N STRESS_CPUS=N
# STRESS_RING=N`): writer threads at full speed, one ring each, against a
# live reader, 10^8 events by default; it fails on any corrupt record or
# accounting mismatch.
#
# The SMP stress under QEMU (tests/stress/stress_qemu*.c; `STRESS_SMP_CPUS=N
# STRESS_SMP_SECONDS=S`, default 2 CPUs for 10 s): the real kernel booted by
# `ringside run --smp N --workload emitstorm --seconds S --dump`, every CPU
# emitting at full speed into the default ring while the run collects
# live, so records are lost. For every CPU accepted + lost must equal
# what the guest's own ring header (in the dump) says it wrote, every gap
# in the records must be a `lost` row, and every record kept must fit the
# workload's pattern; a CPU that lost nothing fails too (nothing tested).
#
# Always the optimised build: under ASan the writers would not be at full
# speed, and `make check` already runs a short version of each (the ring
# stress sanitized; the SMP one in tests/collector/test_qemu_smp.c).

STRESS_EVENTS ?= 1e8
STRESS_CPUS   ?= 4
STRESS_RING   ?= 65536
STRESS_SMP_CPUS    ?= 2
STRESS_SMP_SECONDS ?= 10

STRESS_OBJS := $(OBJ)/tests/stress/stress.o $(OBJ)/tests/stress/stress_main.o
STRESS_BIN  := $(BUILD)/stress/ringside-stress
STRESS_QEMU_OBJS := $(OBJ)/tests/stress/stress_qemu.o \
                    $(OBJ)/tests/stress/stress_qemu_main.o
STRESS_QEMU_BIN  := $(BUILD)/stress/ringside-stress-qemu
EXTRA_CFLAGS_tests/stress/ := $(call pkgconf,--cflags sqlite3)

$(STRESS_BIN): $(STRESS_OBJS) $(FORMATS_LIBS) $(GT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(STRESS_OBJS) $(FORMATS_LIBS) $(GT_LIB) \
		-lpthread

$(STRESS_QEMU_BIN): $(STRESS_QEMU_OBJS) $(COLLECTOR_LIB) $(FORMATS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(STRESS_QEMU_OBJS) $(COLLECTOR_LIB) \
		$(FORMATS_LIBS) $(FORMATS_LDLIBS) $(COLLECTOR_LDLIBS) -lm

.PHONY: stress
ifeq ($(SANITIZE),1)
stress:
	$(MAKE) SANITIZE=0 stress
else
stress: $(STRESS_BIN) $(STRESS_QEMU_BIN) $(COLLECTOR_BIN) $(PVH_ELF)
	$(STRESS_BIN) $(STRESS_EVENTS) $(STRESS_CPUS) $(STRESS_RING)
	$(STRESS_QEMU_BIN) $(abspath $(COLLECTOR_BIN)) $(abspath $(PVH_ELF)) \
		$(STRESS_SMP_CPUS) $(STRESS_SMP_SECONDS)
endif
