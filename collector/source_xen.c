/*
 * source_xen.c - the live "xen:" source: a running (or crashed and
 * preserved) domain's ring, mapped read-only from dom0 with
 * libxenforeignmemory.
 *
 * Where the ring is, in this order:
 *  1. data/ringside/ring-ref: the grant references of the region's pages
 *     (collector/README.md), mapped with libxengnttab. Any guest may
 *     publish them; for a PV guest it is the only way, since its pfns
 *     are not what dom0 maps (machine frames) and nothing here walks its
 *     p2m. The list is parsed by xen_refs.c; its count must equal
 *     `pages`, and the header found there must say it lives at `gfn`
 *     (the guest's own pseudo-physical address) with the same nonce.
 *  2. (HVM/PVH only) data/ringside/{gfn,pages,nonce}, mapped by gfn.
 *  3. (HVM/PVH only) a magic scan of guest RAM.
 * The guest publishes data/ringside/{gfn,pages,nonce}
 * under its xenstore home. Those keys are the guest's to write, so they
 * are bounded, the pages are mapped and the header is validated against
 * them (self-address = gfn << 12, nonce equal) exactly as if they were a
 * guess. If they are missing or wrong, a magic scan over guest RAM finds
 * the region without the guest's help.
 *
 * Mapping rules (ANCHORS.md section 3): touching a page whose err[] entry
 * is non-zero raises SIGBUS, so every entry is checked before any byte is
 * read, and a region with any unmapped page is refused naming the gfn.
 * Mappings are unmapped whole. The source keeps its mapping until closed;
 * a live mapping keeps a destroyed domain's pages alive, which is why the
 * collector closes the source before it exits (and the toolstack can then
 * let the domain go).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dumpcore.h"   /* RS_XEN_REGION_PAGES_MAX */
#include "mono.h"
#include "rs_decode.h"
#include "xen_internal.h"
#include "xen_refs.h"

#define SCAN_BATCH 1024u   /* pages per map call while scanning */
/* While scanning, look for the guest's keys again every this many
 * batches: a few xenstore reads, about 30 times in a whole scan. */
#define KEYS_EVERY_BATCHES 32u
/* How long a ring found by the scan in a guest that still says booting
 * waits for the guest's keys (booting_keys): ringside's kernel publishes
 * them a few ms to a second (TCG, loaded) after its header, or 10 s
 * with publish_delay_ms=10000 (the Xen suite's late-keys); only a guest
 * stuck booting waits it out. */
#define BOOTING_KEYS_SECS 20.0
/* How long a ring-ref that is there but does not lead to the ring is
 * tried again before the gfn keys are taken (from_grants_settled). */
#define GRANTS_SETTLE_SECS 5.0

struct xen_map {
	xenforeignmemory_handle *fmem;
	void *addr;
	size_t pages;
};

static void xen_map_close(struct rs_source *src)
{
	struct xen_map *m = src->priv;

	if (m) {
		xenforeignmemory_unmap(m->fmem, m->addr, m->pages);
		free(m);
	}
	src->priv = NULL;
}

/*
 * Map `n` gfns from `gfn`. With `all`, any page that fails is an error
 * (naming it) and nothing stays mapped; without, err[] says which pages
 * may be read. Returns the mapping or NULL.
 */
static void *map_gfns(struct rs_xen *x, uint32_t domid, uint64_t gfn, size_t n,
		      int *errs, int all, char *err, size_t errlen)
{
	xen_pfn_t *gfns = calloc(n, sizeof(*gfns));

	if (!gfns) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		gfns[i] = (xen_pfn_t)(gfn + i);
		errs[i] = 0;
	}
	void *addr = xenforeignmemory_map(x->fmem, domid, PROT_READ, n, gfns, errs);
	free(gfns);
	if (!addr) {
		snprintf(err, errlen, "cannot map %zu page(s) of domain %u at gfn"
			 " 0x%llx: %s", n, domid, (unsigned long long)gfn,
			 strerror(errno));
		return NULL;
	}
	for (size_t i = 0; all && i < n; i++) {
		if (errs[i] == 0)
			continue;
		/* The library documents errno values; some versions negate. */
		int e = errs[i] < 0 ? -errs[i] : errs[i];
		snprintf(err, errlen, "gfn 0x%llx of domain %u cannot be mapped"
			 " (%s); refusing the region at gfn 0x%llx",
			 (unsigned long long)(gfn + i), domid, strerror(e),
			 (unsigned long long)gfn);
		xenforeignmemory_unmap(x->fmem, addr, n);
		return NULL;
	}
	return addr;
}

/* Map [gfn, gfn + pages) whole and validate the header there. */
static int try_region(struct rs_xen *x, uint32_t domid, uint64_t gfn,
		      uint64_t pages, uint64_t max_gpfn, int check_nonce,
		      uint64_t nonce, struct rs_source *src, char *err,
		      size_t errlen)
{
	struct rs_layout l;
	int *errs;

	if (pages == 0 || pages > RS_XEN_REGION_PAGES_MAX ||
	    gfn > max_gpfn || pages - 1 > max_gpfn - gfn) {
		snprintf(err, errlen, "a region of %llu pages at gfn 0x%llx does"
			 " not fit the domain (max gfn 0x%llx, at most %u pages)",
			 (unsigned long long)pages, (unsigned long long)gfn,
			 (unsigned long long)max_gpfn, RS_XEN_REGION_PAGES_MAX);
		return -1;
	}
	errs = calloc((size_t)pages, sizeof(*errs));
	if (!errs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	void *addr = map_gfns(x, domid, gfn, (size_t)pages, errs, 1, err, errlen);
	free(errs);
	if (!addr)
		return -1;
	size_t len = (size_t)pages * RS_PAGE_SIZE;
	if (rs_layout_read(addr, len, gfn * RS_PAGE_SIZE, &l, err, errlen) != 0)
		goto unmap;
	if (check_nonce && l.nonce != nonce) {
		snprintf(err, errlen, "the header at gfn 0x%llx has nonce 0x%llx,"
			 " xenstore says 0x%llx (stale keys?)",
			 (unsigned long long)gfn, (unsigned long long)l.nonce,
			 (unsigned long long)nonce);
		goto unmap;
	}
	struct xen_map *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		goto unmap;
	}
	*m = (struct xen_map){ .fmem = x->fmem, .addr = addr, .pages = (size_t)pages };
	src->base = addr;
	src->len = len;
	src->gpa = gfn * RS_PAGE_SIZE;
	src->live = 1;
	src->hint_offset = 0;
	src->check_gpa = 1;
	src->close = xen_map_close;
	src->priv = m;
	return 0;
unmap:
	xenforeignmemory_unmap(x->fmem, addr, (size_t)pages);
	return -1;
}

/* A whole decimal (or, with base 16, hex) number, nothing else. */
static int parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (base == 16 && (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0))
		s += 2;
	if (!*s || strspn(s, base == 16 ? "0123456789abcdefABCDEF" : "0123456789")
			   != strlen(s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* The guest's data/ringside/{gfn,pages} (decimal) and, if there, nonce
 * (hex): what both ways of finding its ring start from. */
struct region_keys {
	uint64_t gfn, pages, nonce;
	int have_nonce;
	char gfn_s[32], pages_s[32];    /* as written, for messages */
};

/* 0; 1 when gfn or pages is missing; -1 with why when a key is there
 * but not a number. */
static int read_region_keys(struct rs_xen *x, uint32_t domid,
			    struct region_keys *k, char *why, size_t whylen)
{
	char nonce_s[32];

	memset(k, 0, sizeof(*k));
	if (rs_xen_guest_key(x, domid, "gfn", k->gfn_s, sizeof(k->gfn_s)) != 0 ||
	    rs_xen_guest_key(x, domid, "pages", k->pages_s,
			     sizeof(k->pages_s)) != 0)
		return 1;
	if (parse_u64(k->gfn_s, 10, &k->gfn) != 0 ||
	    parse_u64(k->pages_s, 10, &k->pages) != 0) {
		snprintf(why, whylen, "data/ringside/gfn '%s' or pages '%s' is not"
			 " a decimal number", k->gfn_s, k->pages_s);
		return -1;
	}
	k->have_nonce = rs_xen_guest_key(x, domid, "nonce", nonce_s,
					 sizeof(nonce_s)) == 0;
	if (k->have_nonce && parse_u64(nonce_s, 16, &k->nonce) != 0) {
		snprintf(why, whylen, "data/ringside/nonce '%s' is not hex", nonce_s);
		return -1;
	}
	return 0;
}

/* The guest's own keys. 0 and the source, or -1 with why. */
static int from_keys(struct rs_xen *x, uint32_t domid, uint64_t max_gpfn,
		     struct rs_source *src, char *why, size_t whylen)
{
	struct region_keys k;
	int rc = read_region_keys(x, domid, &k, why, whylen);

	if (rc > 0)
		snprintf(why, whylen, "no data/ringside/gfn and pages in xenstore");
	if (rc != 0)
		return -1;
	char e[300];
	if (try_region(x, domid, k.gfn, k.pages, max_gpfn, k.have_nonce, k.nonce,
		       src, e, sizeof(e)) != 0) {
		snprintf(why, whylen, "xenstore's gfn %s, %s pages: %s", k.gfn_s,
			 k.pages_s, e);
		return -1;
	}
	return 0;
}

/* ---- grant references ------------------------------------------------- */

struct grant_map {
	xengnttab_handle *gnt;
	void *addr;
	uint32_t count;
};

static void grant_map_close(struct rs_source *src)
{
	struct grant_map *m = src->priv;

	if (m) {
		xengnttab_unmap(m->gnt, m->addr, m->count);
		free(m);
	}
	src->priv = NULL;
}

/* The region's gfn, page count and nonce, as the grant path needs them
 * (all three: the header is held to the first and the last). */
static int grant_keys(struct rs_xen *x, uint32_t domid, uint64_t *gfn,
		      uint64_t *pages, uint64_t *nonce, char *why, size_t whylen)
{
	struct region_keys k;
	int rc = read_region_keys(x, domid, &k, why, whylen);

	if (rc < 0)
		return -1;
	if (rc > 0 || !k.have_nonce) {
		snprintf(why, whylen, "data/ringside/ring-ref without gfn, pages"
			 " and nonce");
		return -1;
	}
	/* gfn << 12 must not wrap: the header's self-address is compared */
	if (k.pages == 0 || k.pages > RS_XEN_REGION_PAGES_MAX ||
	    k.gfn > (UINT64_MAX >> 12) - k.pages) {
		snprintf(why, whylen, "data/ringside/gfn %s, pages %s: not a"
			 " region (1 to %u pages)", k.gfn_s, k.pages_s,
			 RS_XEN_REGION_PAGES_MAX);
		return -1;
	}
	*gfn = k.gfn;
	*pages = k.pages;
	*nonce = k.nonce;
	return 0;
}

/* Map the mapped refs' header and hold it to the keys. 0, or -1. */
static int grant_check(void *addr, size_t len, uint64_t gfn, uint64_t nonce,
		       char *why, size_t whylen)
{
	struct rs_layout l;
	char e[300];

	if (rs_layout_read(addr, len, gfn * RS_PAGE_SIZE, &l, e, sizeof(e)) != 0) {
		snprintf(why, whylen, "the granted pages: %s", e);
		return -1;
	}
	if (l.nonce != nonce) {
		snprintf(why, whylen, "the granted header has nonce 0x%llx,"
			 " xenstore says 0x%llx (stale keys?)",
			 (unsigned long long)l.nonce, (unsigned long long)nonce);
		return -1;
	}
	return 0;
}

/*
 * The guest's grant references. 0 and the source; 1 when the guest
 * publishes none (try another way); -1 with why when it does and they
 * do not lead to its ring.
 */
static int from_grants(struct rs_xen *x, uint32_t domid, struct rs_source *src,
		       char *why, size_t whylen)
{
	/* each reference but the last takes two bytes or more */
	enum { REFS_MAX = RS_XEN_REFS_TEXT_MAX / 2 + 1 };
	char text[RS_XEN_REFS_TEXT_MAX + 1];
	uint64_t gfn, pages, nonce;
	size_t n = 0;

	if (rs_xen_guest_key(x, domid, "ring-ref", text, sizeof(text)) != 0) {
		snprintf(why, whylen, "no data/ringside/ring-ref");
		return 1;
	}
	if (grant_keys(x, domid, &gfn, &pages, &nonce, why, whylen) != 0)
		return -1;
	uint32_t *refs = calloc(REFS_MAX, sizeof(*refs));
	if (!refs) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (rs_xen_parse_refs(text, refs, REFS_MAX, &n, why, whylen) != 0)
		goto fail;
	if (n != pages) {
		snprintf(why, whylen, "data/ringside/ring-ref has %zu references,"
			 " pages says %llu", n, (unsigned long long)pages);
		goto fail;
	}
	if (!x->gnt && !(x->gnt = xengnttab_open(&x->log.vtable, 0))) {
		snprintf(why, whylen, "cannot open /dev/xen/gntdev (is the"
			 " xen-gntdev module loaded?): %s", strerror(errno));
		goto fail;
	}
	/* gntdev maps every reference or none (a bad one fails the call), so
	 * no page of this mapping can fault on access. */
	void *addr = xengnttab_map_domain_grant_refs(x->gnt, (uint32_t)n, domid,
						     refs, PROT_READ);
	if (!addr) {
		snprintf(why, whylen, "cannot map domain %u's %zu grant"
			 " references: %s", domid, n, strerror(errno));
		goto fail;
	}
	size_t len = n * RS_PAGE_SIZE;
	struct grant_map *m = calloc(1, sizeof(*m));
	if (!m || grant_check(addr, len, gfn, nonce, why, whylen) != 0) {
		if (!m)
			snprintf(why, whylen, "out of memory");
		free(m);
		xengnttab_unmap(x->gnt, addr, (uint32_t)n);
		goto fail;
	}
	free(refs);
	*m = (struct grant_map){ .gnt = x->gnt, .addr = addr, .count = (uint32_t)n };
	src->base = addr;
	src->len = len;
	src->gpa = gfn * RS_PAGE_SIZE;
	src->live = 1;
	src->hint_offset = 0;
	src->check_gpa = 1;
	src->close = grant_map_close;
	src->priv = m;
	return 0;
fail:
	free(refs);
	return -1;
}

/*
 * from_grants, tried again for up to GRANTS_SETTLE_SECS while the guest
 * publishes a ring-ref that does not (yet) lead to its ring. The guest
 * writes its keys in one transaction after granting the pages, so this
 * should not happen; yet twice in check-xen a follow started before its
 * guest found ring-ref unusable once and read the gfn keys of the same
 * transaction, although a later snapshot mapped the references. Waiting
 * a little costs a guest whose ring-ref is bad for good only a short
 * delay before the gfn keys, and the caller says why it gave up.
 */
static int from_grants_settled(struct rs_xen *x, uint32_t domid,
			       struct rs_source *src, char *why, size_t whylen)
{
	const double until = rs_mono_now() + GRANTS_SETTLE_SECS;

	for (;;) {
		int g = from_grants(x, domid, src, why, whylen);
		if (g >= 0 || rs_mono_now() >= until)
			return g;
		rs_sleep_secs(0.05);
	}
}

/* ---- the gfn keys and the scan (HVM/PVH) --------------------------------- */

/* gfns never scanned: the legacy VGA/ROM hole and the MMIO hole below
 * 4 GiB (emulated or absent; mapping them is pointless or has effects). */
static uint64_t skip_hole(uint64_t gfn)
{
	if (gfn >= 0xA0 && gfn < 0x100)
		return 0x100;
	if (gfn >= 0xF0000 && gfn < 0x100000)
		return 0x100000;
	return gfn;
}

static uint64_t batch_end(uint64_t gfn, uint64_t max_gpfn)
{
	uint64_t end = gfn + SCAN_BATCH;

	if (gfn < 0xA0 && end > 0xA0)
		end = 0xA0;
	if (gfn < 0xF0000 && end > 0xF0000)
		end = 0xF0000;
	return end > max_gpfn + 1 ? max_gpfn + 1 : end;
}

/*
 * A ring the scan found while its header still says RS_STATE_BOOTING may
 * be a moment from being published: ringside's kernel writes its header,
 * then grants the pages and writes its keys (each write answered by
 * xenstored), and only then says running. A follow started before its
 * guest ran could find the magic in that window and read by gfn a ring
 * the guest shares by grants. So while the header says booting the keys
 * are looked for again, for at most BOOTING_KEYS_SECS, and once more when
 * it stops saying so (the keys were written before). Grant references win
 * at once; the gfn keys alone only once the guest is past booting (a
 * guest whose xenstore has no transactions writes them one by one,
 * ring-ref last); without either the scan's find stands.
 */
static void booting_keys(struct rs_xen *x, uint32_t domid, uint64_t max_gpfn,
			 struct rs_source *src, enum rs_xen_way *way,
			 const char *found)
{
	const volatile struct rs_header *h = (const volatile void *)src->base;
	const double t0 = rs_mono_now(), until = t0 + BOOTING_KEYS_SECS;
	char e[400], ge[400] = "";

	for (;;) {
		/* read before the keys: keys missing after a non-booting
		 * state are missing for good */
		const uint32_t state = h->state;
		struct rs_source k = *src;   /* spec and the rest kept */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		/* past booting, a ring-ref that fails gets its short grace */
		int g = state == RS_STATE_BOOTING
			? from_grants(x, domid, &k, ge, sizeof(ge))
			: from_grants_settled(x, domid, &k, ge, sizeof(ge));
		if (g == 0) {
			*way = RS_XEN_BY_GRANTS;
		} else if (state == RS_STATE_BOOTING && rs_mono_now() < until) {
			/* the gfn keys alone may be a publication still on
			 * its way (ring-ref is written last) */
			rs_sleep_secs(0.02);
			continue;
		} else if (from_keys(x, domid, max_gpfn, &k, e, sizeof(e)) == 0) {
			*way = RS_XEN_BY_GFN;
		} else {
			return;
		}
		src->close(src);
		*src = k;
		const double waited_ms = (rs_mono_now() - t0) * 1e3;
		const int by_gfn = *way == RS_XEN_BY_GFN;
		if (waited_ms >= 1)
			fprintf(stderr, "ringside: domain %u: %s while it booted;"
				" its keys came %.0f ms later and are used%s%s%s\n",
				domid, found, waited_ms,
				by_gfn ? " (no grant references: " : "",
				by_gfn ? ge : "", by_gfn ? ")" : "");
		return;
	}
}

/*
 * The gfn keys led to the ring (from_keys) and no ring-ref was there.
 * ring-ref was read first: a guest that writes all its keys in one
 * transaction may have committed them between the two reads, and the
 * header may say running by the time the gfn mapping is made (a CI
 * run's hang and triple follows read by gfn so). So ring-ref is read
 * once more now, and taken if it leads to the ring. A guest still
 * booting may also be writing its keys one at a time, ring-ref last: then
 * the grant references are waited for as after a scan's find.
 */
static void gfn_recheck(struct rs_xen *x, uint32_t domid, uint64_t max_gpfn,
			struct rs_source *src, enum rs_xen_way *way)
{
	const volatile struct rs_header *h = (const volatile void *)src->base;
	struct rs_source k = *src;
	char ge[400];

	/* The state before the keys (as booting_keys reads them): a guest
	 * past booting wrote its ring-ref, if any, before it said so. */
	const uint32_t state = h->state;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (from_grants(x, domid, &k, ge, sizeof(ge)) == 0) {
		src->close(src);
		*src = k;
		*way = RS_XEN_BY_GRANTS;
		return;
	}
	if (state == RS_STATE_BOOTING)
		booting_keys(x, domid, max_gpfn, src, way,
			     "its gfn keys led to its ring before its ring-ref");
}

/*
 * The gfn keys, taken after the grant references gave g (from_grants):
 * 0 with *way RS_XEN_BY_GFN, or RS_XEN_BY_GRANTS if a second look at
 * ring-ref found them (gfn_recheck, only when there was none: g > 0); a
 * ring-ref that was there but failed (g < 0) leaves its reason gwhy in
 * note, for the line that says why the references were not used. -1
 * with kwhy when the keys do not lead to the ring.
 */
static int from_keys_after(struct rs_xen *x, uint32_t domid,
			   uint64_t max_gpfn, struct rs_source *src,
			   enum rs_xen_way *way, int g, const char *gwhy,
			   char *note, size_t notelen, char *kwhy,
			   size_t kwhylen)
{
	if (from_keys(x, domid, max_gpfn, src, kwhy, kwhylen) != 0)
		return -1;
	*way = RS_XEN_BY_GFN;
	if (g < 0)
		snprintf(note, notelen, "%s", gwhy);
	else
		gfn_recheck(x, domid, max_gpfn, src, way);
	return 0;
}

/*
 * The magic scan: batches of guest RAM, each page's first word checked
 * (only pages whose err[] is 0). A candidate is mapped on its own with
 * the size its header claims and validated by rs_layout_read, so a region
 * that straddles two batches is found too, and the batch mapping can go.
 * 0, with why set (or left as it was) to why the guest's grant references
 * were not used when its gfn keys were; or -1 with why.
 */
static int scan(struct rs_xen *x, uint32_t domid, uint64_t max_gpfn,
		struct rs_source *src, enum rs_xen_way *way, char *why,
		size_t whylen)
{
	int errs[SCAN_BATCH];
	uint64_t candidates = 0, mapped = 0, batches = 0;
	bool grants_failed = false;
	char last[300] = "no candidate";

	for (uint64_t gfn = skip_hole(0); gfn <= max_gpfn;) {
		uint64_t end = batch_end(gfn, max_gpfn);
		size_t n = (size_t)(end - gfn);
		struct { uint64_t gfn, pages; } found[8];
		unsigned nfound = 0;
		char e[300];

		const volatile uint8_t *b = map_gfns(x, domid, gfn, n, errs, 0, e,
						    sizeof(e));
		for (size_t i = 0; b && i < n; i++) {
			const volatile uint8_t *page = b + i * RS_PAGE_SIZE;
			if (errs[i] != 0)
				continue;  /* never touched: SIGBUS */
			mapped++;
			if (*(const volatile uint64_t *)page != RS_MAGIC)
				continue;
			candidates++;
			/* Hostile: try_region bounds it before mapping. */
			uint64_t size = *(const volatile uint64_t *)(page +
				offsetof(struct rs_header, region_size));
			if (nfound < sizeof(found) / sizeof(found[0]))
				found[nfound++] = (typeof(found[0])){ gfn + i,
					size / RS_PAGE_SIZE + (size % RS_PAGE_SIZE != 0) };
		}
		if (b)
			xenforeignmemory_unmap(x->fmem, (void *)b, n);
		for (unsigned k = 0; k < nfound; k++)
			if (try_region(x, domid, found[k].gfn, found[k].pages,
				       max_gpfn, 0, 0, src, last, sizeof(last)) == 0) {
				booting_keys(x, domid, max_gpfn, src, way,
					     "the RAM scan found its ring");
				return 0;
			}
		/* The whole scan maps every gfn below the special pages: tens
		 * of seconds under TCG. A guest that was paused or still
		 * booting when it began may publish its keys meanwhile (and
		 * even shut down): take them as soon as they are there, in
		 * rs_source_xen_open's order, grant references first (a
		 * collector started before its guest, as `collect --follow`
		 * often is, ends up here). */
		if (++batches % KEYS_EVERY_BATCHES == 0) {
			/* the grace only once: a ring-ref that stays bad must
			 * not add 5 s to each of the scan's ~30 looks */
			int g = grants_failed
				? from_grants(x, domid, src, e, sizeof(e))
				: from_grants_settled(x, domid, src, e, sizeof(e));
			grants_failed |= g < 0;
			if (g == 0) {
				*way = RS_XEN_BY_GRANTS;
				return 0;
			}
			char ke[300];
			if (from_keys_after(x, domid, max_gpfn, src, way, g, e,
					    why, whylen, ke, sizeof(ke)) == 0)
				return 0;
		}
		gfn = skip_hole(end);
	}
	if (candidates)
		snprintf(why, whylen, "scanned %llu pages: %llu ringside magic(s)"
			 " but no valid region: %s", (unsigned long long)mapped,
			 (unsigned long long)candidates, last);
	else
		snprintf(why, whylen, "no ringside region in %llu mappable pages of"
			 " guest RAM (gfn 0 to 0x%llx)", (unsigned long long)mapped,
			 (unsigned long long)max_gpfn);
	return -1;
}

int rs_source_xen_open(struct rs_xen *x, uint32_t domid, int hvm,
		       uint64_t max_gpfn, struct rs_source *src,
		       enum rs_xen_way *way, char *err, size_t errlen)
{
	char grants[400], keys[400], scanned[400] = "";

	memset(src, 0, sizeof(*src));
	err[0] = '\0';
	*way = RS_XEN_BY_GRANTS;
	int g = from_grants_settled(x, domid, src, grants, sizeof(grants));
	if (g == 0)
		return 0;
	if (!hvm) {
		snprintf(err, errlen, "domain %u is PV: its ring is read only"
			 " through grant references, and %s", domid, grants);
		return -1;
	}
	if (from_keys_after(x, domid, max_gpfn, src, way, g, grants, err, errlen,
			    keys, sizeof(keys)) == 0)
		return 0;
	*way = RS_XEN_BY_SCAN;  /* unless the keys turn up meanwhile */
	if (scan(x, domid, max_gpfn, src, way, scanned, sizeof(scanned)) == 0) {
		/* the scan's own look at the keys says why it did not take
		 * the grant references; else this call's first try does */
		if (*way != RS_XEN_BY_GRANTS && (scanned[0] || g < 0))
			snprintf(err, errlen, "%s", scanned[0] ? scanned : grants);
		return 0;
	}
	if (g < 0)
		snprintf(err, errlen, "%s; %s; %s", grants, keys, scanned);
	else
		snprintf(err, errlen, "%s; %s", keys, scanned);
	return -1;
}
