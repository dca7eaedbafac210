/*
 * Unit tests for feeds/frontmatter.c on its own: the fence, the field
 * table (one row per field: value, shape, message) and the limits. The
 * same rules seen through release_parse() are in test_release.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/frontmatter.h"
#include "feeds/release.h"

#include "testutil.h"

static struct release *rel;

static int
free_rel(void **state)
{
	(void)state;
	release_free(rel);
	rel = NULL;
	return 0;
}

/* A bare release holding text, as release_parse() hands it over. */
static struct release *
bare(const char *text)
{
	release_free(rel);
	rel = calloc(1, sizeof(*rel));
	assert_non_null(rel);
	rel->text = strdup(text);
	assert_non_null(rel->text);
	return rel;
}

/* Split and parse text; returns their combined 0/-1. */
static int
run(const char *text, struct release_error *err)
{
	struct release *r = bare(text);

	memset(err, 0, sizeof(*err));
	if (frontmatter_split(r, err) < 0)
		return -1;
	return frontmatter_parse(r, err);
}

static void
test_split(void **state)
{
	static const struct {
		const char *text;
		size_t fm_off, fm_len, body_off, body_line;
	} cases[] = {
		{ "no block\n", 0, 0, 0, 1 },
		{ "---\na: 1\n---\nbody\n", 4, 5, 13, 4 },
		{ "---\na: 1\n...\nbody\n", 4, 5, 13, 4 },
		{ "--- \t\na: 1\n---  \nbody\n", 6, 5, 17, 4 },
		{ "---\n---\n", 4, 0, 8, 3 },
		{ "---\na: 1\n---", 4, 5, 12, 3 },
		{ "----\na: 1\n---\n", 0, 0, 0, 1 },
		{ "---", 0, 0, 0, 1 },
	};
	struct release_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct release *r = bare(cases[i].text);

		assert_int_equal(frontmatter_split(r, &err), 0);
		assert_int_equal(r->fm_off, cases[i].fm_off);
		assert_int_equal(r->fm_len, cases[i].fm_len);
		assert_int_equal(r->body_off, cases[i].body_off);
		assert_int_equal(r->body_line, cases[i].body_line);
	}
	assert_int_equal(frontmatter_split(bare("---\na: 1\n"), &err), -1);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "not closed"));
}

/* One row per field of the table: a good value and where it lands. */
static void
test_fields(void **state)
{
	struct release_error err;
	struct release *r;

	(void)state;
	assert_int_equal(run("---\ntitle: '  T  '\nid: urn:x:1\nsummary: S\n"
	    "type: Typ\nlang: sv\nlink: https://x.example/a\nauthor: [A, B]\n"
	    "tags: t\ndate: 2020-06-01T10:00:00Z\n"
	    "updated: 2020-06-02T10:00:00Z\ndraft: on\nother: [1]\n---\n",
	    &err), 0);
	r = rel;
	assert_string_equal(r->title, "T");
	assert_string_equal(r->id, "urn:x:1");
	assert_string_equal(r->summary, "S");
	assert_string_equal(r->type, "Typ");
	assert_string_equal(r->lang, "sv");
	assert_string_equal(r->link, "https://x.example/a");
	assert_int_equal(r->nauthors, 2);
	assert_string_equal(r->authors[1], "B");
	assert_int_equal(r->ntags, 1);
	assert_string_equal(r->tags[0], "t");
	assert_true(r->has_date);
	assert_int_equal(r->date.sec, 1591005600);
	assert_true(r->has_updated);
	assert_int_equal(r->updated.sec, 1591005600 + 86400);
	assert_true(r->draft);

	/* Empty means unset; an empty list is none. */
	assert_int_equal(run("---\ntitle: ''\nlink: \"\"\ntags: []\n"
	    "author: ''\ndraft: maybe\n---\n", &err), 0);
	assert_null(rel->title);
	assert_null(rel->link);
	assert_int_equal(rel->ntags, 0);
	assert_int_equal(rel->nauthors, 0);
	assert_false(rel->draft);
	assert_false(rel->has_date);
	assert_false(rel->has_updated);
}

/* Each field type's refusal, on the key's line. */
static void
test_field_errors(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "title: [a]", "'title' must be a string" },
		{ "lang: {a: b}", "'lang' must be a string" },
		{ "id: nope", "'id' must be an IRI such as tag:..., "
		    "urn:uuid:... or https://...: \"nope\"" },
		{ "link: /x", "'link' must be an absolute http(s) URL: "
		    "\"/x\"" },
		{ "tags: {a: b}", "'tags' must be a string or a list of "
		    "strings" },
		{ "author: [a, [b]]", "'author' must be a string or a list "
		    "of strings" },
		{ "date: [2020-01-01]", "'date' must be a single value" },
		{ "updated: soon", "'updated' is not a date: \"soon\"" },
		{ "draft: [yes]", "'draft' must be a single value" },
	};
	struct release_error err;
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "---\nx: 1\n%s\n---\n",
		    cases[i].line);
		assert_int_equal(run(text, &err), -1);
		if (strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("%s: \"%s\"", cases[i].line, err.msg);
		assert_int_equal(err.line, 3);
		assert_int_equal(err.errnum, 0);
		assert_false(err.transient);
		assert_false(err.clash);
	}
}

static void
test_shape_and_limits(void **state)
{
	struct release_error err;
	char *s;

	(void)state;
	assert_int_equal(run("---\n- a\n---\n", &err), -1);
	assert_non_null(strstr(err.msg, "must be a mapping"));
	assert_int_equal(run("---\na: b: c\n---\n", &err), -1);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "invalid YAML"));
	assert_int_equal(run("---\nk: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]\n---\n", &err), -1);
	assert_non_null(strstr(err.msg, "more than 32 deep"));
	s = malloc(70000);
	assert_non_null(s);
	memcpy(s, "---\nk: ", 7);
	memset(s + 7, 'a', 66000);
	strcpy(s + 66007, "\n---\n");
	assert_int_equal(run(s, &err), -1);
	free(s);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "larger than 64 KiB"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_split, free_rel),
		cmocka_unit_test_teardown(test_fields, free_rel),
		cmocka_unit_test_teardown(test_field_errors, free_rel),
		cmocka_unit_test_teardown(test_shape_and_limits, free_rel),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
