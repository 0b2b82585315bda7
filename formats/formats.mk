# formats: the ring ABI header, the one decoder, and (from collector work)
# the SQLite schema. The decoder is a host library every reader links.

DECODE_SRCS := formats/rs_decode.c
DECODE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(DECODE_SRCS))
DECODE_LIB  := $(LIB)/libringside-formats.a

$(DECODE_LIB): $(DECODE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

all: $(DECODE_LIB)
