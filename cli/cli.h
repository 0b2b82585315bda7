/*
 * cli.h - the command-line layer shared by `ringside` and `ringside-view`:
 * one option table per command drives parsing, `--help`, the usage lines
 * of errors and the man page, so the four can never disagree.
 *
 * Plain C and libc only: both programs link it, and it must pull in
 * neither GTK (the dom0 collector) nor Xen (the viewer).
 *
 * Exit status contract (README.md): 0 success, 1 bad input or runtime
 * error, 2 usage error. Every error is one line on stderr that starts
 * with the program's name and a colon.
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What an option's argument is. Every option of a kind goes through the
 * same parser, so `10ms` means the same wherever a duration is asked. */
enum cli_kind {
	CLI_FLAG,       /* no argument: value.set = 1 */
	CLI_INT,        /* a decimal integer in [min, max] (value.u) */
	CLI_DURATION,   /* a length of time, >= 0, with a unit (ns us ms s);
			 * a plain number is in `unit_ns`; in [min, max] ns
			 * (value.ns) */
	CLI_TIME,       /* a trace timestamp (ts_ns), with a unit as a
			 * duration; may be negative (value.ns) */
	CLI_PATH,       /* a file name (value.str) */
	CLI_STRING,     /* any other word (value.str) */
	CLI_ENUM,       /* one of `choices` (value.choice) */
};

struct cli_opt {
	const char *name;       /* long name without "--"; NULL ends nothing */
	char short_name;        /* 0: none */
	enum cli_kind kind;
	const char *metavar;    /* what --help calls the argument; ENUM: NULL
				 * (the choices are shown) */
	const char *metavar2;   /* a second argument word (value.str2), or NULL */
	const char *help;       /* for --help and the man page; one paragraph */
	const char *def;        /* default, parsed like an argument; NULL: none */
	uint64_t min, max;      /* INT bounds; DURATION bounds in ns */
	int64_t unit_ns;        /* DURATION, TIME: what a plain number means */
	const char *const *choices;   /* ENUM: NULL-terminated */
	const char *what;       /* how errors name a good value ("a trace
				 * id"); NULL: said from kind and bounds */
	int (*valid)(uint64_t); /* INT: an extra rule (0: refused), or NULL */
	int required;           /* a usage error when missing */
	int hidden;             /* parsed, but not in --help or the man page */
};

/* What the command line said about one option (same index as the table). */
struct cli_value {
	int set;                /* given on the command line */
	uint64_t u;             /* INT */
	int64_t ns;             /* DURATION, TIME */
	int choice;             /* ENUM: index into choices */
	const char *str;        /* the argument as given (or the default) */
	const char *str2;       /* the second argument word */
};

struct cli_command {
	const char *name;       /* "report"; NULL: the program itself */
	const char *positional; /* the one operand ("TRACE.db"), or NULL */
	const char *summary;    /* one line, for the command list */
	const char *description;/* paragraphs separated by blank lines */
	const struct cli_opt *opts;
	size_t nopts;
};

struct cli_program {
	const char *name;       /* "ringside" */
	const char *summary;    /* the man page's NAME line */
	const char *description;/* paragraphs, for ringside --help and man */
	const char *exit_status;/* paragraphs: the exit status contract */
	const char *see_also;   /* "ringside-view(1), guest-trace(3)" */
	const struct cli_command *const *commands;   /* NULL-terminated; a
				 * program without subcommands has one
				 * whose name is NULL */
};

#define CLI_NOPTS(table) (sizeof(table) / sizeof((table)[0]))

/* The version of everything built from this tree (the Makefile's one). */
const char *cli_version(void);

/*
 * Parse argv (argv[0] is the command's name, or the program's) against
 * the command's table into vals[nopts] and *operand. Defaults are filled
 * in first. Returns 0 to go on, CLI_EXIT_OK after printing --help on
 * stdout, or 2 after printing one usage line on stderr.
 */
#define CLI_EXIT_OK (-1)
int cli_parse(const struct cli_program *p, const struct cli_command *c,
	      int argc, char **argv, struct cli_value *vals,
	      const char **operand);
/* What a command returns for cli_parse's non-zero answer. */
static inline int cli_exit(int rc)
{
	return rc == CLI_EXIT_OK ? 0 : rc;
}

/* A usage error after parsing (e.g. two options that exclude each
 * other): "PROG: CMD: MESSAGE (see PROG CMD --help)". Returns 2. */
int cli_usage_error(const struct cli_program *p, const struct cli_command *c,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --help for a command, and for the whole program (every command). */
void cli_print_help(FILE *o, const struct cli_program *p,
		    const struct cli_command *c);
void cli_print_program_help(FILE *o, const struct cli_program *p);
/* The whole program's manual page, in roff (man(7)). */
void cli_print_man(FILE *o, const struct cli_program *p, int section);

/*
 * The parsers behind the kinds, for callers that take a value elsewhere.
 * "1.5ms", "250us", "3" (in unit_ns); a whole number of ns. 0 or -1.
 */
int cli_parse_ns(const char *s, int64_t unit_ns, int negative_ok,
		 int64_t *out);
int cli_parse_uint(const char *s, uint64_t *out);

#endif /* RS_CLI_H */
