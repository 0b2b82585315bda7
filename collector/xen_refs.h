/*
 * xen_refs.h - parsing a guest's data/ringside/ring-ref (the grant
 * references of its ring's pages; collector/README.md has the layout).
 * No Xen headers: the cmocka suite tests it, and the fuzz target feeds it.
 */
#ifndef RS_COLLECTOR_XEN_REFS_H
#define RS_COLLECTOR_XEN_REFS_H

#include <stddef.h>
#include <stdint.h>

/* The longest value xenstore stores (XENSTORE_PAYLOAD_MAX): a longer
 * ring-ref cannot have come from xenstore. */
#define RS_XEN_REFS_TEXT_MAX 4096u

/*
 * `s` (the guest's, so hostile): decimal grant references separated by
 * single spaces, nothing else, each below 2^32, no two equal. Writes up
 * to `max` of them to `refs` and their count to *n. 0, or -1 with a
 * one-line reason in err (empty, too long, a bad or repeated number, more
 * than max).
 */
int rs_xen_parse_refs(const char *s, uint32_t *refs, size_t max, size_t *n,
		      char *err, size_t errlen);

#endif /* RS_COLLECTOR_XEN_REFS_H */
