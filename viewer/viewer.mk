# viewer: ringside-view, the GTK 4 timeline, plus libringside-view.a (the
# model, layout and cairo drawing without any window) that the tests link.
# Reads SQLite trace databases only, through formats/ ($(FORMATS_LIBS): the
# chunk decoder, the store check, the latency report): no Xen, no
# collector code.

VIEWER_LIB_SRCS := viewer/model.c viewer/model_fetch.c viewer/model_meta.c viewer/derive.c viewer/bands.c viewer/idmap.c viewer/layout.c \
                   viewer/draw.c viewer/draw_counters.c viewer/draw_promises.c viewer/draw_arrows.c viewer/draw_packed.c viewer/hit.c \
                   viewer/export.c viewer/histogram.c \
                   viewer/split.c viewer/strip.c viewer/batch.c viewer/pixels.c viewer/cols.c viewer/options.c viewer/ruler.c \
                   viewer/xcpu.c viewer/touch.c viewer/times.c viewer/vals.c viewer/lod.c viewer/sum.c viewer/sum_rows.c viewer/sum_counters.c \
                   viewer/derive_follow.c viewer/follow.c
VIEWER_LIB_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(VIEWER_LIB_SRCS))
VIEWER_APP_OBJS := $(patsubst %.c,$(OBJ)/%.o,viewer/main.c viewer/window.c \
                   viewer/window_load.c viewer/window_search.c \
                   viewer/window_script.c \
                   viewer/histogram_panel.c viewer/bench.c)
VIEWER_LIB      := $(LIB)/libringside-view.a
VIEWER_BIN      := $(BIN)/ringside-view

# What the library needs at link time (tests link it too, and
# $(FORMATS_LIBS) after it). Only cairo, glib and sqlite: GTK itself is for
# the window.
VIEWER_LIBS := $(call pkgconf,--libs cairo glib-2.0) $(FORMATS_LDLIBS) -lm
EXTRA_CFLAGS_viewer/ := $(call pkgconf,--cflags gtk4 sqlite3)
VIEWER_GTK_LIBS := $(call pkgconf,--libs gtk4 fontconfig)

$(VIEWER_LIB): $(VIEWER_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(VIEWER_BIN): $(VIEWER_APP_OBJS) $(VIEWER_LIB) $(FORMATS_LIBS) $(CLI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_LDFLAGS) -o $@ $(VIEWER_APP_OBJS) $(VIEWER_LIB) \
		$(FORMATS_LIBS) $(CLI_LIB) $(VIEWER_GTK_LIBS) \
		$(VIEWER_LIBS)

all: $(VIEWER_BIN)
ALL_PROGS += $(VIEWER_BIN)

# The viewer's tests include its headers and cairo's. (Appends, so this
# fragment must be included after tests/tests.mk.)
EXTRA_CFLAGS_tests/ += -Iviewer $(call pkgconf,--cflags cairo glib-2.0 fontconfig)
# The ruler's tests draw text in-process to compare with a render, then
# hand fontconfig's state back (FcFini) so the leak checker sees none.
TEST_LDLIBS += $(call pkgconf,--libs fontconfig)

# tests.mk names its libraries before this fragment defines VIEWER_LIB, so
# the test binary's dependency on it is stated here, where it is known.
$(TEST_BIN): $(VIEWER_LIB)
