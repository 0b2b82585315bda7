/*
 * json_scan.h - just enough JSON reading for QMP replies: find a member of
 * an object and decode a string, over a bounded buffer, never trusting
 * the input to be well formed (no allocation, bounded nesting).
 */
#ifndef RS_COLLECTOR_JSON_SCAN_H
#define RS_COLLECTOR_JSON_SCAN_H

#include <stddef.h>

/*
 * In the object that `json` (n bytes) holds, find member `key` and return
 * where its value starts, with its length in *vlen; NULL if absent or the
 * text is not a well-formed object (up to that member).
 */
const char *rs_json_member(const char *json, size_t n, const char *key,
			   size_t *vlen);
/* Same, following a path of keys through nested objects (NULL-ended). */
const char *rs_json_path(const char *json, size_t n, const char *const *keys,
			 size_t *vlen);
/* Decode the JSON string value at v (vlen bytes, starting with '"') into
 * out, NUL-terminated and cut to outlen. Returns 0, or -1 if not a string. */
int rs_json_string(const char *v, size_t vlen, char *out, size_t outlen);

#endif /* RS_COLLECTOR_JSON_SCAN_H */
