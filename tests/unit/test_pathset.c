/*
 * Unit tests for daemon/pathset.c: adds, removals that shift later
 * entries back (also across the end of the table), growth, byte order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/pathset.h"

#include "testutil.h"

static void
test_add_has_remove(void **state)
{
	struct pathset *s = pathset_new();

	(void)state;
	assert_non_null(s);
	assert_false(pathset_has(s, "a.md"));
	assert_int_equal(pathset_add(s, "a.md"), 0);
	assert_int_equal(pathset_add(s, "a.md"), 0);
	assert_int_equal(pathset_count(s), 1);
	assert_true(pathset_has(s, "a.md"));
	assert_false(pathset_has(s, "a.m"));
	assert_true(pathset_remove(s, "a.md"));
	assert_false(pathset_remove(s, "a.md"));
	assert_int_equal(pathset_count(s), 0);
	pathset_free(s);
	pathset_free(NULL);
}

/*
 * 100,000 paths (the folder moved in at once), then every other one
 * removed: the rest must still be found, whatever runs the removals
 * shifted.
 */
static void
test_many_grow_and_shift(void **state)
{
	struct pathset *s = pathset_new();
	char path[64];
	const int n = 100000;

	(void)state;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "2024/%06d.md", i);
		assert_int_equal(pathset_add(s, path), 0);
	}
	assert_int_equal(pathset_count(s), n);
	for (int i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "2024/%06d.md", i);
		assert_true(pathset_remove(s, path));
	}
	assert_int_equal(pathset_count(s), n / 2);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "2024/%06d.md", i);
		assert_int_equal(pathset_has(s, path), i % 2 == 1);
	}
	pathset_clear(s);
	assert_int_equal(pathset_count(s), 0);
	assert_false(pathset_has(s, "2024/000001.md"));
	pathset_free(s);
}

static void
test_sorted_copies_in_byte_order(void **state)
{
	struct pathset *s = pathset_new();
	const char *in[] = { "b.md", "2019/a.md", "2019-x/a.md", "\xc3\xa5.md",
	    "A.md" };
	const char *want[] = { "2019-x/a.md", "2019/a.md", "A.md", "b.md",
	    "\xc3\xa5.md" };
	char **v;
	size_t n;

	(void)state;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(pathset_add(s, in[i]), 0);
	v = pathset_sorted(s, &n);
	assert_non_null(v);
	assert_int_equal(n, 5);
	/* Copies: the set may change while the caller walks them. */
	pathset_clear(s);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	pathset_sorted_free(v, n);
	v = pathset_sorted(s, &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	pathset_sorted_free(v, n);
	pathset_free(s);
}

/*
 * Taken out, then sorted a few entries per step: every size around the
 * run and merge boundaries (0, 1, 31-33, 64, 65, ...), with steps of 1
 * entry and of more than the whole, comes out in byte order, each path
 * once, and the set is empty after the take.
 */
static void
test_take_and_sort_in_steps(void **state)
{
	const size_t sizes[] = { 0, 1, 2, 31, 32, 33, 64, 65, 97, 1000, 4099 };
	const size_t steps[] = { 1, 7, 100000 };
	char path[64];

	(void)state;
	for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++)
		for (size_t b = 0; b < sizeof(steps) / sizeof(steps[0]); b++) {
			struct pathset *s = pathset_new();
			struct pathsort ps;
			size_t n, k = 0;
			char **v;

			assert_non_null(s);
			for (size_t i = 0; i < sizes[a]; i++) {
				/* Shared prefixes, and an order of its own. */
				snprintf(path, sizeof(path), "%zu/x%zu.md",
				    (i * 7919) % 13, (i * 104729) % 9973);
				assert_int_equal(pathset_add(s, path), 0);
			}
			v = pathset_take(s, &n);
			assert_non_null(v);
			assert_int_equal(pathset_count(s), 0);
			assert_false(pathset_has(s, "0/x0.md"));
			assert_int_equal(pathsort_init(&ps, v, n), 0);
			while (!pathsort_step(&ps, steps[b]))
				assert_true(++k < 10 * 4099 + 100);
			pathsort_finish(&ps);
			for (size_t i = 1; i < n; i++)
				assert_true(strcmp(ps.v[i - 1], ps.v[i]) < 0);
			/* The set takes new paths after the take. */
			assert_int_equal(pathset_add(s, "new.md"), 0);
			assert_true(pathset_has(s, "new.md"));
			pathset_sorted_free(ps.v, n);
			pathset_free(s);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has_remove),
		cmocka_unit_test(test_many_grow_and_shift),
		cmocka_unit_test(test_sorted_copies_in_byte_order),
		cmocka_unit_test(test_take_and_sort_in_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
