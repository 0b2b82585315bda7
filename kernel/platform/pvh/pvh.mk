# kernel/platform/pvh: the bare-metal x86-64 kernel that boots under QEMU
# (-kernel, PVH entry) and as a Xen PVH guest. Links the platform-free core,
# the workloads, the x86-64 context switch and the guest-trace writer with
# this platform into $(BUILD)/kernel/ringside-kernel.elf.
#
# Everything is compiled here, with the kernel's own flags, into
# $(BUILD)/kernel-pvh/: never sanitized (no runtime for it on bare metal),
# never PIC, never sharing objects with the hosted builds.

PVH_DIR    := kernel/platform/pvh
PVH_OBJDIR := $(BUILD)/kernel-pvh
PVH_ELF    := $(BUILD)/kernel/ringside-kernel.elf

PVH_SRCS := $(wildcard kernel/core/*.c) $(wildcard kernel/workloads/*.c) \
            $(wildcard kernel/arch/x86_64/*.c kernel/arch/x86_64/*.S) \
            guest-trace/gt.c \
            $(wildcard $(PVH_DIR)/*.c $(PVH_DIR)/*.S)
PVH_OBJS := $(patsubst %,$(PVH_OBJDIR)/%.o,$(basename $(PVH_SRCS)))

# -mgeneral-regs-only: interrupt entry saves no SSE state. Frame pointers
# stay on for the panic backtrace.
PVH_CFLAGS := $(filter-out -fsanitize% -fno-sanitize%,$(FREE_CFLAGS)) \
              -mgeneral-regs-only -mcmodel=small \
              -fno-asynchronous-unwind-tables -fno-unwind-tables
PVH_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(PVH_DIR)/kernel.ld \
               -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
               -Wl,--no-warn-rwx-segments

$(PVH_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(PVH_CFLAGS) -MMD -MP -c $< -o $@

$(PVH_OBJDIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(PVH_CFLAGS) -MMD -MP -c $< -o $@

$(PVH_ELF): $(PVH_OBJS) $(PVH_DIR)/kernel.ld
	@mkdir -p $(dir $@)
	$(CC) $(PVH_CFLAGS) $(PVH_LDFLAGS) -o $@ $(PVH_OBJS) -lgcc

all: $(PVH_ELF)
