# kernel: the unikernel-style kernel core (platform independent), its
# workloads, and the hosted platform (the kernel as a Linux process).
#
#   $(BIN)/ringside-hosted    the hosted kernel
#   $(KERNEL_HOSTED_LIB)      everything but the hosted main(), for tests
#   kernel-free-check         compiles core + workloads + arch freestanding
#                             (no link): the build enforces that the core
#                             stays fit for bare metal

KERNEL_CORE_SRCS     := $(wildcard kernel/core/*.c)
KERNEL_WORKLOAD_SRCS := $(wildcard kernel/workloads/*.c)
KERNEL_ARCH_C_SRCS   := kernel/arch/x86_64/stack.c
KERNEL_ARCH_S_SRCS   := kernel/arch/x86_64/switch.S
KERNEL_HOSTED_SRCS   := kernel/platform/hosted/platform.c
KERNEL_HOSTED_MAIN   := kernel/platform/hosted/main.c

KERNEL_HOSTED_OBJS := \
	$(patsubst %.c,$(OBJ)/%.o,$(KERNEL_CORE_SRCS) $(KERNEL_WORKLOAD_SRCS) \
		$(KERNEL_ARCH_C_SRCS) $(KERNEL_HOSTED_SRCS)) \
	$(patsubst %.S,$(OBJ)/%.o,$(KERNEL_ARCH_S_SRCS))

KERNEL_HOSTED_LIB := $(LIB)/libkernel-hosted.a
KERNEL_HOSTED_BIN := $(BIN)/ringside-hosted
export KERNEL_HOSTED_LIB

$(OBJ)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(KERNEL_HOSTED_LIB): $(KERNEL_HOSTED_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(KERNEL_HOSTED_BIN): $(OBJ)/$(KERNEL_HOSTED_MAIN:.c=.o) $(KERNEL_HOSTED_LIB) $(GT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(OBJ)/$(KERNEL_HOSTED_MAIN:.c=.o) \
		$(KERNEL_HOSTED_LIB) $(GT_LIB)

# Freestanding check: the same sources with the bare-metal flags. Only
# compiled; a stamp records success so `all` stays incremental.
KERNEL_FREE_DIR  := $(BUILD)/kernel-free-check
KERNEL_FREE_SRCS := $(KERNEL_CORE_SRCS) $(KERNEL_WORKLOAD_SRCS) \
		    $(KERNEL_ARCH_C_SRCS)
KERNEL_FREE_OBJS := $(patsubst %.c,$(KERNEL_FREE_DIR)/%.o,$(KERNEL_FREE_SRCS)) \
		    $(patsubst %.S,$(KERNEL_FREE_DIR)/%.o,$(KERNEL_ARCH_S_SRCS))
KERNEL_FREE_STAMP := $(KERNEL_FREE_DIR)/ok

$(KERNEL_FREE_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(FREE_CFLAGS) -mgeneral-regs-only -MMD -MP -c $< -o $@

$(KERNEL_FREE_DIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(FREE_CFLAGS) -c $< -o $@

$(KERNEL_FREE_STAMP): $(KERNEL_FREE_OBJS)
	@touch $@

.PHONY: kernel-free-check kernel
kernel-free-check: $(KERNEL_FREE_STAMP)
kernel: $(KERNEL_HOSTED_BIN) $(KERNEL_HOSTED_LIB) kernel-free-check

ALL_PROGS += $(KERNEL_HOSTED_BIN)
all: $(KERNEL_HOSTED_BIN) $(KERNEL_HOSTED_LIB) kernel-free-check
