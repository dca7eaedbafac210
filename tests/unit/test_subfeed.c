/*
 * Unit tests for feeds/subfeed.c: grouping by tag, type and language,
 * newest first and capped; slugs, their clashes and the names of the
 * documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/release.h"
#include "feeds/subfeed.h"
#include "feeds/text.h"

#include "testutil.h"

static struct release *rs[16];
static size_t nrs;
static struct subfeeds set;

static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nrs; i++)
		release_free(rs[i]);
	nrs = 0;
	subfeeds_free(&set);
	return 0;
}

/* A release with this front matter; add them newest first. */
static void
add(const char *name, const char *fm)
{
	struct release_error err;
	char text[512];

	snprintf(text, sizeof(text), "---\n%s---\n# %s\n", fm, name);
	if (release_parse(&tu_meta, name, text, strlen(text), 1700000000,
	    &rs[nrs], &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	nrs++;
}

static const struct subfeed *
find(enum subfeed_axis a, const char *value)
{
	for (size_t i = 0; i < set.n; i++)
		if (set.v[i].axis == a && strcmp(set.v[i].value, value) == 0)
			return &set.v[i];
	fail_msg("no sub-feed for \"%s\"", value);
	return NULL;
}

static void
build_from(const struct feed_meta *m, struct release **v, size_t n)
{
	subfeeds_free(&set);
	assert_int_equal(subfeeds_build(m, v, n, NULL, 0, &set), 0);
}

static void
build(const struct feed_meta *m)
{
	subfeeds_free(&set);
	assert_int_equal(subfeeds_build(m, rs, nrs, NULL, 0, &set), 0);
}

static void
test_off(void **state)
{
	(void)state;
	add("a.md", "tags: [x]\ntype: T\nlang: en\n");
	build(&tu_meta);
	assert_int_equal(set.n, 0);
}

static void
test_grouping(void **state)
{
	struct feed_meta m = tu_meta;
	const struct subfeed *f;

	(void)state;
	m.tag_feeds = m.type_feeds = m.lang_feeds = true;
	m.language = "sv";
	m.max_entries = 2;
	add("n1.md", "tags: [brott, Brottsf\xC3\xB6rebyggande, brott]\n"
	    "type: Pressmeddelande\n");
	add("n2.md", "tags: [brott]\nlang: en\n");
	add("n3.md", "tags: [brott]\n");
	add("n4.md", "type: Pressmeddelande\n");
	build(&m);
	f = find(SUB_TAG, "brott");
	assert_int_equal(f->n, 2);		/* capped at max_entries */
	assert_ptr_equal(f->rs[0], rs[0]);	/* once, though named twice */
	assert_ptr_equal(f->rs[1], rs[1]);
	assert_string_equal(f->slug, "brott");
	assert_false(f->clash);
	f = find(SUB_TAG, "Brottsf\xC3\xB6rebyggande");
	assert_string_equal(f->slug, "brottsforebyggande");
	assert_int_equal(f->n, 1);
	f = find(SUB_TYPE, "Pressmeddelande");
	assert_string_equal(f->slug, "pressmeddelande");
	assert_int_equal(f->n, 2);
	assert_ptr_equal(f->rs[1], rs[3]);
	/* No lang: the feed's language. */
	f = find(SUB_LANG, "sv");
	assert_int_equal(f->n, 2);
	assert_ptr_equal(f->rs[0], rs[0]);
	assert_ptr_equal(f->rs[1], rs[2]);
	assert_int_equal(find(SUB_LANG, "en")->n, 1);
	assert_int_equal(set.n, 5);

	/* Without a feed language, releases without lang are in none. */
	m.language = NULL;
	build(&m);
	assert_int_equal(set.n, 4);
}

static void
test_names(void **state)
{
	struct feed_meta m = tu_meta;
	const struct subfeed *f;
	struct feed_doc d;
	char *p;

	(void)state;
	m.tag_feeds = true;
	add("a.md", "tags: [\"Trygghet p\xC3\xA5 M\xC3\xB6llan\"]\n");
	build(&m);
	f = find(SUB_TAG, "Trygghet p\xC3\xA5 M\xC3\xB6llan");
	assert_string_equal(f->slug, "trygghet-pa-mollan");
	assert_string_equal(f->id_part, "tags/trygghet-pa-mollan");
	assert_string_equal(f->title, "Nyheter: Trygghet p\xC3\xA5 M\xC3\xB6llan");
	p = subfeed_path(f, FEED_JSON);
	assert_string_equal(p, "tags/trygghet-pa-mollan.json");
	d = subfeed_doc(f, p);
	assert_string_equal(d.path, p);
	assert_string_equal(d.id_part, f->id_part);
	free(p);
	assert_string_equal(subfeed_dir(SUB_TYPE), "types");
	assert_string_equal(subfeed_dir(SUB_LANG), "langs");
}

/*
 * Two values, one slug: the one written as the slug keeps it, whatever the
 * order; the other is suffixed with its own hash; both are marked.
 */
static void
test_clash(void **state)
{
	struct feed_meta m = tu_meta;
	char want[64];
	const struct subfeed *f;

	(void)state;
	m.tag_feeds = true;
	add("a.md", "tags: [M\xC3\xB6llan]\n");
	add("b.md", "tags: [mollan, MOLLAN]\n");
	build(&m);
	assert_int_equal(set.n, 3);
	f = find(SUB_TAG, "mollan");
	assert_string_equal(f->slug, "mollan");
	assert_true(f->clash);
	f = find(SUB_TAG, "M\xC3\xB6llan");
	snprintf(want, sizeof(want), "mollan-%08x",
	    (unsigned)text_hash32("M\xC3\xB6llan"));
	assert_string_equal(f->slug, want);
	assert_true(f->clash);
	snprintf(want, sizeof(want), "mollan-%08x",
	    (unsigned)text_hash32("MOLLAN"));
	assert_string_equal(find(SUB_TAG, "MOLLAN")->slug, want);
	for (size_t i = 1; i < set.n; i++)
		assert_true(strcmp(set.v[i - 1].slug, set.v[i].slug) < 0);

	/* The other order of files: the same names. */
	teardown(NULL);
	add("b.md", "tags: [MOLLAN, mollan]\n");
	add("a.md", "tags: [M\xC3\xB6llan]\n");
	build(&m);
	assert_string_equal(find(SUB_TAG, "mollan")->slug, "mollan");
	assert_string_equal(find(SUB_TAG, "MOLLAN")->slug, want);

	/* Without one written as the slug: the first in byte order keeps it. */
	teardown(NULL);
	add("a.md", "tags: [M\xC3\xB6llan, MOLLAN]\n");
	build(&m);
	assert_string_equal(find(SUB_TAG, "MOLLAN")->slug, "mollan");
	assert_string_not_equal(find(SUB_TAG, "M\xC3\xB6llan")->slug, "mollan");
}

/* Another script, and nothing sluggable: a hash keeps them apart. */
static void
test_other_scripts(void **state)
{
	struct feed_meta m = tu_meta;
	const char *a, *b;

	(void)state;
	m.tag_feeds = true;
	add("a.md", "tags: [\"\xE6\x97\xA5\xE6\x9C\xAC\", \"\xE4\xB8\xAD\xE6\x96\x87\", "
	    "\"!!\", \"../../etc\"]\n");
	build(&m);
	a = find(SUB_TAG, "\xE6\x97\xA5\xE6\x9C\xAC")->slug;
	b = find(SUB_TAG, "\xE4\xB8\xAD\xE6\x96\x87")->slug;
	assert_string_not_equal(a, b);
	assert_string_equal(find(SUB_TAG, "../../etc")->slug, "etc");
	for (size_t i = 0; i < set.n; i++)
		assert_null(strpbrk(set.v[i].slug, "/.% "));
}

/*
 * Every release of a value is kept (nall), the feed's first n of them;
 * the lookup by value the pages use finds each feed, the clashed ones
 * included, and nothing for an axis turned off.
 */
static void
test_find_and_archives(void **state)
{
	struct feed_meta m = tu_meta;
	const struct subfeed *f;
	const char *v[4];
	char dir[64];

	(void)state;
	m.tag_feeds = m.lang_feeds = true;
	m.language = "sv";
	m.max_entries = 2;
	add("n1.md", "tags: [M\xC3\xB6llan, mollan, M\xC3\xB6llan]\n");
	add("n2.md", "tags: [mollan]\n");
	add("n3.md", "tags: [mollan]\n");
	build(&m);
	f = subfeed_find(&set, SUB_TAG, "mollan");
	assert_ptr_equal(f, find(SUB_TAG, "mollan"));
	assert_int_equal(f->nall, 3);
	assert_int_equal(f->n, 2);
	assert_ptr_equal(f->rs[2], rs[2]);
	assert_int_equal(subfeed_archive_dir(f, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "feed-archive/tags/mollan");
	assert_int_equal(subfeed_archive_dir(f, dir, 10), -1);
	f = subfeed_find(&set, SUB_TAG, "M\xC3\xB6llan");
	assert_ptr_equal(f, find(SUB_TAG, "M\xC3\xB6llan"));
	assert_int_equal(f->nall, 1);
	assert_string_not_equal(f->slug, "mollan");
	assert_null(subfeed_find(&set, SUB_TAG, "MOLLAN"));
	assert_null(subfeed_find(&set, SUB_TYPE, "mollan"));
	assert_null(subfeed_find(&set, SUB_LANG, "en"));
	assert_non_null(subfeed_find(&set, SUB_LANG, "sv"));
	assert_null(subfeed_find(NULL, SUB_TAG, "mollan"));
	/* The values of n1, each once; a cap of 1 gives the first. */
	assert_int_equal(subfeed_values(&m, SUB_TAG, rs[0], v, 4), 2);
	assert_string_equal(v[0], "M\xC3\xB6llan");
	assert_string_equal(v[1], "mollan");
	assert_int_equal(subfeed_values(&m, SUB_TAG, rs[0], v, 1), 1);
	assert_int_equal(subfeed_values(&m, SUB_TAG, rs[0], v, 0), 0);
	assert_int_equal(subfeed_values(&m, SUB_LANG, rs[0], v, 4), 1);
	assert_string_equal(v[0], "sv");
	assert_int_equal(subfeed_values(&m, SUB_TYPE, rs[0], v, 4), 0);
}

static void
build_tombs(const struct feed_meta *m, const struct tombstone *tv,
    size_t ntv)
{
	subfeeds_free(&set);
	assert_int_equal(subfeeds_build(m, rs, nrs, tv, ntv, &set), 0);
}

/*
 * A tombstone goes to every sub-feed its release was filed under (each
 * tag once, its type, its lang or else the feed's), newest first; one
 * whose value no release has any more keeps an empty feed; the document
 * carries them.
 */
static void
test_tombstones(void **state)
{
	static char *tags_b[] = { "brott", "gone", "brott" }, *tags_c[] =
	    { "brott" };
	const struct tombstone tv[] = {
		{ .ref = "urn:x:b", .when = 2000, .tags = tags_b, .ntags = 3,
		    .type = "Event", .lang = "en" },
		{ .ref = "urn:x:c", .when = 1000, .tags = tags_c, .ntags = 1 },
	};
	struct feed_meta m = tu_meta;
	const struct subfeed *f;
	struct feed_doc d;

	(void)state;
	m.tag_feeds = m.type_feeds = m.lang_feeds = true;
	m.language = "sv";
	add("a.md", "tags: [brott]\ntype: Event\n");
	build_tombs(&m, tv, 2);
	f = find(SUB_TAG, "brott");
	assert_int_equal(f->nall, 1);
	assert_int_equal(f->ntombs, 2);
	assert_string_equal(f->tombs[0].ref, "urn:x:b");
	assert_int_equal(f->tombs[0].when, 2000);
	assert_string_equal(f->tombs[1].ref, "urn:x:c");
	assert_null(f->tombs[0].slug);
	/* Only the tombstone keeps "gone": an empty feed, its own slug. */
	f = find(SUB_TAG, "gone");
	assert_int_equal(f->nall, 0);
	assert_int_equal(f->n, 0);
	assert_string_equal(f->slug, "gone");
	assert_int_equal(f->ntombs, 1);
	d = subfeed_doc(f, "tags/gone.atom");
	assert_ptr_equal(d.tombs, f->tombs);
	assert_int_equal(d.ntombs, 1);
	f = find(SUB_TYPE, "Event");
	assert_int_equal(f->nall, 1);
	assert_int_equal(f->ntombs, 1);
	assert_int_equal(find(SUB_LANG, "en")->ntombs, 1);
	assert_int_equal(find(SUB_LANG, "en")->nall, 0);
	/* c had no lang: the feed's. */
	f = find(SUB_LANG, "sv");
	assert_int_equal(f->ntombs, 1);
	assert_string_equal(f->tombs[0].ref, "urn:x:c");
	assert_int_equal(set.n, 5);
	/* An axis turned off: none of its feeds, tombstones or not. */
	m.lang_feeds = false;
	build_tombs(&m, tv, 2);
	assert_int_equal(set.n, 3);
	/* No tombstones: "gone" has no feed. */
	build_tombs(&m, NULL, 0);
	assert_null(subfeed_find(&set, SUB_TAG, "gone"));
	assert_int_equal(find(SUB_TAG, "brott")->ntombs, 0);
}

/*
 * A tombstone keeps its value in the slug resolution while it lives: the
 * removed release's suffixed tag keeps its file (the tombstone lands
 * where the entry was), and the plain slug stays with its owner.
 */
static void
test_tombstone_keeps_clash(void **state)
{
	static char *gone[] = { "M\xC3\xB6llan" };
	const struct tombstone tv[] = { { .ref = "urn:x:gone", .when = 5,
		.tags = gone, .ntags = 1 } };
	struct feed_meta m = tu_meta;
	char want[64];
	const struct subfeed *f;

	(void)state;
	m.tag_feeds = true;
	snprintf(want, sizeof(want), "mollan-%08x",
	    (unsigned)text_hash32("M\xC3\xB6llan"));
	add("a.md", "tags: [mollan]\n");
	build_tombs(&m, tv, 1);
	f = find(SUB_TAG, "M\xC3\xB6llan");
	assert_string_equal(f->slug, want);
	assert_true(f->clash);
	assert_int_equal(f->ntombs, 1);
	assert_int_equal(f->nall, 0);
	f = find(SUB_TAG, "mollan");
	assert_string_equal(f->slug, "mollan");
	assert_int_equal(f->ntombs, 0);
	assert_int_equal(f->nall, 1);

	/*
	 * The other way: the plain slug's owner went. Its tombstone keeps
	 * tags/mollan; the live spelling stays suffixed until it expires.
	 */
	teardown(NULL);
	gone[0] = "mollan";
	add("a.md", "tags: [M\xC3\xB6llan]\n");
	build_tombs(&m, tv, 1);
	f = find(SUB_TAG, "mollan");
	assert_int_equal(f->nall, 0);
	assert_int_equal(f->ntombs, 1);
	assert_string_equal(find(SUB_TAG, "M\xC3\xB6llan")->slug, want);
	build_tombs(&m, NULL, 0);
	assert_string_equal(find(SUB_TAG, "M\xC3\xB6llan")->slug, "mollan");
}

/* a and b alike: the same sub-feeds, names and releases, in order. */
static void
assert_sets_equal(const struct subfeeds *a, const struct subfeeds *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct subfeed *x = &a->v[i], *y = &b->v[i];

		assert_int_equal(x->axis, y->axis);
		assert_string_equal(x->value, y->value);
		assert_string_equal(x->slug, y->slug);
		assert_string_equal(x->title, y->title);
		assert_string_equal(x->id_part, y->id_part);
		assert_int_equal(x->clash, y->clash);
		assert_int_equal(x->n, y->n);
		assert_int_equal(x->nall, y->nall);
		assert_int_equal(x->ntombs, y->ntombs);
		for (size_t k = 0; k < x->nall; k++)
			assert_ptr_equal(x->rs[k], y->rs[k]);
	}
	for (size_t i = 0; i < a->n; i++)
		assert_string_equal(a->by_value[i]->value,
		    b->by_value[i]->value);
}

#define POOL 40

/* A sub-feed's releases as they were (addresses), and its value. */
struct copied {
	const char *value;
	enum subfeed_axis axis;
	const struct release *rs[POOL];
	size_t nall;
};

static void
copy_set(struct copied *to, const struct subfeeds *s)
{
	memset(to, 0, 64 * sizeof(*to));
	for (size_t i = 0; i < s->n && i < 64; i++) {
		to[i].value = s->v[i].value;
		to[i].axis = s->v[i].axis;
		to[i].nall = s->v[i].nall;
		memcpy(to[i].rs, s->v[i].rs, s->v[i].nall * sizeof(*to[i].rs));
	}
}

/* f holds what c held, and none of gone. */
static bool
same_as(const struct subfeed *f, const struct copied *c,
    const struct release *const *gone, size_t ngone)
{
	for (size_t k = 0; k < 64; k++) {
		if (c[k].value == NULL || c[k].axis != f->axis ||
		    strcmp(c[k].value, f->value) != 0)
			continue;
		if (c[k].nall != f->nall)
			return false;
		for (size_t j = 0; j < f->nall; j++) {
			if (c[k].rs[j] != f->rs[j])
				return false;
			for (size_t g = 0; g < ngone; g++)
				if (gone[g] == f->rs[j])
					return false;
		}
		return true;
	}
	return false;
}

/*
 * subfeeds_update() against subfeeds_build() over 300 random small
 * changes of a selection (a pool's releases in pool order, newest
 * first): releases leave and come, an edited one comes back at its old
 * address (in gone and added at once), a value comes or goes (then 1:
 * built again, as the caller does). Each result is the build's.
 */
static void
test_update(void **state)
{
	static const char *const tags[] = { "a", "b", "C", "d\xC3\xB6",
	    "e f", "g" };
	struct release *pool[POOL];
	struct feed_meta m = tu_meta;
	bool in[POOL] = { false };
	struct release *sel[POOL];
	struct subfeeds cur = { 0 }, want;
	struct copied before[64];
	bool touched[64];
	unsigned seed = 12345, updated = 0, rebuilt = 0;
	size_t nsel = 0;

	(void)state;
	m.tag_feeds = m.type_feeds = m.lang_feeds = true;
	m.language = "sv";
	m.max_entries = 3;
	for (int i = 0; i < POOL; i++) {
		struct release_error err;
		char text[256], name[16];

		snprintf(name, sizeof(name), "p%02d.md", i);
		snprintf(text, sizeof(text), "---\ntags: [%s, %s]\n"
		    "type: %s\n%s---\n# %s\n", tags[i % 6],
		    tags[(i * 7 + 2) % 6], i % 3 ? "Nyhet" : "Press",
		    i % 4 ? "" : "lang: en\n", name);
		if (release_parse(&m, name, text, strlen(text), 1700000000,
		    &pool[i], &err) < 0)
			fail_msg("%s: %s", name, err.msg);
		in[i] = i % 2 == 0;
		if (in[i])
			sel[nsel++] = pool[i];
	}
	assert_int_equal(subfeeds_build(&m, sel, nsel, NULL, 0, &cur), 0);
	for (int round = 0; round < 300; round++) {
		const struct release *gone[8];
		size_t added[8], ngone = 0, nadded = 0;
		bool was[POOL];
		int rc;

		memcpy(was, in, sizeof(was));
		for (int k = 0; k < 3; k++) {
			int i;

			seed = seed * 1103515245u + 12345u;
			i = (int)((seed >> 16) % POOL);
			if (in[i] == was[i])
				in[i] = !in[i];
		}
		/* Now and then one edited: at the same address. */
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0) {
			int i = (int)((seed >> 8) % POOL);

			if (in[i] && was[i])
				was[i] = false, gone[ngone++] = pool[i];
		}
		nsel = 0;
		for (int i = 0; i < POOL; i++) {
			if (was[i] && !in[i])
				gone[ngone++] = pool[i];
			if (in[i] && !was[i])
				added[nadded++] = nsel;
			if (in[i])
				sel[nsel++] = pool[i];
		}
		memset(touched, 0, sizeof(touched));
		copy_set(before, &cur);
		rc = subfeeds_update(&cur, &m, sel, nsel, added, nadded, gone,
		    ngone, touched);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1 || cur.n > 64) {
			subfeeds_free(&cur);
			assert_int_equal(subfeeds_build(&m, sel, nsel, NULL, 0,
			    &cur), 0);
			rebuilt++;
			continue;
		}
		updated++;
		assert_int_equal(subfeeds_build(&m, sel, nsel, NULL, 0, &want),
		    0);
		assert_sets_equal(&cur, &want);
		/* Untouched: the very releases of before, by address. */
		for (size_t i = 0; i < cur.n; i++)
			if (!touched[i])
				assert_true(same_as(&cur.v[i], before, gone,
				    ngone));
		subfeeds_free(&want);
	}
	/* Both ways were taken, the update most often. */
	assert_true(updated > 150);
	assert_true(rebuilt > 0);
	subfeeds_free(&cur);
	for (int i = 0; i < POOL; i++)
		release_free(pool[i]);
}

/* What the update cannot do: a value new to the set, or one gone. */
static void
test_update_refuses(void **state)
{
	struct feed_meta m = tu_meta;
	size_t at0 = 0;
	const struct release *gone;
	struct release *sel[4];

	(void)state;
	m.tag_feeds = true;
	add("a.md", "tags: [x]\n");
	add("b.md", "tags: [x, y]\n");
	add("c.md", "tags: [z]\n");
	sel[0] = rs[1];
	build_from(&m, sel, 1);
	sel[0] = rs[0];
	sel[1] = rs[1];
	/* a.md comes: x is known, so an update. */
	assert_int_equal(subfeeds_update(&set, &m, sel, 2, &at0, 1, NULL, 0,
	    NULL), 0);
	assert_int_equal(set.v[0].nall, 2);
	/* c.md comes with z: new. */
	sel[2] = rs[2];
	at0 = 2;
	assert_int_equal(subfeeds_update(&set, &m, sel, 3, &at0, 1, NULL, 0,
	    NULL), 1);
	/* b.md goes, and y with it. */
	build_from(&m, sel, 2);
	gone = rs[1];
	assert_int_equal(subfeeds_update(&set, &m, sel, 1, NULL, 0, &gone, 1,
	    NULL), 1);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_off),
		T(test_grouping),
		T(test_names),
		T(test_clash),
		T(test_other_scripts),
		T(test_find_and_archives),
		T(test_tombstones),
		T(test_tombstone_keeps_clash),
		T(test_update),
		T(test_update_refuses),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
