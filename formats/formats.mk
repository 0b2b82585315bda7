# formats: the ring ABI header, the one decoder, and (from collector work)
# the SQLite schema. The decoder is a host library every reader links.

DECODE_SRCS := formats/rs_decode.c

# Readers of the trace store and the exporters need SQLite; the decoder
# itself does not, but one archive keeps linking simple for every tool.
STORE_READ_SRCS := formats/trace_read.c formats/export_ctf.c \
                   formats/export_chrome.c formats/hdr.c formats/report.c formats/report_print.c formats/report_cpath.c formats/report_lost.c
EXTRA_CFLAGS_formats/ := $(shell pkg-config --cflags sqlite3)
DECODE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(DECODE_SRCS) $(STORE_READ_SRCS))
DECODE_LIB  := $(LIB)/libringside-formats.a

$(DECODE_LIB): $(DECODE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

all: $(DECODE_LIB)
