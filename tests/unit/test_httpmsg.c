/*
 * Unit tests for daemon/httpmsg.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/httpmsg.h"

static void
assert_target(const char *raw, const char *want)
{
	char *path = malloc(strlen(raw) + 1);

	assert_non_null(path);
	if (want == NULL) {
		if (httpmsg_target(raw, path) != HTTPMSG_TARGET_BAD)
			fail_msg("%s accepted as %s", raw, path);
	} else {
		assert_int_equal(httpmsg_target(raw, path), HTTPMSG_TARGET_OK);
		assert_string_equal(path, want);
	}
	free(path);
}

static void
test_target_ok(void **state)
{
	(void)state;
	assert_target("/", "/");
	assert_target("/feed.atom", "/feed.atom");
	assert_target("/feed.atom?x=1&y=..", "/feed.atom");
	assert_target("/f%65ed.atom", "/feed.atom");
	assert_target("/releases/%C3%A5r.html", "/releases/\xc3\xa5r.html");
	assert_target("/a//b", "/a//b");
	assert_target("/...", "/...");
	assert_target("/.well-known/x", "/.well-known/x");
	assert_target("http://news.example.org/feed.rss?q",
	    "/feed.rss");
	assert_target("HTTPS://news.example.org", "/");
	assert_target("http://h:8080?x", "/");
}

static void
test_target_bad(void **state)
{
	static const char *const bad[] = {
		"", "*", "feed.atom", "news.example.org:443",
		"/..", "/../etc/passwd", "/a/../b", "/.", "/./feed.atom",
		"/%2e%2e/etc/passwd", "/%2E%2e", "/.%2e/x", "/a/%2e",
		"/releases%2ffeed.atom", "/a%2Fb", "/a%5cb", "/a\\b",
		"/feed.atom%00.html", "/%00", "/a%0ab", "/a%7f", "/a\x01",
		"/%", "/%4", "/%zz", "/%4g", "/a#frag",
		"http://h/../x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_target(bad[i], NULL);
}

static void
test_etag_match(void **state)
{
	static const struct {
		const char *v;
		size_t n;	/* of tags */
		bool want;
	} cases[] = {
		{ "\"abc\"", 2, true },
		{ "W/\"abc\"", 2, true },
		{ "\"abc-gz\"", 2, true },
		{ "*", 2, true },
		{ "\"x\", W/\"y\",\"abc\"", 2, true },
		{ " ,\t\"abc\" ,", 2, true },
		{ "\"abc-gz\"", 1, false },
		{ "\"ab\"", 2, false },
		{ "abc", 2, false },
		{ "\"abc", 2, false },
		{ "", 2, false },
		{ "w/\"abc\"", 2, false },
		/* A malformed member ends the list. */
		{ "junk, \"abc\"", 2, false },
	};
	const char *tags[2] = { "\"abc\"", "\"abc-gz\"" };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (httpmsg_etag_match(cases[i].v, tags, cases[i].n) !=
		    cases[i].want)
			fail_msg("If-None-Match: %s", cases[i].v);
}

static void
test_dates(void **state)
{
	static const struct {
		const char *s;
		time_t t;
	} good[] = {
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
		{ "Sun Nov  6 08:49:37 1994", 784111777 },
		{ "Thu, 01 Jan 2026 00:00:00 GMT", 1767225600 },
		{ "Mon, 01-Jan-26 00:00:00 GMT", 1767225600 },
	};
	char out[HTTPMSG_DATE_SIZE];
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 0;
		assert_int_equal(httpmsg_parse_date(good[i].s, &t), 0);
		assert_int_equal(t, good[i].t);
	}
	static const char *const bad[] = {
		"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37 GMT junk", "Sun, 06 Nov 1994",
		"Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:61:37 GMT",
		"1994-11-06T08:49:37Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (httpmsg_parse_date(bad[i], &t) != -1)
			fail_msg("accepted %s", bad[i]);
	httpmsg_format_date(784111777, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	httpmsg_format_date(1767225600, out);
	assert_string_equal(out, "Thu, 01 Jan 2026 00:00:00 GMT");
}

static void
test_gzip(void **state)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
		{ "", false },
		{ "gzip", true },
		{ "GZIP", true },
		{ "x-gzip", true },
		{ "deflate, gzip;q=0.5, br", true },
		{ "gzip ; q=1.0", true },
		{ "*", true },
		{ "br, *;q=0.1", true },
		{ "gzip;q=0", false },
		{ "gzip;q=0.000", false },
		{ "*, gzip;q=0", false },
		{ "*;q=0", false },
		{ "identity", false },
		{ "gzipx, xgzip", false },
		{ "br;q=0.9", false },
		{ "gzip;q=0.001", true },
	};

	(void)state;
	assert_false(httpmsg_accepts_gzip(NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (httpmsg_accepts_gzip(cases[i].v) != cases[i].want)
			fail_msg("Accept-Encoding: %s", cases[i].v);
}

static void
test_escape(void **state)
{
	char out[16];

	(void)state;
	assert_string_equal(httpmsg_escape("/feed.atom", out, sizeof(out)),
	    "/feed.atom");
	assert_string_equal(httpmsg_escape("/a\"b\\c", out, sizeof(out)),
	    "/a\\x22b\\x5cc");
	assert_string_equal(httpmsg_escape("\x1b[31m\n", out, sizeof(out)),
	    "\\x1b[31m\\x0a");
	assert_string_equal(httpmsg_escape("\xc3\xa5", out, sizeof(out)),
	    "\\xc3\\xa5");
	/* Exactly 15 bytes fit; one more is cut with "...". */
	assert_string_equal(httpmsg_escape("0123456789abcde", out,
	    sizeof(out)), "0123456789abcde");
	assert_string_equal(httpmsg_escape("0123456789abcdef", out,
	    sizeof(out)), "0123456789ab...");
	/* An escape is never cut in half. */
	assert_string_equal(httpmsg_escape("0123456789\x01\x02", out,
	    sizeof(out)), "0123456789...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_ok),
		cmocka_unit_test(test_target_bad),
		cmocka_unit_test(test_etag_match),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
