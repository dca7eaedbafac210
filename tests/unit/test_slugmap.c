/*
 * Unit tests for daemon/slugmap.c: ids replaced and kept, slugs shared
 * by several ids and moved (the slug table's removals shift later
 * entries back), growth to 100,000 ids, the pointers' sum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/slugmap.h"

#include "testutil.h"

static void
test_set_get_replace(void **state)
{
	struct slugmap *m = slugmap_new();
	int a, b;
	const void *r;

	(void)state;
	assert_non_null(m);
	assert_null(slugmap_get(m, "id1", &r));
	assert_int_equal(slugmap_set(m, "id1", "alfa", &a, true), 1);
	assert_int_equal(slugmap_set(m, "id1", "beta", &b, false), 0);
	assert_string_equal(slugmap_get(m, "id1", &r), "alfa");
	assert_ptr_equal(r, &a);
	assert_int_equal(slugmap_print(m), slugmap_mix(&a));
	/* Same slug, another pointer; then another slug. */
	assert_int_equal(slugmap_set(m, "id1", "alfa", &b, true), 0);
	assert_int_equal(slugmap_print(m), slugmap_mix(&b));
	assert_int_equal(slugmap_set(m, "id1", "beta", NULL, true), 0);
	assert_string_equal(slugmap_get(m, "id1", &r), "beta");
	assert_null(r);
	assert_int_equal(slugmap_print(m), 0);
	assert_false(slugmap_has_slug(m, "alfa"));
	assert_true(slugmap_has_slug(m, "beta"));
	assert_int_equal(slugmap_count(m), 1);
	/* A slug two ids share lives while either has it. */
	assert_int_equal(slugmap_set(m, "id2", "beta", NULL, true), 1);
	assert_int_equal(slugmap_set(m, "id1", "gamma", NULL, true), 0);
	assert_true(slugmap_has_slug(m, "beta"));
	assert_int_equal(slugmap_set(m, "id2", "delta", NULL, true), 0);
	assert_false(slugmap_has_slug(m, "beta"));
	assert_int_equal(slugmap_count(m), 2);
	assert_int_equal(slugmap_mix(NULL), 0);
	slugmap_free(m);
	slugmap_free(NULL);
}

static void
count_one(const char *id, const char *slug, const void *r, void *arg)
{
	(void)id;
	(void)slug;
	(void)r;
	(*(size_t *)arg)++;
}

/*
 * 100,000 ids (grown many times), every third renamed, then each one's
 * slug found and every old slug gone; the sum matches the pointers.
 */
static void
test_many_grow_and_move(void **state)
{
	enum { N = 100000 };
	struct slugmap *m = slugmap_new();
	static char cells[N];
	char id[32], slug[32];
	uint64_t sum = 0;
	size_t seen = 0;

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "tag:x,2026:%d", i);
		snprintf(slug, sizeof(slug), "s-%d", i);
		assert_int_equal(slugmap_set(m, id, slug, &cells[i], true), 1);
		sum += slugmap_mix(&cells[i]);
	}
	assert_int_equal(slugmap_print(m), sum);
	for (int i = 0; i < N; i += 3) {
		snprintf(id, sizeof(id), "tag:x,2026:%d", i);
		snprintf(slug, sizeof(slug), "t-%d", i);
		assert_int_equal(slugmap_set(m, id, slug, &cells[i], true), 0);
	}
	assert_int_equal(slugmap_count(m), N);
	assert_int_equal(slugmap_print(m), sum);
	for (int i = 0; i < N; i++) {
		const void *r;

		snprintf(id, sizeof(id), "tag:x,2026:%d", i);
		snprintf(slug, sizeof(slug), "%s-%d", i % 3 ? "s" : "t", i);
		assert_string_equal(slugmap_get(m, id, &r), slug);
		assert_ptr_equal(r, &cells[i]);
		assert_true(slugmap_has_slug(m, slug));
		snprintf(slug, sizeof(slug), "%s-%d", i % 3 ? "t" : "s", i);
		assert_false(slugmap_has_slug(m, slug));
	}
	slugmap_foreach(m, count_one, &seen);
	assert_int_equal(seen, N);
	slugmap_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_replace),
		cmocka_unit_test(test_many_grow_and_move),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
