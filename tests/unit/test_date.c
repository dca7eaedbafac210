/*
 * Tests for feeds/date. Expected instants were computed independently with
 * Python's datetime/zoneinfo, not with this module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feeds/date.h"

#include "testutil.h"

struct parse_case {
	const char *in;
	int64_t sec;
	int32_t off;
};

static void
check_cases(const struct parse_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct fp_time t = { 0, 0 };

		if (date_parse(c[i].in, &t) != 0)
			fail_msg("rejected \"%s\"", c[i].in);
		if (t.sec != c[i].sec || t.off != c[i].off)
			fail_msg("\"%s\": got %lld%+d, want %lld%+d", c[i].in,
			    (long long)t.sec, (int)t.off,
			    (long long)c[i].sec, (int)c[i].off);
	}
}

static void
set_zone(const char *tz)
{
	assert_int_equal(date_set_zone(tz), 0);
}

/* Explicit offsets win over the configured zone. */
static void
test_parse_with_offset(void **state)
{
	static const struct parse_case cases[] = {
		{ "2019-12-10T08:54:00+01:00", 1575964440, 3600 },
		{ "2019-12-10t08:54:00+01:00", 1575964440, 3600 },
		{ "2019-12-10T07:54:00Z", 1575964440, 0 },
		{ "2019-12-10T07:54:00z", 1575964440, 0 },
		{ "2019-12-10T07:54:00.123456Z", 1575964440, 0 },
		{ "2019-12-10 08:54:00 +0100", 1575964440, 3600 },
		{ "2019-12-10 08:54:00 +01:00", 1575964440, 3600 },
		{ "2019-12-10 08:54:00 +01", 1575964440, 3600 },
		{ "2019-12-10 08:54 +0100", 1575964440, 3600 },
		{ "2019-12-10 02:54:00 -05", 1575964440, -18000 },
		{ "2019-12-10 02:54:00-0500", 1575964440, -18000 },
		{ "2019-12-10 07:54:00 Z", 1575964440, 0 },
		{ "2019-12-10 07:54:00 UTC", 1575964440, 0 },
		{ "2019-12-10 07:54:00 GMT", 1575964440, 0 },
		{ "2019-12-10 07:54:00 -00:00", 1575964440, 0 },
		{ "2019-12-10T08:54:00+05:30", 1575948240, 19800 },
		{ "2019-12-10T08:54:00-03:30", 1575980640, -12600 },
		{ "2019-12-10 08:54:00 +5:30", 1575948240, 19800 },
		{ "2019-12-10T08:54:00+14:00", 1575964440 - 13 * 3600, 50400 },
		/* YAML 1.1 spec examples. */
		{ "2001-12-14t21:59:43.10-05:00", 1008385183, -18000 },
		{ "2001-12-14 21:59:43.10 -5", 1008385183, -18000 },
		{ "2001-12-15T02:59:43.1Z", 1008385183, 0 },
		{ "2001-12-15 2:59:43.10Z", 1008385183, 0 },
		{ "2001-12-14 21:59:43. -5", 1008385183, -18000 },
		{ "2001-1-2 3:04:05Z", 978404645, 0 },
		/* Liberal blanks. */
		{ "  2019-12-10T08:54:00+01:00 \n", 1575964440, 3600 },
		{ "2019-12-10 \t 08:54:00\t+01:00", 1575964440, 3600 },
		{ "\t2019-12-10   08:54   +01:00\r\n", 1575964440, 3600 },
		/* Far from 1970, both ways. */
		{ "1969-12-31T23:59:59Z", -1, 0 },
		{ "1900-01-01T00:00:00Z", -2208988800, 0 },
		{ "0001-01-01T00:00:00Z", -62135596800, 0 },
		{ "2100-01-01T00:00:00Z", 4102444800, 0 },
		{ "9999-12-31T23:59:59Z", 253402300799, 0 },
		{ "2000-02-29T12:00:00Z", 951825600, 0 },
		/* A leap second is the next second in POSIX time. */
		{ "2016-12-31T23:59:60Z", 1483228800, 0 },
	};

	(void)state;
	set_zone("Asia/Tokyo");
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_parse_local_stockholm(void **state)
{
	static const struct parse_case cases[] = {
		{ "2019-07-01 12:00", 1561975200, 7200 },
		{ "2019-07-01 12:00:00", 1561975200, 7200 },
		{ "2019-07-01T12:00:00.5", 1561975200, 7200 },
		{ "2019-12-10 08:54", 1575964440, 3600 },
		{ "2019-12-10 08:54:00", 1575964440, 3600 },
		{ "2019-12-10", 1575932400, 3600 },
		{ " 2019-12-10 \n", 1575932400, 3600 },
		/* Spring forward, 2019-03-31 02:00 CET -> 03:00 CEST. */
		{ "2019-03-31 01:59:59", 1553993999, 3600 },
		{ "2019-03-31 03:00", 1553994000, 7200 },
		/* Fall back, 2019-10-27 03:00 CEST -> 02:00 CET. */
		{ "2019-10-27 01:59:59", 1572134399, 7200 },
		{ "2019-10-27 03:00", 1572141600, 3600 },
		/* No DST in Sweden in 1950; rules extrapolated to 2050. */
		{ "1950-07-01 12:00", -615474000, 3600 },
		{ "2050-07-01 12:00", 2540282400, 7200 },
	};

	(void)state;
	set_zone("Europe/Stockholm");
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_parse_local_new_york(void **state)
{
	static const struct parse_case cases[] = {
		{ "2019-07-01 12:00", 1561996800, -14400 },
		{ "2019-12-10 08:54", 1575986040, -18000 },
		{ "2019-03-10 01:59", 1552201140, -18000 },
		{ "2019-03-10 03:00", 1552201200, -14400 },
		{ "2019-11-02 23:00", 1572750000, -14400 },
		{ "2019-11-03 02:00", 1572764400, -18000 },
		{ "1960-07-01 12:00", -299836800, -14400 },
		{ "2050-01-01 12:00", 2524669200, -18000 },
	};

	(void)state;
	set_zone("America/New_York");
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* mktime() returns -1 for this real instant; it must not read as failure. */
static void
test_parse_local_minus_one(void **state)
{
	struct fp_time t;

	(void)state;
	set_zone("UTC");
	assert_int_equal(date_parse("1969-12-31 23:59:59", &t), 0);
	assert_int_equal(t.sec, -1);
	assert_int_equal(t.off, 0);
}

/* 02:30 does not exist on 2019-03-31 in Stockholm. */
static void
test_parse_spring_gap(void **state)
{
	struct fp_time t, e;
	char buf[DATE_BUFSZ];

	(void)state;
	set_zone("Europe/Stockholm");
	assert_int_equal(date_parse("2019-03-31 02:30", &t), 0);
	/* Read as 02:30 CET (01:30Z) or as 02:30 CEST (00:30Z). */
	assert_true(t.sec == 1553992200 || t.sec == 1553995800);
	/* The offset must be the one really in force at that instant. */
	e = date_from_epoch(t.sec);
	assert_int_equal(t.off, e.off);
	date_rfc3339(&t, buf);
	assert_true(strcmp(buf, "2019-03-31T01:30:00+01:00") == 0 ||
	    strcmp(buf, "2019-03-31T03:30:00+02:00") == 0);

	/* 02:30 on 2019-03-10 does not exist in New York either. */
	set_zone("America/New_York");
	assert_int_equal(date_parse("2019-03-10 02:30", &t), 0);
	assert_true(t.sec == 1552203000 || t.sec == 1552199400);
	assert_int_equal(t.off, date_from_epoch(t.sec).off);
}

/* 02:30 on 2019-10-27 happens twice in Stockholm: either is right. */
static void
test_parse_autumn_fold(void **state)
{
	struct fp_time t;

	(void)state;
	set_zone("Europe/Stockholm");
	assert_int_equal(date_parse("2019-10-27 02:30", &t), 0);
	if (t.off == 7200)
		assert_int_equal(t.sec, 1572136200);
	else if (t.off == 3600)
		assert_int_equal(t.sec, 1572139800);
	else
		fail_msg("offset %d", (int)t.off);
}

/* date_parse_local() tells the DST edges apart; the later of two wins. */
static void
test_parse_local_edges(void **state)
{
	static const struct {
		const char *zone, *s;
		enum date_local how;
		int64_t sec;	/* -1: not checked */
		int32_t off;
	} cases[] = {
		{ "Europe/Stockholm", "2019-03-31 02:30", DATE_LOCAL_GAP, -1, 0 },
		{ "Europe/Stockholm", "2019-03-31 02:00", DATE_LOCAL_GAP, -1, 0 },
		{ "Europe/Stockholm", "2019-03-31 03:00", DATE_LOCAL_ONE,
		    1553994000, 7200 },
		{ "Europe/Stockholm", "2019-10-27 02:30", DATE_LOCAL_TWICE,
		    1572139800, 3600 },
		{ "Europe/Stockholm", "2019-10-27 02:00", DATE_LOCAL_TWICE,
		    1572138000, 3600 },
		{ "Europe/Stockholm", "2019-10-27 03:00", DATE_LOCAL_ONE,
		    1572141600, 3600 },
		{ "Europe/Stockholm", "2019-10-27 02:30+02:00", DATE_LOCAL_ONE,
		    1572136200, 7200 },
		{ "America/New_York", "2019-11-03 01:30", DATE_LOCAL_TWICE,
		    1572762600, -18000 },
		{ "America/New_York", "2019-03-10 02:30", DATE_LOCAL_GAP, -1, 0 },
		{ "UTC", "2019-10-27 02:30", DATE_LOCAL_ONE, 1572143400, 0 },
	};
	struct fp_time t;
	enum date_local how;
	char off[DATE_OFFSZ];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_zone(cases[i].zone);
		assert_int_equal(date_parse_local(cases[i].s, &t, &how), 0);
		if (how != cases[i].how)
			fail_msg("%s in %s: %d", cases[i].s, cases[i].zone,
			    (int)how);
		if (cases[i].sec != -1) {
			assert_int_equal(t.sec, cases[i].sec);
			assert_int_equal(t.off, cases[i].off);
		}
	}
	set_zone("Europe/Stockholm");
	assert_string_equal(date_zone_name(), "Europe/Stockholm");
	t.off = 3600;
	assert_string_equal(date_offset(&t, off), "+01:00");
	t.off = -(5 * 3600 + 30 * 60);
	assert_string_equal(date_offset(&t, off), "-05:30");
	t.off = 0;
	assert_string_equal(date_offset(&t, off), "+00:00");
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "   ", "\n",
		"2019-02-30", "2019-02-29", "1900-02-29", "2019-04-31",
		"2019-13-01", "2019-00-10", "2019-12-00", "2019-12-32",
		"2019-12-10 24:00", "2019-12-10 25:00", "2019-12-10 23:60",
		"2019-12-10 24:61", "2019-12-10 23:59:61",
		"2019-12-10T08:54:00+01:00x", "2019-12-10 08:54:00 +01:00 Z",
		"2019-12-10x", "2019-12-10T", "2019-12-10t ", "2019-12-10Z",
		"2019-12-10 +01:00", "2019-12-10 08", "2019-12-10 08:",
		"2019-12-10 8:5", "2019-12-10 08:54:0", "2019-12-10 08:54:000",
		"2019-12-10 123:00", "2019-12-10 08:54.5",
		"2019-12-10\n08:54", "2019-12-10T 08:54", "2019- 12-10",
		"2019-12 -10", "19-12-10", "20191-12-10", "2019/12/10",
		"2019-123-10", "2019-12-100", "-2019-12-10", "2019-12",
		"2019-12-10 08:54:00 +1:0", "2019-12-10 08:54:00 +100",
		"2019-12-10 08:54:00 +010", "2019-12-10 08:54:00 +01:",
		"2019-12-10 08:54:00 +010000", "2019-12-10 08:54:00 +24:00",
		"2019-12-10 08:54:00 +01:60", "2019-12-10 08:54:00 +",
		"2019-12-10 08:54:00 CET", "2019-12-10 08:54:00 UTC+1",
		"2019-12-10 08:54:00 ZZ",
		"Tue, 10 Dec 2019 08:54:00 +0100", "yesterday",
	};
	struct fp_time t = { 42, 7 };
	size_t i;

	(void)state;
	set_zone("Europe/Stockholm");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (date_parse(bad[i], &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	/* Failure leaves *out alone. */
	assert_int_equal(t.sec, 42);
	assert_int_equal(t.off, 7);
	assert_int_equal(date_parse(NULL, &t), -1);
	assert_int_equal(date_parse("2019-12-10", NULL), -1);
	/* Leap days that exist. */
	assert_int_equal(date_parse("2020-02-29", &t), 0);
	assert_int_equal(date_parse("2000-02-29", &t), 0);
}

static void
test_format(void **state)
{
	static const struct {
		struct fp_time t;
		const char *rfc3339, *rfc822;
	} cases[] = {
		{ { 1575964440, 3600 }, "2019-12-10T08:54:00+01:00",
		    "Tue, 10 Dec 2019 08:54:00 +0100" },
		{ { 1575964440, 0 }, "2019-12-10T07:54:00Z",
		    "Tue, 10 Dec 2019 07:54:00 +0000" },
		{ { 1575964440, -18000 }, "2019-12-10T02:54:00-05:00",
		    "Tue, 10 Dec 2019 02:54:00 -0500" },
		{ { 1575948240, 19800 }, "2019-12-10T08:54:00+05:30",
		    "Tue, 10 Dec 2019 08:54:00 +0530" },
		{ { 1575980640, -12600 }, "2019-12-10T08:54:00-03:30",
		    "Tue, 10 Dec 2019 08:54:00 -0330" },
		{ { 1561975200, 7200 }, "2019-07-01T12:00:00+02:00",
		    "Mon, 01 Jul 2019 12:00:00 +0200" },
		{ { -1, 0 }, "1969-12-31T23:59:59Z",
		    "Wed, 31 Dec 1969 23:59:59 +0000" },
		{ { -2208988800, 0 }, "1900-01-01T00:00:00Z",
		    "Mon, 01 Jan 1900 00:00:00 +0000" },
		{ { 4102444800, 3600 }, "2100-01-01T01:00:00+01:00",
		    "Fri, 01 Jan 2100 01:00:00 +0100" },
		{ { 1483228800, 0 }, "2017-01-01T00:00:00Z",
		    "Sun, 01 Jan 2017 00:00:00 +0000" },
		/* Local mean time +1:12:12: shown as +01:12, same instant. */
		{ { -3155677932, 4332 }, "1869-12-31T23:59:48+01:12",
		    "Fri, 31 Dec 1869 23:59:48 +0112" },
	};
	char buf[DATE_BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_ptr_equal(date_rfc3339(&cases[i].t, buf), buf);
		assert_string_equal(buf, cases[i].rfc3339);
		assert_ptr_equal(date_rfc822(&cases[i].t, buf), buf);
		assert_string_equal(buf, cases[i].rfc822);
	}
}

/* Nothing locale-specific may leak in; C.utf8 is all Debian guarantees. */
static void
test_format_locale(void **state)
{
	struct fp_time t = { 1575964440, 3600 };
	char buf[DATE_BUFSZ];
	const char *locales[] = { "de_DE.UTF-8", "sv_SE.UTF-8", "C.UTF-8" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
		if (setlocale(LC_ALL, locales[i]) == NULL)
			continue;
		assert_string_equal(date_rfc822(&t, buf),
		    "Tue, 10 Dec 2019 08:54:00 +0100");
		assert_string_equal(date_rfc3339(&t, buf),
		    "2019-12-10T08:54:00+01:00");
	}
	setlocale(LC_ALL, "C");
}

/* Out of struct tm's reach: an empty string, not a crash. */
static void
test_format_out_of_range(void **state)
{
	struct fp_time t = { INT64_MAX, 0 };
	char buf[DATE_BUFSZ];

	(void)state;
	assert_string_equal(date_rfc3339(&t, buf), "");
	t.sec = INT64_MIN;
	assert_string_equal(date_rfc822(&t, buf), "");
	/* Years past 9999 and day-long offsets are not in either grammar. */
	t.sec = 253402300800;
	assert_string_equal(date_rfc3339(&t, buf), "");
	t.sec = 0;
	t.off = 86400;
	assert_string_equal(date_rfc3339(&t, buf), "");
	assert_string_equal(date_rfc822(&t, buf), "");
	t.off = INT32_MIN;
	assert_string_equal(date_rfc822(&t, buf), "");
}

static void
test_round_trip(void **state)
{
	static const char *const in[] = {
		"2019-12-10T08:54:00+01:00", "2019-12-10T07:54:00Z",
		"2019-12-10T08:54:00-03:30", "1969-07-20T20:17:40Z",
		"1901-12-13T20:45:52Z", "2038-01-19T03:14:08Z",
		"2262-04-11T23:47:16+14:00", "0001-01-01T00:00:00-12:00",
	};
	char buf[DATE_BUFSZ];
	struct fp_time a, b;
	size_t i;

	(void)state;
	set_zone("Europe/Stockholm");
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(date_parse(in[i], &a), 0);
		assert_string_equal(date_rfc3339(&a, buf), in[i]);
		assert_int_equal(date_parse(buf, &b), 0);
		assert_int_equal(a.sec, b.sec);
		assert_int_equal(a.off, b.off);
	}
	/* Local input comes back with its zone's offset spelled out. */
	assert_int_equal(date_parse("2019-12-10 08:54", &a), 0);
	assert_string_equal(date_rfc3339(&a, buf), "2019-12-10T08:54:00+01:00");
	assert_string_equal(date_rfc822(&a, buf),
	    "Tue, 10 Dec 2019 08:54:00 +0100");
}

static void
test_from_epoch(void **state)
{
	struct fp_time t;

	(void)state;
	set_zone("Europe/Stockholm");
	t = date_from_epoch(1575964440);
	assert_int_equal(t.sec, 1575964440);
	assert_int_equal(t.off, 3600);
	t = date_from_epoch(1561975200);
	assert_int_equal(t.off, 7200);
	/* Either side of the 2019 spring-forward instant. */
	assert_int_equal(date_from_epoch(1553993999).off, 3600);
	assert_int_equal(date_from_epoch(1553994000).off, 7200);
	assert_int_equal(date_from_epoch(2540282400).off, 7200);
	assert_int_equal(date_from_epoch(-3155677932).off, 4332);

	set_zone("America/New_York");
	t = date_from_epoch(1575964440);
	assert_int_equal(t.sec, 1575964440);
	assert_int_equal(t.off, -18000);
	assert_int_equal(date_from_epoch(1561975200).off, -14400);
	assert_int_equal(date_from_epoch(-299836800).off, -14400);

	set_zone("UTC");
	t = date_from_epoch(1575964440);
	assert_int_equal(t.off, 0);
	assert_int_equal(date_from_epoch(-1).off, 0);
}

static void
test_zone_valid(void **state)
{
	(void)state;
	assert_int_equal(date_zone_valid("Europe/Stockholm"), 1);
	assert_int_equal(date_zone_valid("America/New_York"), 1);
	assert_int_equal(date_zone_valid("America/Argentina/Buenos_Aires"), 1);
	assert_int_equal(date_zone_valid("Etc/GMT+5"), 1);
	assert_int_equal(date_zone_valid("UTC"), 1);
	assert_int_equal(date_zone_valid("Etc/UTC"), 1);

	assert_int_equal(date_zone_valid("Mars/Olympus"), 0);
	assert_int_equal(date_zone_valid("../etc/passwd"), 0);
	assert_int_equal(date_zone_valid("Europe/../Europe/Stockholm"), 0);
	assert_int_equal(date_zone_valid("/usr/share/zoneinfo/UTC"), 0);
	assert_int_equal(date_zone_valid(":Europe/Stockholm"), 0);
	assert_int_equal(date_zone_valid("Europe/Stockholm "), 0);
	assert_int_equal(date_zone_valid("europe/stockholm"), 0);
	assert_int_equal(date_zone_valid("CET-1CEST,M3.5.0,M10.5.0/3"), 0);
	assert_int_equal(date_zone_valid("Europe"), 0);
	assert_int_equal(date_zone_valid("Europe/"), 0);
	assert_int_equal(date_zone_valid("right/UTC"), 0);
	/* Exists in the zoneinfo dir, but is not a TZif file. */
	assert_int_equal(date_zone_valid("zone1970.tab"), 0);
	assert_int_equal(date_zone_valid(""), 0);
	assert_int_equal(date_zone_valid(NULL), 0);
}

/* TZDIR moves the database, as it does for glibc. */
static void
test_zone_valid_tzdir(void **state)
{
	char dir[] = "/tmp/test_date.XXXXXX";
	char good[64], bad[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(good, sizeof(good), "%s/Good", dir);
	snprintf(bad, sizeof(bad), "%s/Bad", dir);
	tu_write_file(good, "TZif2 not a real body");
	tu_write_file(bad, "Europe/Stockholm\n");

	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	assert_int_equal(date_zone_valid("Good"), 1);
	assert_int_equal(date_zone_valid("Bad"), 0);
	assert_int_equal(date_zone_valid("Europe/Stockholm"), 0);
	assert_int_equal(date_zone_valid("UTC"), 1);
	assert_int_equal(unsetenv("TZDIR"), 0);

	assert_int_equal(date_zone_valid("Good"), 0);
	assert_int_equal(unlink(good), 0);
	assert_int_equal(unlink(bad), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_set_zone(void **state)
{
	struct fp_time t;

	(void)state;
	set_zone("Europe/Stockholm");
	assert_string_equal(getenv("TZ"), "Europe/Stockholm");
	assert_int_equal(date_set_zone("Mars/Olympus"), -1);
	assert_int_equal(date_set_zone(NULL), -1);
	assert_int_equal(date_set_zone("../etc/passwd"), -1);
	/* The previous zone stays in force. */
	assert_string_equal(getenv("TZ"), "Europe/Stockholm");
	assert_int_equal(date_from_epoch(1575964440).off, 3600);
	assert_int_equal(date_parse("2019-12-10 08:54", &t), 0);
	assert_int_equal(t.off, 3600);

	/* Switching takes effect at once, for both directions. */
	set_zone("America/New_York");
	assert_int_equal(date_from_epoch(1575964440).off, -18000);
	assert_int_equal(date_parse("2019-12-10 08:54", &t), 0);
	assert_int_equal(t.sec, 1575986040);
	assert_int_equal(t.off, -18000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_with_offset),
		cmocka_unit_test(test_parse_local_stockholm),
		cmocka_unit_test(test_parse_local_new_york),
		cmocka_unit_test(test_parse_local_minus_one),
		cmocka_unit_test(test_parse_spring_gap),
		cmocka_unit_test(test_parse_autumn_fold),
		cmocka_unit_test(test_parse_local_edges),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_locale),
		cmocka_unit_test(test_format_out_of_range),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_epoch),
		cmocka_unit_test(test_zone_valid),
		cmocka_unit_test(test_zone_valid_tzdir),
		cmocka_unit_test(test_set_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
