/*
 * json_scan.c - the bounded JSON reader behind the QMP client (see
 * json_scan.h). QEMU is our child, but what it relays (guest-influenced
 * strings, monitor output) is treated as untrusted: every step checks the
 * end of the buffer, nesting is capped, and nothing is allocated.
 */
#include <string.h>

#include "json_scan.h"

#define MAX_DEPTH 32

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p at '"': returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *skip_value(const char *p, const char *end, int depth)
{
	p = skip_ws(p, end);
	if (p >= end || depth > MAX_DEPTH)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p == '{' || *p == '[') {
		const char close = *p == '{' ? '}' : ']';
		const int obj = *p == '{';
		p = skip_ws(p + 1, end);
		if (p < end && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = skip_ws(p, end);
				if (p >= end || *p != '"' || !(p = skip_string(p, end)))
					return NULL;
				p = skip_ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p++;
			}
			if (!(p = skip_value(p, end, depth + 1)))
				return NULL;
			p = skip_ws(p, end);
			if (p >= end)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	/* number, true, false, null */
	const char *s = p;
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
	       *p != '\t' && *p != '\r' && *p != '\n')
		p++;
	return p > s ? p : NULL;
}

const char *rs_json_member(const char *json, size_t n, const char *key,
			   size_t *vlen)
{
	const char *p = json, *end = json + n;
	const size_t klen = strlen(key);

	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return NULL;
	p = skip_ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *k = p + 1, *kend = skip_string(p, end);
		if (!kend)
			return NULL;
		p = skip_ws(kend, end);
		if (p >= end || *p != ':')
			return NULL;
		const char *v = skip_ws(p + 1, end);
		const char *vend = skip_value(v, end, 1);
		if (!vend)
			return NULL;
		/* Keys we look for have no escapes: compare raw bytes. */
		if ((size_t)(kend - 1 - k) == klen && memcmp(k, key, klen) == 0) {
			*vlen = (size_t)(vend - v);
			return v;
		}
		p = skip_ws(vend, end);
		if (p >= end || *p != ',')
			return NULL;
		p = skip_ws(p + 1, end);
	}
	return NULL;
}

const char *rs_json_path(const char *json, size_t n, const char *const *keys,
			 size_t *vlen)
{
	const char *v = json;
	size_t len = n;

	for (; *keys; keys++) {
		v = rs_json_member(v, len, *keys, &len);
		if (!v)
			return NULL;
	}
	*vlen = len;
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rs_json_string(const char *v, size_t vlen, char *out, size_t outlen)
{
	const char *p = v, *end = v + vlen;
	size_t o = 0;

	if (outlen == 0 || vlen < 2 || *p != '"')
		return -1;
	for (p++; p < end && *p != '"'; p++) {
		char c = *p;
		if (c == '\\') {
			if (++p >= end)
				return -1;
			switch (*p) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				int cp = 0;
				if (end - p < 5)
					return -1;
				for (int i = 1; i <= 4; i++) {
					int h = hexval(p[i]);
					if (h < 0)
						return -1;
					cp = cp * 16 + h;
				}
				p += 4;
				/* Monitor text is ASCII; anything else is shown as '?'. */
				c = cp < 0x80 ? (char)cp : '?';
				break;
			}
			default: c = *p; break;  /* \" \\ \/ */
			}
		}
		if (o + 1 < outlen)
			out[o++] = c;
	}
	out[o] = '\0';
	return p < end ? 0 : -1;
}
