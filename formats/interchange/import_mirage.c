/*
 * import_mirage.c - a mirage-profile trace (MirageOS's Lwt tracer) into
 * ringside's events.
 *
 * The layout is mirage-profile's CTF metadata (its `metadata` file, the
 * spec followed here): a stream is a run of packets, each a 30-byte
 * header (u32 magic 0xc1fc1fc1, 16-byte uuid, u32 packet_size and u32
 * content_size in bits, u16 stream_packet_count) and events packed
 * without alignment: u64 timestamp (ns), u8 op, then the op's fields.
 * The writer keeps four packets in a ring and overwrites the oldest, so
 * a saved ring holds its packets rotated; the u16 count (which wraps)
 * gives their order, and a ring whose oldest packet is not number 0
 * lost the packets before it, whose events nobody counted: stated as a
 * gap of unknown size, never guessed.
 *
 * Mapping (ops as the metadata names them; ids: mirage's id + 1, so its
 * -1 "none" is ringside's 0 and every other id keeps its order):
 *   creates   promise_create (promise = child, parent = thread, type)
 *   read      promise_read (promise = source, reader = thread)
 *   try_read  promise_try_read (the same)
 *   fulfills  promise_resolve (promise = resolvee, resolver = thread)
 *   fails     promise_fail (the same, with the exception text)
 *   becomes   promise_becomes (promise = thread, follows = sleeper)
 *   label     promise_label (promise = thread)
 *   signal    promise_signal (promise = source, signaller = thread)
 *   increase  counter (the running sum of its amounts, per name)
 *   counter   counter (the value; later increases add to it)
 *   switch    to -1: idle_enter; to a thread: mark "switch" (value: the
 *             thread), after an idle_exit when it ends an idle period
 *             (the idle_exit is the only event made, not read)
 *   gc        mark "gc" (value: the collection's duration in ns)
 * Promise types: mirage-profile's 0-11 are ringside's; its 12 on_any,
 * 13 ignore_result and 14 async are ringside's RS_PT_ON_ANY,
 * RS_PT_IGNORE_RESULT and RS_PT_ASYNC (ringside_ring.h); anything else
 * (its writer says 99 for a type it does not know) is stored as
 * "unknown". Every event is on ctx 0 (one OCaml thread) and CPU = the
 * stream's index.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"

#define MP_MAGIC  0xc1fc1fc1u
#define MP_HDR    30u
#define MP_EV_HDR 9u
#define MP_NOPS   12u
#define MP_MAX_STREAMS RS_MAX_CPUS

static const uint8_t mp_uuid[16] = {
	0x05, 0x88, 0x3b, 0x8d, 0x52, 0x1a, 0x48, 0x7b,
	0xb3, 0x97, 0x45, 0x6a, 0xb1, 0x50, 0x68, 0x0c,
};
static const char mp_uuid_text[] = "05883b8d-521a-487b-b397-456ab150680c";

static const char *const op_names[MP_NOPS] = {
	"creates", "read", "fulfills", "fails", "becomes", "label",
	"increase", "switch", "gc", "signal", "try_read", "counter",
};

const char *rs_import_mirage_op_name(unsigned op)
{
	return op < MP_NOPS ? op_names[op] : NULL;
}

/* mirage-profile's thread_type enum onto ringside's promise types. */
static uint64_t ptype_of(uint8_t t)
{
	static const uint8_t map[15] = {
		RS_PT_WAIT, RS_PT_TASK, RS_PT_BIND, RS_PT_TRY, RS_PT_CHOOSE,
		RS_PT_PICK, RS_PT_JOIN, RS_PT_MAP, RS_PT_CONDITION,
		RS_PT_ON_SUCCESS, RS_PT_ON_FAILURE, RS_PT_ON_TERMINATION,
		RS_PT_ON_ANY, RS_PT_IGNORE_RESULT, RS_PT_ASYNC,
	};
	return t < sizeof(map) ? map[t] : UINT64_MAX;
}

/* ---- running sums of `increase`, by counter name ---------------------- */

struct sums {
	char **name;
	int64_t *sum;
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	return rs_imp_hash(RS_IMP_HASH0, (const uint8_t *)s, strlen(s));
}

static int64_t *sum_slot(struct sums *m, const char *name)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		char **nn = calloc(cap, sizeof(*nn));
		int64_t *ns = calloc(cap, sizeof(*ns));
		if (!nn || !ns) {
			free(nn);
			free(ns);
			return NULL;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->name[i])
				continue;
			size_t j = str_hash(m->name[i]) & (cap - 1);
			while (nn[j])
				j = (j + 1) & (cap - 1);
			nn[j] = m->name[i];
			ns[j] = m->sum[i];
		}
		free(m->name);
		free(m->sum);
		m->name = nn;
		m->sum = ns;
		m->cap = cap;
	}
	size_t j = str_hash(name) & (m->cap - 1);
	while (m->name[j] && strcmp(m->name[j], name) != 0)
		j = (j + 1) & (m->cap - 1);
	if (!m->name[j]) {
		m->name[j] = strdup(name);
		if (!m->name[j])
			return NULL;
		m->sum[j] = 0;
		m->n++;
	}
	return &m->sum[j];
}

static void sums_free(struct sums *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->name[i]);
	free(m->name);
	free(m->sum);
	memset(m, 0, sizeof(*m));
}

/* ---- one stream ------------------------------------------------------- */

struct packet {
	size_t off, content;      /* content: bytes, header included */
	uint16_t count;
};

struct stream {
	struct rs_imp *im;
	uint16_t cpu;
	const char *name;         /* for messages */
	int idle;
	struct sums sums;
};

/* Every packet's header, checked, in file order. */
static int scan_packets(struct stream *s, const uint8_t *buf, size_t len,
			struct packet **out, size_t *nout)
{
	struct rs_imp *im = s->im;
	size_t n = 0, cap = 0;
	struct packet *p = NULL;

	for (size_t off = 0; off < len;) {
		const uint8_t *h = buf + off;
		if (len - off < MP_HDR)
			goto bad_hdr;
		if (rs_imp_le32(h) != MP_MAGIC) {
			rs_imp_fail(im, "%s: no mirage-profile packet at offset"
				    " %zu (magic 0x%08x, want 0x%08x)", s->name,
				    off, rs_imp_le32(h), MP_MAGIC);
			goto fail;
		}
		if (memcmp(h + 4, mp_uuid, sizeof(mp_uuid)) != 0) {
			rs_imp_fail(im, "%s: packet at offset %zu is not"
				    " mirage-profile's (uuid differs from %s)",
				    s->name, off, mp_uuid_text);
			goto fail;
		}
		const uint32_t psize = rs_imp_le32(h + 20);
		const uint16_t count = rs_imp_le16(h + 24);
		const uint32_t csize = rs_imp_le32(h + 26);
		if (psize % 8 || csize % 8 || psize / 8 < MP_HDR ||
		    csize / 8 < MP_HDR || csize > psize) {
			rs_imp_fail(im, "%s: packet at offset %zu has sizes"
				    " %u/%u bits (packet/content): not whole"
				    " bytes, smaller than its header, or content"
				    " past the packet", s->name, off, psize, csize);
			goto fail;
		}
		if (psize / 8 > len - off) {
			rs_imp_fail(im, "%s: packet at offset %zu says %u bytes,"
				    " the file has %zu after it", s->name, off,
				    psize / 8, len - off);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			void *np = realloc(p, cap * sizeof(*p));
			if (!np) {
				rs_imp_fail(im, "out of memory");
				goto fail;
			}
			p = np;
		}
		p[n++] = (struct packet){ off, csize / 8, count };
		off += psize / 8;
		continue;
bad_hdr:
		rs_imp_fail(im, "%s: truncated packet header at offset %zu"
			    " (%zu bytes left, a header is %u)", s->name, off,
			    len - off, MP_HDR);
		goto fail;
	}
	*out = p;
	*nout = n;
	return 0;
fail:
	free(p);
	return -1;
}

/*
 * Where the oldest packet is. The writer numbers packets as it fills
 * them, into the slots in turn, so read cyclically from the right slot
 * every count is its predecessor's plus one (mod 2^16) but at one edge:
 * the one from the newest packet back to the oldest. A file already in
 * order has that edge at its end. Counts that break more than once
 * (lost packets) start after the first break found, the file's end
 * first; the other breaks are gaps.
 */
static size_t oldest_packet(const struct packet *p, size_t n)
{
	if (n < 2 || (uint16_t)(p[n - 1].count + 1) != p[0].count)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((uint16_t)(p[i - 1].count + 1) != p[i].count)
			return i;
	return 0;
}

static int need(struct stream *s, const uint8_t *q, const uint8_t *end,
		size_t n, size_t pkt_off, const char *what)
{
	if ((size_t)(end - q) >= n)
		return 0;
	return rs_imp_fail(s->im, "%s: packet at offset %zu: %s runs past the"
			   " packet's content", s->name, pkt_off, what);
}

/* A NUL-terminated string at q inside the content; its length in *len. */
static int take_str(struct stream *s, const uint8_t *q, const uint8_t *end,
		    size_t *len, size_t pkt_off, const char *what)
{
	const uint8_t *nul = memchr(q, 0, (size_t)(end - q));
	if (!nul)
		return rs_imp_fail(s->im, "%s: packet at offset %zu: %s has no"
				   " end (no NUL before the content ends)",
				   s->name, pkt_off, what);
	*len = (size_t)(nul - q);
	return 0;
}

static uint64_t id_of(uint64_t mirage_id)
{
	return mirage_id + 1;   /* -1 (none) is 0 */
}

/* increase (op 6) adds to its counter's running sum, counter (11) sets
 * it; either way the sample is the sum. */
static int map_counter(struct stream *s, uint64_t ts, uint8_t op,
		       const uint8_t **qp, const uint8_t *end, size_t pkt)
{
	const uint8_t *q = *qp;
	size_t slen = 0;
	if (need(s, q, end, 8, pkt, op_names[op]))
		return -1;
	const int64_t v = (int64_t)rs_imp_le64(q);
	q += 8;
	if (take_str(s, q, end, &slen, pkt, "a counter's name"))
		return -1;
	int64_t *sum = sum_slot(&s->sums, (const char *)q);
	if (!sum)
		return rs_imp_fail(s->im, "out of memory");
	/* Wraps like the OCaml ints it sums, never undefined. */
	*sum = op == 6 ? (int64_t)((uint64_t)*sum + (uint64_t)v) : v;
	*qp = q + slen + 1;
	return rs_imp_emit(s->im, s->cpu, ts, RS_EV_COUNTER, 0, (uint64_t)*sum,
			   0, 0, (const char *)q, slen);
}

/* switch to -1 suspends (idle); to a thread, resumes it. */
static int map_switch(struct stream *s, uint64_t ts, uint64_t thread)
{
	if (thread == UINT64_MAX) {
		s->idle = 1;
		return rs_imp_emit(s->im, s->cpu, ts, RS_EV_IDLE_ENTER, 0, 0, 0,
				   0, NULL, 0);
	}
	if (s->idle) {
		s->idle = 0;
		if (rs_imp_emit(s->im, s->cpu, ts, RS_EV_IDLE_EXIT, 0, 0, 0, 0,
				NULL, 0))
			return -1;
	}
	return rs_imp_emit(s->im, s->cpu, ts, RS_EV_MARK, 0, id_of(thread), 0,
			   0, "switch", 6);
}

/* One event's fields after its 9-byte header; *q moves past them. */
static int map_event(struct stream *s, uint64_t ts, uint8_t op,
		     const uint8_t **qp, const uint8_t *end, size_t pkt)
{
	struct rs_imp *im = s->im;
	const uint8_t *q = *qp;
	const char *nm = op < MP_NOPS ? op_names[op] : "event";
	uint64_t thread = 0, x = 0;
	size_t slen = 0;
	const uint16_t cpu = s->cpu;
	int rc;

	/* Every op but gc starts with its thread context. */
	if (op != 8) {
		if (need(s, q, end, 8, pkt, nm))
			return -1;
		thread = rs_imp_le64(q);
		q += 8;
	}
	switch (op) {
	case 0: /* creates: child, thread_type */
		if (need(s, q, end, 9, pkt, nm))
			return -1;
		rc = rs_imp_emit(im, cpu, ts, RS_EV_PROMISE_CREATE, 0,
				 id_of(rs_imp_le64(q)), id_of(thread),
				 ptype_of(q[8]), NULL, 0);
		q += 9;
		break;
	case 1: case 2: case 4: case 9: case 10:
		if (need(s, q, end, 8, pkt, nm))
			return -1;
		x = id_of(rs_imp_le64(q));
		q += 8;
		if (op == 4) /* becomes: thread now follows sleeper */
			rc = rs_imp_emit(im, cpu, ts, RS_EV_PROMISE_BECOMES, 0,
					 id_of(thread), x, 0, NULL, 0);
		else
			rc = rs_imp_emit(im, cpu, ts,
					 op == 1 ? RS_EV_PROMISE_READ :
					 op == 2 ? RS_EV_PROMISE_RESOLVE :
					 op == 9 ? RS_EV_PROMISE_SIGNAL :
						   RS_EV_PROMISE_TRY_READ,
					 0, x, id_of(thread), 0, NULL, 0);
		break;
	case 3: /* fails: resolvee, exn */
		if (need(s, q, end, 8, pkt, nm))
			return -1;
		x = id_of(rs_imp_le64(q));
		q += 8;
		if (take_str(s, q, end, &slen, pkt, "a fails' exception"))
			return -1;
		rc = rs_imp_emit(im, cpu, ts, RS_EV_PROMISE_FAIL, 0, x,
				 id_of(thread), 0, (const char *)q, slen);
		q += slen + 1;
		break;
	case 5: /* label */
		if (take_str(s, q, end, &slen, pkt, "a label"))
			return -1;
		rc = rs_imp_emit(im, cpu, ts, RS_EV_PROMISE_LABEL, 0,
				 id_of(thread), 0, 0, (const char *)q, slen);
		q += slen + 1;
		break;
	case 6: case 11: /* increase: amount; counter: value; then name */
		rc = map_counter(s, ts, op, &q, end, pkt);
		break;
	case 7:
		rc = map_switch(s, ts, thread);
		break;
	case 8: /* gc: duration_ns */
		if (need(s, q, end, 8, pkt, nm))
			return -1;
		rc = rs_imp_emit(im, cpu, ts, RS_EV_MARK, 0, rs_imp_le64(q), 0, 0,
				 "gc", 2);
		q += 8;
		break;
	default:
		return rs_imp_fail(im, "%s: packet at offset %zu: unknown op %u"
				   " (mirage-profile's are 0-11)", s->name, pkt,
				   op);
	}
	*qp = q;
	return rc;
}

static int read_packet(struct stream *s, const uint8_t *buf,
		       const struct packet *p)
{
	const uint8_t *q = buf + p->off + MP_HDR, *end = buf + p->off + p->content;

	while (q < end) {
		if (need(s, q, end, MP_EV_HDR, p->off, "an event header"))
			return -1;
		const uint64_t ts = rs_imp_le64(q);
		const uint8_t op = q[8];
		if (ts > INT64_MAX)
			return rs_imp_fail(s->im, "%s: packet at offset %zu: a"
					   " timestamp past 2^63 ns", s->name,
					   p->off);
		q += MP_EV_HDR;
		if (op < MP_NOPS)
			s->im->st->source_ops[op]++;
		if (map_event(s, ts, op, &q, end, p->off) != 0)
			return -1;
	}
	return 0;
}

static int read_stream(struct rs_imp *im, const uint8_t *buf, size_t len,
		       uint16_t cpu, const char *name)
{
	struct stream s = { .im = im, .cpu = cpu, .name = name };
	struct packet *p = NULL;
	size_t n = 0;
	char what[160];

	if (len == 0)
		return rs_imp_fail(im, "%s: empty, no mirage-profile packet",
				   name);
	if (scan_packets(&s, buf, len, &p, &n) != 0)
		return -1;
	const size_t first = oldest_packet(p, n);
	int rc = 0;
	for (size_t k = 0; k < n && rc == 0; k++) {
		const struct packet *cur = &p[(first + k) % n];
		if (k == 0 && cur->count != 0) {
			snprintf(what, sizeof(what), "mirage ring wrapped: its"
				 " oldest packet is number %u, the %u before it"
				 " (or that plus a multiple of 65536) were"
				 " overwritten", cur->count, cur->count);
			rs_imp_gap(im, cpu, what);
		} else if (k > 0) {
			const uint16_t prev = p[(first + k - 1) % n].count;
			if ((uint16_t)(prev + 1) != cur->count) {
				snprintf(what, sizeof(what), "mirage packets"
					 " missing: number %u follows %u",
					 cur->count, prev);
				rs_imp_gap(im, cpu, what);
			}
		}
		if (cur->content > MP_HDR)
			im->st->packets++;
		rc = read_packet(&s, buf, cur);
	}
	free(p);
	sums_free(&s.sums);
	return rc;
}

static int import_mem(const uint8_t *buf, size_t len, const char *name,
		      const struct rs_import_sink *sink,
		      struct rs_import_stats *st, char *err, size_t errlen)
{
	struct rs_imp im;
	memset(st, 0, sizeof(*st));
	rs_imp_init(&im, sink, st, err, errlen);
	st->bytes = len;
	st->hash = rs_imp_hash(RS_IMP_HASH0, buf, len);
	if (read_stream(&im, buf, len, 0, name) != 0)
		return -1;
	return rs_imp_finish(&im);
}

int rs_import_mirage_mem(const uint8_t *buf, size_t len,
			 const struct rs_import_sink *sink,
			 struct rs_import_stats *st, char *err, size_t errlen)
{
	return import_mem(buf, len, "mirage ring", sink, st, err, errlen);
}

/* ---- a directory: metadata and streams -------------------------------- */

/* The metadata must be mirage-profile's: plain-text TSDL naming its uuid
 * (then its packet header and events are the ones read here). */
static int check_metadata(struct rs_imp *im, const char *dir)
{
	char path[4096];
	uint8_t *m;
	size_t len;

	snprintf(path, sizeof(path), "%s/metadata", dir);
	if (rs_imp_read_file(path, &m, &len, im->err, im->errlen) != 0)
		return -1;
	im->st->hash = rs_imp_hash(im->st->hash, m, len);
	im->st->bytes += len;
	int ok = len >= 7 && memcmp(m, "/* CTF ", 7) == 0 &&
		 memmem(m, len, mp_uuid_text, sizeof(mp_uuid_text) - 1) &&
		 memmem(m, len, "byte_order = le", 15);
	free(m);
	if (!ok)
		return rs_imp_fail(im, "%s: not mirage-profile's CTF metadata"
				   " (want text TSDL with uuid %s, byte_order"
				   " le)", path, mp_uuid_text);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_streams(struct rs_imp *im, const char *dir, char ***out,
			size_t *nout)
{
	DIR *d = opendir(dir);
	if (!d)
		return rs_imp_fail(im, "%s: cannot open the directory", dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "metadata") == 0)
			continue;
		if (n == MP_MAX_STREAMS) {
			rc = rs_imp_fail(im, "%s: more than %u stream files",
					 dir, MP_MAX_STREAMS);
			break;
		}
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(e->d_name))) {
			names = nn ? nn : names;
			rc = rs_imp_fail(im, "out of memory");
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (rc == 0 && n == 0)
		rc = rs_imp_fail(im, "%s: a metadata file but no stream file",
				 dir);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return -1;
	}
	qsort(names, n, sizeof(*names), by_name);
	*out = names;
	*nout = n;
	return 0;
}

static int import_dir(struct rs_imp *im, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	if (check_metadata(im, dir) != 0 || list_streams(im, dir, &names, &n))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[4096];
		uint8_t *buf;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = rs_imp_read_file(path, &buf, &len, im->err, im->errlen);
		if (rc == 0) {
			im->st->hash = rs_imp_hash(im->st->hash, buf, len);
			im->st->bytes += len;
			rc = read_stream(im, buf, len, (uint16_t)i, path);
			free(buf);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int rs_import_mirage(const char *path, const struct rs_import_sink *sink,
		     struct rs_import_stats *st, char *err, size_t errlen)
{
	DIR *d = opendir(path);
	if (d) {
		closedir(d);
		struct rs_imp im;
		memset(st, 0, sizeof(*st));
		rs_imp_init(&im, sink, st, err, errlen);
		st->hash = RS_IMP_HASH0;
		if (import_dir(&im, path) != 0)
			return -1;
		return rs_imp_finish(&im);
	}
	uint8_t *buf;
	size_t len;
	if (rs_imp_read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	int rc = import_mem(buf, len, path, sink, st, err, errlen);
	free(buf);
	return rc;
}
