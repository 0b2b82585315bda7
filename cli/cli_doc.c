/*
 * cli_doc.c - what the option tables say to people: `--help` text (wrapped
 * for a terminal) and the man page (roff, man(7) macros only, so man-db,
 * groff and mandoc all read it). Both come from the same tables the
 * parser uses, so documentation and behaviour cannot drift apart.
 */
#include "cli.h"

#include <string.h>

#define WIDTH 79        /* --help wraps before this column */
#define OPT_COL 24      /* where an option's help starts */

/* ---- wrapped text ---------------------------------------------------------- */

struct wrap {
	FILE *o;
	int indent, col;
};

static void wrap_word(struct wrap *w, const char *word, int len)
{
	if (w->col > w->indent && w->col + 1 + len > WIDTH) {
		fprintf(w->o, "\n%*s", w->indent, "");
		w->col = w->indent;
	} else if (w->col > w->indent) {
		fputc(' ', w->o);
		w->col++;
	}
	fprintf(w->o, "%.*s", len, word);
	w->col += len;
}

/* Words of `text`, filled; a blank line starts a new paragraph. */
static void wrap_text(struct wrap *w, const char *text)
{
	const char *s = text;

	while (*s) {
		if (s[0] == '\n' && s[1] == '\n') {
			fprintf(w->o, "\n\n%*s", w->indent, "");
			w->col = w->indent;
			s += 2;
			continue;
		}
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		int len = (int)strcspn(s, " \n");
		wrap_word(w, s, len);
		s += len;
	}
}

/* "--name ARG", "-o, --output ARG", "--by label|type|thread" into buf;
 * `both_names`: "-o, --output", else `short_ok`: "-o", else "--output". */
static void opt_words(char *buf, size_t len, const struct cli_opt *o,
		      int both_names, int short_ok)
{
	size_t at = 0;

	if (o->short_name && both_names)
		at = (size_t)snprintf(buf, len, "-%c, --%s", o->short_name, o->name);
	else if (o->short_name && short_ok)
		at = (size_t)snprintf(buf, len, "-%c", o->short_name);
	else
		at = (size_t)snprintf(buf, len, "--%s", o->name);
	if (o->kind == CLI_ENUM && !o->metavar) {
		for (int i = 0; o->choices[i] && at < len; i++)
			at += (size_t)snprintf(buf + at, len - at, "%c%s",
					       i ? '|' : ' ', o->choices[i]);
	} else if (o->kind != CLI_FLAG && at < len) {
		at += (size_t)snprintf(buf + at, len - at, " %s", o->metavar);
	}
	if (o->metavar2 && at < len)
		snprintf(buf + at, len - at, " %s", o->metavar2);
}

static void help_synopsis(FILE *o, const char *lead, const struct cli_program *p,
			  const struct cli_command *c)
{
	char head[128], word[160];
	int n = snprintf(head, sizeof(head), "%s%s%s%s", lead, p->name,
			 c->name ? " " : "", c->name ? c->name : "");
	struct wrap w = { o, n + 1, n + 1 };

	fprintf(o, "%s ", head);
	if (c->positional)
		wrap_word(&w, c->positional, (int)strlen(c->positional));
	for (int pass = 0; pass < 2; pass++)   /* required ones first */
		for (size_t i = 0; i < c->nopts; i++) {
			const struct cli_opt *op = &c->opts[i];
			if (op->hidden || op->required != !pass)
				continue;
			opt_words(word + 1, sizeof(word) - 2, op, 0, !pass);
			if (pass) {
				word[0] = '[';
				strcat(word, "]");
				wrap_word(&w, word, (int)strlen(word));
			} else {
				wrap_word(&w, word + 1, (int)strlen(word + 1));
			}
		}
	fputc('\n', o);
}

/* What --help and the man page add to an option's own help. */
static void opt_notes(char *buf, size_t len, const struct cli_opt *o)
{
	const char *unit = o->unit_ns == 1000000000 ? "seconds" :
			   o->unit_ns == 1000000 ? "milliseconds" : "ns";
	size_t at = 0;

	buf[0] = '\0';
	if (o->kind == CLI_DURATION || o->kind == CLI_TIME)
		at = (size_t)snprintf(buf, len, " Takes a unit (ns, us, ms, s);"
				      " a plain number is in %s.", unit);
	if (o->kind == CLI_ENUM && o->metavar) {   /* too many to show inline */
		at = (size_t)snprintf(buf, len, " %s is one of:", o->metavar);
		for (int i = 0; o->choices[i] && at < len; i++)
			at += (size_t)snprintf(buf + at, len - at, " %s",
					       o->choices[i]);
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, ".");
	}
	if (o->def && at < len)
		snprintf(buf + at, len - at, " Default: %s.", o->def);
}

static void help_option(FILE *o, const struct cli_opt *op)
{
	char words[192], notes[512];
	struct wrap w = { o, OPT_COL, 0 };

	opt_words(words, sizeof(words), op, 1, 1);
	int n = fprintf(o, "  %s", words);
	if (n < OPT_COL - 1)
		fprintf(o, "%*s", OPT_COL - n, "");
	else
		fprintf(o, "\n%*s", OPT_COL, "");
	w.col = OPT_COL;
	wrap_text(&w, op->help);
	opt_notes(notes, sizeof(notes), op);
	wrap_text(&w, notes);
	fputc('\n', o);
}

void cli_print_help(FILE *o, const struct cli_program *p,
		    const struct cli_command *c)
{
	static const struct cli_opt common[] = {
		{ .name = "help", .short_name = 'h', .kind = CLI_FLAG,
		  .help = "Show this help on standard output and exit." },
		{ .name = "version", .kind = CLI_FLAG,
		  .help = "Show the version and exit." },
	};
	struct wrap w = { o, 0, 0 };

	help_synopsis(o, "usage: ", p, c);
	fputc('\n', o);
	wrap_text(&w, c->description);
	fputs("\n\noptions:\n", o);
	for (size_t i = 0; i < c->nopts; i++)
		if (!c->opts[i].hidden)
			help_option(o, &c->opts[i]);
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		help_option(o, &common[i]);
	if (!c->name && p->exit_status) {
		fputc('\n', o);
		w.col = 0;
		wrap_text(&w, p->exit_status);
		fputc('\n', o);
	}
}

void cli_print_program_help(FILE *o, const struct cli_program *p)
{
	const struct cli_command *const *c;
	struct wrap w = { o, 0, 0 };

	for (c = p->commands; *c; c++)
		help_synopsis(o, c == p->commands ? "usage: " : "       ", p, *c);
	fprintf(o, "       %s --help | --version\n\n", p->name);
	wrap_text(&w, p->description);
	fputs("\n\ncommands:\n", o);
	for (c = p->commands; *c; c++) {
		fprintf(o, "  %-9s", (*c)->name);
		w = (struct wrap){ o, 11, 11 };
		wrap_text(&w, (*c)->summary);
		fputc('\n', o);
	}
	for (c = p->commands; *c; c++) {
		fprintf(o, "\n%s %s:\n  ", p->name, (*c)->name);
		w = (struct wrap){ o, 2, 2 };
		wrap_text(&w, (*c)->description);
		fputc('\n', o);
	}
	fprintf(o, "\nEach command's options: %s COMMAND --help.\n", p->name);
	w = (struct wrap){ o, 0, 0 };
	fputc('\n', o);
	wrap_text(&w, p->exit_status);
	fputc('\n', o);
}

/* ---- roff ------------------------------------------------------------------- */

/* Text for a man page: escaped, paragraphs as .PP. */
static void roff_text(FILE *o, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (s[0] == '\n' && s[1] == '\n') {
			fputs("\n.PP\n", o);
			s++;
			bol = 1;
			continue;
		}
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", o);
		if (bol && *s == ' ')
			continue;       /* roff would indent the line */
		if (*s == '-')
			fputs("\\-", o);
		else if (*s == '\\')
			fputs("\\e", o);
		else
			fputc(*s, o);
		bol = *s == '\n';
	}
	if (!bol)
		fputc('\n', o);
}

static void roff_synopsis(FILE *o, const struct cli_program *p,
			  const struct cli_command *c)
{
	char word[192];

	fprintf(o, ".PP\n.B %s", p->name);
	if (c->name)
		fprintf(o, " %s", c->name);
	fputc('\n', o);
	if (c->positional)
		fprintf(o, ".I %s\n", c->positional);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nopts; i++) {
			const struct cli_opt *op = &c->opts[i];
			if (op->hidden || op->required != !pass)
				continue;
			opt_words(word, sizeof(word), op, 0, !pass);
			fputs(pass ? "[" : "", o);
			fputs("\\fB", o);
			for (const char *s = word; *s; s++)
				fputs(*s == '-' ? "\\-" : *s == ' ' ? "\\fR \\fI" :
				      (char[2]){ *s, 0 }, o);
			fputs(pass ? "\\fR]\n" : "\\fR\n", o);
		}
}

static void roff_options(FILE *o, const struct cli_command *c)
{
	char words[192], notes[512];

	for (size_t i = 0; i < c->nopts; i++) {
		const struct cli_opt *op = &c->opts[i];
		if (op->hidden)
			continue;
		opt_words(words, sizeof(words), op, 1, 1);
		fputs(".TP\n\\fB", o);
		for (const char *s = words; *s; s++)
			fputs(*s == '-' ? "\\-" : *s == ' ' && s[-1] != ',' ?
			      "\\fR \\fI" : *s == ',' ? "\\fR,\\fB" :
			      (char[2]){ *s, 0 }, o);
		fputs("\\fR\n", o);
		roff_text(o, op->help);
		opt_notes(notes, sizeof(notes), op);
		if (notes[0])
			roff_text(o, notes + 1);
	}
}

void cli_print_man(FILE *o, const struct cli_program *p, int section)
{
	const struct cli_command *const *c;
	char upper[64];
	size_t i;

	for (i = 0; p->name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(p->name[i] >= 'a' && p->name[i] <= 'z' ?
				  p->name[i] - 32 : p->name[i]);
	upper[i] = '\0';
	fprintf(o, ".\\\" Generated by `%s --man` from its option tables"
		" (cli/); do not edit.\n", p->name);
	fprintf(o, ".TH %s %d \"\" \"%s %s\" \"User Commands\"\n", upper,
		section, p->name, cli_version());
	fprintf(o, ".SH NAME\n%s \\- ", p->name);
	roff_text(o, p->summary);
	fputs(".SH SYNOPSIS\n", o);
	for (c = p->commands; *c; c++)
		roff_synopsis(o, p, *c);
	fputs(".SH DESCRIPTION\n", o);
	roff_text(o, p->description);
	int sub = p->commands[0]->name != NULL;
	if (sub)
		fputs(".SH COMMANDS\n", o);
	for (c = p->commands; *c; c++) {
		if (sub) {
			fprintf(o, ".SS \"%s %s\"\n", p->name, (*c)->name);
			roff_text(o, (*c)->description);
		} else {
			fputs(".SH OPTIONS\n", o);
		}
		roff_options(o, *c);
	}
	/* Every command takes these two; a program with commands says so
	 * once, after them. */
	if (sub)
		fputs(".SH \"COMMON OPTIONS\"\nEvery command, and the program"
		      " alone, takes:\n", o);
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nShow the help on"
	      " standard output and exit.\n", o);
	fputs(".TP\n\\fB\\-\\-version\\fR\nShow the version and exit.\n", o);
	fputs(".SH \"EXIT STATUS\"\n", o);
	roff_text(o, p->exit_status);
	fputs(".SH \"SEE ALSO\"\n", o);
	roff_text(o, p->see_also);
}
