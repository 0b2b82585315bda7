/*
 * export_ctf.c - a trace database as CTF 1.8, for babeltrace2 and Trace
 * Compass.
 *
 * Layout: one stream class; one data stream file per CPU (stream_N), cut
 * into packets of at most 64 KiB. Every integer is byte aligned, little
 * endian. The clock is the guest's time since boot in ns, offset by the
 * boot wall-clock time when the guest knew it. Field names come from the
 * decoder's vocabulary (rs_event_arg_name), so babeltrace2 prints
 * "promise = 12, resolver = 3" rather than "a = 12, b = 3".
 *
 * Losses: a packet is closed at every gap, and the next packet's
 * events_discarded (a per-stream running total, as CTF defines it) carries
 * the count, so babeltrace2 reports them between the right packets.
 * Packets are written whole from the database, so even a crashed guest's
 * trace ends in a complete packet: there is nothing to repair.
 */
#include "export.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rs_decode.h"

#define CTF_MAGIC       0xC1FC1FC1u
#define PACKET_MAX      (64u * 1024)
#define PACKET_HDR      (4 + 16 + 4)               /* magic, uuid, stream id */
#define PACKET_CTX      (8 * 6 + 4)                /* see metadata below */
#define EVENT_MAX       (2 + 8 + 4 + 4 * 8 + RS_MAX_RECORD + 1)
/* The panic's event class: past every record type (RS_EV_TYPE_LIMIT). */
#define PANIC_ID        RS_EV_TYPE_LIMIT

struct packet {
	uint8_t buf[PACKET_MAX];
	size_t len;              /* bytes used, headers included */
	uint64_t events;
	int64_t ts_begin, ts_end;
};

struct ctf_writer {
	const char *dir;
	char name[320];          /* the trace's name (env.hostname) */
	uint8_t uuid[16];
	FILE *stream;            /* current CPU's file */
	int cpu;                 /* -1 before the first row */
	struct packet pkt;
	uint64_t seq_num;        /* packets written on this CPU */
	uint64_t discarded;      /* running total of lost events, this CPU */
	int64_t last_end;        /* timestamp_end of the previous packet */
	struct rs_gap *gaps;     /* all gaps, by cpu then time */
	size_t ngaps, next_gap;
	uint64_t events;
	const struct rs_trace_meta *m;
	int panic_done;          /* the panic event is written */
	char err[256];
};

static void put(struct packet *p, const void *v, size_t n)
{
	memcpy(p->buf + p->len, v, n);
	p->len += n;
}

static void put64(struct packet *p, uint64_t v) { put(p, &v, 8); }
static void put32(struct packet *p, uint32_t v) { put(p, &v, 4); }
static void put16(struct packet *p, uint16_t v) { put(p, &v, 2); }

static void packet_open(struct ctf_writer *w, int64_t ts)
{
	struct packet *p = &w->pkt;
	p->len = PACKET_HDR + PACKET_CTX;  /* header written at close */
	p->events = 0;
	p->ts_begin = ts > w->last_end ? ts : w->last_end;
	p->ts_end = p->ts_begin;
}

static int packet_close(struct ctf_writer *w, int force)
{
	struct packet *p = &w->pkt;
	const size_t content = p->len;
	struct packet hdr = { .len = 0 };

	/* A packet with no events is still written when it carries a loss,
	 * so the count is never dropped. */
	if (p->events == 0 && w->discarded == 0 && !force)
		return 0;
	put32(&hdr, CTF_MAGIC);
	put(&hdr, w->uuid, 16);
	put32(&hdr, 0);                           /* stream class id */
	put64(&hdr, (uint64_t)p->ts_begin);
	put64(&hdr, (uint64_t)p->ts_end);
	put64(&hdr, content * 8);                 /* content_size, bits */
	put64(&hdr, content * 8);                 /* packet_size, bits */
	put64(&hdr, w->seq_num++);
	put64(&hdr, w->discarded);
	put32(&hdr, (uint32_t)w->cpu);
	memcpy(p->buf, hdr.buf, hdr.len);
	if (fwrite(p->buf, 1, content, w->stream) != content) {
		snprintf(w->err, sizeof(w->err), "writing stream_%d: %s",
			 w->cpu, strerror(errno));
		return -1;
	}
	w->last_end = p->ts_end;
	p->len = 0;
	return 0;
}

static int stream_switch(struct ctf_writer *w, int cpu, int64_t ts)
{
	char path[4096];

	if (w->stream) {
		if (packet_close(w, 0) != 0)
			return -1;
		if (fclose(w->stream) != 0) {
			snprintf(w->err, sizeof(w->err), "closing stream_%d: %s",
				 w->cpu, strerror(errno));
			return -1;
		}
	}
	w->cpu = cpu;
	w->seq_num = 0;
	w->discarded = 0;
	w->last_end = 0;
	snprintf(path, sizeof(path), "%s/stream_%d", w->dir, cpu);
	w->stream = fopen(path, "wb");
	if (!w->stream) {
		snprintf(w->err, sizeof(w->err), "stream_%d: %s", cpu,
			 strerror(errno));
		return -1;
	}
	packet_open(w, ts);
	return 0;
}

/* Close the packet at each gap that comes before `ts` on this CPU, and
 * count the gap into the next packet's events_discarded. */
static int apply_gaps(struct ctf_writer *w, int64_t ts)
{
	while (w->next_gap < w->ngaps) {
		const struct rs_gap *g = &w->gaps[w->next_gap];
		if (g->cpu > w->cpu)
			break;
		if (g->cpu == w->cpu && g->from_ns >= 0 && g->from_ns >= ts)
			break;
		w->next_gap++;
		if (g->cpu < w->cpu)
			continue;
		/* babeltrace2 counts a loss as the difference between two
		 * packets' totals, so a stream that starts with a loss first
		 * gets an empty packet saying "none yet". */
		if ((w->pkt.events || w->seq_num == 0) &&
		    packet_close(w, w->seq_num == 0) != 0)
			return -1;
		if (w->pkt.len == 0)
			packet_open(w, ts);
		w->discarded += g->count;
	}
	return 0;
}

static int room_for_event(struct ctf_writer *w, int64_t ts)
{
	if (w->pkt.len + EVENT_MAX > PACKET_MAX) {
		if (packet_close(w, 0) != 0)
			return -1;
		packet_open(w, ts);
	}
	return 0;
}

/* The panic, as an event on its CPU's stream at its time: written before
 * that CPU's first later event, or at the end of its stream. */
static int put_panic(struct ctf_writer *w)
{
	const struct rs_trace_meta *m = w->m;
	if (w->panic_done || !m->has_panic || w->cpu != (int)m->panic_cpu)
		return 0;
	w->panic_done = 1;
	if (room_for_event(w, m->panic_ts_ns) != 0)
		return -1;
	struct packet *p = &w->pkt;
	const int64_t ts = m->panic_ts_ns > p->ts_end ? m->panic_ts_ns : p->ts_end;
	put16(p, PANIC_ID);
	put64(p, (uint64_t)ts);
	put32(p, 0);
	put64(p, m->panic_cpu);
	put64(p, m->panic_vector);
	put64(p, m->panic_rip);
	put64(p, m->panic_fault_addr);
	put(p, m->panic_reason, strnlen(m->panic_reason, RS_REASON_LEN));
	put(p, "", 1);
	p->ts_end = ts;
	p->events++;
	return 0;
}

static int write_event(void *opaque, const struct rs_row *r)
{
	struct ctf_writer *w = opaque;
	const int nargs = rs_event_nargs(r->type);

	if (nargs < 0 || r->type == RS_EV_PAD || r->type == RS_EV_LOST)
		return 0;  /* not an event type the metadata declares */
	if (r->cpu != w->cpu && (put_panic(w) != 0 ||
				 stream_switch(w, r->cpu, r->ts_ns) != 0))
		return -1;
	if (apply_gaps(w, r->ts_ns) != 0)
		return -1;
	if (r->ts_ns > w->m->panic_ts_ns && put_panic(w) != 0)
		return -1;
	if (room_for_event(w, r->ts_ns) != 0)
		return -1;
	struct packet *p = &w->pkt;
	const int64_t ts = r->ts_ns > p->ts_end ? r->ts_ns : p->ts_end;
	const uint64_t args[3] = { r->a, r->b, r->c };  /* signed: as is */

	put16(p, r->type);
	put64(p, (uint64_t)ts);
	put32(p, r->ctx);
	for (int i = 0; i < nargs; i++)
		put64(p, args[i]);
	if (rs_event_has_str(r->type)) {
		const char *s = r->str ? r->str : "";
		size_t n = strnlen(s, RS_MAX_RECORD);
		put(p, s, n);
		put(p, "", 1);
	}
	p->ts_end = ts;
	p->events++;
	w->events++;
	return 0;
}

static int collect_gap(void *opaque, const struct rs_gap *g)
{
	struct ctf_writer *w = opaque;
	struct rs_gap *more = realloc(w->gaps, (w->ngaps + 1) * sizeof(*more));
	if (!more)
		return -1;
	w->gaps = more;
	w->gaps[w->ngaps++] = *g;
	return 0;
}

/* The trace's name, which babeltrace2 prints on every line (as LTTng's
 * host name): "ringside-" and the source's last word, e.g. ringside-demo
 * for file:/tmp/demo.ring or xen:demo, and the trace id past the first. */
static void trace_name(char *out, size_t len, const struct rs_trace_meta *m)
{
	const char *s = m->source, *p;
	if ((p = strchr(s, ':')) != NULL)
		s = p + 1;
	if ((p = strrchr(s, '/')) != NULL && p[1])
		s = p + 1;
	size_t n = strcspn(s, ".");
	snprintf(out, len, "ringside-%.*s", (int)(n ? n : strlen(s)), s);
	if (m->id > 1) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, "-%lld", (long long)m->id);
	}
}

/* A TSDL string literal: guest text may hold anything. */
static void tsdl_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fputc('?', f);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The TSDL text. */
static void write_metadata(FILE *f, const struct ctf_writer *w,
			   const struct rs_trace_meta *m)
{
	const uint8_t *u = w->uuid;

	fprintf(f, "/* CTF 1.8 */\n\n"
		"typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
		"typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
		"typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
		"typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
		"typealias integer { size = 64; align = 8; signed = true; } := int64_t;\n"
		"typealias integer { size = 64; align = 8; signed = false; base = hex; } := uint64_hex_t;\n\n");
	fprintf(f, "trace {\n\tmajor = 1;\n\tminor = 8;\n"
		"\tuuid = \"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x\";\n\tbyte_order = le;\n"
		"\tpacket.header := struct {\n\t\tuint32_t magic;\n"
		"\t\tuint8_t uuid[16];\n\t\tuint32_t stream_id;\n\t};\n};\n\n",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		u[10], u[11], u[12], u[13], u[14], u[15]);
	/* babeltrace2 names the trace after env.hostname; trace_name says
	 * the same for tools that look for it. */
	fputs("env {\n\tdomain = \"ringside\";\n\ttracer_name = \"ringside\";\n"
	      "\thostname = ", f);
	tsdl_str(f, w->name);
	fputs(";\n\ttrace_name = ", f);
	tsdl_str(f, w->name);
	fprintf(f, ";\n\tguest_state = \"%s\";\n\tboot_nonce = \"0x%llx\";\n",
		m->guest_state, (unsigned long long)m->nonce);
	if (m->has_panic) {
		fputs("\tpanic_reason = ", f);
		tsdl_str(f, m->panic_reason);
		fputs(";\n", f);
	}
	fputs("};\n\n", f);
	fprintf(f, "clock {\n\tname = guest;\n"
		"\tdescription = \"guest time since boot\";\n"
		"\tfreq = 1000000000;\n\toffset_s = %llu;\n\toffset = %llu;\n};\n\n"
		"typealias integer { size = 64; align = 8; signed = false; "
		"map = clock.guest.value; } := uint64_clock_t;\n\n",
		(unsigned long long)(m->boot_wall_ns / 1000000000u),
		(unsigned long long)(m->boot_wall_ns % 1000000000u));
	fprintf(f, "stream {\n\tid = 0;\n\tpacket.context := struct {\n"
		"\t\tuint64_clock_t timestamp_begin;\n"
		"\t\tuint64_clock_t timestamp_end;\n"
		"\t\tuint64_t content_size;\n\t\tuint64_t packet_size;\n"
		"\t\tuint64_t packet_seq_num;\n\t\tuint64_t events_discarded;\n"
		"\t\tuint32_t cpu_id;\n\t};\n"
		"\tevent.header := struct {\n\t\tuint16_t id;\n"
		"\t\tuint64_clock_t timestamp;\n\t};\n};\n\n");

	for (uint16_t t = 1; t < RS_EV_TYPE_LIMIT; t++) {
		const int nargs = rs_event_nargs(t);
		if (nargs < 0 || t == RS_EV_LOST)
			continue;
		fprintf(f, "event {\n\tname = \"%s\";\n\tid = %u;\n"
			"\tstream_id = 0;\n\tfields := struct {\n"
			"\t\tuint32_t thread;\n", rs_event_name(t), t);
		for (int i = 0; i < nargs; i++) {
			const char *name = rs_event_arg_name(t, (unsigned)i);
			const int hex = !strcmp(name, "addr") ||
					!strcmp(name, "due_tsc");
			if (t == RS_EV_PROMISE_CREATE && i == 2) {
				fprintf(f, "\t\tenum : uint64_t {");
				for (uint64_t k = 0; k < RS_PT_COUNT; k++)
					fprintf(f, "%s%s = %llu", k ? ", " : " ",
						rs_promise_type_name(k),
						(unsigned long long)k);
				fprintf(f, " } %s;\n", name);
			} else if (t == RS_EV_THREAD_BLOCK && i == 1) {
				fprintf(f, "\t\tenum : uint64_t { promise = 1, "
					"sleep = 2, event = 3, join = 4 } %s;\n",
					name);
			} else {
				fprintf(f, "\t\t%s %s;\n", hex ? "uint64_hex_t" :
					rs_event_arg_signed(t, (unsigned)i) ?
					"int64_t" : "uint64_t", name);
			}
		}
		if (rs_event_has_str(t))
			fprintf(f, "\t\tstring %s;\n", rs_event_str_name(t));
		fprintf(f, "\t};\n};\n\n");
	}
	if (m->has_panic)
		fprintf(f, "event {\n\tname = \"panic\";\n\tid = %u;\n"
			"\tstream_id = 0;\n\tfields := struct {\n"
			"\t\tuint32_t thread;\n\t\tuint64_t cpu;\n"
			"\t\tuint64_t vector;\n\t\tuint64_hex_t rip;\n"
			"\t\tuint64_hex_t fault_addr;\n\t\tstring reason;\n"
			"\t};\n};\n\n", PANIC_ID);
}

int rs_export_ctf(struct rs_trace_db *db, int64_t trace_id, const char *dir,
		  uint64_t *events_out, char *err, size_t errlen)
{
	assert(db && dir && err && errlen > 0);
	struct rs_trace_meta m;
	struct ctf_writer *w = calloc(1, sizeof(*w));
	char path[4096];
	int rc = -1;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->dir = dir;
	w->cpu = -1;
	w->m = &m;
	if (rs_trace_meta(db, trace_id, &m) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		goto out;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	trace_name(w->name, sizeof(w->name), &m);
	/* A stable UUID per boot: the nonce, twice, with the version bits. */
	memcpy(w->uuid, &m.nonce, 8);
	memcpy(w->uuid + 8, &m.id, 8);
	w->uuid[6] = (uint8_t)((w->uuid[6] & 0x0f) | 0x40);
	w->uuid[8] = (uint8_t)((w->uuid[8] & 0x3f) | 0x80);

	snprintf(path, sizeof(path), "%s/metadata", dir);
	FILE *meta = fopen(path, "w");
	if (!meta) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	write_metadata(meta, w, &m);
	if (fclose(meta) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}

	if (rs_trace_gaps(db, m.id, collect_gap, w) != 0 ||
	    rs_trace_events(db, m.id, RS_ORDER_CPU_TIME, INT64_MIN, INT64_MAX,
			    write_event, w) != 0) {
		snprintf(err, errlen, "%s", w->err[0] ? w->err : rs_trace_error(db));
		goto out;
	}
	/* a panic on a CPU with no later event, or with none at all */
	if (m.has_panic && !w->panic_done && (int)m.panic_cpu != w->cpu &&
	    m.panic_cpu < m.ncpus && (put_panic(w) != 0 ||
	    stream_switch(w, (int)m.panic_cpu, m.panic_ts_ns) != 0)) {
		snprintf(err, errlen, "%s", w->err);
		goto out;
	}
	if (w->stream && put_panic(w) != 0) {
		snprintf(err, errlen, "%s", w->err);
		goto out;
	}
	if (w->stream) {
		if (apply_gaps(w, INT64_MAX) != 0 || packet_close(w, 0) != 0 ||
		    fclose(w->stream) != 0) {
			w->stream = NULL;
			snprintf(err, errlen, "%s", w->err);
			goto out;
		}
		w->stream = NULL;
	}
	if (events_out)
		*events_out = w->events;
	rc = 0;
out:
	if (w->stream)
		fclose(w->stream);
	free(w->gaps);
	free(w);
	return rc;
}
