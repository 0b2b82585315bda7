# bench: side-by-side measurements. `make bench` builds optimised (never
# sanitized) and prints one table; figures are recorded, never gated on.
#
#   $(BENCH_BIN)          the table: runs every benchmark, writes results.json
#   $(BENCH_LTTNG_BIN)    the LTTng-UST side of the emit row, a separate
#                         process because liblttng-ust registers with a
#                         session daemon in its constructor: the daemon must
#                         exist (and the session be started) before it runs
#   $(BENCH_NOTRACE_BIN)  the hosted kernel with tracing compiled out
#                         (-DKERNEL_TRACE=0), the baseline of overhead_pct

BENCH_SRCS := $(filter-out bench/lttng_%.c,$(wildcard bench/*.c))
BENCH_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(BENCH_SRCS))
BENCH_BIN  := $(BUILD)/bench/ringside-bench
BENCH_LIBS  = $(COLLECTOR_LIB)
# The benchmark finds its helper programs through these (absolute, so it
# can be run from anywhere).
BENCH_DEFS = -DBENCH_BIN_DIR='"$(abspath $(BIN))"' \
	     -DBENCH_DIR='"$(abspath $(BUILD)/bench)"'
EXTRA_CFLAGS_bench/ = $(SQLITE_CFLAGS) $(BENCH_DEFS)

# LTTng-UST is optional at build time: without it the row records null and
# says why, like every other comparison that cannot run on a machine.
LTTNG_UST_OK := $(shell pkg-config --exists lttng-ust && echo 1)
BENCH_LTTNG_BIN := $(BUILD)/bench/ringside-bench-lttng
ifeq ($(LTTNG_UST_OK),1)
BENCH_LTTNG_SRCS := bench/lttng_tp.c bench/lttng_loop.c
BENCH_LTTNG_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(BENCH_LTTNG_SRCS))
# -Ibench: the provider's generated code includes lttng_tp.h by the name
# TRACEPOINT_INCLUDE gives it.
$(BENCH_LTTNG_OBJS): EXTRA_CFLAGS_bench/ += -Ibench \
	$(shell pkg-config --cflags lttng-ust)
$(BENCH_LTTNG_BIN): $(BENCH_LTTNG_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(BENCH_LTTNG_OBJS) \
		$(shell pkg-config --libs lttng-ust) -ldl
bench-progs: $(BENCH_LTTNG_BIN)
endif

# The hosted kernel again, every object recompiled with tracing compiled
# out. Same flags, same sources, same link: the only difference between
# the two binaries is the trace points.
BENCH_NOTRACE_DIR := $(BUILD)/bench/notrace
BENCH_NOTRACE_SRCS := $(KERNEL_CORE_SRCS) $(KERNEL_WORKLOAD_SRCS) \
	$(KERNEL_ARCH_C_SRCS) $(KERNEL_HOSTED_SRCS) $(KERNEL_HOSTED_MAIN)
BENCH_NOTRACE_OBJS := \
	$(patsubst %.c,$(BENCH_NOTRACE_DIR)/%.o,$(BENCH_NOTRACE_SRCS)) \
	$(patsubst %.S,$(BENCH_NOTRACE_DIR)/%.o,$(KERNEL_ARCH_S_SRCS))
BENCH_NOTRACE_BIN := $(BUILD)/bench/ringside-hosted-notrace

$(BENCH_NOTRACE_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -DKERNEL_TRACE=0 -MMD -MP -c $< -o $@

$(BENCH_NOTRACE_DIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -DKERNEL_TRACE=0 -MMD -MP -c $< -o $@

$(BENCH_NOTRACE_BIN): $(BENCH_NOTRACE_OBJS) $(GT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(BENCH_NOTRACE_OBJS) $(GT_LIB)

-include $(shell find $(BENCH_NOTRACE_DIR) -name '*.d' -type f 2>/dev/null)

$(BENCH_BIN): $(BENCH_OBJS) $(BENCH_LIBS) $(FORMATS_LIBS) $(GT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_LIBS) $(FORMATS_LIBS) \
		$(GT_LIB) $(FORMATS_LDLIBS) $(COLLECTOR_LDLIBS) -lpthread -lm

.PHONY: bench-progs
bench-progs: $(BENCH_BIN) $(BENCH_NOTRACE_BIN)

bench: all bench-progs
	$(BENCH_BIN) $(BUILD)/bench/results.json $(BUILD)/bench
