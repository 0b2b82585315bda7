# bench: side-by-side measurements. `make bench` builds optimised (never
# sanitized) and prints one table; figures are recorded, never gated on.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(BENCH_SRCS))
BENCH_BIN  := $(BUILD)/bench/ringside-bench
BENCH_LIBS  = $(COLLECTOR_LIB)
EXTRA_CFLAGS_bench/ = $(SQLITE_CFLAGS)

$(BENCH_BIN): $(BENCH_OBJS) $(BENCH_LIBS) $(DECODE_LIB) $(GT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_LIBS) $(DECODE_LIB) \
		$(GT_LIB) $(DECODE_LDLIBS) -lpthread -lm

bench: all $(BENCH_BIN)
	$(BENCH_BIN) $(BUILD)/bench/results.json $(BUILD)/bench
