/*
 * test_xen_refs.c - parsing a guest's data/ringside/ring-ref
 * (collector/xen_refs.c), the list of grant references a Mini-OS guest
 * (or any guest sharing its ring by grants) writes to xenstore. The text
 * is the guest's, so every way it can lie is refused with a reason, and
 * what is accepted is exactly the numbers written. (The live path, with
 * real Xen and gntdev, is `make check-xen`: minios-grant.)
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/xen_refs.h"

static int parse(const char *s, uint32_t *refs, size_t max, size_t *n,
		 char *err, size_t errlen)
{
	err[0] = '\0';
	return rs_xen_parse_refs(s, refs, max, n, err, errlen);
}

static void test_xen_refs_good(void **state)
{
	uint32_t refs[8];
	size_t n = 99;
	char err[200];

	assert_int_equal(parse("8 9 10 4294967295", refs, 8, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(refs[0], 8);
	assert_int_equal(refs[1], 9);
	assert_int_equal(refs[2], 10);
	assert_int_equal(refs[3], 4294967295u);
	assert_int_equal(parse("0", refs, 8, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(refs[0], 0);
	/* exactly max fits */
	assert_int_equal(parse("1 2 3", refs, 3, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
}

/* refused(S, MAX, WORD): S is refused, and the reason mentions WORD. */
static void refused(const char *s, size_t max, const char *word)
{
	uint32_t refs[8];
	size_t n = 99;
	char err[200];

	assert_int_equal(parse(s, refs, max, &n, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	if (!strstr(err, word))
		fail_msg("'%s': reason '%s' does not say '%s'", s, err, word);
}

static void test_xen_refs_lies(void **state)
{
	refused("", 8, "empty");
	refused(" 1", 8, "not a digit");
	refused("1 ", 8, "single space");
	refused("1  2", 8, "not a digit");
	refused("1,2", 8, "single space");
	refused("1\t2", 8, "single space");
	refused("-1", 8, "not a digit");
	refused("+1", 8, "not a digit");
	refused("0x10", 8, "single space");
	refused("4294967296", 8, "above 2^32");
	refused("99999999999999999999999", 8, "above 2^32");
	refused("1 2 3 4", 3, "more than 3");
	refused("5 6 5", 8, "given twice");
	refused("1\n", 8, "single space");
}

/* A ring-ref as long as xenstore allows parses; one byte longer cannot
 * have come from xenstore. The count is bounded by the caller's array
 * whatever the text says. */
static void test_xen_refs_bounds(void **state)
{
	char *s = malloc(RS_XEN_REFS_TEXT_MAX + 2);
	uint32_t *refs = calloc(RS_XEN_REFS_TEXT_MAX, sizeof(*refs));
	size_t n = 0, at = 0;
	char err[200];

	assert_non_null(s);
	assert_non_null(refs);
	/* distinct four-digit numbers and spaces up to exactly the limit */
	for (unsigned v = 1000; at + 5 <= RS_XEN_REFS_TEXT_MAX; v++)
		at += (size_t)sprintf(s + at, "%s%u", at ? " " : "", v);
	while (at < RS_XEN_REFS_TEXT_MAX)
		s[at++] = '7';          /* the last number grows */
	s[at] = '\0';
	assert_int_equal(parse(s, refs, RS_XEN_REFS_TEXT_MAX, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 819);
	assert_int_equal(refs[0], 1000);
	assert_int_equal(parse(s, refs, 818, &n, err, sizeof(err)), -1);
	s[at++] = '7';
	s[at] = '\0';
	assert_int_equal(parse(s, refs, RS_XEN_REFS_TEXT_MAX, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
	free(s);
	free(refs);
}

RS_TEST_SUITE(xen_refs,
	cmocka_unit_test(test_xen_refs_good),
	cmocka_unit_test(test_xen_refs_lies),
	cmocka_unit_test(test_xen_refs_bounds))
