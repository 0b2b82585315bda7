# guest-trace: the freestanding writer library, plus its pkg-config file so
# another kernel (Mini-OS, Unikraft) can link it.

GT_SRCS := guest-trace/gt.c
GT_OBJS := $(patsubst %.c,$(BUILD)/free/%.o,$(GT_SRCS))
GT_LIB  := $(LIB)/libguest-trace.a
GT_PC   := $(LIB)/pkgconfig/guest-trace.pc

# Freestanding, but position-independent so one archive links into PIE host
# programs and non-PIC kernels alike.
GT_CFLAGS := $(filter-out -fno-pic -fno-pie,$(FREE_CFLAGS)) -fPIC $(SAN_FLAGS)

# Built freestanding even for hosted use: the same object a guest links is
# the one the hosted kernel, the tests and the benchmarks exercise. The
# sanitizers are added on the host build so tests still cover it.
$(BUILD)/free/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GT_CFLAGS) -MMD -MP -c $< -o $@

$(GT_LIB): $(GT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(GT_PC): guest-trace/guest-trace.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(abspath .)|' -e 's|@LIBDIR@|$(abspath $(LIB))|' $< > $@

all: $(GT_LIB) $(GT_PC)
