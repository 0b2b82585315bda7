# collector: the `ringside` CLI (run, collect, info) and the library the tests
# link (everything but main.o). Needs SQLite, never GTK.

COLLECTOR_SRCS := collector/source.c collector/source_file.c \
                  collector/store.c collector/store_ingest.c \
                  collector/store_summary.c collector/collect.c \
                  collector/info.c collector/store_host.c \
                  collector/elfcore.c collector/source_core.c \
                  collector/json_scan.c collector/qmp.c collector/qemu.c \
                  collector/lag.c collector/run.c
COLLECTOR_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(COLLECTOR_SRCS)) \
                  $(OBJ)/gen/schema_sql.o
COLLECTOR_LIB  := $(LIB)/libringside-collector.a
COLLECTOR_BIN  := $(BIN)/ringside

SQLITE_CFLAGS := $(shell pkg-config --cflags sqlite3)
SQLITE_LIBS   := $(shell pkg-config --libs sqlite3)
EXTRA_CFLAGS_collector/ := $(SQLITE_CFLAGS)

# formats/schema.sql is the one source of truth for the schema; the binary
# carries it as a C string generated here, so the two cannot drift.
$(BUILD)/gen/schema_sql.c: formats/schema.sql collector/collector.mk
	@mkdir -p $(dir $@)
	{ echo '/* Generated from formats/schema.sql by collector.mk; do not edit. */'; \
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

$(COLLECTOR_BIN): $(OBJ)/collector/main.o $(COLLECTOR_LIB) $(DECODE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(SQLITE_LIBS)

all: $(COLLECTOR_BIN)
