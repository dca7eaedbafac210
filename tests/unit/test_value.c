/*
 * test_value: the typed value parsers of config/value.c, each on good
 * values (the value read) and bad ones (the whole message), and the
 * printers, which must give back what the parsers read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "config/value.h"
#include "feeds/url.h"

#include "testutil.h"

#define KiB	1024ULL
#define MiB	(1024ULL * 1024)
#define DURATION_HINT	"(an integer with an optional unit s, m, h or d)"

/* A parser of numbers with bounds: value_uint, value_size, value_duration */
typedef int (*number_fn)(const char *, unsigned long long, unsigned long long,
			 unsigned long long *, char[VALUE_WHY_MAX]);

struct number_case {
	const char *s;
	unsigned long long want;	/* when why is NULL */
	const char *why;		/* NULL: must be read */
};

static void
check_numbers(number_fn fn, unsigned long long min, unsigned long long max,
	      const struct number_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char why[VALUE_WHY_MAX] = "untouched";
		unsigned long long v = 12345;
		int rc = fn(cases[i].s, min, max, &v, why);

		if (cases[i].why == NULL) {
			if (rc != 0)
				fail_msg("'%s': %s", cases[i].s, why);
			assert_int_equal(v, cases[i].want);
			assert_string_equal(why, "untouched");
		} else {
			if (rc != -1)
				fail_msg("'%s' read as %llu", cases[i].s, v);
			assert_string_equal(why, cases[i].why);
			assert_int_equal(v, 12345);
		}
	}
}

#define UINT_WHY	"expected an integer 1..100000"

static void
test_uint(void **state)
{
	static const struct number_case cases[] = {
		{ "1", 1, NULL }, { "50", 50, NULL },
		{ "100000", 100000, NULL }, { "000042", 42, NULL },
		{ "0", 0, UINT_WHY }, { "100001", 0, UINT_WHY },
		{ "-5", 0, UINT_WHY }, { "+5", 0, UINT_WHY },
		{ "5x", 0, UINT_WHY }, { " 5", 0, UINT_WHY },
		{ "5 ", 0, UINT_WHY }, { "", 0, UINT_WHY },
		{ "0x10", 0, UINT_WHY }, { "1e3", 0, UINT_WHY },
		{ "5K", 0, UINT_WHY }, { "٥", 0, UINT_WHY },
		{ "99999999999999999999999", 0, UINT_WHY },
		{ "18446744073709551616", 0, UINT_WHY },
	};
	static const struct number_case full[] = {
		{ "18446744073709551615", ULLONG_MAX, NULL },
		{ "0", 0, NULL },
		{ "18446744073709551616", 0,
		  "expected an integer 0..18446744073709551615" },
	};

	(void)state;
	check_numbers(value_uint, 1, 100000, cases,
		      sizeof(cases) / sizeof(cases[0]));
	check_numbers(value_uint, 0, ULLONG_MAX, full,
		      sizeof(full) / sizeof(full[0]));
}

#define SIZE_WHY	"expected a size 1K..64M (bytes, or with a K or M " \
			"suffix)"

static void
test_size(void **state)
{
	static const struct number_case cases[] = {
		{ "1K", KiB, NULL }, { "1k", KiB, NULL },
		{ "1024", KiB, NULL }, { "512K", 512 * KiB, NULL },
		{ "1M", MiB, NULL }, { "1m", MiB, NULL },
		{ "64M", 64 * MiB, NULL }, { "65536K", 64 * MiB, NULL },
		{ "1023", 0, SIZE_WHY }, { "0M", 0, SIZE_WHY },
		{ "65M", 0, SIZE_WHY }, { "67108865", 0, SIZE_WHY },
		{ "1G", 0, SIZE_WHY }, { "1KB", 0, SIZE_WHY },
		{ "1 K", 0, SIZE_WHY }, { "K", 0, SIZE_WHY },
		{ "1.5M", 0, SIZE_WHY }, { "-1M", 0, SIZE_WHY },
		{ "", 0, SIZE_WHY },
		/* Overflows unsigned long long once multiplied. */
		{ "99999999999999999M", 0, SIZE_WHY },
		{ "18446744073709551615K", 0, SIZE_WHY },
	};

	(void)state;
	check_numbers(value_size, KiB, 64 * MiB, cases,
		      sizeof(cases) / sizeof(cases[0]));
}

#define DUR_WHY	"expected a duration 1m..30d " DURATION_HINT

static void
test_duration(void **state)
{
	static const struct number_case cases[] = {
		{ "60", 60, NULL }, { "60s", 60, NULL }, { "1m", 60, NULL },
		{ "90m", 5400, NULL }, { "3h", 10800, NULL },
		{ "24h", 86400, NULL }, { "2d", 172800, NULL },
		{ "30d", 2592000, NULL }, { "720h", 2592000, NULL },
		{ "59s", 0, DUR_WHY }, { "31d", 0, DUR_WHY },
		{ "1w", 0, DUR_WHY }, { "5 m", 0, DUR_WHY },
		{ "5M", 0, DUR_WHY }, { "1H", 0, DUR_WHY },
		{ "10ms", 0, DUR_WHY }, { "1.5m", 0, DUR_WHY },
		{ "-1m", 0, DUR_WHY }, { "m", 0, DUR_WHY }, { "", 0, DUR_WHY },
		{ "1mm", 0, DUR_WHY },
		{ "99999999999999999999d", 0, DUR_WHY },
		{ "999999999999999999d", 0, DUR_WHY },
	};
	static const struct number_case seconds[] = {
		{ "0", 0, "expected a duration 1s..5m " DURATION_HINT },
		{ "301s", 0, "expected a duration 1s..5m " DURATION_HINT },
		{ "300", 300, NULL }, { "1s", 1, NULL },
	};

	(void)state;
	check_numbers(value_duration, 60, 30 * 86400, cases,
		      sizeof(cases) / sizeof(cases[0]));
	check_numbers(value_duration, 1, 300, seconds,
		      sizeof(seconds) / sizeof(seconds[0]));
}

/* What is printed reads back as the same number. */
static void
test_print(void **state)
{
	static const struct {
		unsigned long long v;
		const char *duration, *size;
	} cases[] = {
		{ 0, "0s", "0" }, { 1, "1s", "1" }, { 59, "59s", "59" },
		{ 60, "1m", "60" }, { 90, "90s", "90" },
		{ 1024, "1024s", "1K" }, { 1536, "1536s", "1536" },
		{ 3600, "1h", "3600" }, { 5400, "90m", "5400" },
		{ 86400, "1d", "86400" }, { 90061, "90061s", "90061" },
		{ 2592000, "30d", "2592000" }, { 1048576, "1048576s", "1M" },
		{ 64 * MiB, "67108864s", "64M" },
		{ 1025 * KiB, "1049600s", "1025K" },
		{ ULLONG_MAX, "18446744073709551615s",
		  "18446744073709551615" },
	};
	char buf[VALUE_PRINT_MAX], why[VALUE_WHY_MAX];
	unsigned long long v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(value_print_duration(cases[i].v, buf),
				    cases[i].duration);
		assert_string_equal(value_print_size(cases[i].v, buf),
				    cases[i].size);
		assert_int_equal(value_size(buf, 0, ULLONG_MAX, &v, why), 0);
		assert_true(v == cases[i].v);
		value_print_duration(cases[i].v, buf);
		assert_int_equal(value_duration(buf, 0, ULLONG_MAX, &v, why),
				 0);
		assert_true(v == cases[i].v);
	}
}

#define BOOL_WHY	"expected true/false, yes/no, on/off or 1/0"

static void
test_bool(void **state)
{
	static const char *const yes[] = { "true", "TRUE", "Yes", "on", "1" };
	static const char *const no[] = { "false", "No", "OFF", "0" };
	static const char *const bad[] = {
		"maybe", "", "2", "y", "n", "tru", "yess", "true ", " on",
		"01", "ja",
	};
	char why[VALUE_WHY_MAX];
	bool b;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_int_equal(value_bool(yes[i], &b, why), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_int_equal(value_bool(no[i], &b, why), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(value_bool(bad[i], &b, why), -1);
		assert_string_equal(why, BOOL_WHY);
	}
}

static void
test_enum(void **state)
{
	static const char *const kinds[] = { "websub", "xmlrpc", "webhook" };
	static const char *const two[] = { "a", "b" };
	static const char *const one[] = { "only" };
	char why[VALUE_WHY_MAX];
	int v = -1;

	(void)state;
	assert_int_equal(value_enum("xmlrpc", kinds, 3, &v, why), 0);
	assert_int_equal(v, 1);
	assert_int_equal(value_enum("webhook", kinds, 3, &v, why), 0);
	assert_int_equal(v, 2);
	assert_int_equal(value_enum("WebSub", kinds, 3, &v, why), -1);
	assert_string_equal(why, "expected websub, xmlrpc or webhook");
	assert_int_equal(value_enum("web", kinds, 3, &v, why), -1);
	assert_int_equal(value_enum("websubx", kinds, 3, &v, why), -1);
	assert_int_equal(value_enum("c", two, 2, &v, why), -1);
	assert_string_equal(why, "expected a or b");
	assert_int_equal(value_enum("c", one, 1, &v, why), -1);
	assert_string_equal(why, "expected only");
	assert_int_equal(v, 2);
}

/* One of the one-argument checks, good and bad. */
typedef int (*check_fn)(const char *, char[VALUE_WHY_MAX]);

static void
check_strings(check_fn fn, const char *const *good, size_t ngood,
	      const char *const *bad, size_t nbad, const char *want)
{
	char why[VALUE_WHY_MAX];

	for (size_t i = 0; i < ngood; i++) {
		strcpy(why, "untouched");
		if (fn(good[i], why) != 0)
			fail_msg("'%s': %s", good[i], why);
		assert_string_equal(why, "untouched");
	}
	for (size_t i = 0; i < nbad; i++) {
		if (fn(bad[i], why) != -1)
			fail_msg("'%s' was taken", bad[i]);
		assert_string_equal(why, want);
	}
}

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_zone(void **state)
{
	static const char *const good[] = {
		"UTC", "Europe/Stockholm", "America/New_York",
		"America/Argentina/Buenos_Aires",
	};
	static const char *const bad[] = {
		"Mars/Olympus", "", "utc ", "/etc/localtime",
		"../../../etc/passwd", "Europe/../Europe/Stockholm",
		"right/UTC", "CET-1CEST,M3.5.0,M10.5.0/3", ":Europe/Paris",
		"Europe", "Europe/Stockholm\xc3\xa5",
	};

	(void)state;
	check_strings(value_zone, good, N(good), bad, N(bad),
		      "not a zone in the tz database (e.g. 'UTC', "
		      "'Europe/Stockholm')");
}

static void
test_language(void **state)
{
	static const char *const good[] = {
		"sv", "en-GB", "x", "zh-Hant-TW", "de-CH-1996", "i-",
	};
	static const char *const bad[] = {
		"", "-sv", "en_GB", "1en", "sv ", " sv", "sv;", "sv\xc3\xa9",
		"\xc3\xa5", "en GB",
	};

	(void)state;
	check_strings(value_language, good, N(good), bad, N(bad),
		      "expected a language tag such as 'sv' or 'en-GB' "
		      "(letters, digits, '-')");
}

static void
test_tag_date(void **state)
{
	static const char *const good[] = {
		"2000", "0000", "9999", "2024-02", "2024-12", "2024-02-29",
		"2000-02-29", "1999-12-31", "2023-04-30", "2023-01-31",
	};
	static const char *const bad[] = {
		"24", "20000", "2024-13", "2024-00", "2024-1", "2024-01-1",
		"2023-02-29", "1900-02-29", "2100-02-29", "2023-04-31",
		"2023-01-32", "2023-01-00", "2024/01/01", "2024-01-01T00",
		"", "-2024", "２０２４", "2024-", "2024-01-", "20a4",
		"2024-0a", "2024-01-0a",
	};

	(void)state;
	check_strings(value_tag_date, good, N(good), bad, N(bad),
		      "expected a date YYYY, YYYY-MM or YYYY-MM-DD "
		      "(RFC 4151)");
}

static void
test_url(void **state)
{
	static const struct {
		const char *s;
		unsigned flags;
		const char *why;	/* NULL: good */
	} cases[] = {
		{ "https://e.org/", 0, NULL },
		{ "http://e.org", 0, NULL },
		{ "https://E.org:8443/a/b/", 0, NULL },
		{ "https://e.org/?page=1", 0,
		  "a query ('?') is not allowed" },
		{ "https://e.org/?page=1", URL_ALLOW_QUERY, NULL },
		{ "https://e.org/#top", URL_ALLOW_QUERY,
		  "a fragment ('#') is not allowed" },
		{ "ftp://e.org/", 0, "not an http:// or https:// URL" },
		{ "e.org/news/", 0,
		  "not an absolute URL (write it as https://host/path/)" },
		{ "https://u:pw@e.org/", 0, "user info is not allowed" },
		{ "https://e.org/a b/", 0, "spaces are not allowed in a URL "
		  "(a comment after a value starts with ' ;')" },
		{ "https://e.org/\x01", 0,
		  "control characters are not allowed in a URL" },
	};
	char why[VALUE_WHY_MAX];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		int rc = value_url(cases[i].s, cases[i].flags, why);

		if (cases[i].why == NULL) {
			if (rc != 0)
				fail_msg("'%s': %s", cases[i].s, why);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(why, cases[i].why);
		}
	}
}

static void
test_link_template(void **state)
{
	static const char *const good[] = {
		"https://e.org/{slug}.html", "https://e.org/p/{slug}",
		"https://{slug}.e.org/", "http://e.org/{slug}/",
	};
	char why[VALUE_WHY_MAX], *big;
	size_t n = INI_LINE_MAX + 3;	/* the URL checked is 2 bytes shorter */

	(void)state;
	for (size_t i = 0; i < N(good); i++)
		if (value_link_template(good[i], why) != 0)
			fail_msg("'%s': %s", good[i], why);
	assert_int_equal(value_link_template("https://e.org/a.html", why),
			 -1);
	assert_string_equal(why, "no {slug} in it");
	assert_int_equal(value_link_template("https://e.org/{Slug}", why),
			 -1);
	assert_string_equal(why, "no {slug} in it");
	assert_int_equal(value_link_template("/releases/{slug}.html", why),
			 -1);
	assert_string_equal(why, "not an absolute URL (write it as "
			    "https://host/path/)");
	assert_int_equal(value_link_template("https://e.org/{slug}?x", why),
			 -1);
	assert_string_equal(why, "a query ('?') is not allowed");
	/* Releases fill in the first {slug} only. */
	assert_int_equal(value_link_template("https://e.org/{slug}/{slug}",
					     why), -1);
	assert_string_equal(why, "not a valid URL (check the characters "
			    "after the host)");
	assert_int_equal(value_link_template("ftp://e.org/{slug}", why), -1);
	assert_string_equal(why, "not an http:// or https:// URL");
	/* Longer than a line: refused, not cut. */
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "https://e.org/{slug}/", 21);
	big[n] = '\0';
	assert_int_equal(value_link_template(big, why), -1);
	assert_string_equal(why, "longer than 8192 bytes");
	big[n - 1] = '\0';
	assert_int_equal(value_link_template(big, why), 0);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_zone),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_tag_date),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_link_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
