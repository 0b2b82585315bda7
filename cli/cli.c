/*
 * cli.c - parsing a command line against an option table (cli.h): the
 * value parsers every option of a kind shares, option lookup, defaults,
 * and the one-line usage errors. --help and the man page are cli_doc.c.
 */
#include "cli.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef RS_VERSION
#error "RS_VERSION comes from the Makefile (VERSION), the one place it is set"
#endif

const char *cli_version(void)
{
	return RS_VERSION;
}

/* ---- values ------------------------------------------------------------ */

int cli_parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' ||
		    __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	}
	*out = v;
	return 0;
}

static int64_t unit_of(const char *s)
{
	static const struct { const char *name; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s, units[i].name) == 0)
			return units[i].ns;
	return 0;
}

/*
 * DIGITS[.DIGITS][UNIT], exactly: integer arithmetic, so a timestamp near
 * the top of int64 is not rounded, and a value that is not a whole number
 * of ns ("0.5ns") is refused rather than truncated.
 */
int cli_parse_ns(const char *s, int64_t unit_ns, int negative_ok, int64_t *out)
{
	int neg = negative_ok && *s == '-';
	const char *p = s + neg;
	int64_t whole = 0, frac = 0, scale = 1;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, *p - '0', &whole))
			return -1;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;   /* "1." or "1.ms": a typo, not a number */
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (scale == 1000000000)
				return -1;   /* finer than 1 ns in any unit */
			frac = frac * 10 + (*p - '0');
			scale *= 10;
		}
	}
	if (!digits)
		return -1;
	int64_t mul = *p ? unit_of(p) : unit_ns, v, f;
	if (!mul || __builtin_mul_overflow(whole, mul, &v) ||
	    __builtin_mul_overflow(frac, mul, &f) || f % scale != 0 ||
	    __builtin_add_overflow(v, f / scale, &v))
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* "10ms", "86400s": the largest unit that says `ns` exactly. */
static const char *fmt_ns(char *buf, size_t len, int64_t ns)
{
	static const char *const names[] = { "s", "ms", "us" };
	int64_t div = 1000000000;

	for (int i = 0; i < 3; i++, div /= 1000)
		if (ns != 0 && ns % div == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ns / div, names[i]);
			return buf;
		}
	snprintf(buf, len, "%" PRId64 "ns", ns);
	return buf;
}

static const char *unit_name(int64_t unit_ns)
{
	return unit_ns == 1000000000 ? "seconds" : unit_ns == 1000000 ?
	       "milliseconds" : unit_ns == 1000 ? "microseconds" : "ns";
}

/* How an error names a good value for `o` (what --help says too). */
static void describe_value(char *buf, size_t len, const struct cli_opt *o)
{
	char a[32], b[32];
	size_t at = 0;

	if (o->what) {
		snprintf(buf, len, "%s", o->what);
		return;
	}
	switch (o->kind) {
	case CLI_INT:
		snprintf(buf, len, "an integer from %" PRIu64 " to %" PRIu64,
			 o->min, o->max);
		break;
	case CLI_DURATION:
		snprintf(buf, len, "a duration from %s to %s (a unit ns, us,"
			 " ms or s, or a plain number of %s)",
			 fmt_ns(a, sizeof(a), (int64_t)o->min),
			 fmt_ns(b, sizeof(b), (int64_t)o->max),
			 unit_name(o->unit_ns));
		break;
	case CLI_TIME:
		snprintf(buf, len, "a time with a unit (ns, us, ms, s) or a"
			 " plain number of %s", unit_name(o->unit_ns));
		break;
	case CLI_ENUM:
		at = (size_t)snprintf(buf, len, "one of");
		for (const char *const *c = o->choices; *c && at < len; c++)
			at += (size_t)snprintf(buf + at, len - at, " %s", *c);
		break;
	default:
		snprintf(buf, len, "a value");
	}
}

/* One argument for `o` into `v`; 0, or -1 if it is no good. */
static int take_value(const struct cli_opt *o, const char *arg,
		      struct cli_value *v)
{
	v->str = arg;
	switch (o->kind) {
	case CLI_FLAG:
		return 0;
	case CLI_INT:
		return cli_parse_uint(arg, &v->u) != 0 || v->u < o->min ||
		       v->u > o->max || (o->valid && !o->valid(v->u)) ? -1 : 0;
	case CLI_DURATION:
		return cli_parse_ns(arg, o->unit_ns, 0, &v->ns) != 0 ||
		       (uint64_t)v->ns < o->min || (uint64_t)v->ns > o->max
		       ? -1 : 0;
	case CLI_TIME:
		return cli_parse_ns(arg, o->unit_ns, 1, &v->ns);
	case CLI_ENUM:
		for (int i = 0; o->choices[i]; i++)
			if (strcmp(arg, o->choices[i]) == 0) {
				v->choice = i;
				return 0;
			}
		return -1;
	case CLI_PATH:
	case CLI_STRING:
		return *arg ? 0 : -1;
	}
	return -1;
}

/* ---- errors ------------------------------------------------------------- */

static int vusage(const struct cli_program *p, const struct cli_command *c,
		  const char *fmt, va_list ap)
{
	const char *cmd = c && c->name ? c->name : NULL;

	fprintf(stderr, "%s: ", p->name);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see %s%s%s --help)\n", p->name, cmd ? " " : "",
		cmd ? cmd : "");
	return 2;
}

int cli_usage_error(const struct cli_program *p, const struct cli_command *c,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vusage(p, c, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- parsing ------------------------------------------------------------- */

/* The option `--name` (len chars) is: exact, else an unambiguous prefix,
 * as getopt_long took them. -1: none; -2: ambiguous. */
static int find_long(const struct cli_command *c, const char *name, size_t len)
{
	int found = -1;

	for (size_t i = 0; i < c->nopts; i++) {
		if (strncmp(c->opts[i].name, name, len) != 0)
			continue;
		if (c->opts[i].name[len] == '\0')
			return (int)i;
		if (!c->opts[i].hidden)
			found = found == -1 ? (int)i : -2;
	}
	return found;
}

static int find_short(const struct cli_command *c, char ch)
{
	for (size_t i = 0; i < c->nopts; i++)
		if (c->opts[i].short_name && c->opts[i].short_name == ch)
			return (int)i;
	return -1;
}

static void fill_defaults(const struct cli_command *c, struct cli_value *vals)
{
	for (size_t i = 0; i < c->nopts; i++) {
		vals[i] = (struct cli_value){ 0 };
		/* A default the table cannot parse is the table's bug. */
		if (c->opts[i].def && take_value(&c->opts[i], c->opts[i].def,
						 &vals[i]) != 0)
			assert(!"an option's default does not parse");
	}
}

/* The options every command answers the same way; 1 if `a` was one. */
static int common_option(const struct cli_program *p,
			 const struct cli_command *c, const char *a)
{
	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
		cli_print_help(stdout, p, c);
		return 1;
	}
	if (strcmp(a, "--version") == 0) {
		printf("%s %s\n", p->name, cli_version());
		return 1;
	}
	/* Hidden: the build makes the man page with it. */
	if (!c->name && strcmp(a, "--man") == 0) {
		cli_print_man(stdout, p, 1);
		return 1;
	}
	return 0;
}

/* argv[*i] is an option: parse it (and its arguments). 0 or 2. */
static int parse_option(const struct cli_program *p, const struct cli_command *c,
			int argc, char **argv, int *i, struct cli_value *vals)
{
	const char *a = argv[*i], *inline_arg = NULL;
	int k;

	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		k = find_long(c, a + 2, len);
		if (k == -2)
			return cli_usage_error(p, c, "ambiguous option '%.*s'",
					       (int)len + 2, a);
		inline_arg = eq ? eq + 1 : NULL;
	} else {
		k = find_short(c, a[1]);
		inline_arg = a[1] && a[2] ? a + 2 : NULL;
	}
	if (k < 0)
		return cli_usage_error(p, c, "unknown option '%s'", a);
	const struct cli_opt *o = &c->opts[k];
	struct cli_value *v = &vals[k];
	if (o->kind == CLI_FLAG) {
		if (inline_arg)
			return cli_usage_error(p, c, "--%s takes no value",
					       o->name);
		v->set = 1;
		return 0;
	}
	const char *arg = inline_arg;
	if (!arg && ++*i < argc)
		arg = argv[*i];
	if (!arg)
		return cli_usage_error(p, c, "--%s wants %s", o->name,
				       o->metavar ? o->metavar : "a value");
	if (take_value(o, arg, v) != 0) {
		char what[256];
		describe_value(what, sizeof(what), o);
		return cli_usage_error(p, c, "--%s wants %s, not '%s'",
				       o->name, what, arg);
	}
	if (o->metavar2) {
		if (++*i >= argc)
			return cli_usage_error(p, c, "--%s wants %s %s", o->name,
					       o->metavar, o->metavar2);
		v->str2 = argv[*i];
	}
	v->set = 1;
	return 0;
}

int cli_parse(const struct cli_program *p, const struct cli_command *c,
	      int argc, char **argv, struct cli_value *vals,
	      const char **operand)
{
	int only_operands = 0, rc;

	fill_defaults(c, vals);
	*operand = NULL;
	/* --help wins wherever it is, even after a mistake. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (common_option(p, c, argv[i]))
			return CLI_EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_operands && a[0] == '-' && a[1]) {
			if (strcmp(a, "--") == 0) {
				only_operands = 1;
				continue;
			}
			if ((rc = parse_option(p, c, argc, argv, &i, vals)) != 0)
				return rc;
		} else if (!*operand && c->positional) {
			*operand = a;
		} else {
			return cli_usage_error(p, c, "unexpected argument '%s'", a);
		}
	}
	if (c->positional && !*operand)
		return cli_usage_error(p, c, "missing %s", c->positional);
	for (size_t k = 0; k < c->nopts; k++) {
		const struct cli_opt *o = &c->opts[k];
		if (!o->required || vals[k].set)
			continue;
		if (o->short_name)
			return cli_usage_error(p, c, "missing -%c %s",
					       o->short_name, o->metavar);
		return cli_usage_error(p, c, "missing --%s %s", o->name,
				       o->metavar);
	}
	return 0;
}
