# collector: the `ringside` CLI (run, collect, import, info, report, export) and the library the tests
# link (everything but main.o and the Xen files). Needs SQLite and Xen's
# dom0 libraries (libxen-dev), never GTK.

COLLECTOR_SRCS := collector/source.c collector/source_file.c \
                  collector/store.c collector/store_ingest.c \
                  collector/store_summary.c collector/collect.c \
                  collector/info.c collector/store_host.c \
                  collector/elfcore.c collector/source_core.c \
                  collector/json_scan.c collector/qmp.c collector/qemu.c \
                  collector/lag.c collector/run.c collector/host_tsc.c \
                  collector/dumpcore.c collector/source_xlcore.c \
                  collector/xen_ctx.c collector/xen_verdict.c collector/symbolize.c \
                  collector/cmd_tables.c collector/cmd_report.c \
                  collector/cmd_import.c \
                  collector/cpu_beats.c collector/xen_refs.c \
                  collector/spool.c collector/collect_verdict.c \
                  collector/run_ring.c
COLLECTOR_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(COLLECTOR_SRCS)) \
                  $(OBJ)/gen/schema_sql.o
COLLECTOR_LIB  := $(LIB)/libringside-collector.a
COLLECTOR_BIN  := $(BIN)/ringside

# `collect xen:` (dom0) needs Xen's libraries. They go into an archive of
# their own that only the ringside binary links, so the collector library
# (and the test binary built on it) never depends on Xen.
XEN_SRCS := collector/xen_domain.c collector/source_xen.c \
            collector/xen_collect.c
XEN_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(XEN_SRCS))
XEN_LIB  := $(LIB)/libringside-xen.a
XEN_PKGS := xencontrol xenforeignmemory xengnttab xenstore xentoollog

SQLITE_CFLAGS := $(call pkgconf,--cflags sqlite3)
# elfutils' libdw names crash frames (symbolize.c). What a program linking
# $(COLLECTOR_LIB) links after it, if it pulls in collect, run or
# symbolize (info alone does not).
COLLECTOR_LDLIBS := $(call pkgconf,--libs libdw)
SQLITE_LIBS   := $(call pkgconf,--libs sqlite3)
XEN_CFLAGS    := $(shell pkg-config --cflags $(XEN_PKGS) 2>/dev/null)
XEN_LIBS      := $(shell pkg-config --libs $(XEN_PKGS) 2>/dev/null)
EXTRA_CFLAGS_collector/ := $(SQLITE_CFLAGS) $(XEN_CFLAGS) \
                           $(call pkgconf,--cflags libdw)

# formats/store/schema.sql is the one source of truth for the schema; the binary
# carries it as a C string generated here, so the two cannot drift.
$(BUILD)/gen/schema_sql.c: formats/store/schema.sql collector/collector.mk
	@mkdir -p $(dir $@)
	{ echo '/* Generated from formats/store/schema.sql by collector.mk; do not edit. */'; \
	  echo 'extern const char rs_schema_sql[];'; \
	  echo 'const char rs_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

$(OBJ)/gen/schema_sql.o: $(BUILD)/gen/schema_sql.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(COLLECTOR_LIB): $(COLLECTOR_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(XEN_LIB): $(XEN_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(COLLECTOR_BIN): $(OBJ)/collector/main.o $(XEN_LIB) $(COLLECTOR_LIB) $(FORMATS_LIBS) \
		$(CLI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) $(XEN_LIBS) \
		$(COLLECTOR_LDLIBS) -lm

all: $(COLLECTOR_BIN)
