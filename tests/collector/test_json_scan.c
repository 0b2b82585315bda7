/*
 * test_json_scan.c - the bounded JSON reader behind the QMP client
 * (collector/json_scan.c) called directly: members and paths found,
 * strings decoded, and truncated, hostile or malformed text refused
 * without reading past the buffer (each input is copied to a heap block
 * of exactly its size, so ASan sees any overread).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/json_scan.h"

/* `s` in a heap block of exactly strlen(s) bytes, no terminator. */
static char *exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

/* The value of member `key` as text, or NULL. */
static char *member(const char *json, size_t n, const char *key)
{
	static char out[256];
	size_t vlen;
	char *buf = exact(json, n);
	const char *v = rs_json_member(buf, n, key, &vlen);
	if (v) {
		assert_true(vlen < sizeof(out));
		memcpy(out, v, vlen);
		out[vlen] = '\0';
	}
	free(buf);
	return v ? out : NULL;
}

static void test_json_members(void **state)
{
	const char *j = " { \"a\" : 1, \"b\": \"two\",\n\"c\":{\"d\":[1,{\"e\":null}]},"
			"\"esc\\\"aped\": true, \"last\": false } ";
	assert_string_equal(member(j, strlen(j), "a"), "1");
	assert_string_equal(member(j, strlen(j), "b"), "\"two\"");
	assert_string_equal(member(j, strlen(j), "c"), "{\"d\":[1,{\"e\":null}]}");
	assert_string_equal(member(j, strlen(j), "last"), "false");
	/* Only top-level members: e sits deeper. */
	assert_null(member(j, strlen(j), "e"));
	assert_null(member(j, strlen(j), "absent"));
	assert_null(member("[1, 2]", 6, "a"));
	assert_null(member("", 0, "a"));
	assert_string_equal(member("{}", 2, "x") ? "found" : "none", "none");

	static const char *const path[] = { "data", "reason", NULL };
	const char *ev = "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true,"
			 " \"reason\": \"guest-reset\"}}";
	size_t vlen;
	char *buf = exact(ev, strlen(ev));
	const char *v = rs_json_path(buf, strlen(ev), path, &vlen);
	assert_non_null(v);
	char out[32];
	assert_int_equal(rs_json_string(v, vlen, out, sizeof(out)), 0);
	assert_string_equal(out, "guest-reset");
	static const char *const nopath[] = { "data", "nope", NULL };
	assert_null(rs_json_path(buf, strlen(ev), nopath, &vlen));
	free(buf);
}

static void test_json_strings(void **state)
{
	char out[64];
	const char *s = "\"a\\\"b\\\\c\\/d\\n\\t\\u0041\\u00e9\"";
	char *buf = exact(s, strlen(s));

	assert_int_equal(rs_json_string(buf, strlen(s), out, sizeof(out)), 0);
	/* \u00e9 is not ASCII: shown as '?'. */
	assert_string_equal(out, "a\"b\\c/d\n\tA?");
	/* Cut to the buffer, still terminated. */
	assert_int_equal(rs_json_string(buf, strlen(s), out, 4), 0);
	assert_string_equal(out, "a\"b");
	assert_int_equal(rs_json_string(buf, strlen(s), out, 0), -1);
	free(buf);

	static const char *const bad[] = {
		"\"unterminated", "\"", "nope", "\"bad \\u12\"", "\"bad \\uzzzz\"",
		"\"ends in escape\\", "\"\\u",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf = exact(bad[i], strlen(bad[i]));
		if (rs_json_string(buf, strlen(bad[i]), out, sizeof(out)) != -1)
			fail_msg("accepted %s", bad[i]);
		free(buf);
	}
}

/* Every prefix of a well-formed reply: the member is found only once its
 * value is complete, and nothing reads past the end. */
static void test_json_truncated(void **state)
{
	const char *j = "{\"return\": {\"status\": \"running\", \"x\": [1, 2,"
			" {\"y\": \"z\"}]}, \"id\": 7}";
	const size_t n = strlen(j);
	const char *full = member(j, n, "id");
	assert_non_null(full);

	for (size_t cut = 0; cut < n; cut++) {
		char *v = member(j, cut, "id");
		/* "7" is complete only when the text reaches it and a byte
		 * after it (the number's end); a number cut at the buffer's
		 * end still reads as the digits present. */
		if (v && cut < n - 1)
			fail_msg("found \"id\" in a prefix of %zu bytes: %s", cut, v);
		size_t vlen;
		char *buf = exact(j, cut);
		const char *r = rs_json_member(buf, cut, "return", &vlen);
		if (r)
			assert_true(r + vlen <= buf + cut);
		free(buf);
	}
}

/* Nesting deeper than the reader allows is refused, not recursed into
 * without end; junk between members is refused. */
static void test_json_hostile(void **state)
{
	enum { DEEP = 100000 };
	char *deep = malloc(2 * DEEP + 32);
	assert_non_null(deep);
	size_t n = (size_t)sprintf(deep, "{\"a\": ");
	for (int i = 0; i < DEEP; i++)
		deep[n++] = '[';
	for (int i = 0; i < DEEP; i++)
		deep[n++] = ']';
	n += (size_t)sprintf(deep + n, ", \"b\": 1}");
	assert_null(member(deep, n, "b"));
	assert_null(member(deep, n, "a"));
	free(deep);

	static const char *const bad[] = {
		"{\"a\" 1, \"b\": 2}", "{\"a\": 1 \"b\": 2}", "{\"a\": , \"b\": 2}",
		"{\"a\": [1 2], \"b\": 2}", "{a: 1, \"b\": 2}",
		"{\"a\": {\"x\": 1, \"b\": 2}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (member(bad[i], strlen(bad[i]), "b"))
			fail_msg("found b in %s", bad[i]);
}

RS_TEST_SUITE(json_scan,
	cmocka_unit_test(test_json_members),
	cmocka_unit_test(test_json_strings),
	cmocka_unit_test(test_json_truncated),
	cmocka_unit_test(test_json_hostile),
)
