#include "import_internal.h"
#include <stdio.h>
#include <string.h>
const char *rs_import_fxt_record_name(unsigned type) { (void)type; return NULL; }
int rs_import_fxt_mem(const uint8_t *buf, size_t len, const struct rs_import_sink *sink,
		      struct rs_import_stats *st, char *err, size_t errlen)
{ (void)buf; (void)len; (void)sink; memset(st, 0, sizeof(*st)); snprintf(err, errlen, "todo"); return -1; }
int rs_import_fxt(const char *path, const struct rs_import_sink *sink,
		  struct rs_import_stats *st, char *err, size_t errlen)
{ (void)path; return rs_import_fxt_mem(NULL, 0, sink, st, err, errlen); }
