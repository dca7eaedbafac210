/*
 * Unit tests for feeds/docstamp.c: a stamp follows the content (file
 * text, dates, the document's fields, the settings), not the address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/docstamp.h"
#include "feeds/release.h"
#include "feeds/tombstone.h"

#include "testutil.h"

static struct release *
parse(const char *text)
{
	struct release_error err;
	struct release *r = NULL;

	if (release_parse(&tu_meta, "a.md", text, strlen(text), 1700000000,
	    &r, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static uint64_t
stamp(const struct feed_meta *m, const struct feed_doc *d,
    struct release *r)
{
	struct stamp_memo *sm = stamp_memo_new(1);
	uint64_t s;

	assert_non_null(sm);
	s = stamp_doc(sm, stamp_meta(m, "UTC"), FEED_ATOM, d, &r, 1);
	stamp_memo_free(sm);
	assert_int_not_equal(s, 0);
	return s;
}

static void
test_follows_content(void **state)
{
	struct feed_doc d = { .path = "tags/a.atom" }, e = d;
	struct feed_meta m = tu_meta;
	struct release *a = parse("# A\n\nText.\n"), *b = parse("# A\n\nText.\n"),
	    *c = parse("# A\n\nText!\n");
	uint64_t s = stamp(&m, &d, a);

	(void)state;
	assert_ptr_not_equal(a, b);
	assert_int_equal(stamp(&m, &d, b), s);		/* not the address */
	assert_int_not_equal(stamp(&m, &d, c), s);	/* the text */
	b->updated.sec++;				/* the history's dates */
	assert_int_not_equal(stamp(&m, &d, b), s);
	e.prev_archive = "feed-archive/2024-01.atom";	/* the links */
	assert_int_not_equal(stamp(&m, &e, a), s);
	e = d;
	e.title = "Nyheter: a";
	assert_int_not_equal(stamp(&m, &e, a), s);
	{
		/* The tombstones: which, and when each went. */
		struct tombstone t = { .ref = "urn:x:gone", .when = 1000 };
		uint64_t st;

		e = d;
		e.tombs = &t;
		e.ntombs = 1;
		st = stamp(&m, &e, a);
		assert_int_not_equal(st, s);
		t.when++;
		assert_int_not_equal(stamp(&m, &e, a), st);
		t.ref = "urn:x:other";
		t.when--;
		assert_int_not_equal(stamp(&m, &e, a), st);
	}
	m.title = "Andra";				/* the settings */
	assert_int_not_equal(stamp(&m, &d, a), s);
	release_free(a);
	release_free(b);
	release_free(c);
}

/* An image edited in place: same release text, another length. */
static void
test_follows_media_size(void **state)
{
	struct feed_doc d = { .path = "feed.atom" };
	const char *text = "---\nimage: a.jpg\n---\nText.\n";
	struct release *a = parse(text), *b = parse(text);

	(void)state;
	a->image->size = 100;
	b->image->size = 100;
	assert_int_equal(stamp(&tu_meta, &d, a), stamp(&tu_meta, &d, b));
	b->image->size = 101;
	assert_int_not_equal(stamp(&tu_meta, &d, a), stamp(&tu_meta, &d, b));
	release_free(a);
	release_free(b);
}

/* The memo grows past its hint and keeps every release apart. */
static void
test_memo_many(void **state)
{
	struct release *rs[200];
	struct stamp_memo *sm = stamp_memo_new(2);
	struct feed_doc d = { .path = "x.atom" };
	uint64_t meta = stamp_meta(&tu_meta, "UTC"), s1, s2;
	char text[64];

	(void)state;
	assert_non_null(sm);
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "# R %d\n", i);
		rs[i] = parse(text);
	}
	s1 = stamp_doc(sm, meta, FEED_ATOM, &d, rs, 200);
	s2 = stamp_doc(sm, meta, FEED_ATOM, &d, rs, 200);
	assert_int_equal(s1, s2);
	assert_int_not_equal(stamp_doc(sm, meta, FEED_ATOM, &d, rs + 1, 199),
	    s1);
	assert_int_not_equal(stamp_doc(sm, meta, FEED_RSS, &d, rs, 200), s1);
	stamp_memo_free(sm);
	for (int i = 0; i < 200; i++)
		release_free(rs[i]);
}

/*
 * By address: the same releases at the same addresses give the same
 * stamp, their contents unread; another order, another one, another
 * field of the document or another setting do not.
 */
static void
test_by_address(void **state)
{
	struct release *a = parse("# A\n"), *b = parse("# B\n");
	struct release *ab[2] = { a, b }, *ba[2] = { b, a };
	struct feed_doc d = { .path = "tags/a.atom" }, e = d;
	uint64_t meta = stamp_meta(&tu_meta, "UTC");
	uint64_t s = stamp_doc_addresses(meta, FEED_ATOM, &d, ab, 2);

	(void)state;
	assert_int_not_equal(s, 0);
	assert_int_equal(stamp_doc_addresses(meta, FEED_ATOM, &d, ab, 2), s);
	a->updated.sec++;	/* not read: the caller's to know */
	assert_int_equal(stamp_doc_addresses(meta, FEED_ATOM, &d, ab, 2), s);
	assert_int_not_equal(stamp_doc_addresses(meta, FEED_ATOM, &d, ba, 2),
	    s);
	assert_int_not_equal(stamp_doc_addresses(meta, FEED_ATOM, &d, ab, 1),
	    s);
	assert_int_not_equal(stamp_doc_addresses(meta, FEED_RSS, &d, ab, 2),
	    s);
	e.prev_archive = "feed-archive/2024.atom";
	assert_int_not_equal(stamp_doc_addresses(meta, FEED_ATOM, &e, ab, 2),
	    s);
	assert_int_not_equal(stamp_doc_addresses(meta + 1, FEED_ATOM, &d, ab,
	    2), s);
	assert_int_not_equal(stamp_doc_addresses(meta, FEED_ATOM, &d, NULL, 0),
	    0);
	release_free(a);
	release_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_content),
		cmocka_unit_test(test_follows_media_size),
		cmocka_unit_test(test_by_address),
		cmocka_unit_test(test_memo_many),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
