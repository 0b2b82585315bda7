/*
 * info.c - renders a trace summary (store_summary.c computes it) as text
 * or as one JSON object. The JSON keys are an interface: tests and
 * scripts read them, so add keys freely but do not rename them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "info.h"
#include "report.h"
#include "skew.h"
#include "store.h"

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* {"addr": "0x..", "function": .., "file": .., "line": ..}; a name
 * never looked up (no kernel ELF known) is null, an unknown one has
 * "function": null. */
static void json_frame(FILE *out, uint64_t addr, const struct rs_sym_name *n)
{
	if (!n->tried) {
		fprintf(out, "null");
		return;
	}
	fprintf(out, "{\"addr\": \"0x%" PRIx64 "\", \"function\": ", addr);
	if (n->function[0])
		json_string(out, n->function);
	else
		fprintf(out, "null");
	fprintf(out, ", \"file\": ");
	if (n->file[0]) {
		json_string(out, n->file);
		fprintf(out, ", \"line\": %d}", n->line);
	} else {
		fprintf(out, "null, \"line\": null}");
	}
}

/* Why the state, the stall, and the threads a deadlock holds. */
static void json_verdict(FILE *out, const struct rs_summary *s)
{
	fprintf(out, ", \"state_why\": ");
	if (s->state_why[0])
		json_string(out, s->state_why);
	else
		fprintf(out, "null");
	if (s->has_stall)
		fprintf(out, ", \"stalled_at_ns\": %" PRId64 ", \"stalled_threads\": %"
			PRId64, s->stalled_at_ns, s->stalled_threads);
	else
		fprintf(out, ", \"stalled_at_ns\": null, \"stalled_threads\": null");
	if (s->has_stuck)
		fprintf(out, ", \"stuck_cpu\": %" PRId64, s->stuck_cpu);
	else
		fprintf(out, ", \"stuck_cpu\": null");
	if (s->has_stuck && s->stuck_at_ns >= 0)
		fprintf(out, ", \"stuck_at_ns\": %" PRId64, s->stuck_at_ns);
	else
		fprintf(out, ", \"stuck_at_ns\": null");
	fprintf(out, ", \"blocked_threads\": [");
	for (int i = 0; i < s->nblocked; i++) {
		fprintf(out, "%s", i ? ", " : "");
		rs_report_blocked_json(out, &s->blocked[i]);
	}
	fprintf(out, "]");
}

/* A string that may be unknown (""): the string or null. */
static void json_string_or_null(FILE *out, const char *s)
{
	if (*s)
		json_string(out, s);
	else
		fputs("null", out);
}

static void json_int_or_null(FILE *out, int64_t v)
{
	if (v)
		fprintf(out, "%" PRId64, v);
	else
		fputs("null", out);
}

/* How the guest calibrated its clocks; null where it did not say. */
static void json_clocks(FILE *out, const struct rs_summary *s)
{
	fputs(", \"tsc_source\": ", out);
	json_string_or_null(out, s->tsc_source);
	fputs(", \"tick_method\": ", out);
	json_string_or_null(out, s->tick_method);
	fputs(", \"tick_hz\": ", out);
	json_int_or_null(out, s->tick_hz);
	fputs(", \"timer_hz\": ", out);
	json_int_or_null(out, s->timer_hz);
	/* across CPUs (several only): what causal pairs showed */
	if (s->ncpus < 2) {
		fputs(", \"cpu_clocks\": null", out);
		return;
	}
	int disagree = 0, n = 0;
	fprintf(out, ", \"cpu_clocks\": {\"pairs\": %" PRId64 ", \"behind\": [",
		s->skew_pairs);
	for (int c = 0; c < s->ncpus && c < (int)RS_MAX_CPUS; c++) {
		const struct rs_cpu_behind *b = &s->behind[c];
		if (!b->ns)
			continue;
		disagree |= b->ns > RS_SKEW_FLAG_NS;
		fprintf(out, "%s{\"cpu\": %d, \"of_cpu\": %" PRId64 ", \"ns_at_least\": %"
			PRId64 "}", n++ ? ", " : "", c, b->of_cpu, b->ns);
	}
	fprintf(out, "], \"disagree\": %s, \"flag_ns\": %d}",
		disagree ? "true" : "false", RS_SKEW_FLAG_NS);
}

/* The panic's fields: the record the guest wrote (or the host's verdict,
 * which has no vector), its registers, backtrace and named frames. */
static void json_panic(FILE *out, const struct rs_summary *s)
{
	fprintf(out, ", \"panic_reason\": ");
	if (s->has_panic) {
		json_string(out, s->panic_reason);
		/* Addresses as hex strings: JSON numbers lose bits above 2^53. */
		if (s->has_rip)
			fprintf(out, ", \"panic_rip\": \"0x%" PRIx64 "\"", s->panic_rip);
		else
			fprintf(out, ", \"panic_rip\": null");
		/* No vector: the host's verdict (triple fault), not a record
		 * the guest wrote; SCHEMA.md says which columns stay NULL. */
		fprintf(out, ", \"panic_by\": \"%s\"", s->has_vector ? "guest" : "host");
		if (s->has_vector)
			fprintf(out, ", \"panic_vector\": %" PRIu64
				", \"panic_error_code\": \"0x%" PRIx64 "\", \"panic_fault_addr\": \"0x%" PRIx64
				"\", \"panic_cpu\": %" PRId64 ", \"panic_depth\": %" PRId64,
				s->panic_vector, s->panic_error_code,
				s->panic_fault_addr, s->panic_cpu, s->panic_depth);
		fprintf(out, ", \"panic_regs\": {");
		for (int i = 0; i < s->npanic_regs; i++) {
			fprintf(out, "%s", i ? ", " : "");
			json_string(out, s->panic_regs[i][0]);
			fprintf(out, ": ");
			json_string(out, s->panic_regs[i][1]);
		}
		fprintf(out, "}, \"panic_backtrace\": [");
		for (int i = 0; i < s->nbacktrace; i++)
			fprintf(out, "%s\"0x%" PRIx64 "\"", i ? ", " : "", s->backtrace[i]);
		fprintf(out, "], \"panic_rip_frame\": ");
		if (s->has_rip)
			json_frame(out, s->panic_rip, &s->panic_rip_name);
		else
			fprintf(out, "null");
		/* Named frames only when names are known, so a reader can
		 * tell "no ELF was given" from "not this kernel's code". */
		fprintf(out, ", \"panic_frames\": ");
		if (s->nbacktrace && s->backtrace_name[0].tried) {
			fprintf(out, "[");
			for (int i = 0; i < s->nbacktrace; i++) {
				fprintf(out, "%s", i ? ", " : "");
				json_frame(out, s->backtrace[i], &s->backtrace_name[i]);
			}
			fprintf(out, "]");
		} else {
			fprintf(out, "null");
		}
	} else {
		fprintf(out, "null, \"panic_rip\": null, \"panic_rip_frame\": null,"
			" \"panic_frames\": null");
	}
}

/* A set of named registers as a JSON object of hex strings. */
static void json_named_regs(FILE *out, const struct rs_vcpu_regs *r)
{
	fputc('{', out);
	for (unsigned k = 0; k < r->n; k++) {
		fprintf(out, "%s", k ? ", " : "");
		json_string(out, r->reg[k].name);
		fprintf(out, ": \"0x%" PRIx64 "\"", r->reg[k].value);
	}
	fputc('}', out);
}

/* Every CPU's registers as the guest's panic path recorded them. */
static void json_panic_cpus(FILE *out, const struct rs_summary *s)
{
	fprintf(out, ", \"panic_cpus\": [");
	for (int i = 0; i < s->npanic_cpus; i++) {
		const struct rs_panic_cpu *p = &s->panic_cpus[i];
		uint64_t rip;
		fprintf(out, "%s{\"cpu\": %u, \"state\": ", i ? ", " : "", p->regs.cpu);
		json_string(out, p->state);
		fprintf(out, ", \"ts_ns\": ");
		if (p->ts_ns >= 0)
			fprintf(out, "%" PRId64, p->ts_ns);
		else
			fputs("null", out);
		fprintf(out, ", \"regs\": ");
		if (p->regs.n)
			json_named_regs(out, &p->regs);
		else
			fputs("null", out);
		fprintf(out, ", \"rip_frame\": ");
		if (rs_vcpu_regs_get(&p->regs, "rip", &rip) == 0)
			json_frame(out, rip, &s->panic_cpu_rip_name[i]);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fputc(']', out);
}

/* Every vCPU's registers as the collector stored them, rip named. */
static void json_vcpus(FILE *out, const struct rs_summary *s)
{
	fprintf(out, ", \"vcpus\": [");
	for (int i = 0; i < s->nvcpu; i++) {
		fprintf(out, "%s{\"cpu\": %u, \"origin\": ", i ? ", " : "", s->vcpu[i].cpu);
		json_string(out, s->vcpu_origin[i]);
		fprintf(out, ", \"regs\": ");
		json_named_regs(out, &s->vcpu[i]);
		uint64_t rip;
		fprintf(out, ", \"rip_frame\": ");
		if (rs_vcpu_regs_get(&s->vcpu[i], "rip", &rip) == 0)
			json_frame(out, rip, &s->vcpu_rip_name[i]);
		else
			fprintf(out, "null");
		fprintf(out, "}");
	}
	fprintf(out, "]");
}

void rs_info_print_json(FILE *out, const struct rs_summary *s)
{
	fprintf(out, "{\"trace_id\": %" PRId64 ", \"traces\": %" PRId64 ", \"source\": ",
		s->trace_id, s->ntraces);
	json_string(out, s->source);
	fprintf(out, ", \"nonce\": \"0x%" PRIx64 "\", \"cpus\": %" PRId64
		", \"mode\": \"%s\", \"tsc_hz\": %" PRIu64,
		s->nonce, s->ncpus, s->mode, s->tsc_hz);
	json_clocks(out, s);
	fprintf(out, ", \"events\": %" PRId64 ", \"lost_events\": %" PRId64
		", \"threads\": %" PRId64 ", \"promises\": %" PRId64,
		s->events, s->lost_events, s->threads, s->promises);
	fprintf(out, ", \"lost_unknown\": %" PRId64, s->lost_unknown);
	fprintf(out, ", \"promise_states\": {\"pending\": %" PRId64
		", \"resolved\": %" PRId64 ", \"failed\": %" PRId64
		", \"cancelled\": %" PRId64 "}",
		s->promises_by_state[0], s->promises_by_state[1],
		s->promises_by_state[2], s->promises_by_state[3]);
	if (s->has_ts)
		fprintf(out, ", \"first_ts_ns\": %" PRId64 ", \"last_ts_ns\": %" PRId64,
			s->first_ts_ns, s->last_ts_ns);
	else
		fprintf(out, ", \"first_ts_ns\": null, \"last_ts_ns\": null");
	fprintf(out, ", \"guest_state\": ");
	json_string(out, s->guest_state);
	if (s->has_hung_at)
		fprintf(out, ", \"hung_at_ns\": %" PRId64, s->hung_at_ns);
	else
		fprintf(out, ", \"hung_at_ns\": null");
	fprintf(out, ", \"per_cpu\": [");
	for (int i = 0; i < s->nper_cpu; i++)
		fprintf(out, "%s{\"cpu\": %" PRId64 ", \"events\": %" PRId64
			", \"lost\": %" PRId64 "}", i ? ", " : "", s->per_cpu[i].cpu,
			s->per_cpu[i].accepted, s->per_cpu[i].lost);
	fputc(']', out);
	json_verdict(out, s);
	json_panic(out, s);
	json_panic_cpus(out, s);
	json_vcpus(out, s);
	fprintf(out, ", \"by_type\": {");
	for (int i = 0; i < s->nby_type; i++) {
		fprintf(out, "%s", i ? ", " : "");
		json_string(out, s->by_type[i].name);
		fprintf(out, ": %" PRId64, s->by_type[i].count);
	}
	fprintf(out, "}}\n");
}

static void print_ns(FILE *out, int64_t ns)
{
	fprintf(out, "%" PRId64 ".%09" PRId64 " s", ns / 1000000000, ns % 1000000000);
}

/* " in FUNCTION (FILE:LINE)", " in ??" when the kernel has no name for
 * it, nothing when no kernel ELF was known. */
static void print_name(FILE *out, const struct rs_sym_name *n)
{
	if (!n->tried)
		return;
	fprintf(out, " in %s", n->function[0] ? n->function : "??");
	if (n->file[0])
		fprintf(out, " (%s:%d)", n->file, n->line);
}

static void print_vcpus(FILE *out, const struct rs_summary *s)
{
	for (int i = 0; i < s->nvcpu; i++) {
		fprintf(out, "  vcpu %u registers (%s):", s->vcpu[i].cpu,
			s->vcpu_origin[i]);
		for (unsigned k = 0; k < s->vcpu[i].n; k++)
			fprintf(out, "%s%s=0x%" PRIx64, k % 4 ? "  " : "\n      ",
				s->vcpu[i].reg[k].name, s->vcpu[i].reg[k].value);
		fprintf(out, "\n");
		uint64_t rip;
		if (s->vcpu_rip_name[i].tried &&
		    rs_vcpu_regs_get(&s->vcpu[i], "rip", &rip) == 0) {
			fprintf(out, "      rip 0x%" PRIx64, rip);
			print_name(out, &s->vcpu_rip_name[i]);
			fprintf(out, "\n");
		}
	}
}

/* Ends the guest state line: why, the stall, and who waits on what. */
static void print_verdict(FILE *out, const struct rs_summary *s)
{
	if (s->has_stall) {
		fprintf(out, " (%" PRId64 " threads blocked since ", s->stalled_threads);
		print_ns(out, s->stalled_at_ns);
		fprintf(out, ")");
	}
	fprintf(out, "\n");
	if (s->has_stuck) {
		fprintf(out, "    cpu %" PRId64 " stuck", s->stuck_cpu);
		if (s->stuck_at_ns >= 0) {
			fprintf(out, " since ");
			print_ns(out, s->stuck_at_ns);
		}
		fprintf(out, " (heartbeat stopped; others running)\n");
	}
	if (s->state_why[0])
		fprintf(out, "    why: %s\n", s->state_why);
	for (int i = 0; i < s->nblocked; i++) {
		fprintf(out, "    ");
		rs_report_blocked_text(out, &s->blocked[i]);
	}
}

/* Each CPU's share, on a guest of several: where the work was. */
static void print_per_cpu(FILE *out, const struct rs_summary *s)
{
	if (s->ncpus < 2 || !s->nper_cpu)
		return;
	fprintf(out, "  per cpu:");
	for (int i = 0; i < s->nper_cpu; i++) {
		const struct rs_cpu_count *c = &s->per_cpu[i];
		fprintf(out, "%s cpu %" PRId64 " %" PRId64 " events", i ? "," : "",
			c->cpu, c->accepted);
		if (c->lost)
			fprintf(out, " (%" PRId64 " lost)", c->lost);
	}
	fputc('\n', out);
}

/* Whether the CPUs' clocks agree, as far as causal pairs across them
 * show (cpu_skew): never silent on a guest of several CPUs. */
static void print_cpu_clocks(FILE *out, const struct rs_summary *s)
{
	int behind = 0;

	if (s->ncpus < 2)
		return;
	for (int c = 0; c < s->ncpus && c < (int)RS_MAX_CPUS; c++) {
		const struct rs_cpu_behind *b = &s->behind[c];
		if (!b->ns)
			continue;
		behind = 1;
		if (b->ns > RS_SKEW_FLAG_NS)
			fprintf(out, "  clocks disagree: cpu %d is >= %" PRId64 " ns behind"
				" cpu %" PRId64 " (an effect stamped before its cause);"
				" times across these CPUs are off by that much\n",
				c, b->ns, b->of_cpu);
		else
			fprintf(out, "  clocks across cpus: cpu %d is >= %" PRId64 " ns"
				" behind cpu %" PRId64 " (under %d ns: not flagged)\n",
				c, b->ns, b->of_cpu, RS_SKEW_FLAG_NS);
	}
	if (!behind && s->skew_pairs)
		fprintf(out, "  clocks across cpus: agree as far as %" PRId64
			" causal pairs show\n", s->skew_pairs);
	else if (!behind)
		fprintf(out, "  clocks across cpus: not measured (no causal pairs"
			" across cpus stored)\n");
}

/* "clocks: tsc from hpet, tick 1000 Hz by lapic-oneshot (timer 62500000
 * Hz)": how far the trace's times can be trusted. */
static void print_clocks(FILE *out, const struct rs_summary *s)
{
	fprintf(out, "  clocks: tsc from %s", *s->tsc_source ? s->tsc_source :
		"an unknown source (the guest does not say)");
	if (s->tick_hz)
		fprintf(out, ", tick %" PRId64 " Hz", s->tick_hz);
	if (*s->tick_method)
		fprintf(out, " by %s", s->tick_method);
	if (s->timer_hz)
		fprintf(out, " (timer %" PRId64 " Hz)", s->timer_hz);
	fputc('\n', out);
	print_cpu_clocks(out, s);
}

/* The panic record (or the host's verdict, which has none). */
static void print_panic(FILE *out, const struct rs_summary *s)
{
	if (!s->has_panic)
		return;
	fprintf(out, "  panic: %s\n", s->panic_reason);
	if (!s->has_vector) {
		/* The host's verdict: nothing below was written by the guest. */
		if (s->has_rip) {
			fprintf(out, "    rip 0x%" PRIx64, s->panic_rip);
			print_name(out, &s->panic_rip_name);
			fprintf(out, " (from the vCPU; the guest wrote no panic"
				" record)\n");
		}
		return;
	}
	fprintf(out, "    rip 0x%" PRIx64, s->panic_rip);
	print_name(out, &s->panic_rip_name);
	fprintf(out, ", cpu %" PRId64, s->panic_cpu);
	if (s->panic_vector != RS_PANIC_VECTOR_NONE)
		fprintf(out, ", vector %" PRIu64 ", error code 0x%" PRIx64
			", fault address 0x%" PRIx64, s->panic_vector,
			s->panic_error_code, s->panic_fault_addr);
	if (s->panic_depth > 1)
		fprintf(out, ", %" PRId64 " nested panics", s->panic_depth);
	fprintf(out, "\n    registers:");
	for (int i = 0; i < s->npanic_regs; i++)
		fprintf(out, "%s%s=%s", i % 4 ? "  " : "\n      ",
			s->panic_regs[i][0], s->panic_regs[i][1]);
	fprintf(out, "\n");
	if (s->nbacktrace && s->backtrace_name[0].tried) {
		/* One frame a line once there are names to read. */
		fprintf(out, "    backtrace:\n");
		for (int i = 0; i < s->nbacktrace; i++) {
			fprintf(out, "      #%-2d 0x%" PRIx64, i, s->backtrace[i]);
			print_name(out, &s->backtrace_name[i]);
			fprintf(out, "\n");
		}
	} else if (s->nbacktrace) {
		fprintf(out, "    backtrace:");
		for (int i = 0; i < s->nbacktrace; i++)
			fprintf(out, " 0x%" PRIx64, s->backtrace[i]);
		fprintf(out, "\n");
	}
}

/* Under the panic, each CPU as the panic path left it: one line each,
 * its rip named as the panic's frames are. */
static void print_panic_cpus(FILE *out, const struct rs_summary *s)
{
	if (!s->npanic_cpus)
		return;
	fprintf(out, s->has_panic ? "    cpus:\n" : "  cpus at a panic:\n");
	for (int i = 0; i < s->npanic_cpus; i++) {
		const struct rs_panic_cpu *p = &s->panic_cpus[i];
		const char *what = strcmp(p->state, "stopped") == 0
			? "stopped by the panic"
			: strcmp(p->state, "no answer") == 0
			? "did not answer the stop" : p->state;
		fprintf(out, "      cpu %u (%s", p->regs.cpu, what);
		if (p->ts_ns >= 0) {
			fprintf(out, " at ");
			print_ns(out, p->ts_ns);
		}
		fprintf(out, ")");
		uint64_t rip, rsp;
		if (rs_vcpu_regs_get(&p->regs, "rip", &rip) != 0) {
			fprintf(out, ": no registers\n");
			continue;
		}
		fprintf(out, ": rip=0x%" PRIx64, rip);
		if (rs_vcpu_regs_get(&p->regs, "rsp", &rsp) == 0)
			fprintf(out, " rsp=0x%" PRIx64, rsp);
		print_name(out, &s->panic_cpu_rip_name[i]);
		fputc('\n', out);
	}
}

void rs_info_print_text(FILE *out, const struct rs_summary *s)
{
	fprintf(out, "trace %" PRId64 " of %" PRId64 ": %s\n", s->trace_id,
		s->ntraces, s->source);
	fprintf(out, "  boot nonce 0x%" PRIx64 ", region 0x%" PRIx64 " (+%" PRIu64
		" bytes), %" PRId64 " cpus, %s mode, tsc %" PRIu64 " Hz\n",
		s->nonce, s->region_gpa, s->region_size, s->ncpus, s->mode,
		s->tsc_hz);
	print_clocks(out, s);
	fprintf(out, "  guest state: %s", s->guest_state);
	if (s->has_hung_at) {
		fprintf(out, " (heartbeat stopped at ");
		print_ns(out, s->hung_at_ns);
		fprintf(out, ")");
	}
	print_verdict(out, s);
	fprintf(out, "  events: %" PRId64 " stored, %" PRId64 " lost\n",
		s->events, s->lost_events);
	if (s->lost_unknown)
		fprintf(out, "  losses of unknown size: %" PRId64 " (%s)\n",
			s->lost_unknown, s->lost_unknown_what);
	print_per_cpu(out, s);
	if (s->has_ts) {
		fprintf(out, "  time: ");
		print_ns(out, s->first_ts_ns);
		fprintf(out, " .. ");
		print_ns(out, s->last_ts_ns);
		fprintf(out, " after boot\n");
	}
	fprintf(out, "  threads: %" PRId64 "\n", s->threads);
	fprintf(out, "  promises: %" PRId64 " (%" PRId64 " pending, %" PRId64
		" resolved, %" PRId64 " failed, %" PRId64 " cancelled)\n",
		s->promises, s->promises_by_state[0], s->promises_by_state[1],
		s->promises_by_state[2], s->promises_by_state[3]);
	if (s->nby_type) {
		fprintf(out, "  by type:\n");
		for (int i = 0; i < s->nby_type; i++)
			fprintf(out, "    %-18s %" PRId64 "\n", s->by_type[i].name,
				s->by_type[i].count);
	}
	print_vcpus(out, s);
	print_panic(out, s);
	print_panic_cpus(out, s);
}

int rs_info(const char *db_path, int64_t trace_id, int json)
{
	return rs_info_named(db_path, trace_id, json, NULL, NULL);
}

int rs_info_named(const char *db_path, int64_t trace_id, int json,
		  struct rs_symbolizer *sym, rs_namer namer)
{
	char err[400];
	/* The summary is large (per-type names, registers): keep it off the
	 * stack. */
	static struct rs_summary sum;
	struct rs_store *st = rs_store_open(db_path, 0, err, sizeof(err));

	if (!st) {
		fprintf(stderr, "ringside: %s\n", err);
		return 1;
	}
	if (rs_store_summary(st, trace_id, &sum) != 0) {
		fprintf(stderr, "ringside: %s: %s\n", db_path, rs_store_error(st));
		rs_store_close(st);
		return 1;
	}
	rs_store_close(st);
	if (namer)
		namer(sym, &sum);
	if (json)
		rs_info_print_json(stdout, &sum);
	else
		rs_info_print_text(stdout, &sum);
	return fflush(stdout) == 0 ? 0 : 1;
}
