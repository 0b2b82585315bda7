# formats: the ring ABI header, the one decoder, and (from collector work)
# the SQLite schema. The decoder is a host library every reader links.

DECODE_SRCS := formats/rs_decode.c formats/rs_chunk.c formats/sql_events.c \
               formats/rs_file.c

# Readers of the trace store and the exporters need SQLite; the decoder
# itself does not, but one archive keeps linking simple for every tool.
STORE_READ_SRCS := formats/trace_read.c formats/export_ctf.c \
                   formats/export_chrome.c formats/hdr.c formats/report.c formats/report_print.c formats/report_cpath.c formats/report_lost.c
EXTRA_CFLAGS_formats/ := $(call pkgconf,--cflags sqlite3 libzstd)
# What a program linking $(DECODE_LIB) links after it.
DECODE_LDLIBS := $(call pkgconf,--libs sqlite3 libzstd)
DECODE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(DECODE_SRCS) $(STORE_READ_SRCS))
DECODE_LIB  := $(LIB)/libringside-formats.a

$(DECODE_LIB): $(DECODE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

all: $(DECODE_LIB)

# The `events` table's module for the sqlite3 shell: `.load build/lib/libringside_sqlite`.
# Built from the same sources as the tools' copy, position-independent,
# and only unsanitized (the shell has no ASan runtime).
SQLITE_EXT := $(LIB)/libringside_sqlite.so
SQLITE_EXT_SRCS := formats/sql_events.c formats/rs_chunk.c formats/rs_decode.c
$(SQLITE_EXT): $(SQLITE_EXT_SRCS) $(wildcard formats/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -DRS_SQLITE_LOADABLE -fPIC \
		-shared -Iformats -o $@ $(SQLITE_EXT_SRCS) \
		$(call pkgconf,--libs libzstd)
ifneq ($(SANITIZE),1)
all: $(SQLITE_EXT)
endif
