# tests/xen/xen.mk - `make check-xen`: the Xen end-to-end suite. Boots
# Debian's Xen 4.17 with a Linux PV dom0 inside QEMU (TCG) and runs the
# ringside kernel as PVH guests there (tests/xen/run.sh says how). Needs
# root, debootstrap and cpio (make deps); downloads and caches Debian's
# hypervisor, dom0 kernel and a dom0 root under $(BUILD)/xen/cache.
# Prints RINGSIDE-XEN: PASS/FAIL/SKIP markers; fails on any FAIL.

.PHONY: check-xen
check-xen: $(BUILD)/kernel/ringside-kernel.elf $(COLLECTOR_BIN) $(SQLITE_EXT)
	BUILD=$(BUILD) tests/xen/run.sh
