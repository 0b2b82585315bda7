# guest-trace: the freestanding writer library, plus its pkg-config file so
# another kernel (Mini-OS, Unikraft) can link it.

GT_SRCS := guest-trace/gt.c
GT_OBJS := $(patsubst %.c,$(BUILD)/free/%.o,$(GT_SRCS))
GT_LIB  := $(LIB)/libguest-trace.a
GT_PC   := $(LIB)/pkgconfig/guest-trace.pc
# What a user of the archive includes: the API and the ring ABI under it.
GT_HEADERS := guest-trace/include/guest_trace.h formats/contract/ringside_ring.h \
              formats/contract/rs_event_table.h

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

# $(call gt_pc_subst,PREFIX,LIBDIR,INCLUDEDIR,CONTRACTDIR): the sed that
# fills the template. The build tree's copy points into the source tree;
# install.mk writes the installed one with the installed paths.
gt_pc_subst = sed -e 's|@PREFIX@|$(strip $(1))|' -e 's|@LIBDIR@|$(strip $(2))|' \
	-e 's|@INCLUDEDIR@|$(strip $(3))|' -e 's|@CONTRACTDIR@|$(strip $(4))|'

$(GT_PC): guest-trace/guest-trace.pc.in guest-trace/guest-trace.mk
	@mkdir -p $(dir $@)
	$(call gt_pc_subst,$(abspath .),$(abspath $(LIB)),\
		$(abspath guest-trace/include),$(abspath formats/contract)) $< > $@

all: $(GT_LIB) $(GT_PC)
