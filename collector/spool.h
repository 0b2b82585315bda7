/*
 * spool.h - the host-memory buffer between reading the rings and
 * committing to SQLite, and the writer thread that empties it.
 *
 * The session's thread (the reader) polls every CPU's ring with the one
 * decoder and copies the records it delivers, verbatim, into the spool at
 * once; the writer thread stores them (rs_store_event) and commits in
 * batches as large as it fell behind. So a slow commit no longer holds the
 * reader away from a ring the guest is about to lap.
 *
 * A poll's records become the writer's only when the poll is published,
 * with the reader's per-CPU state and the guest's status as they were at
 * its end: a transaction holds whole polls and saves the reader state of
 * the last, so kill -9 leaves the store exactly as a collect that stopped
 * after some poll, and a resume continues from there (RING.md's identity
 * accepted + lost == written holds for what is stored).
 *
 * Bounded memory: the spool holds at most `cap` bytes. A poll is copied
 * only when the spool has room for a whole lap of every ring
 * (rs_spool_room); otherwise the reader skips copying (counted in
 * rs_spool_stats.deferred) and the guest's ring keeps going: what it
 * overwrites meanwhile the decoder counts as lost, exactly, the next time
 * it reads. Nothing is dropped from the spool itself.
 */
#ifndef RS_COLLECTOR_SPOOL_H
#define RS_COLLECTOR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "rs_decode.h"
#include "store.h"

/* The cap when the caller gives none: an eighth of the host's RAM, at
 * least RS_SPOOL_MIN_CAP, at most RS_SPOOL_MAX_CAP (about 30 M pingpong
 * events: several seconds of a guest writing faster than SQLite takes
 * it), and never less than two polls. Pages are touched only as the
 * writer falls behind, so an idle or keeping-up collect stays small. */
#define RS_SPOOL_MIN_CAP (64ull << 20)
#define RS_SPOOL_MAX_CAP (1024ull << 20)

struct rs_spool;

struct rs_spool_stats {
	uint64_t deferred;     /* polls not copied: no room for a lap */
	uint64_t commits;      /* transactions the writer committed */
	uint64_t polls;        /* polls published */
	uint64_t peak;         /* most bytes held at once */
	size_t cap;
};

/*
 * Start the writer thread on `st` (which it then owns between
 * rs_spool_flush calls) for rings laid out as `l`. `cap` 0 picks the
 * default. NULL with a reason in err.
 */
struct rs_spool *rs_spool_new(struct rs_store *st, const struct rs_layout *l,
			      size_t cap, char *err, size_t errlen);
/* Stop the writer (what is published and not committed is dropped, as a
 * kill would) and free. */
void rs_spool_free(struct rs_spool *sp);
/* Called by the writer with every event it stored, after the commit. */
void rs_spool_on_commit(struct rs_spool *sp, rs_committed_cb cb,
			void *opaque);

/* ---- the reader's side (one thread) ---------------------------------- */

/* Is there room to copy one whole poll? */
int rs_spool_room(struct rs_spool *sp);
/* Note a poll that was not copied for want of room. */
void rs_spool_defer(struct rs_spool *sp);
/* rs_batch_cb for rs_reader_poll_batch: copies the events into the
 * pending poll. Non-zero only if the room check was wrong (a bug). */
int rs_spool_take(void *spool, const struct rs_event *ev, size_t n);
/* Forget the pending poll (records of a re-initialised ring). */
void rs_spool_discard(struct rs_spool *sp);
/* Hand the pending poll to the writer, closed by the reader state and
 * the guest status it is to be stored with. 0, or -1 if the writer has
 * failed (rs_spool_error). */
int rs_spool_publish(struct rs_spool *sp, const struct rs_reader *r,
		     const struct rs_status *st, const struct rs_verdict *v);
/* Wait until every published poll is committed: the store is then the
 * caller's until the next publish. 0, or -1 (rs_spool_error). */
int rs_spool_flush(struct rs_spool *sp);
/* Has the writer failed? Its reason, or NULL. */
const char *rs_spool_error(struct rs_spool *sp);
void rs_spool_stats(struct rs_spool *sp, struct rs_spool_stats *out);

/* Tests: hold the writer (it commits nothing, as a stalled disk would)
 * or let it go. */
void rs_spool_hold(struct rs_spool *sp, int hold);

#endif /* RS_COLLECTOR_SPOOL_H */
