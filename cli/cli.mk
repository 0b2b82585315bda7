# cli: the command-line layer `ringside` and `ringside-view` share (option
# tables -> parsing, --help, man pages). libc only: linking it pulls in
# neither GTK nor Xen.

CLI_SRCS := cli/cli.c cli/cli_doc.c
CLI_LIB  := $(LIB)/libringside-cli.a

# The version is the Makefile's VERSION, and reaches the code only here.
EXTRA_CFLAGS_cli/ := -DRS_VERSION='"$(VERSION)"'
$(OBJ)/cli/cli.o: Makefile

$(CLI_LIB): $(patsubst %.c,$(OBJ)/%.o,$(CLI_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

all: $(CLI_LIB)
