/*
 * Unit tests for feeds/tombstone.c: what left, what came back, expiry,
 * and the state's JSON round trip (hostile text included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/release.h"
#include "feeds/tombstone.h"

#include "testutil.h"

static struct release *rs[4];

static int
setup(void **state)
{
	static const char *const fm[] = { "id: urn:x:a\n",
	    "id: urn:x:b\ntags: [brott, \"M\xC3\xB6llan\"]\ntype: Event\n"
	    "lang: en\n",
	    "id: \"urn:c-\\\"q\\\"-\\u00e5\"\n", "id: urn:x:d\n" };
	char text[128];
	struct release_error err;

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "---\n%s---\n# R\n", fm[i]);
		if (release_parse(&tu_meta, "r.md", text, strlen(text),
		    1700000000, &rs[i], &err) < 0) {
			fprintf(stderr, "%s: %s\n", fm[i], err.msg);
			return -1;
		}
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		release_free(rs[i]);
	return 0;
}

static void
test_lifecycle(void **state)
{
	struct tombs t = { 0 };
	struct release *some[3] = { rs[0], rs[2], rs[3] };
	bool changed;

	(void)state;
	/* The first publish knows nothing left. */
	assert_int_equal(tombs_update(&t, rs, 4, 1000, 60, &changed), 0);
	assert_true(changed);
	assert_int_equal(t.n, 0);
	assert_int_equal(tombs_update(&t, rs, 4, 1001, 60, &changed), 0);
	assert_false(changed);
	/* b leaves. */
	assert_int_equal(tombs_update(&t, some, 3, 1002, 60, &changed), 0);
	assert_true(changed);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.v[0].ref, "urn:x:b");
	assert_int_equal(t.v[0].when, 1002);
	/* With the slug its release had: the page that went with it. */
	assert_non_null(t.v[0].slug);
	assert_string_equal(t.v[0].slug, rs[1]->slug);
	/* And its filing: the sub-feeds it leaves (subfeed.h). */
	assert_int_equal(t.v[0].ntags, 2);
	assert_string_equal(t.v[0].tags[0], "brott");
	assert_string_equal(t.v[0].tags[1], "M\xC3\xB6llan");
	assert_string_equal(t.v[0].type, "Event");
	assert_string_equal(t.v[0].lang, "en");
	assert_null(t.seen[0].type);
	/* a leaves later: newest first. */
	assert_int_equal(tombs_update(&t, some + 1, 2, 1010, 60, &changed), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.v[0].ref, "urn:x:a");
	assert_string_equal(t.v[1].ref, "urn:x:b");
	/* a is back; b's expires. */
	assert_int_equal(tombs_update(&t, some, 3, 1063, 60, &changed), 0);
	assert_true(changed);
	assert_int_equal(t.n, 0);
	tombs_free(&t);
}

static void
test_json_round_trip(void **state)
{
	struct tombs t = { 0 }, u;
	struct release *stay[2] = { rs[0], rs[3] };
	bool changed;
	char *s, *s2;

	(void)state;
	assert_int_equal(tombs_update(&t, rs, 4, 1000, 60, &changed), 0);
	/* b and c leave. */
	assert_int_equal(tombs_update(&t, stay, 2, 1005, 60, &changed), 0);
	assert_int_equal(t.n, 2);
	s = tombs_dump(&t);
	assert_non_null(s);
	assert_int_equal(tombs_load(&u, s, strlen(s)), 0);
	assert_int_equal(u.n, 2);
	assert_int_equal(u.nseen, 2);
	s2 = tombs_dump(&u);
	assert_string_equal(s, s2);
	/* The id with quotes and a non-ASCII letter came back exactly. */
	assert_true(strcmp(u.v[0].ref, rs[2]->id) == 0 ||
	    strcmp(u.v[1].ref, rs[2]->id) == 0);
	assert_string_equal(u.v[0].slug, rs[2]->slug);
	assert_string_equal(u.seen[0].slug, rs[0]->slug);
	/* b's filing too: a restart still knows its sub-feeds. */
	assert_string_equal(u.v[1].ref, "urn:x:b");
	assert_int_equal(u.v[1].ntags, 2);
	assert_string_equal(u.v[1].tags[1], "M\xC3\xB6llan");
	assert_string_equal(u.v[1].type, "Event");
	assert_string_equal(u.v[1].lang, "en");
	assert_int_equal(u.v[0].ntags, 0);
	assert_null(u.v[0].tags);
	assert_null(u.v[0].lang);
	free(s);
	free(s2);
	tombs_free(&u);
	tombs_free(&t);
}

/* A state written before slugs were kept: loaded, slugs unknown (NULL),
 * and the next update learns them (a change worth saving). */
static void
test_load_without_slugs(void **state)
{
	static const char old[] = "{\"deleted\": [{\"ref\": \"urn:x:z\", "
	    "\"when\": 990}], \"published\": [\"urn:x:a\", \"urn:x:b\"]}";
	struct tombs t;
	bool changed;

	(void)state;
	assert_int_equal(tombs_load(&t, old, strlen(old)), 0);
	assert_int_equal(t.n, 1);
	assert_null(t.v[0].slug);
	assert_int_equal(t.nseen, 2);
	assert_null(t.seen[1].slug);
	assert_int_equal(tombs_update(&t, rs, 2, 1000, 60, &changed), 0);
	assert_true(changed);
	assert_int_equal(t.n, 1);
	assert_null(t.v[0].slug);
	assert_string_equal(t.seen[0].slug, rs[0]->slug);
	tombs_free(&t);
}

/* A release filed elsewhere (a tag edited) is a change worth saving:
 * its tombstone, later, must name the sub-feeds it was in last. */
static void
test_filing_change_is_saved(void **state)
{
	static const char *const fm[] = {
	    "---\nid: urn:x:b\ntags: [brott]\n---\n# B\n",
	    "---\nid: urn:x:b\ntags: [brott, trafik]\n---\n# B\n" };
	struct release *r[2];
	struct release_error err;
	struct tombs t = { 0 };
	bool changed;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(release_parse(&tu_meta, "b.md", fm[i],
		    strlen(fm[i]), 1700000000, &r[i], &err), 0);
	assert_int_equal(tombs_update(&t, r, 1, 1000, 60, &changed), 0);
	assert_int_equal(tombs_update(&t, r, 1, 1001, 60, &changed), 0);
	assert_false(changed);
	assert_int_equal(tombs_update(&t, r + 1, 1, 1002, 60, &changed), 0);
	assert_true(changed);
	assert_int_equal(tombs_update(&t, r, 0, 1003, 60, &changed), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].ntags, 2);
	assert_string_equal(t.v[0].tags[1], "trafik");
	tombs_free(&t);
	release_free(r[0]);
	release_free(r[1]);
}

static void
test_load_refuses_damage(void **state)
{
	static const char *const bad[] = { "", "{", "[]", "{\"deleted\": 1}",
	    "{\"deleted\": [{\"ref\": 1, \"when\": 2}], \"published\": []}",
	    "{\"deleted\": [{\"ref\": \"a\"}], \"published\": []}",
	    "{\"deleted\": [], \"published\": [1]}", "null",
	    "{\"deleted\": [{\"ref\": \"a\", \"when\": 2, \"slug\": 3}], "
	    "\"published\": []}",
	    "{\"deleted\": [], \"published\": [{\"slug\": \"a\"}]}",
	    "{\"deleted\": [\"a\"], \"published\": []}",
	    "{\"deleted\": [{\"ref\": \"a\", \"when\": 2, \"tags\": \"x\"}], "
	    "\"published\": []}",
	    "{\"deleted\": [{\"ref\": \"a\", \"when\": 2, \"tags\": [\"x\", 1]}], "
	    "\"published\": []}",
	    "{\"deleted\": [], \"published\": [{\"ref\": \"a\", \"type\": 1}]}",
	    "{\"deleted\": [], \"published\": [{\"ref\": \"a\", \"lang\": []}]}" };
	struct tombs t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tombs_load(&t, bad[i], strlen(bad[i])), -1);
		assert_int_equal(t.n, 0);
		assert_false(t.known);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_load_without_slugs),
		cmocka_unit_test(test_filing_change_is_saved),
		cmocka_unit_test(test_load_refuses_damage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
