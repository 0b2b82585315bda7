# tests/stress: `make stress [STRESS_EVENTS=N] [STRESS_CPUS=N]` runs the
# full-speed ring stress (tests/stress/stress.c) for 10^8 events by default
# and fails on any corrupt record or accounting mismatch. Always the
# optimised build: under ASan the writers would not be at full speed, and
# `make check` already runs a short version sanitized.

STRESS_EVENTS ?= 1e8
STRESS_CPUS   ?= 4
STRESS_RING   ?= 65536

STRESS_OBJS := $(OBJ)/tests/stress/stress.o $(OBJ)/tests/stress/stress_main.o
STRESS_BIN  := $(BUILD)/stress/ringside-stress

$(STRESS_BIN): $(STRESS_OBJS) $(FORMATS_LIBS) $(GT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(STRESS_OBJS) $(FORMATS_LIBS) $(GT_LIB) \
		-lpthread

.PHONY: stress
ifeq ($(SANITIZE),1)
stress:
	$(MAKE) SANITIZE=0 stress
else
stress: $(STRESS_BIN)
	$(STRESS_BIN) $(STRESS_EVENTS) $(STRESS_CPUS) $(STRESS_RING)
endif
