/*
 * test_import.c - the importers (formats/interchange/import_*.c) on
 * inputs built here byte by byte: every mirage-profile op and every FXT
 * record kind, with the exact ringside events each must make; a wrapped
 * mirage ring and missing packets, whose losses are stated with no
 * count; and hostile input, refused with one line. The peer files and
 * the command line are tests/collector/test_import_cmd.c's.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* ---- what a sink received ---------------------------------------------- */

struct got_ev {
	uint16_t cpu, type;
	uint32_t ctx;
	uint64_t seq, ns, a, b, c;
	char str[80];
};

struct got {
	struct got_ev ev[64];
	int n;
	struct { uint16_t cpu; int64_t from, to; char what[160]; } gap[8];
	int ngaps;
};

static int got_event(void *opaque, const struct rs_event *e)
{
	struct got *g = opaque;
	assert_true(g->n < 64);
	struct got_ev *x = &g->ev[g->n++];
	*x = (struct got_ev){ e->cpu, e->type, e->ctx, e->seq, e->tsc, e->a,
			      e->b, e->c, "" };
	if (e->str)
		snprintf(x->str, sizeof(x->str), "%s", e->str);
	return 0;
}

static int got_gap(void *opaque, const struct rs_import_gap *gp)
{
	struct got *g = opaque;
	assert_true(g->ngaps < 8);
	g->gap[g->ngaps].cpu = gp->cpu;
	g->gap[g->ngaps].from = gp->from_ns;
	g->gap[g->ngaps].to = gp->to_ns;
	snprintf(g->gap[g->ngaps].what, sizeof(g->gap[0].what), "%s", gp->what);
	g->ngaps++;
	return 0;
}

static void expect_ev(const struct got *g, int i, uint64_t ns, uint16_t type,
		      uint64_t a, uint64_t b, uint64_t c, const char *str)
{
	assert_true(i < g->n);
	const struct got_ev *e = &g->ev[i];
	if (e->ns != ns || e->type != type || e->a != a || e->b != b ||
	    e->c != c || strcmp(e->str, str ? str : "") != 0)
		fail_msg("event %d: got ns %llu type %u a %llu b %llu c %llu"
			 " '%s'; want ns %llu type %u a %llu b %llu c %llu '%s'",
			 i, (unsigned long long)e->ns, e->type,
			 (unsigned long long)e->a, (unsigned long long)e->b,
			 (unsigned long long)e->c, e->str,
			 (unsigned long long)ns, type, (unsigned long long)a,
			 (unsigned long long)b, (unsigned long long)c,
			 str ? str : "");
}

/* ---- building bytes ------------------------------------------------------ */

struct buf {
	uint8_t b[16384];
	size_t n;
};

static void put(struct buf *b, uint64_t v, unsigned bytes)
{
	assert_true(b->n + bytes <= sizeof(b->b));
	for (unsigned i = 0; i < bytes; i++)
		b->b[b->n++] = (uint8_t)(v >> (8 * i));
}

static void put_str(struct buf *b, const char *s)
{
	size_t l = strlen(s) + 1;
	assert_true(b->n + l <= sizeof(b->b));
	memcpy(b->b + b->n, s, l);
	b->n += l;
}

/* ---- mirage-profile ------------------------------------------------------ */

static const uint8_t uuid[16] = {
	0x05, 0x88, 0x3b, 0x8d, 0x52, 0x1a, 0x48, 0x7b,
	0xb3, 0x97, 0x45, 0x6a, 0xb1, 0x50, 0x68, 0x0c,
};
#define PKT 1024  /* bytes per packet in these tests */

/* Start a packet with number `count`; returns its offset. */
static size_t packet(struct buf *b, uint16_t count)
{
	size_t at = b->n;
	put(b, 0xc1fc1fc1, 4);
	memcpy(b->b + b->n, uuid, 16);
	b->n += 16;
	put(b, PKT * 8, 4);
	put(b, count, 2);
	put(b, 30 * 8, 4);   /* content: set by end_packet */
	return at;
}

static void end_packet(struct buf *b, size_t at)
{
	const uint32_t content = (uint32_t)(b->n - at) * 8;
	for (int i = 0; i < 4; i++)
		b->b[at + 26 + i] = (uint8_t)(content >> (8 * i));
	assert_true(b->n - at <= PKT);
	memset(b->b + b->n, 0xee, at + PKT - b->n);   /* stale bytes */
	b->n = at + PKT;
}

/* One event: ts, op, thread, then two u64 fields (as many as given). */
static void mev(struct buf *b, uint64_t ts, uint8_t op, uint64_t thread)
{
	put(b, ts, 8);
	put(b, op, 1);
	if (op != 8)
		put(b, thread, 8);
}

static int mirage(const struct buf *b, struct got *g, char *err)
{
	struct rs_import_stats st;
	const struct rs_import_sink sink = { got_event, got_gap, g };
	memset(g, 0, sizeof(*g));
	return rs_import_mirage_mem(b->b, b->n, &sink, &st, err, 256);
}

#define NONE UINT64_MAX   /* mirage's -1 */

static void test_import_mirage_every_op(void **state)
{
	(void)state;
	struct buf b = { .n = 0 };
	char err[256];
	struct got g;
	size_t p = packet(&b, 0);
	mev(&b, 10, 7, 0);                          /* switch to 0 */
	mev(&b, 11, 0, 0); put(&b, 5, 8); put(&b, 2, 1);   /* creates 5 bind */
	mev(&b, 12, 0, 5); put(&b, 6, 8); put(&b, 12, 1);  /* on_any */
	mev(&b, 13, 0, 5); put(&b, 7, 8); put(&b, 13, 1);  /* ignore_result */
	mev(&b, 14, 0, NONE); put(&b, 8, 8); put(&b, 14, 1); /* async */
	mev(&b, 15, 0, 0); put(&b, 9, 8); put(&b, 99, 1);  /* unknown */
	mev(&b, 20, 1, 0); put(&b, 5, 8);                  /* read */
	mev(&b, 21, 10, 0); put(&b, 6, 8);                 /* try_read */
	mev(&b, 22, 2, 0); put(&b, 5, 8);                  /* fulfills */
	mev(&b, 23, 3, 6); put(&b, 6, 8); put_str(&b, "Not_found");
	mev(&b, 24, 4, 7); put(&b, 8, 8);                  /* becomes */
	mev(&b, 25, 5, 8); put_str(&b, "net rx");          /* label */
	mev(&b, 26, 9, 0); put(&b, 9, 8);                  /* signal */
	mev(&b, 27, 6, 0); put(&b, 3, 8); put_str(&b, "pkts");  /* increase */
	mev(&b, 28, 6, 0); put(&b, (uint64_t)-1, 8); put_str(&b, "pkts");
	mev(&b, 29, 11, 0); put(&b, 100, 8); put_str(&b, "pkts"); /* counter */
	mev(&b, 30, 6, 0); put(&b, 5, 8); put_str(&b, "pkts");
	mev(&b, 31, 7, NONE);                              /* suspend */
	mev(&b, 40, 7, 3);                                 /* resume */
	mev(&b, 41, 7, 0);
	mev(&b, 42, 8, 0); put(&b, 123456, 8);             /* gc */
	end_packet(&b, p);
	assert_int_equal(mirage(&b, &g, err), 0);
	int i = 0;
	expect_ev(&g, i++, 10, RS_EV_MARK, 1, 0, 0, "switch");
	expect_ev(&g, i++, 11, RS_EV_PROMISE_CREATE, 6, 1, RS_PT_BIND, NULL);
	expect_ev(&g, i++, 12, RS_EV_PROMISE_CREATE, 7, 6, RS_PT_ON_ANY, NULL);
	expect_ev(&g, i++, 13, RS_EV_PROMISE_CREATE, 8, 6, RS_PT_IGNORE_RESULT,
		  NULL);
	expect_ev(&g, i++, 14, RS_EV_PROMISE_CREATE, 9, 0, RS_PT_ASYNC, NULL);
	expect_ev(&g, i++, 15, RS_EV_PROMISE_CREATE, 10, 1, UINT64_MAX, NULL);
	expect_ev(&g, i++, 20, RS_EV_PROMISE_READ, 6, 1, 0, NULL);
	expect_ev(&g, i++, 21, RS_EV_PROMISE_TRY_READ, 7, 1, 0, NULL);
	expect_ev(&g, i++, 22, RS_EV_PROMISE_RESOLVE, 6, 1, 0, NULL);
	expect_ev(&g, i++, 23, RS_EV_PROMISE_FAIL, 7, 7, 0, "Not_found");
	expect_ev(&g, i++, 24, RS_EV_PROMISE_BECOMES, 8, 9, 0, NULL);
	expect_ev(&g, i++, 25, RS_EV_PROMISE_LABEL, 9, 0, 0, "net rx");
	expect_ev(&g, i++, 26, RS_EV_PROMISE_SIGNAL, 10, 1, 0, NULL);
	expect_ev(&g, i++, 27, RS_EV_COUNTER, 3, 0, 0, "pkts");
	expect_ev(&g, i++, 28, RS_EV_COUNTER, 2, 0, 0, "pkts");
	expect_ev(&g, i++, 29, RS_EV_COUNTER, 100, 0, 0, "pkts");
	expect_ev(&g, i++, 30, RS_EV_COUNTER, 105, 0, 0, "pkts");
	expect_ev(&g, i++, 31, RS_EV_IDLE_ENTER, 0, 0, 0, NULL);
	expect_ev(&g, i++, 40, RS_EV_IDLE_EXIT, 0, 0, 0, NULL);
	expect_ev(&g, i++, 40, RS_EV_MARK, 4, 0, 0, "switch");
	expect_ev(&g, i++, 41, RS_EV_MARK, 1, 0, 0, "switch");
	expect_ev(&g, i++, 42, RS_EV_MARK, 123456, 0, 0, "gc");
	assert_int_equal(g.n, i);
	for (int k = 0; k < g.n; k++) {
		assert_int_equal(g.ev[k].seq, k);
		assert_int_equal(g.ev[k].cpu, 0);
		assert_int_equal(g.ev[k].ctx, 0);
	}
	assert_int_equal(g.ngaps, 0);
	assert_string_equal(rs_promise_type_name(RS_PT_ON_ANY), "on_any");
	assert_string_equal(rs_promise_type_name(RS_PT_IGNORE_RESULT),
			    "ignore_result");
}

/* A packet numbered `count` holding one read at time `ts`. */
static void one_read_packet(struct buf *b, uint16_t count, uint64_t ts)
{
	size_t p = packet(b, count);
	mev(b, ts, 1, 0);
	put(b, count, 8);
	end_packet(b, p);
}

static void test_import_mirage_wrapped_ring(void **state)
{
	(void)state;
	struct buf b = { .n = 0 };
	char err[256];
	struct got g;
	/* Slots hold 4 and 5 (newest) then 2 and 3: 0 and 1 were overwritten. */
	one_read_packet(&b, 4, 400);
	one_read_packet(&b, 5, 500);
	one_read_packet(&b, 2, 200);
	one_read_packet(&b, 3, 300);
	assert_int_equal(mirage(&b, &g, err), 0);
	assert_int_equal(g.n, 4);
	for (int i = 0; i < 4; i++)
		expect_ev(&g, i, 200 + 100 * (uint64_t)i, RS_EV_PROMISE_READ,
			  3 + (uint64_t)i, 1, 0, NULL);
	assert_int_equal(g.ngaps, 1);
	assert_int_equal(g.gap[0].from, -1);
	assert_int_equal(g.gap[0].to, 200);
	assert_non_null(strstr(g.gap[0].what, "oldest packet is number 2"));

	/* The u16 count wraps: 65534, 65535, 0, 1 in slots 2, 3, 0, 1. */
	b.n = 0;
	one_read_packet(&b, 0, 30);
	one_read_packet(&b, 1, 40);
	one_read_packet(&b, 65534, 10);
	one_read_packet(&b, 65535, 20);
	assert_int_equal(mirage(&b, &g, err), 0);
	assert_int_equal(g.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(g.ev[i].ns, 10 + 10 * (uint64_t)i);
	assert_int_equal(g.ngaps, 1);
	assert_non_null(strstr(g.gap[0].what, "number 65534"));

	/* In order from 0, packet 2 missing: a gap between 1 and 3, with
	 * the times around it; and an empty newest packet adds nothing. */
	b.n = 0;
	one_read_packet(&b, 0, 10);
	one_read_packet(&b, 1, 20);
	one_read_packet(&b, 3, 40);
	end_packet(&b, packet(&b, 4));
	assert_int_equal(mirage(&b, &g, err), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.ngaps, 1);
	assert_int_equal(g.gap[0].from, 20);
	assert_int_equal(g.gap[0].to, 40);
	assert_non_null(strstr(g.gap[0].what, "number 3 follows 1"));
}

static void expect_refused(const struct buf *b, const char *needle)
{
	struct got g;
	char err[256] = "";
	struct buf copy = *b;
	if (mirage(&copy, &g, err) != -1)
		fail_msg("accepted input that should fail with '%s'", needle);
	if (!strstr(err, needle) || strchr(err, '\n'))
		fail_msg("error '%s' does not say '%s' in one line", err, needle);
}

static void test_import_mirage_hostile(void **state)
{
	(void)state;
	struct buf b = { .n = 0 }, good;
	size_t p = packet(&b, 0);
	mev(&b, 1, 5, 0);
	put_str(&b, "x");
	end_packet(&b, p);
	good = b;

	b.n = 0;
	expect_refused(&b, "empty");
	b = good; b.b[0] ^= 1;
	expect_refused(&b, "magic");
	b = good; b.b[9] ^= 1;
	expect_refused(&b, "uuid");
	b = good; b.n = 20;
	expect_refused(&b, "truncated packet header");
	b = good; b.n = PKT - 8;
	expect_refused(&b, "the file has");
	b = good; b.b[20] = 7;           /* packet size not whole bytes */
	expect_refused(&b, "not whole bytes");
	b = good; b.b[26] = 0; b.b[27] = 0x80; /* content 4096 B > 1024 B */
	expect_refused(&b, "content past the packet");
	b = good; b.b[30 + 8] = 42;     /* op 42 */
	expect_refused(&b, "unknown op 42");
	b = good; b.b[30 + 7] = 0x80;   /* ts >= 2^63 */
	expect_refused(&b, "2^63");
	b = good; b.b[30 + 17] = 'y';   /* the label loses its NUL */
	b.b[30 + 18] = 'y';
	expect_refused(&b, "no NUL");
	/* An event cut by the content's end. */
	b = good; b.b[26] = (uint8_t)((30 + 12) * 8); b.b[27] = (uint8_t)(((30 + 12) * 8) >> 8);
	expect_refused(&b, "runs past");
}

/* ---- FXT ------------------------------------------------------------------ */

static void w(struct buf *b, uint64_t v)
{
	put(b, v, 8);
}

static void fxt_str(struct buf *b, unsigned idx, const char *s)
{
	const size_t l = strlen(s), words = (l + 7) / 8;
	w(b, 2 | (1 + words) << 4 | (uint64_t)idx << 16 | (uint64_t)l << 32);
	memset(b->b + b->n, 0, words * 8);
	memcpy(b->b + b->n, s, l);
	b->n += words * 8;
}

/* An event record header: type, size, event type, args, thread ref,
 * category ref, name ref. */
static uint64_t evh(unsigned words, unsigned etype, unsigned nargs,
		    unsigned th, unsigned cat, unsigned name)
{
	return 4 | (uint64_t)words << 4 | (uint64_t)etype << 16 |
	       (uint64_t)nargs << 20 | (uint64_t)th << 24 |
	       (uint64_t)cat << 32 | (uint64_t)name << 48;
}

static int fxt(const struct buf *b, struct got *g, struct rs_import_stats *st,
	       char *err)
{
	const struct rs_import_sink sink = { got_event, got_gap, g };
	memset(g, 0, sizeof(*g));
	return rs_import_fxt_mem(b->b, b->n, &sink, st, err, 256);
}

#define MAGIC 0x0016547846040010ull

static void fxt_start(struct buf *b)
{
	b->n = 0;
	w(b, MAGIC);
	w(b, 1 | 2 << 4);          /* initialization: */
	w(b, 1000000);             /* 1 tick = 1 us */
	fxt_str(b, 1, "cat");
	fxt_str(b, 2, "work");
	fxt_str(b, 3, "value");
	fxt_str(b, 4, "process");
	fxt_str(b, 5, "worker");
	w(b, 3 | 3 << 4 | 1 << 16);  /* thread 1 = pid 7, koid 42 */
	w(b, 7);
	w(b, 42);
}

static void test_import_fxt_every_record(void **state)
{
	(void)state;
	struct buf b;
	struct got g;
	struct rs_import_stats st;
	char err[256];
	fxt_start(&b);
	/* kernel object: thread koid 42 "worker", arg process = 7 */
	w(&b, 7 | 4 << 4 | 2 << 16 | (uint64_t)5 << 24 | (uint64_t)1 << 40);
	w(&b, 42);
	w(&b, 8 | 2 << 4 | 4 << 16); w(&b, 7);
	/* instant "work" at 1 tick, int32 arg value = -5 */
	w(&b, evh(3, 0, 1, 1, 1, 2)); w(&b, 1);
	w(&b, 1 | 1 << 4 | 3 << 16 | (uint64_t)(uint32_t)-5 << 32);
	/* counter "work": value = 9 (uint64), id 1 */
	w(&b, evh(5, 1, 1, 1, 1, 2)); w(&b, 2);
	w(&b, 4 | 2 << 4 | 3 << 16); w(&b, 9); w(&b, 1);
	/* counter "work" with two args: value 3 (int32), process 2.5 (double) */
	w(&b, evh(6, 1, 2, 1, 1, 2)); w(&b, 3);
	w(&b, 1 | 1 << 4 | 3 << 16 | (uint64_t)3 << 32);
	w(&b, 5 | 2 << 4 | 4 << 16); { double d = 2.5; uint64_t x; memcpy(&x, &d, 8); w(&b, x); }
	w(&b, 1);
	/* duration begin at 4, complete 5..6 inside, end at 7 */
	w(&b, evh(2, 2, 0, 1, 1, 2)); w(&b, 4);
	w(&b, evh(3, 4, 0, 1, 1, 2)); w(&b, 5); w(&b, 6);
	/* flow 77 begins inside the outer duration ... */
	w(&b, evh(3, 8, 0, 1, 1, 2)); w(&b, 6); w(&b, 77);
	w(&b, evh(2, 3, 0, 1, 1, 2)); w(&b, 7);
	/* async 500: begin at 8 (inline name "io"), instant 9, end 10 */
	w(&b, evh(4, 5, 0, 1, 1, 0x8002)); w(&b, 8); w(&b, 'i' | 'o' << 8);
	w(&b, 500);
	w(&b, evh(3, 6, 0, 1, 1, 2)); w(&b, 9); w(&b, 500);
	w(&b, evh(3, 7, 0, 1, 1, 2)); w(&b, 10); w(&b, 500);
	/* ... and ends in a duration 11..12 on an inline thread (7, 43) */
	w(&b, evh(4, 2, 0, 0, 1, 2)); w(&b, 11); w(&b, 7); w(&b, 43);
	w(&b, evh(5, 10, 0, 0, 1, 2)); w(&b, 11); w(&b, 7); w(&b, 43); w(&b, 77);
	w(&b, evh(4, 3, 0, 0, 1, 2)); w(&b, 12); w(&b, 7); w(&b, 43);
	/* context switch on cpu 2 at 13: 42 out, 43 in */
	w(&b, 8 | 4 << 4 | (uint64_t)2 << 20 | (uint64_t)1 << 60);
	w(&b, 13); w(&b, 42); w(&b, 43);
	/* legacy switch on cpu 1 at 14: thread ref 1 out, inline 43 in */
	w(&b, 8 | 4 << 4 | (uint64_t)1 << 16 | (uint64_t)1 << 28);
	w(&b, 14); w(&b, 7); w(&b, 43);
	/* wakeup of 42 on cpu 3 at 15 */
	w(&b, 8 | 3 << 4 | (uint64_t)3 << 20 | (uint64_t)2 << 60);
	w(&b, 15); w(&b, 42);
	/* log "hi" at 16 on thread 1 */
	w(&b, 9 | 3 << 4 | 2 << 16 | (uint64_t)1 << 32); w(&b, 16);
	w(&b, 'h' | 'i' << 8);
	/* a provider's buffer filled up: a loss of unknown size */
	w(&b, 0 | 1 << 4 | 3 << 16 | (uint64_t)9 << 20);
	/* a blob (skipped), a record of type 12 (skipped), an end with no
	 * begin on thread 1 (a mark) */
	w(&b, 5 | 2 << 4 | (uint64_t)8 << 32); w(&b, 0);
	w(&b, 12 | 3 << 4); w(&b, 0); w(&b, 0);
	w(&b, evh(2, 3, 0, 1, 1, 2)); w(&b, 17);
	assert_int_equal(fxt(&b, &g, &st, err), 0);

	const uint64_t D = 1ull << 48, us = 1000;
	int i = 0;
	expect_ev(&g, i++, 0, RS_EV_THREAD_CREATE, 42, 0, 0, "worker");
	expect_ev(&g, i++, 1 * us, RS_EV_MARK, (uint64_t)-5, 0, 0, "work");
	expect_ev(&g, i++, 2 * us, RS_EV_COUNTER, 9, 0, 0, "work");
	expect_ev(&g, i++, 3 * us, RS_EV_COUNTER, 3, 0, 0, "work/value");
	expect_ev(&g, i++, 3 * us, RS_EV_COUNTER, 2, 0, 0, "work/process");
	expect_ev(&g, i++, 4 * us, RS_EV_PROMISE_CREATE, D + 1, 0, RS_PT_TASK, NULL);
	expect_ev(&g, i++, 4 * us, RS_EV_PROMISE_LABEL, D + 1, 0, 0, "work");
	expect_ev(&g, i++, 5 * us, RS_EV_PROMISE_CREATE, D + 2, D + 1, RS_PT_TASK, NULL);
	expect_ev(&g, i++, 5 * us, RS_EV_PROMISE_LABEL, D + 2, 0, 0, "work");
	expect_ev(&g, i++, 6 * us, RS_EV_PROMISE_RESOLVE, D + 2, 0, 0, NULL);
	expect_ev(&g, i++, 7 * us, RS_EV_PROMISE_RESOLVE, D + 1, 0, 0, NULL);
	expect_ev(&g, i++, 8 * us, RS_EV_PROMISE_CREATE, 500, 0, RS_PT_ASYNC, NULL);
	expect_ev(&g, i++, 8 * us, RS_EV_PROMISE_LABEL, 500, 0, 0, "io");
	expect_ev(&g, i++, 9 * us, RS_EV_MARK, 500, 0, 0, "work");
	expect_ev(&g, i++, 10 * us, RS_EV_PROMISE_RESOLVE, 500, 0, 0, NULL);
	expect_ev(&g, i++, 11 * us, RS_EV_PROMISE_CREATE, D + 3, 0, RS_PT_TASK, NULL);
	expect_ev(&g, i++, 11 * us, RS_EV_PROMISE_LABEL, D + 3, 0, 0, "work");
	expect_ev(&g, i++, 11 * us, RS_EV_PROMISE_READ, D + 1, D + 3, 0, NULL);
	expect_ev(&g, i++, 12 * us, RS_EV_PROMISE_RESOLVE, D + 3, 0, 0, NULL);
	expect_ev(&g, i++, 13 * us, RS_EV_THREAD_SWITCH, 42, 43, 0, NULL);
	assert_int_equal(g.ev[i - 1].cpu, 2);
	expect_ev(&g, i++, 14 * us, RS_EV_THREAD_SWITCH, 42, 43, 0, NULL);
	assert_int_equal(g.ev[i - 1].cpu, 1);
	expect_ev(&g, i++, 15 * us, RS_EV_THREAD_WAKE, 42, 0, 0, NULL);
	assert_int_equal(g.ev[i - 1].cpu, 3);
	expect_ev(&g, i++, 16 * us, RS_EV_MARK, 0, 0, 0, "hi");
	expect_ev(&g, i++, 17 * us, RS_EV_MARK, 0, 0, 0, "work");
	assert_int_equal(g.n, i);
	assert_int_equal(g.ev[1].ctx, 42);
	assert_int_equal(g.ev[15].ctx, 43);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.ticks_per_second, 1000000);
	assert_int_equal(g.ngaps, 1);
	assert_int_equal(g.gap[0].from, 16 * us);
	assert_int_equal(g.gap[0].to, 17 * us);
	assert_non_null(strstr(g.gap[0].what, "provider 9"));
}

static void expect_fxt_refused(const struct buf *b, const char *needle)
{
	struct got g;
	struct rs_import_stats st;
	char err[256] = "";
	if (fxt(b, &g, &st, err) != -1)
		fail_msg("accepted FXT that should fail with '%s'", needle);
	if (!strstr(err, needle) || strchr(err, '\n'))
		fail_msg("error '%s' does not say '%s' in one line", err, needle);
}

static void test_import_fxt_hostile(void **state)
{
	(void)state;
	struct buf b, base;
	fxt_start(&base);

	b = base; b.b[0] = 0;
	expect_fxt_refused(&b, "magic");
	b = base; b.n -= 3;
	expect_fxt_refused(&b, "whole number");
	b = base; w(&b, 4);                              /* size 0 */
	expect_fxt_refused(&b, "zero size");
	b = base; w(&b, evh(9, 0, 0, 1, 1, 2)); w(&b, 1);   /* past the end */
	expect_fxt_refused(&b, "runs past the end");
	b = base; w(&b, 15 | (uint64_t)0xffffffff << 4);  /* large, huge */
	expect_fxt_refused(&b, "runs past the end");
	b = base; w(&b, evh(2, 0, 0, 1, 1, 99)); w(&b, 1);  /* string 99 */
	expect_fxt_refused(&b, "string ref 99");
	b = base; w(&b, evh(2, 0, 0, 9, 1, 2)); w(&b, 1);   /* thread 9 */
	expect_fxt_refused(&b, "thread ref 9");
	b = base; w(&b, evh(2, 0, 0, 1, 1, 0x8020)); w(&b, 1); /* 32-byte inline */
	expect_fxt_refused(&b, "inline string");
	b = base; w(&b, evh(3, 0, 1, 1, 1, 2)); w(&b, 1); w(&b, 1 | 0 << 4);
	expect_fxt_refused(&b, "argument's size");
	b = base; w(&b, evh(3, 0, 1, 1, 1, 2)); w(&b, 1); w(&b, 3 | 5 << 4);
	expect_fxt_refused(&b, "argument's size");
	b = base; w(&b, evh(2, 5, 0, 1, 1, 2)); w(&b, 1);   /* no async id */
	expect_fxt_refused(&b, "runs past its size");
	b = base; w(&b, evh(2, 0, 0, 1, 1, 2)); w(&b, UINT64_MAX);
	expect_fxt_refused(&b, "2^63");
	b = base; w(&b, 1 | 2 << 4); w(&b, 0);
	expect_fxt_refused(&b, "zero ticks");
	b = base; w(&b, 2 | 1 << 4 | 6ull << 16 | 9ull << 32);  /* string past */
	expect_fxt_refused(&b, "runs past its size");
	b = base; w(&b, 9 | 2 << 4 | 64 << 16 | (uint64_t)1 << 32); w(&b, 1);
	expect_fxt_refused(&b, "message runs past");
}

RS_TEST_SUITE(import,
	      cmocka_unit_test(test_import_mirage_every_op),
	      cmocka_unit_test(test_import_mirage_wrapped_ring),
	      cmocka_unit_test(test_import_mirage_hostile),
	      cmocka_unit_test(test_import_fxt_every_record),
	      cmocka_unit_test(test_import_fxt_hostile))
