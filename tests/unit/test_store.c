/*
 * Unit tests for feeds/store.c, with releases made by release_parse().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/globals.h>
#include <libxml/xmlmemory.h>

#include "feeds/date.h"
#include "feeds/meta.h"
#include "feeds/release.h"
#include "feeds/store.h"

#include "testutil.h"

#define T2019 1575964440	/* 2019-12-10T07:54:00Z */
#define DAY 86400

static int
new_store(void **state)
{
	*state = store_new();
	return *state == NULL ? -1 : 0;
}

static int
free_store(void **state)
{
	store_free(*state);
	return 0;
}

/*
 * A release at relpath dated sec (UTC). id NULL: the default one; extra:
 * more front matter lines.
 */
static struct release *
mk(const char *relpath, int64_t sec, const char *id, const char *extra)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;
	struct fp_time t = { sec, 0 };
	char date[DATE_BUFSZ], text[1024];

	/* Short ids in the tests, made IRIs as the parser wants. */
	snprintf(text, sizeof(text), "---\ndate: %s\n%s%s%s%s---\n# %s\n",
	    date_rfc3339(&t, date), !id ? "" : strchr(id, ':') ? "id: " :
	    "id: urn:test:", id ? id : "",
	    id ? "\n" : "", extra ? extra : "", relpath);
	if (release_parse(&tu_meta, relpath, text, strlen(text), sec, &r,
	    &err) < 0)
		fail_msg("%s: line %zu: %s", relpath, err.line, err.msg);
	assert_int_equal(r->date.sec, sec);
	return r;
}

static void
put_ok(struct store *s, struct release *r)
{
	const char *clash = NULL;

	assert_int_equal(store_put(s, r, &clash), STORE_PUT_OK);
	assert_null(clash);
}

/* store_select() that must succeed; returns how many it selected. */
static size_t
select_n(struct store *s, int64_t now, size_t max, struct release ***sel)
{
	size_t n = 12345;

	assert_int_equal(store_select(s, now, max, sel, &n), 0);
	assert_true(n <= max);
	return n;
}

static void
test_put_get(void **state)
{
	struct store *s = *state;
	struct release *a = mk("2019/a.md", T2019, NULL, NULL);
	struct release *b = mk("b.md", T2019, NULL, NULL);

	assert_int_equal(store_count(s), 0);
	assert_null(store_get(s, "2019/a.md"));
	put_ok(s, a);
	put_ok(s, b);
	assert_int_equal(store_count(s), 2);
	assert_ptr_equal(store_get(s, "2019/a.md"), a);
	assert_ptr_equal(store_get(s, "b.md"), b);
	assert_null(store_get(s, "a.md"));
	assert_null(store_get(s, "2019"));
	assert_string_equal(a->id, "tag:news.example.org,2000:/releases/a");
}

static void
test_replace(void **state)
{
	struct store *s = *state;
	struct release *v1 = mk("a.md", T2019, "one", NULL);
	struct release *v2 = mk("a.md", T2019 + DAY, "two", NULL);
	struct release *b = mk("b.md", T2019, "one", NULL);
	struct release **sel;

	put_ok(s, v1);
	put_ok(s, v2);	/* v1 is freed: ASan would catch a later use */
	assert_int_equal(store_count(s), 1);
	assert_ptr_equal(store_get(s, "a.md"), v2);
	assert_int_equal(select_n(s, T2019 + DAY, 10, &sel), 1);
	assert_ptr_equal(sel[0], v2);
	/* The old version's id is free again. */
	put_ok(s, b);
	assert_int_equal(store_count(s), 2);

	/* Same path, same id: a plain replacement. */
	v1 = mk("b.md", T2019, "one", "title: B2\n");
	put_ok(s, v1);
	assert_ptr_equal(store_get(s, "b.md"), v1);
	assert_string_equal(store_get(s, "b.md")->title, "B2");
	assert_int_equal(store_count(s), 2);
}

static void
test_id_clash(void **state)
{
	struct store *s = *state;
	struct release *a = mk("2019/samma.md", T2019, NULL, NULL);
	struct release *b = mk("b.md", T2019, "bee", NULL);
	const char *clash = NULL;
	struct release **sel;

	put_ok(s, a);
	put_ok(s, b);
	assert_int_equal(select_n(s, T2019, 10, &sel), 2);

	/* Another file with a's default id (same slug). */
	assert_int_equal(store_put(s, mk("2020/samma.md", T2019 + 1, NULL,
	    NULL), &clash), STORE_PUT_CLASH);
	assert_non_null(clash);
	assert_string_equal(clash, "2019/samma.md");
	assert_int_equal(store_count(s), 2);
	assert_null(store_get(s, "2020/samma.md"));
	assert_ptr_equal(store_get(s, "2019/samma.md"), a);
	assert_int_equal(select_n(s, T2019 + 10, 10, &sel), 2);

	/* A new version of b that takes a's id: the old b stays. */
	clash = NULL;
	assert_int_equal(store_put(s, mk("b.md", T2019, a->id, NULL),
	    &clash), STORE_PUT_CLASH);
	assert_string_equal(clash, "2019/samma.md");
	assert_ptr_equal(store_get(s, "b.md"), b);
	assert_string_equal(b->id, "urn:test:bee");
	assert_int_equal(store_count(s), 2);

	/* clash may be NULL. */
	assert_int_equal(store_put(s, mk("c.md", T2019, "bee", NULL), NULL),
	    STORE_PUT_CLASH);
	assert_int_equal(store_count(s), 2);
	assert_null(store_get(s, "c.md"));
}

static void
test_remove(void **state)
{
	struct store *s = *state;
	struct release **sel;

	put_ok(s, mk("a.md", T2019, "x", NULL));
	put_ok(s, mk("b.md", T2019, NULL, NULL));
	assert_int_equal(select_n(s, T2019, 10, &sel), 2);
	assert_int_equal(store_remove(s, "a.md"), 0);
	assert_int_equal(store_remove(s, "a.md"), -1);
	assert_int_equal(store_remove(s, "nope.md"), -1);
	assert_null(store_get(s, "a.md"));
	assert_int_equal(store_count(s), 1);
	assert_int_equal(select_n(s, T2019, 10, &sel), 1);
	assert_string_equal(sel[0]->path, "b.md");
	/* Its id went with it. */
	put_ok(s, mk("c.md", T2019, "x", NULL));
	assert_int_equal(store_count(s), 2);
}

static void
test_select(void **state)
{
	struct store *s = *state;
	int64_t now = T2019 + 10 * DAY;
	struct release **sel;

	put_ok(s, mk("old.md", T2019, NULL, NULL));
	put_ok(s, mk("b.md", T2019 + DAY, "tag:b", NULL));
	put_ok(s, mk("a.md", T2019 + DAY, "tag:a", NULL));
	put_ok(s, mk("new.md", T2019 + 2 * DAY, NULL, NULL));
	put_ok(s, mk("draft.md", T2019 + 3 * DAY, NULL, "draft: true\n"));
	put_ok(s, mk("now.md", now, NULL, NULL));
	put_ok(s, mk("future.md", now + 1, NULL, NULL));
	assert_int_equal(store_count(s), 7);

	assert_int_equal(select_n(s, now, 50, &sel), 5);
	assert_string_equal(sel[0]->path, "now.md");
	assert_string_equal(sel[1]->path, "new.md");
	assert_string_equal(sel[2]->path, "a.md");	/* same date: by id */
	assert_string_equal(sel[3]->path, "b.md");
	assert_string_equal(sel[4]->path, "old.md");

	assert_int_equal(select_n(s, now, 2, &sel), 2);
	assert_string_equal(sel[0]->path, "now.md");
	assert_string_equal(sel[1]->path, "new.md");
	assert_int_equal(select_n(s, now, 0, &sel), 0);

	/* Later, the embargo is over; the draft stays out. */
	assert_int_equal(select_n(s, now + 1, 50, &sel), 6);
	assert_string_equal(sel[0]->path, "future.md");
	for (size_t i = 0; i < 6; i++)
		assert_false(sel[i]->draft);
	/* Before anything: nothing. */
	assert_int_equal(select_n(s, T2019 - 1, 50, &sel), 0);
}

static void
test_select_empty(void **state)
{
	struct store *s = *state;
	struct release **sel;

	assert_int_equal(select_n(s, T2019, 50, &sel), 0);
	assert_int_equal(store_next_embargo(s, T2019), INT64_MAX);
	assert_int_equal(store_remove_under(s, "2019"), 0);
}

static void
test_next_embargo(void **state)
{
	struct store *s = *state;
	int64_t now = T2019;

	put_ok(s, mk("past.md", now - DAY, NULL, NULL));
	assert_int_equal(store_next_embargo(s, now), INT64_MAX);
	put_ok(s, mk("later.md", now + 2 * DAY, NULL, NULL));
	put_ok(s, mk("soon.md", now + DAY, NULL, NULL));
	put_ok(s, mk("draft.md", now + 60, NULL, "draft: true\n"));
	put_ok(s, mk("now.md", now, NULL, NULL));
	assert_int_equal(store_next_embargo(s, now), now + DAY);
	assert_int_equal(store_next_embargo(s, now + DAY - 1), now + DAY);
	assert_int_equal(store_next_embargo(s, now + DAY), now + 2 * DAY);
	assert_int_equal(store_next_embargo(s, now + 2 * DAY), INT64_MAX);
	/* Removing the nearest one moves it on. */
	assert_int_equal(store_remove(s, "soon.md"), 0);
	assert_int_equal(store_next_embargo(s, now), now + 2 * DAY);
}

static void
test_remove_under(void **state)
{
	struct store *s = *state;
	static const char *const paths[] = { "2019/a.md", "2019/sub/b.md",
	    "2019x/c.md", "2019.md", "x/2019/d.md", "2020/e.md", "2019-f.md" };
	struct release **sel;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		put_ok(s, mk(paths[i], T2019 + (int64_t)i, NULL, NULL));
	assert_int_equal(store_remove_under(s, "2019"), 2);
	assert_int_equal(store_count(s), 5);
	assert_null(store_get(s, "2019/a.md"));
	assert_null(store_get(s, "2019/sub/b.md"));
	for (size_t i = 2; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_non_null(store_get(s, paths[i]));
	assert_int_equal(select_n(s, T2019 + 100, 10, &sel), 5);
	assert_int_equal(store_remove_under(s, "2019"), 0);
	assert_int_equal(store_remove_under(s, "x/2019"), 1);
	assert_null(store_get(s, "x/2019/d.md"));
	assert_int_equal(store_count(s), 4);
}

/*
 * The generation moves with every change that can change a selection or
 * free a release, and never repeats, not even in another store: the
 * site's work list is kept across slices while it stays (daemon/site.h).
 */
static void
test_generation(void **state)
{
	struct store *s = *state, *other;
	struct release *r, **sel;
	uint64_t g = store_generation(s), seen[8];
	size_t k = 0;

	seen[k++] = g;
	put_ok(s, mk("a.md", T2019, NULL, NULL));
	seen[k++] = store_generation(s);
	put_ok(s, mk("a.md", T2019 + 1, NULL, NULL));	/* replaced */
	seen[k++] = store_generation(s);
	/* Reading is no change. */
	assert_int_equal(select_n(s, T2019 + 100, 10, &sel), 1);
	assert_non_null(store_get(s, "a.md"));
	assert_int_equal(store_generation(s), seen[k - 1]);
	r = store_get(s, "a.md");
	r->date.sec += 5;
	store_redated(s, r, T2019 + 1);
	seen[k++] = store_generation(s);
	store_touch(s);
	seen[k++] = store_generation(s);
	assert_int_equal(store_remove(s, "a.md"), 0);
	seen[k++] = store_generation(s);
	/* Nothing to remove: no change, the same generation. */
	assert_int_equal(store_remove(s, "a.md"), -1);
	assert_int_equal(store_generation(s), seen[k - 1]);
	assert_non_null(other = store_new());
	seen[k++] = store_generation(other);
	store_free(other);
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			assert_true(seen[i] != seen[j]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, new_store, free_store)

/*
 * Out of memory, injected through libxml2's allocator, which the store
 * uses for all it allocates (store.h). The releases are made before, and
 * the store's hash tables are not asked to add anything meanwhile.
 */
static bool xml_oom;
static xmlFreeFunc saved_free;
static xmlMallocFunc saved_malloc;
static xmlReallocFunc saved_realloc;
static xmlStrdupFunc saved_strdup;

static void *
oom_malloc(size_t n)
{
	return xml_oom ? NULL : malloc(n);
}

static void *
oom_realloc(void *p, size_t n)
{
	return xml_oom ? NULL : realloc(p, n);
}

static char *
oom_strdup(const char *s)
{
	return xml_oom ? NULL : strdup(s);
}

static int
oom_setup(void **state)
{
	assert_int_equal(xmlMemGet(&saved_free, &saved_malloc, &saved_realloc,
	    &saved_strdup), 0);
	assert_int_equal(xmlMemSetup(free, oom_malloc, oom_realloc,
	    oom_strdup), 0);
	return new_store(state);
}

static int
oom_teardown(void **state)
{
	xml_oom = false;
	free_store(state);
	return xmlMemSetup(saved_free, saved_malloc, saved_realloc,
	    saved_strdup);
}

/*
 * store_put: when a table cannot grow, STORE_PUT_NOMEM and the store is
 * as it was. 44 releases fill the first tables (64 slots) to 70%: the 45th
 * needs larger ones. A replacement under the same path and id needs no
 * room and goes in; one with a new id needs room in the id table.
 */
static void
test_put_out_of_memory(void **state)
{
	struct store *s = *state;
	struct release *r, *fresh = mk("new.md", T2019, NULL, NULL),
	    *same = mk("a3.md", T2019 + 1, NULL, NULL),
	    *newid = mk("a4.md", T2019 + 2, "other", NULL);
	char path[32];

	for (int i = 0; i < 44; i++) {
		snprintf(path, sizeof(path), "a%d.md", i);
		put_ok(s, mk(path, T2019 - i, NULL, NULL));
	}
	xml_oom = true;	/* the releases are made: only the store fails */
	assert_int_equal(store_put(s, fresh, NULL), STORE_PUT_NOMEM);
	assert_int_equal(store_count(s), 44);
	assert_null(store_get(s, "new.md"));
	assert_int_equal(store_put(s, same, NULL), STORE_PUT_OK);
	assert_ptr_equal(store_get(s, "a3.md"), same);
	assert_int_equal(store_put(s, newid, NULL), STORE_PUT_NOMEM);
	assert_int_equal(store_get(s, "a4.md")->date.sec, T2019 - 4);
	xml_oom = false;
	for (int i = 0; i < 44; i++) {
		snprintf(path, sizeof(path), "a%d.md", i);
		assert_non_null(r = store_get(s, path));
		assert_ptr_equal(store_get_id(s, r->id), r);
	}
	put_ok(s, mk("new.md", T2019, NULL, NULL));
	assert_int_equal(store_count(s), 45);
}

/*
 * The tables shift entries back on removal: after thousands of seeded
 * puts and removals (runs that wrap around the end of a table included),
 * every path and id still finds its release and no removed one is found.
 */
static void
test_many_removals(void **state)
{
	enum { NP = 3000 };
	struct store *s = *state;
	static bool in[NP];
	unsigned seed = 7;
	char path[32];

	memset(in, 0, sizeof(in));
	for (int round = 0; round < 20000; round++) {
		int i = (int)(rand_r(&seed) % NP);

		snprintf(path, sizeof(path), "p/%d.md", i);
		if (in[i])
			assert_int_equal(store_remove(s, path), 0);
		else
			put_ok(s, mk(path, T2019 - i, NULL, NULL));
		in[i] = !in[i];
		if (round % 997 != 0)
			continue;
		for (int j = 0; j < NP; j++) {
			struct release *r;

			snprintf(path, sizeof(path), "p/%d.md", j);
			r = store_get(s, path);
			assert_true((r != NULL) == in[j]);
			if (r != NULL)
				assert_ptr_equal(store_get_id(s, r->id), r);
		}
	}
}

/*
 * store_select: out of memory is -1, not an empty selection. Past the
 * moves one selection may make (a burst), the array is rebuilt then,
 * larger than it was: that allocation fails.
 */
static void
test_select_out_of_memory(void **state)
{
	struct store *s = *state;
	struct release **sel = (struct release **)&sel;
	size_t n = 12345;
	char path[32];

	put_ok(s, mk("a.md", T2019, "one", NULL));
	assert_int_equal(select_n(s, T2019, 10, &sel), 1);
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "b%d.md", i);
		put_ok(s, mk(path, T2019 - 1 - i, NULL, NULL));
	}
	xml_oom = true;
	assert_int_equal(store_select(s, T2019, 10, &sel, &n), -1);
	assert_null(sel);
	assert_int_equal(n, 0);
	xml_oom = false;
	assert_int_equal(select_n(s, T2019, 10, &sel), 10);
	assert_string_equal(sel[0]->path, "a.md");
	assert_string_equal(sel[9]->path, "b8.md");
}

/* The newest first of every release in s at now, by brute force. */
static size_t
expected(struct store *s, const char *const *paths, size_t np, int64_t now,
    struct release **out)
{
	size_t n = 0;

	for (size_t i = 0; i < np; i++) {
		struct release *r = store_get(s, paths[i]);
		size_t j;

		if (r == NULL || r->draft || r->date.sec > now)
			continue;
		for (j = n; j > 0 && (out[j - 1]->date.sec < r->date.sec ||
		    (out[j - 1]->date.sec == r->date.sec &&
		    strcmp(out[j - 1]->id, r->id) > 0)); j--)
			out[j] = out[j - 1];
		out[j] = r;
		n++;
	}
	return n;
}

/*
 * One change at a time moves one release in the sorted array; many at
 * once rebuild it. Either way each selection is what sorting all gives:
 * puts, replacements (a new date, a draft), removals and dates changed in
 * place (store_redated()), in a seeded random order, with few and with
 * many changes between two selections.
 */
/*
 * np paths changed at random, every round a few (moves in the array) and
 * every 50th round burst of them (past PENDING_MAX: holes and releases set
 * aside, merged at the selection); each selection checked against the
 * store sorted afresh.
 */
static void
check_incremental(struct store *s, int np, int rounds, int burst,
    unsigned seed)
{
	char (*names)[16] = calloc((size_t)np, sizeof(*names));
	const char **paths = calloc((size_t)np, sizeof(*paths));
	struct release **want = calloc((size_t)np, sizeof(*want)), **sel, *r;
	int64_t now = T2019 + 50 * DAY;

	assert_non_null(names);
	assert_non_null(paths);
	assert_non_null(want);
	for (int i = 0; i < np; i++) {
		snprintf(names[i], sizeof(names[i]), "r%05d.md", i);
		paths[i] = names[i];
	}
	for (int round = 0; round < rounds; round++) {
		int changes = round % 50 == 49 ? burst : 1 + round % 3;

		for (int c = 0; c < changes; c++) {
			int i = (int)(rand_r(&seed) % (unsigned)np), what = (int)(
			    rand_r(&seed) % 8);
			/* Few distinct dates: ties are ordered by id. */
			int64_t sec = T2019 + (int64_t)(rand_r(&seed) % 60) *
			    DAY;

			if (what == 0) {
				store_remove(s, paths[i]);
			} else if (what == 1 && (r = store_get(s,
			    paths[i])) != NULL) {
				int64_t was = r->date.sec;

				r->date.sec = sec;
				store_redated(s, r, was);
			} else {
				put_ok(s, mk(paths[i], sec, NULL, what == 2 ?
				    "draft: true\n" : NULL));
			}
		}
		size_t n = expected(s, paths, (size_t)np, now, want);
		size_t got = select_n(s, now, (size_t)np, &sel);

		assert_int_equal(got, n);
		for (size_t k = 0; k < n; k++)
			assert_ptr_equal(sel[k], want[k]);
		assert_int_equal(select_n(s, now, 3, &sel), n < 3 ? n : 3);
	}
	free(names);
	free(paths);
	free(want);
}

static void
test_select_incremental(void **state)
{
	check_incremental(*state, 120, 400, 150, 13);
}

/* Bursts of 65 to 3,000 changes among 2,000 releases: merged, not sorted. */
static void
test_select_bursts(void **state)
{
	check_incremental(*state, 2000, 150, 65, 17);
	check_incremental(*state, 2000, 150, 700, 19);
	check_incremental(*state, 2000, 100, 3000, 23);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_put_get),
		T(test_replace),
		T(test_id_clash),
		T(test_remove),
		T(test_select),
		T(test_select_empty),
		T(test_next_embargo),
		T(test_remove_under),
		T(test_select_incremental),
		T(test_select_bursts),
		T(test_generation),
		T(test_many_removals),
		cmocka_unit_test_setup_teardown(test_put_out_of_memory,
		    oom_setup, oom_teardown),
		cmocka_unit_test_setup_teardown(test_select_out_of_memory,
		    oom_setup, oom_teardown),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
