# formats: the contract both sides of the ring agree on, and the layers
# over it. Each layer is its own archive and uses only those before it
# (../shared/ARCHITECTURE.md):
#   contract     the ring ABI header and the one decoder; no dependency
#   store        the SQLite schema, chunks (zstd), the events module,
#                reading a store back
#   interchange  CTF and Chrome JSON exporters; mirage-profile and FXT
#                importers
#   analysis     the latency report and its HDR histograms
# A program that wants only the decoder links $(CONTRACT_LIB) alone.

FORMATS_LAYERS := contract store interchange analysis
FORMATS_INC := $(addprefix -Iformats/,$(FORMATS_LAYERS))

CONTRACT_SRCS    := formats/contract/rs_decode.c formats/contract/rs_layout.c \
                    formats/contract/rs_reader.c
STORE_SRCS       := formats/store/rs_chunk.c formats/store/sql_events.c \
                    formats/store/rs_file.c formats/store/rs_db.c \
                    formats/store/rs_u64map.c \
                    formats/store/trace_read.c
INTERCHANGE_SRCS := formats/interchange/export_ctf.c \
                    formats/interchange/export_chrome.c \
                    formats/interchange/export_chrome_flows.c \
                    formats/interchange/export_fxt.c \
                    formats/interchange/export_walk.c \
                    formats/interchange/import_common.c \
                    formats/interchange/import_mirage.c \
                    formats/interchange/import_fxt.c
ANALYSIS_SRCS    := formats/analysis/hdr.c formats/analysis/report.c \
                    formats/analysis/report_print.c \
                    formats/analysis/report_cpath.c \
                    formats/analysis/report_lost.c \
                    formats/analysis/causal.c formats/analysis/skew.c \
                    formats/analysis/report_smp.c \
                    formats/analysis/report_verdict.c

CONTRACT_LIB    := $(LIB)/libringside-contract.a
STORE_LIB       := $(LIB)/libringside-store.a
INTERCHANGE_LIB := $(LIB)/libringside-interchange.a
ANALYSIS_LIB    := $(LIB)/libringside-analysis.a

EXTRA_CFLAGS_formats/store/ := $(call pkgconf,--cflags sqlite3 libzstd)
EXTRA_CFLAGS_formats/interchange/ := $(call pkgconf,--cflags sqlite3)
EXTRA_CFLAGS_formats/analysis/ := $(call pkgconf,--cflags sqlite3)

# Every layer, in link order (users before what they use), and what a
# program linking them links after.
FORMATS_LIBS := $(ANALYSIS_LIB) $(INTERCHANGE_LIB) $(STORE_LIB) $(CONTRACT_LIB)
FORMATS_SRCS := $(CONTRACT_SRCS) $(STORE_SRCS) $(INTERCHANGE_SRCS) \
                $(ANALYSIS_SRCS)
FORMATS_LDLIBS := $(call pkgconf,--libs sqlite3 libzstd)

define formats_archive
$(1): $$(patsubst %.c,$$(OBJ)/%.o,$(2))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(eval $(call formats_archive,$(CONTRACT_LIB),$(CONTRACT_SRCS)))
$(eval $(call formats_archive,$(STORE_LIB),$(STORE_SRCS)))
$(eval $(call formats_archive,$(INTERCHANGE_LIB),$(INTERCHANGE_SRCS)))
$(eval $(call formats_archive,$(ANALYSIS_LIB),$(ANALYSIS_SRCS)))

all: $(FORMATS_LIBS)

# The `events` table's module for the sqlite3 shell: `.load build/lib/libringside_sqlite`.
# Built from the same sources as the tools' copy, position-independent,
# and only unsanitized (the shell has no ASan runtime).
SQLITE_EXT := $(LIB)/libringside_sqlite.so
SQLITE_EXT_SRCS := formats/store/sql_events.c formats/store/rs_chunk.c \
                   formats/contract/rs_decode.c formats/contract/rs_layout.c \
                   formats/contract/rs_reader.c
$(SQLITE_EXT): $(SQLITE_EXT_SRCS) $(wildcard formats/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -DRS_SQLITE_LOADABLE -fPIC \
		-shared $(FORMATS_INC) -o $@ $(SQLITE_EXT_SRCS) \
		$(call pkgconf,--libs libzstd)
ifneq ($(SANITIZE),1)
all: $(SQLITE_EXT)
endif
