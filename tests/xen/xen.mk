# tests/xen/xen.mk - `make check-xen`: the Xen end-to-end suite. Boots
# Debian's Xen 4.17 with a Linux PV dom0 inside QEMU (TCG) and runs the
# ringside kernel as PVH guests there (tests/xen/run.sh says how). Needs
# root, debootstrap and cpio (make deps); downloads and caches Debian's
# hypervisor, dom0 kernel and a dom0 root under $(BUILD)/xen/cache.
# Prints RINGSIDE-XEN: PASS/FAIL/SKIP markers; fails on any FAIL.
#
# `make xen-fixture` also runs `xl dump-core` of the crashed guest in dom0
# (minutes under TCG) and, when that dump checks out against the live
# reads, rewrites tests/xen/fixtures/pvh-crash.tar.xz, which check-xen
# reads instead (tests/xen/fixture.sh). Run it, and commit the result,
# before a change to the kernel, the ring format or the schema lands.

XEN_FIXTURE := tests/xen/fixtures/pvh-crash.tar.xz

.PHONY: check-xen xen-fixture
# mini-os: the traced Mini-OS PV image for the minios-* scenarios (it only
# says so when the peers directory is absent, and those scenarios skip).
check-xen: $(BUILD)/kernel/ringside-kernel.elf $(COLLECTOR_BIN) $(SQLITE_EXT) mini-os
	BUILD=$(BUILD) tests/xen/run.sh

xen-fixture: $(BUILD)/kernel/ringside-kernel.elf $(COLLECTOR_BIN) $(SQLITE_EXT) mini-os
	BUILD=$(BUILD) RINGSIDE_XEN_DUMPCORE=1 \
		RINGSIDE_XEN_FIXTURE_OUT=$(XEN_FIXTURE) tests/xen/run.sh
