/*
 * Unit tests for feeds/release.c: formats, front matter, defaults, errors
 * and rendering, checked against release.h and docs/release-files.md.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "feeds/date.h"
#include "feeds/meta.h"
#include "feeds/release.h"

#include "testutil.h"

/* 2019-12-10T07:54:00Z, 08:54 in Stockholm (CET). */
#define MTIME 1575964440

/*
 * Every release a test parses, freed by the teardown, so a failed assertion
 * (which longjmps out of the test) leaks nothing.
 */
static struct release *live[32];
static size_t nlive;

static int
free_live(void **state)
{
	(void)state;
	for (size_t i = 0; i < nlive; i++)
		release_free(live[i]);
	nlive = 0;
	return 0;
}

/* Parse text as relpath; the parse must succeed. */
static struct release *
parse_m(const struct feed_meta *m, const char *relpath, const char *text,
    int64_t mtime)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;
	int rc = release_parse(m, relpath, text, strlen(text), mtime, &r, &err);

	if (rc != 0)
		print_error("release_parse(%s): line %zu: %s\n", relpath,
		    err.line, err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	assert_true(nlive < sizeof(live) / sizeof(live[0]));
	live[nlive++] = r;
	return r;
}

static struct release *
parse(const char *relpath, const char *text, int64_t mtime)
{
	return parse_m(&tu_meta, relpath, text, mtime);
}

/*
 * Parse buf[0..len); it must fail at line with a message holding part. A
 * parse error is never transient, whatever err held before.
 */
static void
parse_fails_n(const char *buf, size_t len, size_t line, const char *part)
{
	struct release_error err = { .line = 12345, .transient = true };
	struct release *r = (struct release *)&err;

	assert_int_equal(release_parse(&tu_meta, "x.md", buf, len, MTIME, &r,
	    &err), -1);
	assert_null(r);
	if (strstr(err.msg, part) == NULL)
		print_error("message \"%s\" lacks \"%s\"\n", err.msg, part);
	assert_non_null(strstr(err.msg, part));
	assert_int_equal(err.line, line);
	assert_int_equal(err.errnum, 0);
	assert_false(err.transient);
}

static void
parse_fails(const char *text, size_t line, const char *part)
{
	parse_fails_n(text, strlen(text), line, part);
}

static void
render(struct release *r, const struct feed_meta *m)
{
	assert_int_equal(release_load_body(r, m, NULL), 0);
	assert_non_null(r->html);
	assert_non_null(r->summary);
}

static void
test_format_of(void **state)
{
	static const struct {
		const char *name;
		int want;
	} cases[] = {
		{ "a.md", RELEASE_MARKDOWN },
		{ "2019-12-10 Trygghet p\xC3\xA5 M\xC3\xB6llan!.md",
		    RELEASE_MARKDOWN },
		{ "a.markdown", RELEASE_MARKDOWN },
		{ "a.txt", RELEASE_TEXT },
		{ "notes.md.txt", RELEASE_TEXT },
		{ ".hidden.md", -1 },
		{ ".txt", -1 },
		{ "a.md~", -1 },
		{ "~", -1 },
		{ ".a.md.swp", -1 },
		{ "a.md.swp", -1 },
		{ "a.md.tmp", -1 },
		{ "#a.md#", -1 },
		{ "#x#", -1 },
		{ "a.html", -1 },
		{ "a.md.html", -1 },
		{ "README", -1 },
		{ "md", -1 },
		{ "", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = release_format_of(cases[i].name);

		if (got != cases[i].want)
			print_error("release_format_of(\"%s\") = %d\n",
			    cases[i].name, got);
		assert_int_equal(got, cases[i].want);
	}
}

static void
test_front_matter_all(void **state)
{
	static const char text[] =
	    "---\n"
	    "title: \"Ny cykelbana l\xC3\xA4ngs \xC3\x85gatan\"\n"
	    "date: 2026-03-02 09:30          # first publication\n"
	    "updated: 2026-03-03T14:00:00+01:00\n"
	    "id: tag:news.example.org,2026:bikes\n"
	    "summary: One sentence for feed readers.\n"
	    "author: [Anna Berg, Press Office]\n"
	    "tags: [transport, cykel]\n"
	    "type: Pressmeddelande\n"
	    "lang: sv\n"
	    "link: https://www.example.org/press/bikes\n"
	    "draft: true\n"
	    "x-extra:\n"
	    "  nested: [1, 2]\n"
	    "---\n"
	    "Body text.\n";
	struct release *r;
	const char *fm;

	(void)state;
	r = parse("2026/bikes.md", text, MTIME);
	assert_string_equal(r->path, "2026/bikes.md");
	assert_string_equal(r->slug, "bikes");
	assert_string_equal(r->title,
	    "Ny cykelbana l\xC3\xA4ngs \xC3\x85gatan");
	/* 09:30 local, CET in March. */
	assert_true(r->has_date);
	assert_int_equal(r->date.sec, 1772440200);
	assert_int_equal(r->date.off, 3600);
	assert_true(r->has_updated);
	assert_int_equal(r->updated.sec, 1772542800);
	assert_int_equal(r->updated.off, 3600);
	assert_string_equal(r->id, "tag:news.example.org,2026:bikes");
	assert_string_equal(r->summary, "One sentence for feed readers.");
	assert_int_equal(r->nauthors, 2);
	assert_string_equal(r->authors[0], "Anna Berg");
	assert_string_equal(r->authors[1], "Press Office");
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[0], "transport");
	assert_string_equal(r->tags[1], "cykel");
	assert_string_equal(r->type, "Pressmeddelande");
	assert_string_equal(r->lang, "sv");
	assert_string_equal(r->link, "https://www.example.org/press/bikes");
	assert_true(r->draft);
	assert_int_equal(r->mtime, MTIME);
	assert_int_equal(r->format, RELEASE_MARKDOWN);
	/* The YAML block is kept, unknown fields included. */
	assert_int_equal(r->fm_off, 4);
	fm = r->text + r->fm_off;
	assert_memory_equal(fm, "title:", 6);
	assert_memory_equal(fm + r->fm_len, "---\n", 4);
	assert_int_equal(r->fm_len, strlen(text) - 4 - strlen("---\n"
	    "Body text.\n"));
	assert_non_null(strstr(fm, "x-extra:\n  nested: [1, 2]\n---"));
	assert_string_equal(r->text + r->body_off, "Body text.\n");
	assert_int_equal(r->body_line, 16);
	assert_string_equal(r->text, text);
}

static void
test_front_matter_shapes(void **state)
{
	struct release *r;

	(void)state;
	/* author and tags as single strings; draft false; ... end marker. */
	r = parse("a.md", "---\nauthor: Anna Berg\ntags: transport\n"
	    "draft: false\ntitle: T\n...\nBody\n", MTIME);
	assert_int_equal(r->nauthors, 1);
	assert_string_equal(r->authors[0], "Anna Berg");
	assert_int_equal(r->ntags, 1);
	assert_string_equal(r->tags[0], "transport");
	assert_false(r->draft);
	assert_string_equal(r->text + r->body_off, "Body\n");

	/* Missing fields: no authors, tags, type, lang; draft off. */
	r = parse("a.md", "---\ntitle: T\n---\nBody\n", MTIME);
	assert_int_equal(r->nauthors, 0);
	assert_int_equal(r->ntags, 0);
	assert_null(r->type);
	assert_null(r->lang);
	assert_null(r->summary);
	assert_false(r->draft);
	assert_false(r->has_date);
	assert_false(r->has_updated);

	r = parse("a.md", "---\ntitle: T\ndraft: yes\n---\n", MTIME);
	assert_true(r->draft);
	assert_string_equal(r->text + r->body_off, "");

	/* An empty block is no error and sets nothing. */
	r = parse("empty.md", "---\n---\n# Rubrik\n", MTIME);
	assert_int_equal(r->fm_len, 0);
	assert_string_equal(r->title, "Rubrik");
}

static void
test_title_from_heading(void **state)
{
	struct release *r;

	(void)state;
	r = parse("a.md", "# Rubrik h\xC3\xA4r\n\nF\xC3\xB6rsta stycket.\n",
	    MTIME);
	assert_string_equal(r->title, "Rubrik h\xC3\xA4r");
	assert_string_equal(r->text + r->body_off,
	    "\nF\xC3\xB6rsta stycket.\n");
	assert_int_equal(r->body_line, 2);
	render(r, &tu_meta);
	assert_null(strstr(r->html, "<h1"));
	assert_null(strstr(r->html, "Rubrik"));
	assert_string_equal(r->html, "<p>F\xC3\xB6rsta stycket.</p>\n");

	/* After the front matter, with a closing sequence of '#'. */
	r = parse("a.md", "---\ntags: [a]\n---\nIntro.\n\n# Title ##\n\n"
	    "Rest.\n", MTIME);
	assert_string_equal(r->title, "Title");
	assert_string_equal(r->text + r->body_off, "\nRest.\n");
	assert_int_equal(r->body_line, 7);

	/* A '# ' line inside a fence is code, not the title. */
	r = parse("a.md", "```sh\n# not a title\n```\n\n# Real title\n"
	    "\nText.\n", MTIME);
	assert_string_equal(r->title, "Real title");
	r = parse("a.md", "~~~\n# not a title\n~~~\n# Real\n", MTIME);
	assert_string_equal(r->title, "Real");

	/* Not level-1 headings: ##, #hashtag, 4-space indented code. */
	r = parse("a.md", "## Sub\n#hashtag\n    # code\n\n# Main\n", MTIME);
	assert_string_equal(r->title, "Main");

	/* A front matter title wins; the heading stays in the body. */
	r = parse("a.md", "---\ntitle: FM\n---\n# Heading\n", MTIME);
	assert_string_equal(r->title, "FM");
	assert_string_equal(r->text + r->body_off, "# Heading\n");
	render(r, &tu_meta);
	assert_string_equal(r->html, "<h1>Heading</h1>\n");

	/* No heading at all: the file name, as written, is the title. */
	r = parse("2019-12-10 Utan rubrik.md", "Just text.\n", MTIME);
	assert_non_null(r->title);
	assert_string_equal(r->title, "2019-12-10 Utan rubrik");

	/* A setext heading ("====" underline) is a level 1 heading too. */
	r = parse("a.md", "\nNy rubrik\n=========\n\nText.\n", MTIME);
	assert_string_equal(r->title, "Ny rubrik");
	assert_string_equal(r->text + r->body_off, "\nText.\n");
	/* ...but "---" under a line is not a level 1 heading. */
	r = parse("b.md", "Para\n---\nText.\n", MTIME);
	assert_string_equal(r->title, "b");
}

/*
 * CommonMark: a closing sequence of '#' must follow a space, so "# foo#" is
 * the heading "foo#" (md4c renders it so too).
 */
static void
test_title_closing_hash(void **state)
{
	struct release *r;

	(void)state;
	r = parse("a.md", "# Nytt i C#\n\nText.\n", MTIME);
	assert_string_equal(r->title, "Nytt i C#");
	r = parse("a.md", "# Nummer #1 #\n", MTIME);
	assert_string_equal(r->title, "Nummer #1");
}

static void
test_title_plain_text(void **state)
{
	struct release *r;

	(void)state;
	r = parse("vatten.txt", "\n  \nVattenavst\xC3\xA4ngning i Hamnen  \n"
	    "Ber\xC3\xB6rda gator.\n\n# Inte en rubrik\n", MTIME);
	assert_int_equal(r->format, RELEASE_TEXT);
	assert_string_equal(r->title, "Vattenavst\xC3\xA4ngning i Hamnen");
	assert_int_equal(r->body_line, 4);
	render(r, &tu_meta);
	assert_string_equal(r->html, "<p>Ber\xC3\xB6rda gator.</p>\n"
	    "<p># Inte en rubrik</p>\n");
}

static void
test_dates(void **state)
{
	struct release *r;

	(void)state;
	/* No date: the file's mtime, in the configured zone. */
	r = parse("a.md", "# T\n", MTIME);
	assert_false(r->has_date);
	assert_int_equal(r->date.sec, MTIME);
	assert_int_equal(r->date.off, 3600);
	assert_false(r->has_updated);
	assert_int_equal(r->updated.sec, MTIME);
	assert_int_equal(r->updated.off, 3600);

	/* updated defaults to date; summer time in June. */
	r = parse("a.md", "---\ndate: 2020-06-01 12:00\n---\n", MTIME);
	assert_true(r->has_date);
	assert_int_equal(r->date.sec, 1591005600);
	assert_int_equal(r->date.off, 7200);
	assert_int_equal(r->updated.sec, r->date.sec);
	assert_int_equal(r->updated.off, r->date.off);

	/* updated is never earlier than date. */
	r = parse("a.md", "---\ndate: 2020-06-01T10:00:00Z\n"
	    "updated: 2020-05-01T10:00:00Z\n---\n", MTIME);
	assert_int_equal(r->date.sec, 1591005600);
	assert_int_equal(r->date.off, 0);
	assert_int_equal(r->updated.sec, 1591005600);

	/* ... nor earlier than an mtime date. */
	r = parse("a.md", "---\nupdated: 2001-01-01\n---\n", MTIME);
	assert_int_equal(r->date.sec, MTIME);
	assert_int_equal(r->updated.sec, MTIME);

	/* A later updated is kept, offset and all. */
	r = parse("a.md", "---\ndate: 2020-06-01T10:00:00Z\n"
	    "updated: 2020-06-02 09:00:00 -0500\n---\n", MTIME);
	assert_true(r->has_updated);
	assert_int_equal(r->updated.sec, 1591005600 + 86400 + 4 * 3600);
	assert_int_equal(r->updated.off, -5 * 3600);

	/* A YAML timestamp form. */
	r = parse("a.md", "---\ndate: 2001-12-14 21:59:43.10 -5\n---\n",
	    MTIME);
	assert_int_equal(r->date.sec, 1008385183);
}

static void
test_ids_and_links(void **state)
{
	struct feed_meta m = tu_meta;
	struct release *r;

	(void)state;
	r = parse("2019/2019-12-10-trygghet.md", "# T\n", MTIME);
	assert_string_equal(r->slug, "2019-12-10-trygghet");
	assert_string_equal(r->id,
	    "tag:news.example.org,2000:/releases/2019-12-10-trygghet");
	assert_string_equal(r->link,
	    "https://news.example.org/releases/2019-12-10-trygghet.html");

	/* The folder is not part of the slug; the base URL's path is. */
	m.base_url = "https://example.org/news/";
	m.tag_authority = "example.org";
	m.tag_path = "/news/";
	m.tag_date = "2019-12";
	r = parse_m(&m, "a/b/Hamnen.txt", "Hamnen\n", MTIME);
	assert_string_equal(r->id, "tag:example.org,2019-12:/news/releases/"
	    "hamnen");
	assert_string_equal(r->link,
	    "https://example.org/news/releases/hamnen.html");

	m.link_template = "https://www.example.org/press/{slug}/index.html";
	r = parse_m(&m, "2019/Hamnen.md", "# T\n", MTIME);
	assert_string_equal(r->link,
	    "https://www.example.org/press/hamnen/index.html");

	/* link and id in the front matter win over the defaults. */
	r = parse_m(&m, "hamnen.md", "---\nlink: https://x.example/h\n"
	    "id: urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a\n---\n",
	    MTIME);
	assert_string_equal(r->link, "https://x.example/h");
	assert_string_equal(r->id,
	    "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a");
}

static void
test_slugs(void **state)
{
	struct release *r;

	(void)state;
	r = parse("2021/2021-09-01 \xC3\x96ppet hus p\xC3\xA5 \xC3\x84lvsj\xC3"
	    "\xB6 skola!.md", "# T\n", MTIME);
	assert_string_equal(r->slug, "2021-09-01-oppet-hus-pa-alvsjo-skola");
	assert_string_equal(r->id, "tag:news.example.org,2000:/releases/"
	    "2021-09-01-oppet-hus-pa-alvsjo-skola");

	r = parse("r\xC3\xA4ksm\xC3\xB6rg\xC3\xA5s  \xC3\xA5 \xC3\xA4 \xC3\xB6"
	    ".markdown", "# T\n", MTIME);
	assert_string_equal(r->slug, "raksmorgas-a-a-o");

	/* Only the last extension goes. */
	r = parse("v1.2 notes.txt", "T\n", MTIME);
	assert_string_equal(r->slug, "v1-2-notes");

	/*
	 * Names in other scripts no longer collide: 2026-01-01 日本語.md and
	 * 2026-01-01 中文.md were both "2026-01-01", so one was skipped.
	 */
	r = parse("2026/2026-01-01 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.md",
	    "# T\n", MTIME);
	assert_string_equal(r->slug, "2026-01-01-607064db");
	assert_string_equal(r->id, "tag:news.example.org,2000:/releases/"
	    "2026-01-01-607064db");
	assert_string_equal(r->link, "https://news.example.org/releases/"
	    "2026-01-01-607064db.html");
	r = parse("2026-01-01 \xE4\xB8\xAD\xE6\x96\x87.md", "# T\n", MTIME);
	assert_string_equal(r->slug, "2026-01-01-ba3fec31");
	r = parse("\xE4\xB8\xAD\xE6\x96\x87.txt", "T\n", MTIME);
	assert_string_equal(r->slug, "release-c488f045");
	assert_string_equal(r->title, "T");
	/* Without a title, the file name stands in, not the slug. */
	r = parse("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.md", "Text.\n",
	    MTIME);
	assert_string_equal(r->title, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
}

/*
 * YAML wants unique keys but libyaml lets duplicates through: whether the
 * file is rejected or the last value wins (as for title), lists must not
 * pile up or overflow.
 */
static void
test_duplicate_keys(void **state)
{
	static const char text[] = "---\ntags: [a]\ntags: [b, c]\n"
	    "author: Anna\nauthor: [Bo]\ntitle: One\ntitle: Two\n---\n";
	struct release_error err = { .line = 0 };
	struct release *r = NULL;

	(void)state;
	if (release_parse(&tu_meta, "d.md", text, strlen(text), MTIME, &r,
	    &err) < 0) {
		assert_null(r);
		assert_int_equal(err.line, 3);
		return;
	}
	live[nlive++] = r;
	assert_string_equal(r->title, "Two");
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[0], "b");
	assert_string_equal(r->tags[1], "c");
	assert_int_equal(r->nauthors, 1);
	assert_string_equal(r->authors[0], "Bo");
}

static void
test_errors(void **state)
{
	(void)state;
	/* libyaml's problem, on the file's line (line 1 is the '---'). */
	parse_fails("---\ntitle: ok\ndate: 2019-12-10\nsummary: a: b\n---\n",
	    4, "put the summary in quotes: summary: \"a: b\"");
	parse_fails("---\ntitle: ok\n\n\nlist: [a, b\nother: c\n---\nx\n",
	    6, "invalid YAML");
	/* An unclosed quote: the line where it opens, not the end. */
	parse_fails("---\ntitle: \"no end\n---\n", 2,
	    "the quote opened on line 2 is not closed");

	parse_fails("---\ntitle: ok\ndate: 2019-02-30\n---\n", 3,
	    "'date' is not a date");
	parse_fails("---\n\ndate: 2019-12-10\nupdated: tomorrow\n---\n", 4,
	    "'updated' is not a date");
	parse_fails("---\ndate: [2019-12-10]\n---\n", 2, "date");

	parse_fails("---\ntitle: ok\n\ntags:\n  a: b\n---\n", 4, "'tags'");
	parse_fails("---\ntags: [a, [b]]\n---\n", 2, "'tags'");
	parse_fails("---\nauthor: {name: Anna}\n---\n", 2, "'author'");
	parse_fails("---\ntitle: [a, b]\n---\n", 2, "'title'");

	parse_fails("---\n- title\n- date\n---\n", 2, "mapping");
	parse_fails("---\n\njust a sentence\n---\n", 3, "mapping");

	parse_fails("---\ntitle: ok\n\nBody without an end.\n", 1,
	    "not closed");

	parse_fails("---\ntitle: ok\n---\n\nline f\xC3\xB6r \xFF here\n", 5,
	    "UTF-8");
	parse_fails("\xFF", 1, "UTF-8");
	parse_fails("ok\r\nok\r\n\xC3\xA5\xC3\r\n", 3, "UTF-8");
	parse_fails_n("a\n\nb\0c\n", 7, 3, "UTF-8");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A front matter of pre + open x "[" + close x "]" + post, "---" lines
 * around it. Returns a malloc'd string.
 */
static char *
nested(const char *pre, size_t open, size_t close, const char *post)
{
	size_t np = strlen(pre), nq = strlen(post);
	char *s = malloc(4 + np + open + close + nq + 6), *w;

	assert_non_null(s);
	memcpy(s, "---\n", 4);
	w = s + 4;
	memcpy(w, pre, np);
	w += np;
	memset(w, '[', open);
	w += open;
	memset(w, ']', close);
	w += close;
	memcpy(w, post, nq);
	w += nq;
	memcpy(w, "\n---\n", 6);
	return s;
}

/* Parse a malloc'd text (freed here) that must fail in under a second. */
static void
fails_fast(char *text, size_t line, const char *part)
{
	double t0 = now(), dt;

	parse_fails_n(text, strlen(text), line, part);
	dt = now() - t0;
	free(text);
	if (dt >= 1.0)
		print_error("took %.2f s\n", dt);
	assert_true(dt < 1.0);
}

/*
 * libyaml takes minutes over deeply nested flow collections: such front
 * matter is refused, quickly, before it reaches the YAML parser.
 */
static void
test_front_matter_limits(void **state)
{
	struct release *r;
	char *s;

	(void)state;
	/* Depth 100 000: 200 KB, past the size limit; the opening line. */
	fails_fast(nested("title: T\nk: ", 100000, 100000, ""), 1,
	    "front matter is larger than 64 KiB");
	/* Depth 30 000 fits in 64 KiB: the depth limit, on line 3. */
	fails_fast(nested("title: T\nk: ", 30000, 30000, ""), 3,
	    "front matter nests '[' and '{' more than 32 deep");
	/* Unclosed too. */
	fails_fast(nested("k: ", 30000, 0, ""), 2, "more than 32 deep");
	/* Crossed on line 4, with '{' as well. */
	fails_fast(nested("a: 1\nk: [{x: [\n", 30, 30, "\n  ]}]"), 4,
	    "more than 32 deep");
	fails_fast(nested("k: [{a: [\n\n", 0, 0, "[{b: [{c: [{d: [{e: [{f: "
	    "[{g: [{h: [{i: [{j: [{k: [{l: [{m: [{n: [{o: [{p: [{q: [x]}"),
	    4, "more than 32 deep");

	/* 32 deep is fine, and so is exactly 64 KiB. */
	s = nested("title: T\nk: ", 32, 32, "");
	r = parse("a.md", s, MTIME);
	free(s);
	assert_string_equal(r->title, "T");
	/* "summary: " + 65526 x "a" + "\n" */
	s = malloc(65536 + 16);
	assert_non_null(s);
	memcpy(s, "---\nsummary: ", 13);
	memset(s + 13, 'a', 65536 - 10);
	memcpy(s + 65536 + 3, "\n---\nBody\n", 11);
	r = parse("a.md", s, MTIME);
	assert_int_equal(r->fm_len, 65536);
	assert_int_equal(strlen(r->summary), 65536 - 10);
	memcpy(s + 65536 + 3, "a\n---\nBody\n", 12);	/* one byte more */
	parse_fails(s, 1, "larger than 64 KiB");
	free(s);

	/* Brackets in quoted strings and comments do not nest. */
	s = nested("title: \"", 40, 0, "\"\nsummary: 'it''s [[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n# [[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[\nk: [a, \"]]]\", [{b: '}}'}]]");
	r = parse("a.md", s, MTIME);
	free(s);
	assert_int_equal(strspn(r->title, "["), 40);
	assert_string_equal(r->summary, "it's [[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[");

	/* ... but a quoted ']' does not close a level either. */
	s = malloc(40 * 8 + 32);
	assert_non_null(s);
	strcpy(s, "---\nk: ");
	for (int i = 0; i < 40; i++)
		strcat(s, "[ \"]\", ");
	strcat(s, "\n---\n");
	fails_fast(s, 2, "more than 32 deep");

	/*
	 * Every '[' and '{' counts towards 1024, quoted or not, so the real
	 * depth stays bounded whatever the quote guess gets wrong.
	 */
	s = malloc(1030 * 3 + 32);
	assert_non_null(s);
	strcpy(s, "---\nk: [");
	for (int i = 0; i < 1022; i++)
		strcat(s, "[],");
	strcat(s, "{}]\n---\n");
	r = parse("a.md", s, MTIME);		/* 1024 */
	assert_non_null(r);
	strcpy(s + strlen(s) - 7, ",\n{}]\n---\n");
	fails_fast(s, 3, "more than 1024 '[' and '{'");
	fails_fast(nested("title: \"", 2000, 0, "\""), 2,
	    "more than 1024");
}

/* Parse a front matter line "key: value" (on line 3); 0 if it parses. */
static int
try_field(const char *key, const char *value, struct release_error *err)
{
	char text[512];
	struct release *r = NULL;

	snprintf(text, sizeof(text), "---\ntitle: T\n%s: %s\n---\nBody\n",
	    key, value);
	memset(err, 0, sizeof(*err));
	if (release_parse(&tu_meta, "a.md", text, strlen(text), MTIME, &r,
	    err) < 0) {
		assert_null(r);
		return -1;
	}
	assert_non_null(r);
	assert_true(nlive < sizeof(live) / sizeof(live[0]));
	live[nlive++] = r;
	return 0;
}

static void
test_link_id_validation(void **state)
{
	static const char *const good_links[] = {
		"https://x.example/h",
		"HTTP://X.example",
		"http://[::1]:8080/p?q=1#f",
		"https://user@x.example/a/b.html",
		"\"https://x.example/\xC3\xA5\"",
		"'  https://x.example/trimmed  '",
	};
	static const char *const bad_links[] = {
		"www.example.org/press",
		"/press/bikes",
		"press/bikes.html",
		"ftp://x.example/file",
		"mailto:press@example.org",
		"\"javascript:alert(1)\"",
		"\"https://\"",
		"http:/x.example/a",
		"https:///x",
		"\"https://x.example/a b\"",
		"\"https://exa mple.org/\"",
		"https://x.example:99999/",
		"\"http://x.example/\\tb\"",
		"12345",
	};
	static const char *const good_ids[] = {
		"tag:news.example.org,2026:bikes",
		"urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
		"https://www.example.org/press/bikes",
		"x-y+z.1:a",
		"\"a:b\"",
		"\"tag:example.org,2026:\xC3\xA5\"",
	};
	static const char *const bad_ids[] = {
		"12345",
		"bikes",
		"\":x\"",
		"\"tag:\"",
		"1tag:x",
		"\"-a:b\"",
		"ta_g:x",
		"\"tag x:y\"",
		"\"tag:a b\"",
		"\"tag:a\\tb\"",
		"\"\xC3\xA5:x\"",
	};
	struct release_error err;
	struct release *r;

	(void)state;
	for (size_t i = 0; i < sizeof(good_links) / sizeof(*good_links); i++) {
		if (try_field("link", good_links[i], &err) < 0)
			print_error("link: %s: %s\n", good_links[i], err.msg);
		assert_int_equal(try_field("link", good_links[i], &err), 0);
	}
	assert_string_equal(live[nlive - 1]->link, "https://x.example/trimmed");
	for (size_t i = 0; i < sizeof(bad_links) / sizeof(*bad_links); i++) {
		if (try_field("link", bad_links[i], &err) == 0)
			print_error("link accepted: %s\n", bad_links[i]);
		assert_int_equal(try_field("link", bad_links[i], &err), -1);
		assert_int_equal(err.line, 3);
		assert_non_null(strstr(err.msg,
		    "'link' must be an absolute http(s) URL: \""));
	}
	for (size_t i = 0; i < sizeof(good_ids) / sizeof(*good_ids); i++) {
		if (try_field("id", good_ids[i], &err) < 0)
			print_error("id: %s: %s\n", good_ids[i], err.msg);
		assert_int_equal(try_field("id", good_ids[i], &err), 0);
	}
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++) {
		if (try_field("id", bad_ids[i], &err) == 0)
			print_error("id accepted: %s\n", bad_ids[i]);
		assert_int_equal(try_field("id", bad_ids[i], &err), -1);
		assert_int_equal(err.line, 3);
		assert_non_null(strstr(err.msg, "'id' must be an IRI"));
	}
	free_live(NULL);

	/* The value is quoted back; the error names the key's own line. */
	parse_fails("---\ntitle: T\n\nlink: www.example.org/x\n---\n", 4,
	    "'link' must be an absolute http(s) URL: \"www.example.org/x\"");
	parse_fails("---\nid: pressmeddelande 42\n---\n", 2,
	    "'id' must be an IRI such as tag:..., urn:uuid:... or "
	    "https://...: \"pressmeddelande 42\"");

	/* Empty means the default, as before. */
	r = parse("hamnen.md", "---\nlink: \"\"\nid: ''\n---\n", MTIME);
	assert_string_equal(r->link,
	    "https://news.example.org/releases/hamnen.html");
	assert_string_equal(r->id,
	    "tag:news.example.org,2000:/releases/hamnen");
}

static void
test_bom_crlf(void **state)
{
	static const char text[] = "\xEF\xBB\xBF---\r\ntitle: Hej\r\n"
	    "date: 2019-12-10\r\ntags: [a, b]\r\n---\r\n\r\nPara one\r\n"
	    "line two.\r\n\r\nPara two.\r\n";
	struct release *r;

	(void)state;
	r = parse("a.md", text, MTIME);
	assert_string_equal(r->title, "Hej");
	assert_int_equal(r->date.sec, 1575932400);
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[1], "b");
	assert_null(strchr(r->text, '\r'));
	assert_memory_equal(r->text, "---\ntitle: Hej\n", 15);
	assert_int_equal(r->body_line, 6);
	render(r, &tu_meta);
	assert_string_equal(r->html,
	    "<p>Para one\nline two.</p>\n<p>Para two.</p>\n");
	assert_string_equal(r->summary, "Para one line two.");

	/* Line numbers still count lines of the file. */
	parse_fails("\xEF\xBB\xBF---\r\ntitle: ok\r\ndate: 2019-13-01\r\n"
	    "---\r\n", 3, "'date'");
	parse_fails("\xEF\xBB\xBF---\r\ntitle: ok\r\nx: a: b\r\n---\r\n", 3,
	    "put the x in quotes");

	/* A text file with a BOM: the title has none. */
	r = parse("a.txt", "\xEF\xBB\xBFRubrik\r\n\r\nText.\r\n", MTIME);
	assert_string_equal(r->title, "Rubrik");
}

static void
test_render_markdown(void **state)
{
	struct feed_meta raw = tu_meta;
	struct release *r;
	char *html;

	(void)state;
	r = parse("t.md", "# T\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n"
	    "~~gone~~ and https://example.org/x\n", MTIME);
	render(r, &tu_meta);
	assert_non_null(strstr(r->html, "<table>"));
	assert_non_null(strstr(r->html, "<th>a</th>"));
	assert_non_null(strstr(r->html, "<td>2</td>"));
	assert_non_null(strstr(r->html, "<del>gone</del>"));
	assert_non_null(strstr(r->html,
	    "<a href=\"https://example.org/x\">"));
	/* Idempotent: the same strings stay. */
	html = r->html;
	assert_int_equal(release_load_body(r, &tu_meta, NULL), 0);
	assert_ptr_equal(r->html, html);

	/* Raw HTML is escaped unless raw_html. */
	static const char text[] = "# T\n\nHello <script>alert(1)</script> "
	    "world\n\n<div class=\"x\">block</div>\n";
	r = parse("h.md", text, MTIME);
	render(r, &tu_meta);
	assert_null(strstr(r->html, "<script>"));
	assert_null(strstr(r->html, "<div"));
	assert_non_null(strstr(r->html, "&lt;script&gt;alert(1)"));
	assert_non_null(strstr(r->html, "&lt;div class=&quot;x&quot;&gt;"));
	raw.raw_html = true;
	r = parse_m(&raw, "h.md", text, MTIME);
	render(r, &raw);
	assert_non_null(strstr(r->html, "<script>alert(1)</script>"));
	assert_non_null(strstr(r->html, "<div class=\"x\">block</div>"));
}

static void
test_summary(void **state)
{
	char text[2048], *p, *cut;
	struct release *r;
	size_t n, cps;

	(void)state;
	r = parse("s.md", "# T\n\nFirst **bold** text &amp; more\n[a link]"
	    "(https://x.example/) &lt;here&gt;.\n\nSecond para.\n",
	    MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->summary,
	    "First bold text & more a link <here>.");

	/* The first paragraph, not a heading or a list before it. */
	r = parse("s.md", "---\ntitle: T\n---\n## Sub\n\n- item\n\nPara.\n",
	    MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->summary, "Para.");

	/* A long paragraph is cut at a word boundary near 300 characters. */
	p = text + sprintf(text, "# T\n\n");
	for (int i = 0; i < 60; i++)
		p += sprintf(p, "ordet%02d ", i);
	strcpy(p, "\n\nNext.\n");
	r = parse("s.md", text, MTIME);
	render(r, &tu_meta);
	n = strlen(r->summary);
	assert_true(n > 3);
	assert_string_equal(r->summary + n - 3, "\xE2\x80\xA6");
	cut = strndup(r->summary, n - 3);
	assert_non_null(cut);
	cps = strlen(cut);	/* ASCII only */
	assert_true(cps <= 300);
	assert_true(cps >= 250);
	assert_memory_equal(cut, text + 5, cps);
	assert_true(cut[cps - 1] != ' ');
	assert_int_equal(text[5 + cps], ' ');	/* a whole word */
	free(cut);

	/* A front matter summary is used as written. */
	r = parse("s.md", "---\nsummary: Kort &amp; gott <b>\n---\n"
	    "Other text.\n", MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->summary, "Kort &amp; gott <b>");

	/* No paragraph at all: an empty summary. */
	r = parse("s.md", "# Only a title\n", MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->summary, "");
	assert_string_equal(r->html, "");
}

/* Whether p lies in r's one allocation. */
static bool
packed_in(const struct release *r, const void *p)
{
	return (const char *)p >= (const char *)r &&
	    (const char *)p < (const char *)r + r->packed;
}

/*
 * A parsed release is packed: its strings that stay in one allocation
 * with the struct, the id, the derived summary and the body apart (others
 * free and replace those). The nastiest shapes: many authors and tags,
 * non-ASCII strings, a front matter summary (packed, kept by
 * release_drop_body()), and a release with the fewest strings. ASan and
 * LSan see every string freed once.
 */
static void
test_packed(void **state)
{
	char text[4096], *p, *id;
	struct release *r;

	(void)state;
	p = text + sprintf(text, "---\ntitle: \"\xC3\x85\"\nsummary: Kort\n"
	    "type: Nyhet\nlang: en\nfacts: \"- a\"\nauthor: [");
	for (int i = 0; i < 40; i++)
		p += sprintf(p, "%sAuthor %d", i ? ", " : "", i);
	p += sprintf(p, "]\ntags: [");
	for (int i = 0; i < 60; i++)
		p += sprintf(p, "%st%d", i ? ", " : "", i);
	strcpy(p, "]\n---\nBody text.\n");
	r = parse("a/\xC3\x85gatan.md", text, MTIME);
	assert_true(r->packed > sizeof(*r));
	assert_int_equal(r->nauthors, 40);
	assert_int_equal(r->ntags, 60);
	assert_string_equal(r->authors[39], "Author 39");
	assert_string_equal(r->tags[0], "t0");
	assert_string_equal(r->tags[59], "t59");
	assert_string_equal(r->path, "a/\xC3\x85gatan.md");
	assert_string_equal(r->type, "Nyhet");
	assert_string_equal(r->lang, "en");
	assert_non_null(r->facts);
	for (int i = 0; i < 60; i++)
		assert_true(packed_in(r, r->tags[i]));
	assert_true(packed_in(r, r->tags) && packed_in(r, r->authors) &&
	    packed_in(r, r->path) && packed_in(r, r->link) &&
	    packed_in(r, r->summary) && packed_in(r, r->facts));
	assert_false(packed_in(r, r->id));
	/* The arrays come before the strings: aligned for pointers. */
	assert_int_equal((uintptr_t)r->tags % sizeof(char *), 0);
	assert_int_equal((uintptr_t)r->authors % sizeof(char *), 0);
	/* The id is the caller's to replace, as a rename does. */
	assert_non_null(id = strdup("urn:test:other"));
	free(r->id);
	r->id = id;
	render(r, &tu_meta);
	assert_false(packed_in(r, r->html));
	release_drop_body(r);
	assert_null(r->html);
	assert_string_equal(r->summary, "Kort");	/* the front matter's */
	release_drop_summary(r);
	assert_string_equal(r->summary, "Kort");
	assert_ptr_equal(release_compact(r), r);	/* packed already */

	/* Fewest strings: no tags, authors, type or lang; derived summary. */
	r = parse("b.md", "# T\n\nPara.\n", MTIME);
	assert_true(r->packed >= sizeof(*r));
	assert_null(r->tags);
	assert_null(r->type);
	render(r, &tu_meta);
	assert_string_equal(r->summary, "Para.");
	assert_false(packed_in(r, r->summary));
	release_drop_body(r);
	assert_null(r->summary);	/* derived: made again when needed */
	assert_int_equal(release_load_summary(r, &tu_meta, NULL), 0);
	assert_string_equal(r->summary, "Para.");
	assert_null(r->html);
	/* A listing's: the derived summary goes, unless the body is held. */
	release_drop_summary(r);
	assert_null(r->summary);
	render(r, &tu_meta);
	release_drop_summary(r);
	assert_string_equal(r->summary, "Para.");
	assert_non_null(r->html);
	release_drop_body(r);
	assert_null(r->summary);
}

/* The summary is plain text: no markup, even with raw_html. */
static void
test_summary_raw_html(void **state)
{
	struct feed_meta raw = tu_meta;
	struct release *r;

	(void)state;
	raw.raw_html = true;
	r = parse_m(&raw, "s.md", "# T\n\nHello <b>bold</b> <br>world.\n",
	    MTIME);
	render(r, &raw);
	assert_non_null(strstr(r->html, "<b>bold</b>"));
	assert_string_equal(r->summary, "Hello bold world.");
}

/*
 * docs/release-files.md: the summary is the first paragraph "as plain
 * text", so every entity is decoded, not only &amp; and its kin.
 */
static void
test_summary_entities(void **state)
{
	struct release *r;

	(void)state;
	r = parse("s.md", "# T\n\n&copy; 2019 &#8212; caf&eacute; "
	    "&#x2014; &amp;\n", MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->summary, "\xC2\xA9 2019 \xE2\x80\x94 "
	    "caf\xC3\xA9 \xE2\x80\x94 &");
}

static void
test_render_text(void **state)
{
	struct release *r;

	(void)state;
	r = parse("p.txt", "Rubrik\n\nA < B & C\nsecond line\n\n\n \t\n"
	    "Next \"para\"\n", MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->html, "<p>A &lt; B &amp; C\nsecond line</p>\n"
	    "<p>Next &quot;para&quot;</p>\n");
	assert_string_equal(r->summary, "A < B & C second line");

	/* Markdown syntax means nothing in a text file. */
	r = parse("p.txt", "---\ntitle: FM\n---\n*not em* <b>\n", MTIME);
	assert_string_equal(r->title, "FM");
	render(r, &tu_meta);
	assert_string_equal(r->html, "<p>*not em* &lt;b&gt;</p>\n");
}

static void
test_load(void **state)
{
	char dir[TU_PATH_MAX];
	struct release_error err = { .line = 0 };
	struct feed_meta m = tu_meta;
	struct release *r = NULL;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, sizeof(dir), "test_release"), 0);
	tu_put_file(dir, "hej.md", "# Hej\n\nText.\n", MTIME);

	assert_int_equal(release_load(&m, dir, "hej.md", &r, &err), 0);
	assert_non_null(r);
	live[nlive++] = r;
	assert_string_equal(r->title, "Hej");
	assert_int_equal(r->mtime, MTIME);
	assert_int_equal(r->date.sec, MTIME);

	m.max_file_size = 10;
	assert_int_equal(release_load(&m, dir, "hej.md", &r, &err), -1);
	assert_null(r);
	assert_non_null(strstr(err.msg, "max_file_size"));
	assert_int_equal(err.line, 0);

	assert_int_equal(release_load(&tu_meta, dir, "gone.md", &r, &err), -1);
	assert_null(r);
	assert_int_equal(err.errnum, ENOENT);
	assert_false(err.transient);

	tu_rm_tree(dir);
}

/*
 * Read errors that likely pass are marked transient, so the caller can keep
 * what it published; every other failure resets the mark.
 */
static void
test_load_transient(void **state)
{
	struct release_error err = { .line = 0 };
	struct feed_meta m = tu_meta;
	struct release *r = NULL;
	struct rlimit old, low;
	int fd, rc, e;

	(void)state;
	/*
	 * A file whose size fstat cannot tell (procfs says 0) reads as one
	 * that grew while being read.
	 */
	assert_int_equal(release_load(&m, "/proc/self", "status", &r, &err),
	    -1);
	assert_null(r);
	assert_string_equal(err.msg, "file changed while being read");
	assert_true(err.transient);
	assert_int_equal(err.errnum, 0);

	/* Not transient: a missing file, and fail() resets the mark. */
	assert_int_equal(release_load(&m, "/nonexistent", "a.md", &r, &err),
	    -1);
	assert_int_equal(err.errnum, ENOENT);
	assert_false(err.transient);
	err.transient = true;
	assert_int_equal(release_load(&m, "/proc/self", "fd", &r, &err), -1);
	assert_string_equal(err.msg, "not a regular file");
	assert_false(err.transient);

	/*
	 * Out of file descriptors: lower the soft limit to the lowest free
	 * descriptor, so the next open() gets EMFILE.
	 */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	rc = release_load(&tu_meta, "/proc/self", "status", &r, &err);
	e = err.errnum;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc, -1);
	assert_null(r);
	assert_int_equal(e, EMFILE);
	assert_true(err.transient);
	assert_non_null(strstr(err.msg, "cannot read"));
}

/*
 * An empty file is not a release yet (editors create the file before
 * they write it): an error with the empty flag, whatever the format.
 */
/* A title taken from a heading is its plain text, not its Markdown. */
static void
test_title_plain_heading(void **state)
{
	static const struct {
		const char *text, *title;
	} cases[] = {
		{ "# Budget 2027: `skattesats` & **investeringar**\n\nText.\n",
		    "Budget 2027: skattesats & investeringar" },
		{ "Budget *2027*\n===\n\nText.\n", "Budget 2027" },
		{ "# [Nytt bad](https://x.example/bad) \xC3\xB6ppnar ##\n",
		    "Nytt bad \xC3\xB6ppnar" },
		{ "# Caf&eacute; &amp; bar &#x1F600;\n",
		    "Caf\xC3\xA9" " & bar \xF0\x9F\x98\x80" },
		{ "# A <b>bold</b> ~~old~~ move\n", "A <b>bold</b> old move" },
		{ "# 1986. Ett bra \xC3\xA5r\n", "1986. Ett bra \xC3\xA5r" },
		{ "# C#\n", "C#" },
		{ "# ![](logo.png)\n", "![](logo.png)" },
		{ "# \xD8\xA7\xD9\x84\xD9\x85\xD8\xAF\xD9\x8A\xD9\x86\xD8\xA9 "
		    "_\xD8\xAC\xD8\xAF\xD9\x8A\xD8\xAF\xD8\xA9_\n",
		    "\xD8\xA7\xD9\x84\xD9\x85\xD8\xAF\xD9\x8A\xD9\x86\xD8\xA9 "
		    "\xD8\xAC\xD8\xAF\xD9\x8A\xD8\xAF\xD8\xA9" },
	};
	struct release *r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = parse("a.md", cases[i].text, MTIME);
		if (strcmp(r->title, cases[i].title) != 0)
			fail_msg("%s -> \"%s\"", cases[i].text, r->title);
	}
	/* The body still starts after the heading. */
	r = parse("b.md", "# **Rubrik**\n\nBr\xC3\xB6" "dtext.\n", MTIME);
	render(r, &tu_meta);
	assert_string_equal(r->html, "<p>Br\xC3\xB6" "dtext.</p>\n");
	/* A title from the front matter is kept as written. */
	r = parse("c.md", "---\ntitle: \"**Exakt** `s\xC3\xA5`\"\n---\n# H\n",
	    MTIME);
	assert_string_equal(r->title, "**Exakt** `s\xC3\xA5`");
}

static void
test_empty_files(void **state)
{
	static const char *const empties[] = { "", " ", "\n", "\n\n  \t\n",
	    "\r\n\r\n", "\xEF\xBB\xBF", "\xEF\xBB\xBF \n" };
	static const char *const names[] = { "a.md", "a.txt" };
	struct release_error err;
	struct release *r;

	(void)state;
	for (size_t n = 0; n < 2; n++)
		for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]);
		    i++) {
			memset(&err, 0, sizeof(err));
			r = (struct release *)&err;
			assert_int_equal(release_parse(&tu_meta, names[n],
			    empties[i], strlen(empties[i]), MTIME, &r, &err),
			    -1);
			assert_null(r);
			assert_true(err.empty);
			assert_false(err.transient);
			assert_int_equal(err.line, 0);
			assert_non_null(strstr(err.msg, "is empty"));
		}
	/* Any text at all makes it one; other errors are not "empty". */
	r = parse("a.md", "\n.\n", MTIME);
	assert_string_equal(r->title, "a");
	r = parse("a.md", "---\n---\n", MTIME);
	assert_string_equal(r->title, "a");
	memset(&err, 0, sizeof(err));
	assert_int_equal(release_parse(&tu_meta, "a.md", "---\ndraft: 1\n---\n",
	    16, MTIME, &r, &err), -1);
	assert_false(err.empty);
}

/* Warnings and notes a release carries for its caller to print. */
static void
test_diagnostics(void **state)
{
	struct release *r;

	(void)state;
	/* No date: a note, without a line. */
	r = parse("a.md", "---\ntitle: T\ntitel: U\n---\nBody\n", MTIME);
	assert_int_equal(r->ndiags, 2);
	assert_int_equal(r->diags[0].level, RELEASE_WARNING);
	assert_int_equal(r->diags[0].line, 3);
	assert_string_equal(r->diags[0].msg, "unknown field 'titel': did you "
	    "mean 'title'?");
	assert_int_equal(r->diags[1].level, RELEASE_NOTE);
	assert_int_equal(r->diags[1].line, 0);
	assert_string_equal(r->diags[1].msg, "no 'date': dated by the file's "
	    "time");
	assert_string_equal(release_diag_name(r->diags[0].level), "warning");
	assert_string_equal(release_diag_name(r->diags[1].level), "note");
	r = parse("b.txt", "Just text\n", MTIME);
	assert_int_equal(r->ndiags, 1);
	r = parse("c.md", "---\ndate: 2020-01-01\n---\n# C\n", MTIME);
	assert_int_equal(r->ndiags, 0);
	/* A draft typo holds the release back. */
	parse_fails("---\ntitle: T\nDraft: true\n---\n", 3,
	    "did you mean 'draft'?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_format_of, free_live),
		cmocka_unit_test_teardown(test_front_matter_all, free_live),
		cmocka_unit_test_teardown(test_front_matter_shapes, free_live),
		cmocka_unit_test_teardown(test_title_from_heading, free_live),
		cmocka_unit_test_teardown(test_title_closing_hash, free_live),
		cmocka_unit_test_teardown(test_title_plain_text, free_live),
		cmocka_unit_test_teardown(test_dates, free_live),
		cmocka_unit_test_teardown(test_ids_and_links, free_live),
		cmocka_unit_test_teardown(test_slugs, free_live),
		cmocka_unit_test_teardown(test_errors, free_live),
		cmocka_unit_test_teardown(test_bom_crlf, free_live),
		cmocka_unit_test_teardown(test_render_markdown, free_live),
		cmocka_unit_test_teardown(test_summary, free_live),
		cmocka_unit_test_teardown(test_summary_raw_html, free_live),
		cmocka_unit_test_teardown(test_summary_entities, free_live),
		cmocka_unit_test_teardown(test_render_text, free_live),
		cmocka_unit_test_teardown(test_load, free_live),
		cmocka_unit_test_teardown(test_load_transient, free_live),
		cmocka_unit_test_teardown(test_front_matter_limits, free_live),
		cmocka_unit_test_teardown(test_link_id_validation, free_live),
		cmocka_unit_test_teardown(test_title_plain_heading, free_live),
		cmocka_unit_test_teardown(test_empty_files, free_live),
		cmocka_unit_test_teardown(test_diagnostics, free_live),
		/* Last: without the fix it overflows the heap. */
		cmocka_unit_test_teardown(test_duplicate_keys, free_live),
		cmocka_unit_test_teardown(test_packed, free_live),
	};

	return cmocka_run_group_tests(tests, tu_setup_zone, NULL);
}
