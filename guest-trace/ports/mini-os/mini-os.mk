# guest-trace/ports/mini-os/mini-os.mk - `make mini-os`: the traced Mini-OS
# PV image, $(BUILD)/mini-os/mini-os.gz. Unpacks the shared Mini-OS source
# ($(PEERS)/mini-os, as released) under $(BUILD)/mini-os/src, applies
# mini-os.patch (the hooks), puts the glue, the app and the guest-trace
# headers in its ringside/ folder and builds it with Mini-OS's own
# Makefile and flags, linked with libguest-trace.a. Without the peers
# directory it says so and builds nothing.

PEERS        ?= ../shared/peers
MINIOS_TAR   := $(PEERS)/mini-os/mini-os-229260e.tar.xz
MINIOS_PORT  := guest-trace/ports/mini-os
MINIOS_DIR   := $(BUILD)/mini-os
MINIOS_SRC   := $(MINIOS_DIR)/src
MINIOS_IMG   := $(MINIOS_DIR)/mini-os.gz
MINIOS_GLUE  := $(MINIOS_PORT)/ringside_minios.c $(MINIOS_PORT)/ringside_minios.h \
                $(MINIOS_PORT)/app.c
MINIOS_HDRS  := guest-trace/include/guest_trace.h formats/contract/ringside_ring.h \
                formats/contract/rs_event_table.h

.PHONY: mini-os
ifneq ($(wildcard $(MINIOS_TAR)),)
mini-os: $(MINIOS_IMG)

# A fresh tree whenever the archive or the patch changes: a patch is
# never applied twice.
$(MINIOS_DIR)/.patched: $(MINIOS_TAR) $(MINIOS_PORT)/mini-os.patch
	rm -rf $(MINIOS_SRC) $(MINIOS_DIR)/unpack
	mkdir -p $(MINIOS_DIR)/unpack
	tar -xJf $(MINIOS_TAR) -C $(MINIOS_DIR)/unpack
	mv $(MINIOS_DIR)/unpack/mini-os $(MINIOS_SRC)
	rmdir $(MINIOS_DIR)/unpack
	patch -d $(MINIOS_SRC) -p1 --quiet < $(MINIOS_PORT)/mini-os.patch
	touch $@

# Mini-OS compiles ringside/*.c with its own rule and flags; cp -p keeps
# the times, so an unchanged file is not rebuilt. Its make must not see
# ours (our -j and variables).
$(MINIOS_IMG): $(MINIOS_DIR)/.patched $(GT_LIB) $(MINIOS_GLUE) $(MINIOS_HDRS)
	mkdir -p $(MINIOS_SRC)/ringside
	cp -p $(MINIOS_GLUE) $(MINIOS_HDRS) $(MINIOS_SRC)/ringside/
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(MAKE) -s -C $(MINIOS_SRC) \
		MINIOS_TARGET_ARCH=x86_64 \
		APP_OBJS="$(abspath $(MINIOS_SRC))/ringside/ringside_minios.o \
			$(abspath $(MINIOS_SRC))/ringside/app.o $(abspath $(GT_LIB))"
	cp $(MINIOS_SRC)/mini-os.gz $@
else
mini-os:
	@echo "mini-os: $(MINIOS_TAR) is not there (PEERS=DIR); not building the traced Mini-OS"
endif
