/*
 * model_fetch.h - the loader's decoding side (model_fetch.c), for
 * model.c: a trace's records are split into ranges of record numbers per
 * CPU, which worker threads decode from the stored chunks into arrays
 * ahead of the merge (model.c), each on its own connection.
 */
#ifndef RV_MODEL_FETCH_H
#define RV_MODEL_FETCH_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "follow.h"
#include "rs_chunk.h"

/* One range: its bounds, then, once decoded, its records by field. */
typedef struct {
	int cpu;
	int64_t lo, hi;           /* seq range [lo, hi] on that CPU */
	int64_t next;             /* first record after the chunks read */
	int64_t last_first;       /* the last stored chunk read starts here */
	int64_t skip_below;       /* records below this were read before */
	uint32_t nchunks;         /* stored chunks decoded */
	uint32_t n, cap;
	uint8_t *type;
	int64_t *t;
	uint64_t *ctx, *a, *b, *c;
	char **str;               /* NULL or a string from strs */
	GStringChunk *strs;
	bool claimed, done, failed;
} chunk;

/* Ranges a CPU may have decoded ahead of the merge: enough to keep the
 * merge fed, few enough that 10 M events never sit in memory at once
 * (all of them decoded up front were ~500 MB of fresh pages). */
#define LOOKAHEAD 2

typedef struct {
	const char *path;
	int64_t trace_id;
	struct rs_layout clock;   /* the trace's tsc_hz and boot_tsc */
	chunk *chunks;            /* range k of CPU c at k * ncpus + c */
	int nchunks, ncpus;
	int *consumed;            /* per CPU: ranges the merge has finished */
	/* Set on the first failure (by a worker) or when the merge gives up:
	 * workers waiting for the merge to consume ranges would otherwise
	 * wait forever, since the merge never comes back for them. */
	bool stop;
	char err[256];            /* why the first failed range failed */
	GMutex lock;
	GCond cond;
	const rv_load_show *show; /* or NULL; called from the merge */
	/* previews (follow.h): due when a range was used up at or after
	 * preview_at; the model, its builder and the keep they grow */
	bool preview_due;
	double preview_at;
	int64_t t_lo, t_hi;       /* the trace's extent, for previews */
	double started;           /* when the load began (now_s) */
	rv_model *m;
	rv_load_keep *keep;
	int ranges_done;          /* ranges the merge has used up, all CPUs */
	/* Used-up ranges' arrays (under lock), as chunks holding only them,
	 * kept for the next range a worker decodes: fresh ones cost the
	 * kernel a page clearing per 4 KiB first touched (a 10 M-event load
	 * decodes ~570 MB, and clear_page was 14 % of its samples), while
	 * these are already mapped. Never more than the ranges decoded
	 * ahead at once, as each is taken before a new one grows. */
	chunk *pool;
	int npool, pool_cap;
} fetch_job;

/* Up to this many CPUs of one range each, the loader decodes on its
 * own thread (rv_model_load). */
#define SMALL_TRACE_CPUS 2

/* A range's events freed (its flags kept: no worker fetches it again). */
void rv_chunk_free(chunk *c);
/* c used up: its arrays into j's pool for the next range, the rest freed
 * (j->lock held). */
void rv_chunk_recycle(fetch_job *j, chunk *c);
void rv_fetch_pool_free(fetch_job *j);
/* A worker: claims and decodes ranges within their CPU's lookahead until
 * none are left or the load stops (the first failure stops it, with its
 * reason in j->err). */
gpointer rv_fetch_worker(gpointer data);
/* Every range decoded on the caller's connection. */
void rv_fetch_all_here(sqlite3 *db, fetch_job *j);

#endif
