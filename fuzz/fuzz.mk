# fuzz: libFuzzer targets over everything that reads input ringside did
# not write (issue #8), their seed corpora, and the replay of saved inputs
# that `make check` runs. `make fuzz [FUZZ_SECONDS=N] [FUZZ_JOBS=N]
# [FUZZ_TARGETS="decode db"]` builds with clang and fuzzes each target in
# turn; it is long, so it is never part of `make check` or CI.

FUZZ_TARGETS ?= decode region qemucore xlcore xenrefs db viewer mirage fxt
FUZZ_SECONDS ?= 30
FUZZ_JOBS    ?= 2
FUZZ_CC      ?= clang

# FUZZ_SANITIZERS=undefined builds the harnesses without ASan: about 2.5
# times the executions a second for the SQLite-heavy targets (db, viewer),
# for long campaigns; corpus, seeds and findings are shared with the
# default build, objects and binaries are kept apart.
FUZZ_SANITIZERS ?= address,undefined
comma := ,
FUZZ_FLAVOUR := $(subst $(comma),-,$(FUZZ_SANITIZERS))
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_OBJ := $(FUZZ_DIR)/obj-$(FUZZ_FLAVOUR)
FUZZ_BIN_DIR := $(FUZZ_DIR)/bin-$(FUZZ_FLAVOUR)
FUZZ_SAN := -fsanitize=$(FUZZ_SANITIZERS) -fno-sanitize-recover=all
# The project's warnings, so the fuzz build breaks where the real one does.
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fno-omit-frame-pointer \
               -D_GNU_SOURCE $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
               $(FORMATS_INC) -Iguest-trace/include -Icli
EXTRA_CFLAGS_fuzz/ := -Icollector -Iviewer $(call pkgconf,--cflags sqlite3 glib-2.0)

# The same sources the tools link, instrumented; the linker pulls from the
# archive only what a harness reaches.
FUZZ_LIB_SRCS := $(FORMATS_SRCS) $(COLLECTOR_SRCS) \
                 $(VIEWER_LIB_SRCS) $(CLI_SRCS)
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(FUZZ_LIB_SRCS)) \
                 $(FUZZ_OBJ)/gen/schema_sql.o
FUZZ_LIB := $(FUZZ_OBJ)/libringside-fuzz.a
FUZZ_BINS := $(patsubst %,$(FUZZ_BIN_DIR)/fuzz-%,$(FUZZ_TARGETS))

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(EXTRA_CFLAGS_$(dir $<)) -MMD -MP -c $< -o $@

$(FUZZ_OBJ)/gen/schema_sql.o: $(BUILD)/gen/schema_sql.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BIN_DIR)/fuzz-%: $(FUZZ_OBJ)/fuzz/fuzz_%.o $(FUZZ_OBJ)/fuzz/fuzz_common.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ \
		$(FUZZ_LDLIBS_$*) $(FORMATS_LDLIBS) -lm

# The viewer's loader needs glib (and the viewer library's other objects
# cairo, if the linker ever pulls them).
FUZZ_LDLIBS_viewer := $(VIEWER_LIBS)

-include $(shell find $(FUZZ_OBJ) -name '*.d' -type f 2>/dev/null)

# ---- seeds: real runs of the kernel, cut down (make-seeds.sh) ----------
SEED_TRIM := $(FUZZ_DIR)/seed-trim
$(SEED_TRIM): $(OBJ)/fuzz/seed_trim.o $(COLLECTOR_LIB) $(FORMATS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm

FUZZ_SEEDS := $(FUZZ_DIR)/seeds
$(FUZZ_SEEDS)/.stamp: fuzz/make-seeds.sh $(SEED_TRIM) $(COLLECTOR_BIN) \
		$(BIN)/ringside-hosted
	fuzz/make-seeds.sh $(BUILD) $(FUZZ_SEEDS)
	touch $@

.PHONY: fuzz-build fuzz-seeds fuzz-run fuzz-replay
fuzz-build: $(FUZZ_BINS)
fuzz-seeds: $(FUZZ_SEEDS)/.stamp

# Corpus dirs, writable one first: what a run finds is kept in
# build/fuzz/corpus for the next run; seeds, committed corpus and
# regressions are read only.
fuzz-run: all fuzz-build fuzz-seeds
	FUZZ_BIN_DIR=$(FUZZ_BIN_DIR) fuzz/run-fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# ---- replay: every saved input through the harness, normal compiler ----
FUZZ_REPLAY_DIR := $(BUILD)/fuzz-replay
FUZZ_ALL_TARGETS := decode region qemucore xlcore xenrefs db viewer mirage \
                    fxt
FUZZ_REPLAY_BINS := $(patsubst %,$(FUZZ_REPLAY_DIR)/fuzz-replay-%,$(FUZZ_ALL_TARGETS))

$(FUZZ_REPLAY_DIR)/fuzz-replay-%: $(OBJ)/fuzz/fuzz_%.o $(OBJ)/fuzz/fuzz_common.o \
		$(OBJ)/fuzz/replay.o $(COLLECTOR_LIB) $(FORMATS_LIBS) $(CLI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm

# The viewer's loader comes from the viewer's own library.
$(FUZZ_REPLAY_DIR)/fuzz-replay-viewer: $(OBJ)/fuzz/fuzz_viewer.o \
		$(OBJ)/fuzz/fuzz_common.o $(OBJ)/fuzz/replay.o $(VIEWER_LIB) \
		$(COLLECTOR_LIB) $(FORMATS_LIBS) $(CLI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(VIEWER_LIBS) -lm

# Regression inputs (crash reproducers), the small committed seeds, and
# for the db target the sample traces (already in the tree).
FUZZ_REPLAY_EXTRA_db := $(wildcard samples/traces/*.db)
fuzz-replay: $(FUZZ_REPLAY_BINS)
	@set -e; $(foreach t,$(FUZZ_ALL_TARGETS), \
		$(FUZZ_REPLAY_DIR)/fuzz-replay-$(t) fuzz/regressions/$(t) \
			fuzz/corpus/$(t) $(FUZZ_REPLAY_EXTRA_$(t));)

check-run: fuzz-replay
