# guest-trace/ports/mini-os/mini-os.mk - `make mini-os`: the traced Mini-OS
# PV image, $(BUILD)/mini-os/mini-os.gz. Unpacks the shared Mini-OS source
# ($(PEERS)/mini-os, as released) under $(BUILD)/mini-os/src, applies
# mini-os.patch (the hooks), puts the glue, the app and the guest-trace
# headers in its ringside/ folder and builds it with Mini-OS's own
# Makefile and flags, linked with libguest-trace.a. Without the peers
# directory it says so and builds nothing.
#
# `make mini-os-pvh`: the same app built for PVH (CONFIG_PARAVIRT=n) in a
# tree of its own, $(BUILD)/mini-os/mini-os-pvh, for check-xen's
# minios-pvh probe; it does not boot yet (the port's README says how far
# it gets).

PEERS        ?= ../shared/peers
MINIOS_TAR   := $(PEERS)/mini-os/mini-os-229260e.tar.xz
MINIOS_PORT  := guest-trace/ports/mini-os
MINIOS_DIR   := $(BUILD)/mini-os
MINIOS_IMG   := $(MINIOS_DIR)/mini-os.gz
MINIOS_PVH   := $(MINIOS_DIR)/mini-os-pvh
MINIOS_GLUE  := $(MINIOS_PORT)/ringside_minios.c $(MINIOS_PORT)/ringside_minios.h \
                $(MINIOS_PORT)/app.c
MINIOS_HDRS  := guest-trace/include/guest_trace.h formats/contract/ringside_ring.h \
                formats/contract/rs_event_table.h

.PHONY: mini-os mini-os-pvh
ifneq ($(wildcard $(MINIOS_TAR)),)
mini-os: $(MINIOS_IMG)
mini-os-pvh: $(MINIOS_PVH)

# $(call minios_tree,TREE,IMAGE,BUILT,MAKEARGS): unpack and patch TREE (a
# fresh tree whenever the archive or the patch changes: a patch is never
# applied twice), then build it and copy its BUILT file to IMAGE. Mini-OS
# compiles ringside/*.c with its own rule and flags; cp -p keeps the
# times, so an unchanged file is not rebuilt. Its make must not see ours
# (our -j and variables).
define minios_tree
$(1)/.patched: $(MINIOS_TAR) $(MINIOS_PORT)/mini-os.patch
	rm -rf $(1) $(1).unpack
	mkdir -p $(1).unpack
	tar -xJf $(MINIOS_TAR) -C $(1).unpack
	mv $(1).unpack/mini-os $(1)
	rmdir $(1).unpack
	patch -d $(1) -p1 --quiet < $(MINIOS_PORT)/mini-os.patch
	touch $$@

$(2): $(1)/.patched $(GT_LIB) $(MINIOS_GLUE) $(MINIOS_HDRS)
	mkdir -p $(1)/ringside
	cp -p $(MINIOS_GLUE) $(MINIOS_HDRS) $(1)/ringside/
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(MAKE) -s -C $(1) \
		MINIOS_TARGET_ARCH=x86_64 $(4) \
		APP_OBJS="$(abspath $(1))/ringside/ringside_minios.o \
			$(abspath $(1))/ringside/app.o $(abspath $(GT_LIB))"
	cp $(1)/$(3) $$@
endef

$(eval $(call minios_tree,$(MINIOS_DIR)/src,$(MINIOS_IMG),mini-os.gz,))
$(eval $(call minios_tree,$(MINIOS_DIR)/pvh-src,$(MINIOS_PVH),mini-os,\
	MINIOS_CONFIG=$(abspath $(MINIOS_PORT))/pvh.cfg))
else
mini-os mini-os-pvh:
	@echo "mini-os: $(MINIOS_TAR) is not there (PEERS=DIR); not building the traced Mini-OS"
endif
