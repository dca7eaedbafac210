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

	/*
	 * Empty means unset; an empty list is none. (Issue 9: "draft:
	 * maybe" is an error now, a quoted blank title too; see
	 * test_draft_strict and test_blank_title.)
	 */
	assert_int_equal(run("---\ntitle:\nlink: \"\"\ntags: []\n"
	    "author: ''\ndraft: off\n---\n", &err), 0);
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
	assert_non_null(strstr(err.msg, "put the a in quotes: a: \"b: c\""));
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

/* Run text; it must fail on line with a message holding part. */
static void
fails(const char *text, size_t line, const char *part)
{
	struct release_error err;

	if (run(text, &err) != -1)
		fail_msg("parsed: %s", text);
	if (strstr(err.msg, part) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, part);
	if (err.line != line)
		fail_msg("\"%s\": line %zu, not %zu", err.msg, err.line,
		    line);
	assert_false(err.transient);
	assert_false(err.empty);
}

/* rel holds exactly one diagnostic of level on line, holding part. */
static void
one_diag(enum release_diag_level level, size_t line, const char *part)
{
	assert_int_equal(rel->ndiags, 1);
	if (strstr(rel->diags[0].msg, part) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", rel->diags[0].msg, part);
	assert_int_equal(rel->diags[0].level, level);
	assert_int_equal(rel->diags[0].line, line);
}

/* draft holds a release back: only an unquoted YAML boolean will do. */
static void
test_draft_strict(void **state)
{
	static const struct {
		const char *v;
		bool draft;
	} good[] = {
		{ "true", true }, { "True", true }, { "TRUE", true },
		{ "yes", true }, { "on", true }, { "y", true },
		{ "false", false }, { "False", false }, { "FALSE", false },
		{ "no", false }, { "off", false }, { "n", false },
	};
	static const char *const bad[] = { "1", "0", "ja", "sant", "nej",
	    "\"maybe\"", "maybe", "~", "", "tru", "Yes please" };
	static const char *const quoted[] = { "\"true\"", "'false'" };
	struct release_error err;
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "---\ntitle: T\ndraft: %s\n---\n",
		    good[i].v);
		assert_int_equal(run(text, &err), 0);
		assert_int_equal(rel->draft, good[i].draft);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "---\ntitle: T\ndraft: %s\n---\n",
		    bad[i]);
		fails(text, 3, "'draft' must be true or false, not");
	}
	for (size_t i = 0; i < sizeof(quoted) / sizeof(quoted[0]); i++) {
		snprintf(text, sizeof(text), "---\ntitle: T\ndraft: %s\n---\n",
		    quoted[i]);
		fails(text, 3, "without quotes");
	}
}

/*
 * A near miss of draft or date is an error; of another field, a warning;
 * any other key, a note.
 */
static void
test_near_misses(void **state)
{
	static const struct {
		const char *key, *meant;
	} errors[] = {
		{ "Draft", "draft" }, { "DRAFT", "draft" }, { "darft", "draft" },
		{ "drafts", "draft" }, { "draf", "draft" }, { "dratf", "draft" },
		{ "drat", "draft" }, { "udraft", "draft" }, { "dfrat", "draft" },
		{ "dte", "date" }, { "Date", "date" }, { "dates", "date" },
		{ "daet", "date" }, { "datum", NULL },
	};
	static const struct {
		const char *key, *meant;
	} warnings[] = {
		{ "titel", "title" }, { "Title", "title" }, { "tag", "tags" },
		{ "Tags", "tags" }, { "authors", "author" },
		{ "summry", "summary" }, { "update", "updated" },
		{ "lnk", "link" },
	};
	struct release_error err;
	char text[128], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		snprintf(text, sizeof(text), "---\ntitle: T\n%s: x\n---\n",
		    errors[i].key);
		if (errors[i].meant == NULL) {
			/* "datum" is three edits from date: a note. */
			assert_int_equal(run(text, &err), 0);
			one_diag(RELEASE_NOTE, 3, "'datum' is not one");
			continue;
		}
		snprintf(want, sizeof(want), "unknown field '%s': did you mean "
		    "'%s'?", errors[i].key, errors[i].meant);
		fails(text, 3, want);
	}
	for (size_t i = 0; i < sizeof(warnings) / sizeof(warnings[0]); i++) {
		snprintf(text, sizeof(text), "---\ndate: 2020-01-01\n\n%s: x\n"
		    "---\n", warnings[i].key);
		assert_int_equal(run(text, &err), 0);
		snprintf(want, sizeof(want), "unknown field '%s': did you mean "
		    "'%s'?", warnings[i].key, warnings[i].meant);
		one_diag(RELEASE_WARNING, 4, want);
	}
	/*
	 * Other keys are kept for templates: a note each, in line order
	 * ("contacts", the example here once, is a field now).
	 */
	assert_int_equal(run("---\ntitle: T\nregion:\n  - name: A\n"
	    "x-unknown: kept\n---\n", &err), 0);
	assert_int_equal(rel->ndiags, 2);
	assert_int_equal(rel->diags[0].level, RELEASE_NOTE);
	assert_int_equal(rel->diags[0].line, 3);
	assert_string_equal(rel->diags[0].msg, "field 'region' is not one "
	    "feedpubd uses: kept for templates");
	assert_int_equal(rel->diags[1].line, 5);
	assert_non_null(strstr(rel->diags[1].msg, "'x-unknown'"));
	/* The known fields themselves say nothing. */
	assert_int_equal(run("---\ntitle: T\ndate: 2020-01-01\ndraft: false\n"
	    "tags: a\n---\n", &err), 0);
	assert_int_equal(rel->ndiags, 0);
}

static void
test_blank_title(void **state)
{
	struct release_error err;

	(void)state;
	fails("---\ndate: 2020-01-01\ntitle: \"  \"\n---\n", 3,
	    "'title' is blank");
	fails("---\ntitle: ''\n---\n", 2, "'title' is blank");
	/* "title:" with nothing after it: none, taken from the heading. */
	assert_int_equal(run("---\ntitle:\n---\n", &err), 0);
	assert_null(rel->title);
}

/* "tags: jul, marknad" is two tags; a list item keeps its commas. */
static void
test_tags_commas(void **state)
{
	struct release_error err;

	(void)state;
	assert_int_equal(run("---\ntags: jul, marknad ,, \n---\n", &err), 0);
	assert_int_equal(rel->ntags, 2);
	assert_string_equal(rel->tags[0], "jul");
	assert_string_equal(rel->tags[1], "marknad");
	assert_int_equal(run("---\ntags: [\"a, b\", c]\n---\n", &err), 0);
	assert_int_equal(rel->ntags, 2);
	assert_string_equal(rel->tags[0], "a, b");
	assert_int_equal(run("---\ntags: ' , '\n---\n", &err), 0);
	assert_int_equal(rel->ntags, 0);
	/* Authors are not split: "Berg, Anna" is one person. */
	assert_int_equal(run("---\nauthor: Berg, Anna\n---\n", &err), 0);
	assert_int_equal(rel->nauthors, 1);
}

/* The commonest YAML slips, in the editor's words, on the right line. */
static void
test_yaml_hints(void **state)
{
	(void)state;
	fails("---\ndate: 2026-03-02\ntitle: Budget 2027: skattesats\n---\n",
	    3, "put the title in quotes: title: \"Budget 2027: skattesats\"");
	fails("---\ntitle: Hon sa \"ja\": klart\n---\n", 2,
	    "put the title in quotes: title: 'Hon sa \"ja\": klart'");
	fails("---\ntitle: T\n\tdate: 2026-03-02\n---\n", 3,
	    "indented with a tab: use spaces");
	fails("---\ntags:\n\t- a\n---\n", 3, "indented with a tab: use "
	    "spaces");
	fails("---\ntitle: \"Budget 2027\ndate: 2026-03-02\n---\nBody\n", 2,
	    "the quote opened on line 2 is not closed: end the value with "
	    "\"");
	fails("---\n\nsummary: 'Kort\ndate: 2026-03-02\n---\n", 3,
	    "the quote opened on line 3 is not closed: end the value with '");
	fails("---\ntitle: T\ndate: 2026-03-02\n\nBody, but no end.\n", 1,
	    "the front matter opened on line 1 is not closed: put a line "
	    "'---' after its last field");
	/* An indented key is not a colon in a value: libyaml's words. */
	fails("---\ntitle: T\n  date: 2026\n---\n", 3, "invalid YAML");
}

/* Local times on the edges of daylight saving time (Europe/Stockholm). */
static void
test_dst_edges(void **state)
{
	struct release_error err;

	(void)state;
	/* 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist. */
	fails("---\ntitle: T\ndate: 2026-03-29 02:30\n---\n", 3,
	    "'date' 2026-03-29 02:30 does not exist in Europe/Stockholm");
	fails("---\nupdated: 2026-03-29T02:00:00\n---\n", 2, "does not exist");
	/* With an offset it is one instant. */
	assert_int_equal(run("---\ndate: 2026-03-29 02:30 +01:00\n---\n",
	    &err), 0);
	assert_int_equal(rel->ndiags, 0);
	/* 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice. */
	assert_int_equal(run("---\ntitle: T\ndate: 2026-10-25 02:30\n---\n",
	    &err), 0);
	assert_true(rel->has_date);
	/* The later one, 01:30Z, so an embargo never lifts early. */
	assert_int_equal(rel->date.sec, 1792891800);
	assert_int_equal(rel->date.off, 3600);
	one_diag(RELEASE_WARNING, 3, "'date' 2026-10-25 02:30 happens twice "
	    "in Europe/Stockholm (the clocks go back): read as +01:00");
	/* Either side of the edges: nothing to say. */
	assert_int_equal(run("---\ndate: 2026-03-29 03:00\n"
	    "updated: 2026-10-25 03:00\n---\n", &err), 0);
	assert_int_equal(rel->ndiags, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_split, free_rel),
		cmocka_unit_test_teardown(test_fields, free_rel),
		cmocka_unit_test_teardown(test_field_errors, free_rel),
		cmocka_unit_test_teardown(test_shape_and_limits, free_rel),
		cmocka_unit_test_teardown(test_draft_strict, free_rel),
		cmocka_unit_test_teardown(test_near_misses, free_rel),
		cmocka_unit_test_teardown(test_blank_title, free_rel),
		cmocka_unit_test_teardown(test_tags_commas, free_rel),
		cmocka_unit_test_teardown(test_yaml_hints, free_rel),
		cmocka_unit_test_teardown(test_dst_edges, free_rel),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
