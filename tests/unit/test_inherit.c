/*
 * Unit tests for feeds/inherit.c: what a fresh reading of a release keeps
 * from the version known before, one row per combination of what the new
 * and the old version set themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "feeds/inherit.h"

#include "testutil.h"

#define OLD_DATE	1000	/* the old version's published */
#define OLD_UPD		2000	/* ... and updated */
#define NEW_DATE	1500	/* the fresh parse's date (front matter or mtime) */
#define NEW_UPD		1800	/* its updated */

static void
test_inherit_table(void **state)
{
	static const struct {
		bool has_date, has_updated;	/* the fresh parse's */
		bool was_has_date;		/* the old version's */
		bool same;			/* content unchanged */
		int64_t mtime;
		int64_t want_date, want_updated;
	} rows[] = {
		/* No date anywhere: the first date stays. */
		{ false, false, false, true, 3000, OLD_DATE, OLD_UPD },
		/* ... and a change moves updated to the mtime. */
		{ false, false, false, false, 3000, OLD_DATE, 3000 },
		/* ... unless the mtime is older than what was updated. */
		{ false, false, false, false, 1200, OLD_DATE, OLD_UPD },
		/* A date now in the front matter wins. */
		{ true, false, false, true, 3000, NEW_DATE, OLD_UPD },
		{ true, false, false, false, 3000, NEW_DATE, 3000 },
		/* A date there before and gone now: the new date. */
		{ false, false, true, true, 3000, NEW_DATE, OLD_UPD },
		{ true, false, true, false, 3000, NEW_DATE, 3000 },
		/* updated in the front matter wins, whatever changed. */
		{ false, true, false, false, 3000, OLD_DATE, NEW_UPD },
		{ true, true, true, true, 3000, NEW_DATE, NEW_UPD },
		{ false, true, true, false, 3000, NEW_DATE, NEW_UPD },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct release r = {
			.date = { NEW_DATE, 0 },
			.updated = { NEW_UPD, 0 },
			.has_date = rows[i].has_date,
			.has_updated = rows[i].has_updated,
			.mtime = rows[i].mtime,
		};
		struct release_past was = {
			.published = { OLD_DATE, 3600 },
			.updated = { OLD_UPD, 3600 },
			.has_date = rows[i].was_has_date,
		};

		release_inherit(&r, &was, rows[i].same);
		if (r.date.sec != rows[i].want_date ||
		    r.updated.sec != rows[i].want_updated)
			fail_msg("row %zu: date %lld updated %lld", i,
			    (long long)r.date.sec, (long long)r.updated.sec);
	}
}

/* updated is never before date, whichever side each came from. */
static void
test_updated_not_before_date(void **state)
{
	struct release r = {
		.date = { 5000, 0 }, .updated = { 5000, 0 }, .has_date = true,
		.mtime = 100,
	};
	struct release_past was = { { 1000, 0 }, { 2000, 0 }, false };

	(void)state;
	release_inherit(&r, &was, true);
	assert_int_equal(r.date.sec, 5000);
	assert_int_equal(r.updated.sec, 5000);
}

static void
test_past_of(void **state)
{
	struct release r = {
		.date = { 10, 60 }, .updated = { 20, 120 }, .has_date = true,
	};
	struct release_past p = release_past_of(&r);

	(void)state;
	assert_int_equal(p.published.sec, 10);
	assert_int_equal(p.published.off, 60);
	assert_int_equal(p.updated.sec, 20);
	assert_int_equal(p.updated.off, 120);
	assert_true(p.has_date);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inherit_table),
		cmocka_unit_test(test_updated_not_before_date),
		cmocka_unit_test(test_past_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
