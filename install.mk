# install.mk: `make install` and `make uninstall`, for users and for the
# Debian packages (debian/rules installs each part into its own package).
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib]
#
# Installs what a user runs or links, never what only the tests, the
# benchmarks or the fuzzers use (ringside-hosted, the project's internal
# archives). It depends on the files it copies, not on `all`: after a
# build it compiles nothing.
#
#   install-ringside     bin/ringside, lib/ringside/ringside-kernel.elf
#                        (the kernel `ringside run` boots), the SQLite
#                        extension lib/ringside/libringside_sqlite.so,
#                        and the ringside man pages
#   install-viewer       bin/ringside-view and its man page
#   install-guest-trace  $(LIBDIR)/libguest-trace.a, its headers under
#                        include/guest-trace/, $(LIBDIR)/pkgconfig/
#                        guest-trace.pc, and the section 3 man pages
#
# lib/ringside/ is always $(PREFIX)/lib/ringside, whatever LIBDIR says:
# `ringside run` finds its kernel there from its own path
# (<bin>/../lib/ringside), so an installed tree can be moved whole.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
BINDIR     := $(PREFIX)/bin
PKGLIBDIR  := $(PREFIX)/lib/ringside
INSTALL    ?= install

# MAN_PAGES (every page `make man` builds or the tree holds) is split by
# name: section 3 is guest-trace's API, ringside-view.* the viewer's, the
# rest the collector's. Empty or undefined installs no page.
# (Read as this file is parsed: set it in a fragment included before it.)
MAN_GUEST_TRACE := $(filter %.3,$(MAN_PAGES))
MAN_VIEWER      := $(foreach m,$(MAN_PAGES),\
                     $(if $(filter ringside-view.%,$(notdir $(m))),$(m)))
MAN_RINGSIDE    := $(filter-out $(MAN_GUEST_TRACE) $(MAN_VIEWER),$(MAN_PAGES))

# $(call man_path,PAGE): where a page goes, man<N>/ by its suffix.
man_path = $(DESTDIR)$(MANDIR)/man$(patsubst .%,%,$(suffix $(1)))/$(notdir $(1))
# $(call install_man,PAGES): one command for them all; none when empty.
install_man = $(if $(strip $(1)),$(foreach m,$(1),\
	$(INSTALL) -D -m 644 $(m) $(call man_path,$(m)) &&) true)

.PHONY: install uninstall install-ringside install-viewer install-guest-trace
install: install-ringside install-viewer install-guest-trace

install-ringside: $(COLLECTOR_BIN) $(PVH_ELF) $(SQLITE_EXT) $(MAN_RINGSIDE)
	$(INSTALL) -D -m 755 $(COLLECTOR_BIN) $(DESTDIR)$(BINDIR)/ringside
	$(INSTALL) -D -m 644 $(PVH_ELF) $(DESTDIR)$(PKGLIBDIR)/ringside-kernel.elf
	$(INSTALL) -D -m 644 $(SQLITE_EXT) \
		$(DESTDIR)$(PKGLIBDIR)/libringside_sqlite.so
	$(call install_man,$(MAN_RINGSIDE))

install-viewer: $(VIEWER_BIN) $(MAN_VIEWER)
	$(INSTALL) -D -m 755 $(VIEWER_BIN) $(DESTDIR)$(BINDIR)/ringside-view
	$(call install_man,$(MAN_VIEWER))

# The installed .pc comes from the same template as the build tree's, with
# the installed paths: the contract header sits beside guest_trace.h.
install-guest-trace: $(GT_LIB) $(GT_HEADERS) guest-trace/guest-trace.pc.in \
		$(MAN_GUEST_TRACE)
	$(INSTALL) -D -m 644 $(GT_LIB) $(DESTDIR)$(LIBDIR)/libguest-trace.a
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/guest-trace
	$(INSTALL) -m 644 $(GT_HEADERS) $(DESTDIR)$(INCLUDEDIR)/guest-trace
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/pkgconfig
	$(call gt_pc_subst,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)/guest-trace,\
		$(INCLUDEDIR)/guest-trace) guest-trace/guest-trace.pc.in \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/guest-trace.pc
	$(call install_man,$(MAN_GUEST_TRACE))

# Removes exactly what install wrote, and the two folders only it owns.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ringside $(DESTDIR)$(BINDIR)/ringside-view \
		$(DESTDIR)$(PKGLIBDIR)/ringside-kernel.elf \
		$(DESTDIR)$(PKGLIBDIR)/libringside_sqlite.so \
		$(DESTDIR)$(LIBDIR)/libguest-trace.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/guest-trace.pc \
		$(addprefix $(DESTDIR)$(INCLUDEDIR)/guest-trace/,$(notdir $(GT_HEADERS))) \
		$(foreach m,$(MAN_PAGES),$(call man_path,$(m)))
	rmdir $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(INCLUDEDIR)/guest-trace \
		2>/dev/null || true
