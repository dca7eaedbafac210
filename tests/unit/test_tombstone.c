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
	static const char *const fm[] = { "id: urn:x:a\n", "id: urn:x:b\n",
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
	bool changed;
	char *s, *s2;

	(void)state;
	assert_int_equal(tombs_update(&t, rs, 4, 1000, 60, &changed), 0);
	assert_int_equal(tombs_update(&t, rs, 2, 1005, 60, &changed), 0);
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
	free(s);
	free(s2);
	tombs_free(&u);
	tombs_free(&t);
}

static void
test_load_refuses_damage(void **state)
{
	static const char *const bad[] = { "", "{", "[]", "{\"deleted\": 1}",
	    "{\"deleted\": [{\"ref\": 1, \"when\": 2}], \"published\": []}",
	    "{\"deleted\": [{\"ref\": \"a\"}], \"published\": []}",
	    "{\"deleted\": [], \"published\": [1]}", "null" };
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
		cmocka_unit_test(test_load_refuses_damage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
