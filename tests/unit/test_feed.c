/*
 * Unit tests for feeds/feed.c, atom.c and rss.c (jsonfeed.c: test_jsonfeed.c): whole documents compared
 * with golden files, XML safety, feed dates and languages.
 *
 * The golden files are tests/data/golden/ (.atom, .rss). After a deliberate
 * change to the output, run the test with UPDATE_GOLDEN=1 to rewrite them,
 * then check the diff by eye before committing it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "feeds/date.h"
#include "feeds/docstamp.h"
#include "feeds/feed.h"
#include "feeds/feedmemo.h"
#include "feeds/meta.h"
#include "feeds/release.h"
#include "feeds/tombstone.h"

#include "testutil.h"

static const struct feed_meta meta = {
	.title = "Nyheter fr\xC3\xA5n Staden",
	.subtitle = "Pressmeddelanden & nyheter",
	.base_url = "https://news.example.org/",
	.author = "Pressavdelningen",
	.language = "sv",
	.tag_authority = "news.example.org",
	.tag_path = "/",
	.tag_date = "2000",
	.max_entries = 50,
	.max_file_size = 1 << 20,
};

#define MTIME 1575964440	/* 2019-12-10T07:54:00Z */

/* Releases and documents of the running test, freed by the teardown. */
static struct release *rs[8];
static size_t nrs;
static char *doc;

static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nrs; i++)
		release_free(rs[i]);
	nrs = 0;
	free(doc);
	doc = NULL;
	return 0;
}

static struct release *
add(const char *relpath, const char *text, int64_t mtime)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;

	if (release_parse(&meta, relpath, text, strlen(text), mtime, &r,
	    &err) < 0)
		fail_msg("%s: line %zu: %s", relpath, err.line, err.msg);
	assert_true(nrs < sizeof(rs) / sizeof(rs[0]));
	rs[nrs++] = r;
	return r;
}

/* Render rs[0..nrs) as kind k into doc (replacing the last one). */
static const char *
render(enum feed_kind k, const struct feed_meta *m, size_t *len)
{
	size_t n = 0;

	free(doc);
	doc = NULL;
	assert_int_equal(feed_render(k, m, rs, nrs, &doc, &n), 0);
	assert_non_null(doc);
	assert_int_equal(strlen(doc), n);
	/* A document holds the bodies it read only while it is made. */
	for (size_t i = 0; i < nrs; i++)
		assert_null(rs[i]->html);
	if (len != NULL)
		*len = n;
	return doc;
}

/* r's body, as the document just made rendered it (valid until the next). */
static const char *
html_of(struct release *r)
{
	static char *last;

	free(last);
	assert_int_equal(release_load_body(r, &meta, NULL), 0);
	last = r->html;
	r->html = NULL;
	return last;
}

/* doc must be well-formed XML: libxml2 parses it without a complaint. */
static void
assert_well_formed(const char *s, size_t n)
{
	xmlDocPtr d;
	const xmlError *e;

	xmlResetLastError();
	d = xmlReadMemory(s, (int)n, "feed.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	e = xmlGetLastError();

	assert_non_null(d);
	if (e != NULL && e->level >= XML_ERR_ERROR)
		fail_msg("libxml2: %s", e->message);
	xmlFreeDoc(d);
}

/* The text of the first <name> element after the start of from. */
static char *
element(const char *from, const char *name)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	a = strstr(from, open);
	assert_non_null(a);
	a += strlen(open);
	b = strstr(a, close);
	assert_non_null(b);
	return strndup(a, (size_t)(b - a));
}

static void
assert_element(const char *from, const char *name, const char *want)
{
	char *got = element(from, name);

	assert_non_null(got);
	if (strcmp(got, want) != 0) {
		print_error("<%s>: \"%s\" != \"%s\"\n", name, got, want);
		free(got);
		fail();
	}
	free(got);
}

/* The golden releases: a full front matter, plain text, a URL id. */
static void
add_golden_releases(void)
{
	add("2019/2019-12-10 Trygghet p\xC3\xA5 M\xC3\xB6llan.md",
	    "---\n"
	    "title: \"Trygghet p\xC3\xA5 M\xC3\xB6llan\"\n"
	    "date: 2019-12-10 08:54\n"
	    "updated: 2019-12-11T10:00:00+01:00\n"
	    "author: [Anna Berg, Press Office]\n"
	    "tags: [trygghet, M\xC3\xB6llan]\n"
	    "type: Pressmeddelande\n"
	    "x-unknown: kept\n"
	    "---\n"
	    "Staden & polisen satsar p\xC3\xA5 **trygghet** vid "
	    "[M\xC3\xB6llan](https://example.org/mollan).\n"
	    "\n"
	    "| Dag | Tid |\n"
	    "| --- | --- |\n"
	    "| M\xC3\xA5ndag | 18\xE2\x80\x93" "21 |\n"
	    "\n"
	    "Kod: `a < b`, <script>x()</script>\n", MTIME);
	add("hamnen.txt",
	    "---\n"
	    "date: 2019-07-01T06:00:00Z\n"
	    "lang: en\n"
	    "---\n"
	    "Water shut-off in the harbour\n"
	    "\n"
	    "Streets <A & B> are affected\n"
	    "on Monday.\n"
	    "\n"
	    "Call \"us\" if needed.\n", MTIME);
	add("2016-10-24-valet.markdown",
	    "---\n"
	    "date: 2016-10-24\n"
	    "id: https://news.example.org/valet\n"
	    "summary: Valet avgjort.\n"
	    "lang: sv\n"
	    "link: https://www.example.org/val/2016\n"
	    "---\n"
	    "# Valet 2016\n"
	    "\n"
	    "Resultatet \xC3\xA4r klart.\n", MTIME);
}

static void
compare_golden(const char *name, const char *data, size_t len)
{
	const char *dir = getenv("TESTDATA"), *v = FEEDPUBD_VERSION;
	char path[4096], *want = NULL, *norm, *w;
	size_t wlen = 0, vlen = strlen(v);
	FILE *f;

	if (dir == NULL)
		dir = "tests/data";
	snprintf(path, sizeof(path), "%s/golden/%s", dir, name);

	/* The version is not part of what the goldens pin down. */
	norm = malloc(3 * len + 1);
	assert_non_null(norm);
	for (w = norm; *data != '\0';) {
		if (strncmp(data, v, vlen) == 0) {
			w += sprintf(w, "@V@");
			data += vlen;
		} else {
			*w++ = *data++;
		}
	}
	*w = '\0';
	len = (size_t)(w - norm);

	if (getenv("UPDATE_GOLDEN") != NULL) {
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(norm, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		free(norm);
		fail_msg("cannot open %s (TESTDATA unset?)", path);
	}
	want = malloc(1 << 16);
	assert_non_null(want);
	wlen = fread(want, 1, (1 << 16) - 1, f);
	fclose(f);
	want[wlen] = '\0';
	if (wlen != len || memcmp(want, norm, len) != 0) {
		/* Leave what we got beside it for a diff -u. */
		snprintf(path, sizeof(path), "/tmp/feedpubd-golden-%s", name);
		if ((f = fopen(path, "wb")) != NULL) {
			fwrite(norm, 1, len, f);
			fclose(f);
		}
		print_error("golden/%s differs: see diff -u tests/data/golden/"
		    "%s %s\n", name, name, path);
		free(want);
		free(norm);
		fail();
	}
	free(want);
	free(norm);
}

static void
test_file_names(void **state)
{
	(void)state;
	assert_string_equal(feed_file_name(FEED_ATOM), "feed.atom");
	assert_string_equal(feed_file_name(FEED_RSS), "feed.rss");
	assert_string_equal(feed_file_name(FEED_JSON), "feed.json");
	assert_string_equal(feed_extension(FEED_JSON), ".json");
}

static void
test_golden_atom(void **state)
{
	const char *s;
	size_t n;

	(void)state;
	add_golden_releases();
	s = render(FEED_ATOM, &meta, &n);
	assert_well_formed(s, n);
	compare_golden("three.atom", s, n);
}

static void
test_golden_rss(void **state)
{
	const char *s;
	size_t n;

	(void)state;
	add_golden_releases();
	s = render(FEED_RSS, &meta, &n);
	assert_well_formed(s, n);
	compare_golden("three.rss", s, n);
}

/* Without subtitle, author or language; no entries. */
static void
test_golden_empty(void **state)
{
	struct feed_meta m = meta;
	const char *s;
	size_t n;

	(void)state;
	m.subtitle = NULL;
	m.author = NULL;
	m.language = NULL;
	s = render(FEED_ATOM, &m, &n);
	assert_well_formed(s, n);
	compare_golden("empty.atom", s, n);
	s = render(FEED_RSS, &m, &n);
	assert_well_formed(s, n);
	compare_golden("empty.rss", s, n);
}

static void
test_forbidden_chars(void **state)
{
	static const char *const bad[] = { "\x01", "\x1b", "\xEF\xBF\xBF",
	    "\xEF\xBF\xBE", "\x08" };
	const char *s;
	size_t n;

	(void)state;
	add("ctl.md", "# Bad\x01 ti\x1btle\xEF\xBF\xBF end\n\n"
	    "Body\x1b[31m red\x01 \xEF\xBF\xBF\x08 and `co\x01" "de`.\n",
	    MTIME);
	add("ctl.txt", "Text\x01 title\xEF\xBF\xBE\n\nPara\x1b one.\n", MTIME);
	assert_non_null(strchr(rs[0]->title, '\x01'));	/* kept until output */
	/* The XML formats; JSON keeps them (test_jsonfeed.c). */
	for (int k = 0; k <= FEED_RSS; k++) {
		s = render((enum feed_kind)k, &meta, &n);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_null(strstr(s, bad[i]));
		assert_non_null(strstr(s, "Bad title end"));
		assert_non_null(strstr(s, "Text title"));
		assert_non_null(strstr(s, "Body[31m red  and"));
		assert_non_null(strstr(s, "Para one."));
		assert_well_formed(s, n);
	}
}

static void
test_feed_updated(void **state)
{
	const char *s;

	(void)state;
	/* Newest first by date, but the second was updated last. */
	add("a.md", "---\ndate: 2020-01-02T00:00:00Z\n---\n# A\n", MTIME);
	add("b.md", "---\ndate: 2020-01-01T00:00:00Z\n"
	    "updated: 2020-03-01T12:00:00+01:00\n---\n# B\n", MTIME);
	add("c.md", "---\ndate: 2019-01-01T00:00:00Z\n---\n# C\n", MTIME);
	s = render(FEED_ATOM, &meta, NULL);
	/* The feed's own <updated> comes before the first entry. */
	assert_true(strstr(s, "<updated>") < strstr(s, "<entry"));
	assert_element(s, "updated", "2020-03-01T12:00:00+01:00");
	assert_element(strstr(s, "<entry"), "updated", "2020-01-02T00:00:00Z");
	s = render(FEED_RSS, &meta, NULL);
	assert_element(s, "lastBuildDate", "Sun, 01 Mar 2020 12:00:00 +0100");
	assert_element(strstr(s, "<item"), "pubDate",
	    "Thu, 02 Jan 2020 00:00:00 +0000");
}

static void
test_feed_updated_empty(void **state)
{
	const char *s;

	(void)state;
	s = render(FEED_ATOM, &meta, NULL);
	assert_element(s, "updated", "1970-01-01T00:00:00Z");
	assert_null(strstr(s, "<entry"));
	s = render(FEED_RSS, &meta, NULL);
	assert_element(s, "lastBuildDate", "Thu, 01 Jan 1970 00:00:00 +0000");
	assert_null(strstr(s, "<item"));
}

static void
test_entry_lang(void **state)
{
	struct feed_meta m = meta;
	const char *s, *e;

	(void)state;
	add("en.md", "---\nlang: en\n---\n# English\n", MTIME);
	add("sv.md", "---\nlang: sv\n---\n# Svenska\n", MTIME);
	add("none.md", "# Feed language\n", MTIME);
	s = render(FEED_ATOM, &m, NULL);
	e = strstr(s, "<feed ");
	assert_non_null(e);
	assert_true(strstr(e, "xml:lang=\"sv\"") < strchr(e, '>'));
	e = strstr(s, "<entry");
	assert_non_null(e);
	assert_memory_equal(e, "<entry xml:lang=\"en\">", 21);
	e = strstr(e + 1, "<entry");
	assert_memory_equal(e, "<entry>", 7);
	e = strstr(e + 1, "<entry");
	assert_memory_equal(e, "<entry>", 7);

	/* A feed without a language: every entry lang is a difference. */
	m.language = NULL;
	s = render(FEED_ATOM, &m, NULL);
	assert_non_null(strstr(s, "<feed xmlns=\"http://www.w3.org/2005/Atom\""
	    ">"));
	assert_null(strstr(s, "xml:lang=\"sv\">\n  <id>"));
	e = strstr(s, "<entry");
	assert_memory_equal(e, "<entry xml:lang=\"en\">", 21);
	e = strstr(e + 1, "<entry");
	assert_memory_equal(e, "<entry xml:lang=\"sv\">", 21);
	e = strstr(e + 1, "<entry");
	assert_memory_equal(e, "<entry>", 7);
}

static void
test_rss_guid(void **state)
{
	const char *s, *i;

	(void)state;
	add("a.md", "---\nid: https://news.example.org/a\n---\n# A\n", MTIME);
	add("b.md", "---\nid: http://news.example.org/b\n---\n# B\n", MTIME);
	add("c.md", "# C\n", MTIME);
	s = render(FEED_RSS, &meta, NULL);
	i = strstr(s, "<item>");
	assert_non_null(strstr(i, "<guid isPermaLink=\"true\">"
	    "https://news.example.org/a</guid>"));
	i = strstr(i + 1, "<item>");
	assert_non_null(strstr(i, "<guid isPermaLink=\"true\">"
	    "http://news.example.org/b</guid>"));
	i = strstr(i + 1, "<item>");
	assert_non_null(strstr(i, "<guid isPermaLink=\"false\">"
	    "tag:news.example.org,2000:/releases/c</guid>"));
}

/*
 * RSS 2.0 <description> holds HTML ("entity-encoded HTML is allowed"), and
 * readers treat it so: the plain-text summary must be HTML-escaped, or
 * "<A & B>" reads as a tag (feedparser shows "Streets <a> are affected").
 * Atom says type="text" and needs no second escape.
 */
static void
test_rss_description_html(void **state)
{
	const char *s;
	xmlDocPtr d;
	xmlNodePtr item;
	xmlChar *text = NULL;
	size_t n;

	(void)state;
	add("a.txt", "Title\n\nStreets <A & B> are affected.\n", MTIME);
	s = render(FEED_RSS, &meta, &n);
	d = xmlReadMemory(s, (int)n, "feed.rss", NULL, XML_PARSE_NONET);
	assert_non_null(d);
	/* rss > channel > ... item > ... description */
	for (item = xmlDocGetRootElement(d)->children; item; item = item->next)
		if (item->type == XML_ELEMENT_NODE)
			break;
	for (item = item->children; item; item = item->next)
		if (xmlStrcmp(item->name, (const xmlChar *)"item") == 0)
			break;
	for (item = item ? item->children : NULL; item; item = item->next)
		if (xmlStrcmp(item->name, (const xmlChar *)"description") == 0)
			text = xmlNodeGetContent(item);
	xmlFreeDoc(d);
	assert_non_null(text);
	if (strcmp((char *)text, "Streets &lt;A &amp; B&gt; are affected.")
	    != 0) {
		print_error("description holds \"%s\"\n", (char *)text);
		xmlFree(text);
		fail();
	}
	xmlFree(text);
	/*
	 * The Atom summary stays text. (Issue 9: Atom carries only a front
	 * matter summary, so this one is the editor's.)
	 */
	add("b.txt", "---\nsummary: Streets <A & B> are affected.\n---\n"
	    "Title\n\nText.\n", MTIME);
	s = render(FEED_ATOM, &meta, &n);
	assert_non_null(strstr(s, "<summary type=\"text\">Streets &lt;A &amp; "
	    "B&gt; are affected.</summary>"));
}

/* An empty feed says when it became empty, not 1970. */
static void
test_feed_updated_empty_since(void **state)
{
	struct feed_meta m = meta;
	const char *s;

	(void)state;
	m.empty_since = 1792891800;	/* 2026-10-25T01:30:00Z */
	s = render(FEED_ATOM, &m, NULL);
	assert_element(s, "updated", "2026-10-25T02:30:00+01:00");
	s = render(FEED_RSS, &m, NULL);
	assert_element(s, "lastBuildDate", "Sun, 25 Oct 2026 02:30:00 +0100");
	/* With entries the newest one's time, as before. */
	add("a.md", "---\ndate: 2020-01-02T00:00:00Z\n---\n# A\n", MTIME);
	s = render(FEED_ATOM, &m, NULL);
	assert_element(s, "updated", "2020-01-02T00:00:00Z");
}

/* Links are URIs in both formats: non-ASCII percent-encoded. */
static void
test_links_are_uris(void **state)
{
	static const char uri[] = "https://www.example.org/press/"
	    "%C3%B6ppet-hus?ort=M%C3%B6llan#%D8%A7";
	const char *s, *e;

	(void)state;
	add("a.md", "---\nlink: https://www.example.org/press/\xC3\xB6ppet-hus"
	    "?ort=M\xC3\xB6llan#\xD8\xA7\n---\n# A\n\nText.\n", MTIME);
	assert_string_equal(rs[0]->link, uri);
	s = render(FEED_RSS, &meta, NULL);
	assert_element(strstr(s, "<item>"), "link", uri);
	assert_null(strstr(s, "\xC3\xB6ppet"));
	s = render(FEED_ATOM, &meta, NULL);
	e = strstr(s, "<entry>");
	assert_non_null(strstr(e, "<link rel=\"alternate\" type=\"text/html\" "
	    "href=\"https://www.example.org/press/%C3%B6ppet-hus?ort="
	    "M%C3%B6llan#%D8%A7\"/>"));
	assert_non_null(strstr(e, "xml:base=\"https://www.example.org/press/"
	    "%C3%B6ppet-hus?ort=M%C3%B6llan#%D8%A7\""));
	assert_null(strstr(s, "\xC3\xB6ppet"));
}

/* Relative links and images in the body resolve against the link. */
static void
test_relative_links(void **state)
{
	const char *s;

	(void)state;
	add("2026/bad.md", "---\ndate: 2026-02-03\n---\n# Bad\n\n"
	    "![Bassängen](bilder/bad.jpg) [program](../program.pdf) "
	    "[top](#karta) [hem](/) [mejl](mailto:info@example.org) "
	    "[cdn](//cdn.example.org/a.png) [abs](https://x.example/a?b=1&c=2) "
	    "[\xC3\xA5](bilder/\xC3\xA5.png)\n", MTIME);
	render(FEED_ATOM, &meta, NULL);
	assert_string_equal(html_of(rs[0]), "<p><img src=\"https://news.example.org"
	    "/releases/bilder/bad.jpg\" alt=\"Bass\xC3\xA4ngen\"> <a href=\""
	    "https://news.example.org/program.pdf\">program</a> <a href=\""
	    "https://news.example.org/releases/bad.html#karta\">top</a> "
	    "<a href=\"https://news.example.org/\">hem</a> <a href=\"mailto:"
	    "info@example.org\">mejl</a> <a href=\"https://cdn.example.org/"
	    "a.png\">cdn</a> <a href=\"https://x.example/a?b=1&amp;c=2\">abs"
	    "</a> <a href=\"https://news.example.org/releases/bilder/%C3%A5."
	    "png\">\xC3\xA5</a></p>\n");
	s = render(FEED_ATOM, &meta, NULL);
	assert_non_null(strstr(s, "<content type=\"html\" xml:base=\""
	    "https://news.example.org/releases/bad.html\">"));
	s = render(FEED_RSS, &meta, NULL);
	assert_non_null(strstr(s, "&lt;img src=&quot;https://news.example.org/"
	    "releases/bilder/bad.jpg&quot;"));
}

/*
 * What feed readers show, pinned: RSS items carry atom:updated; several
 * authors are one dc:creator joined by "; "; Atom lists alternate before
 * self and a summary only when the editor wrote one.
 */
static void
test_clients_rules(void **state)
{
	const char *s, *i, *e;

	(void)state;
	add("a.md", "---\ndate: 2026-10-25 03:00\nupdated: 2026-10-26T09:00:00Z\n"
	    "author: [Anna Berg, \"Holm & Sundin arkitekter, AB\", Bo Ek]\n"
	    "---\n# A\n\nFirst paragraph.\n", MTIME);
	add("b.md", "---\ndate: 2026-03-29 03:00\nsummary: Own summary.\n---\n"
	    "# B\n\nText.\n", MTIME);
	s = render(FEED_RSS, &meta, NULL);
	i = strstr(s, "<item>");
	assert_element(i, "atom:updated", "2026-10-26T09:00:00Z");
	assert_element(i, "dc:creator", "Anna Berg; Holm &amp; Sundin "
	    "arkitekter, AB; Bo Ek");
	assert_element(i, "description", "First paragraph.");
	assert_element(strstr(i + 1, "<item>"), "atom:updated",
	    "2026-03-29T03:00:00+02:00");
	s = render(FEED_ATOM, &meta, NULL);
	assert_true(strstr(s, "rel=\"alternate\"") < strstr(s, "rel=\"self\""));
	e = strstr(s, "<entry>");
	assert_true(strstr(e, "<summary") == NULL ||
	    strstr(e, "<summary") > strstr(e + 1, "<entry>"));
	assert_non_null(strstr(strstr(e + 1, "<entry>"), "<summary type=\"text\">"
	    "Own summary.</summary>"));
}

/* Exact titles survive both formats; ids and guids are the same. */
static void
test_titles_and_ids(void **state)
{
	static const char esc[] = "Budget &amp; &lt;skatter&gt; &quot;citat&quot; 'ja'"
	    "\xC2\xA0NBSP \xF0\x9F\x8E\x89 \xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1"
	    "\xD8\xA8\xD9\x8A\xD8\xA9";
	const char *s, *a, *b;

	(void)state;
	add("t.md", "---\ntitle: \"Budget & <skatter> \\\"citat\\\" 'ja'"
	    "\xC2\xA0NBSP \xF0\x9F\x8E\x89 \xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1"
	    "\xD8\xA8\xD9\x8A\xD8\xA9\"\n---\nText.\n", MTIME);
	assert_string_equal(rs[0]->title, "Budget & <skatter> \"citat\" 'ja'"
	    "\xC2\xA0NBSP \xF0\x9F\x8E\x89 \xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1"
	    "\xD8\xA8\xD9\x8A\xD8\xA9");
	s = render(FEED_RSS, &meta, NULL);
	assert_element(strstr(s, "<item>"), "title", esc);
	a = strstr(s, "<guid isPermaLink=\"false\">tag:news.example.org,2000:"
	    "/releases/t</guid>");
	assert_non_null(a);
	s = render(FEED_ATOM, &meta, NULL);
	b = strstr(s, "<entry>");
	assert_non_null(b);
	assert_non_null(strstr(b, "<id>tag:news.example.org,2000:/releases/t"
	    "</id>"));
	assert_non_null(strstr(b, "<title type=\"text\">"));
	assert_non_null(strstr(b, esc));
}

/* ---- JSON Feed ------------------------------------------------------- */

/* doc parsed as JSON (the test frees it), failing on any error. */
static json_t *
parse_json(const char *s, size_t n)
{
	json_error_t e;
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL)
		fail_msg("not JSON: line %d: %s", e.line, e.text);
	return j;
}

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

static void
test_golden_json(void **state)
{
	struct feed_meta m = meta;
	const char *s;
	size_t n;

	(void)state;
	add_golden_releases();
	s = render(FEED_JSON, &meta, &n);
	assert_int_equal(s[n - 1], '\n');
	compare_golden("three.json", s, n);
	m.subtitle = NULL;
	m.author = NULL;
	m.language = NULL;
	teardown(NULL);
	s = render(FEED_JSON, &m, &n);
	compare_golden("empty.json", s, n);
}

/* The fields, their types and the ids the Atom feed gives the entries. */
static void
test_json_fields(void **state)
{
	static const char *const hubs[] = { "https://news.example.org/hub",
	    "https://pubsubhubbub.appspot.com/" };
	struct feed_meta m = meta;
	char when[DATE_BUFSZ];
	json_t *j, *items, *it, *v;
	size_t n;
	const char *s;

	(void)state;
	add_golden_releases();
	m.hubs = hubs;
	m.nhubs = 2;
	s = render(FEED_JSON, &m, &n);
	j = parse_json(s, n);
	assert_string_equal(jstr(j, "version"),
	    "https://jsonfeed.org/version/1.1");
	assert_string_equal(jstr(j, "title"), meta.title);
	assert_string_equal(jstr(j, "home_page_url"), meta.base_url);
	assert_string_equal(jstr(j, "feed_url"),
	    "https://news.example.org/feed.json");
	assert_string_equal(jstr(j, "language"), "sv");
	assert_string_equal(jstr(json_array_get(json_object_get(j, "authors"),
	    0), "name"), "Pressavdelningen");
	v = json_object_get(j, "hubs");
	assert_int_equal(json_array_size(v), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(jstr(json_array_get(v, i), "type"),
		    "WebSub");
		assert_string_equal(jstr(json_array_get(v, i), "url"),
		    hubs[i]);
	}
	items = json_object_get(j, "items");
	assert_int_equal(json_array_size(items), nrs);
	json_array_foreach(items, n, it) {
		assert_string_equal(jstr(it, "id"), rs[n]->id);
		assert_string_equal(jstr(it, "url"), rs[n]->link);
		assert_string_equal(jstr(it, "title"), rs[n]->title);
		assert_string_equal(jstr(it, "content_html"), html_of(rs[n]));
		assert_string_equal(jstr(it, "date_published"),
		    date_rfc3339(&rs[n]->date, when));
		assert_string_equal(jstr(it, "date_modified"),
		    date_rfc3339(&rs[n]->updated, when));
		v = json_object_get(it, "tags");
		assert_int_equal(json_array_size(v), rs[n]->ntags);
		for (size_t t = 0; t < rs[n]->ntags; t++)
			assert_string_equal(json_string_value(
			    json_array_get(v, t)), rs[n]->tags[t]);
		assert_true(json_array_size(json_object_get(it, "authors")) >
		    0);
	}
	/* Only the item in another language than the feed's names it. */
	assert_string_equal(jstr(json_array_get(items, 1), "language"), "en");
	assert_null(json_object_get(json_array_get(items, 0), "language"));
	v = json_object_get(json_array_get(items, 0), "authors");
	assert_string_equal(jstr(json_array_get(v, 1), "name"),
	    "Press Office");
	json_decref(j);

	/* No hub: no "hubs" at all (an empty list would say "none"). */
	s = render(FEED_JSON, &meta, &n);
	j = parse_json(s, n);
	assert_null(json_object_get(j, "hubs"));
	json_decref(j);
}

/*
 * JSON can carry every character: control characters round-trip exactly
 * (the XML formats drop them), a byte of invalid UTF-8 from the config
 * becomes U+FFFD, and megabytes go through whole.
 */
static void
test_json_hostile(void **state)
{
	struct feed_meta m = meta;
	size_t big = 3 << 20, n;
	char *text, *title;
	json_t *j, *it;
	const char *s;

	(void)state;
	add("ctl.md", "# Bad\x01 ti\x1btle\xEF\xBF\xBF \"q\" \\ end\n\n"
	    "Body\x1b[31m red\x7f.\n", MTIME);
	m.title = "Nyheter \xFF\xC3 x\xE2\x82";
	title = malloc(big + 1);
	assert_non_null(title);
	memset(title, 'x', big);
	memcpy(title + big - 4, "\xC3\xA5\xC3\xA5", 4);
	title[big] = '\0';
	m.subtitle = title;
	s = render(FEED_JSON, &m, &n);
	j = parse_json(s, n);
	assert_string_equal(jstr(j, "title"), "Nyheter \xEF\xBF\xBD\xEF\xBF\xBD"
	    " x\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(jstr(j, "description"), title);
	it = json_array_get(json_object_get(j, "items"), 0);
	assert_string_equal(jstr(it, "title"), rs[0]->title);
	assert_non_null(strchr(jstr(it, "title"), '\x01'));
	assert_string_equal(jstr(it, "content_html"), html_of(rs[0]));
	assert_non_null(strstr(jstr(it, "content_html"), "\x1b[31m red\x7f"));
	json_decref(j);
	free(title);

	/* A body of megabytes, as an item. */
	teardown(NULL);
	m = meta;
	m.max_file_size = big * 2;
	text = malloc(big + 16);
	assert_non_null(text);
	memcpy(text, "# Big\n\n", 7);
	memset(text + 7, 'y', big);
	text[big + 7] = '\0';
	add("big.md", text, MTIME);
	free(text);
	s = render(FEED_JSON, &m, &n);
	j = parse_json(s, n);
	it = json_array_get(json_object_get(j, "items"), 0);
	assert_string_equal(jstr(it, "content_html"), html_of(rs[0]));
	assert_true(strlen(html_of(rs[0])) > big);
	json_decref(j);
}

/* A document other than the main feed: its own URL, title and id. */
static void
test_doc(void **state)
{
	struct feed_doc d = { .path = "tags/brott.json", .title = "Brott",
	    .id_part = "tags/brott" };
	char *data;
	size_t n;
	json_t *j;

	(void)state;
	add("a.md", "# A\n", MTIME);
	assert_int_equal(feed_render_doc(FEED_JSON, &meta, &d, rs, nrs, &data,
	    &n), 0);
	j = parse_json(data, n);
	assert_string_equal(jstr(j, "feed_url"),
	    "https://news.example.org/tags/brott.json");
	assert_string_equal(jstr(j, "title"), "Brott");
	json_decref(j);
	free(data);
	d.path = "tags/brott.atom";
	assert_int_equal(feed_render_doc(FEED_ATOM, &meta, &d, rs, nrs, &data,
	    &n), 0);
	assert_non_null(strstr(data, "<id>tag:news.example.org,2000:/tags/brott"
	    "</id>"));
	assert_non_null(strstr(data, "rel=\"self\" type=\"application/atom+xml\""
	    " href=\"https://news.example.org/tags/brott.atom\""));
	assert_non_null(strstr(data, "<title type=\"text\">Brott</title>"));
	free(data);
	d.path = "tags/brott.rss";
	assert_int_equal(feed_render_doc(FEED_RSS, &meta, &d, rs, nrs, &data,
	    &n), 0);
	assert_non_null(strstr(data, "href=\"https://news.example.org/tags/"
	    "brott.rss\""));
	free(data);
}

/* d of v[0..n) through memo: the bytes of the same without it. */
static char *
assert_memo_same(enum feed_kind k, const struct feed_meta *m,
    const struct feed_doc *d, struct release *const *v, size_t n,
    struct feed_memo *memo)
{
	char *want, *got;
	size_t wlen, glen;

	assert_int_equal(feed_render_doc(k, m, d, v, n, &want, &wlen), 0);
	assert_int_equal(feed_render_memo(k, m, d, v, n, memo, &got, &glen,
	    NULL), 0);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	assert_int_equal(strlen(got), glen);
	free(got);
	return want;
}

/*
 * The entry memo (feedmemo.h): every document, in every format, the same
 * bytes with it as without, entries taken from it the second time on;
 * with a cap smaller than one document, the same bytes still, and no more
 * held than one document's entries.
 */
static void
test_memo(void **state)
{
	struct stamp_memo *sm = stamp_memo_new(8);
	struct feed_memo *tiny = feed_memo_new(2048);
	static const char *const path[FEED_NKINDS] = { "tags/b.atom",
	    "tags/b.rss", "tags/b.json" };
	struct tombstone tomb = { .ref = "tag:news.example.org,2000:gone",
	    .when = MTIME };
	struct feed_memo *memo = feed_memo_new(1u << 20);
	struct release *some[3];
	struct feed_meta en = meta;
	char *first[FEED_NKINDS];

	(void)state;
	assert_non_null(memo);
	assert_non_null(sm);
	assert_non_null(tiny);
	add_golden_releases();
	add("ctl.md", "---\nlang: de\ntags: [\"<&>\", \"\xC3\xA5\"]\n"
	    "author: [\"A & B\", \"]]>\"]\n---\n"
	    "# Bad\x01 \"t\" <itle>\xEF\xBF\xBF\n\n"
	    "Body\x1b[31m ]]> &amp; <b>x</b> \xC3\xA4\n", MTIME);
	/* Another subset in another order, as a sub-feed's archive. */
	some[0] = rs[3];
	some[1] = rs[0];
	some[2] = rs[2];
	feed_memo_begin(memo, stamp_meta(&meta, "UTC"), sm);
	feed_memo_begin(tiny, stamp_meta(&meta, "UTC"), sm);
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < FEED_NKINDS; k++) {
			struct feed_doc main_doc = { .path =
			    feed_file_name(k), .tombs = &tomb, .ntombs = 1 };
			struct feed_doc sub = { .path = path[k], .title =
			    "B & <b>", .id_part = "tags/b", .archive = true,
			    .current = path[k], .prev_archive = "a/1.atom" };
			char *s = assert_memo_same(k, &meta, &main_doc, rs,
			    nrs, memo);

			if (pass == 0)
				first[k] = s;
			else
				free(s);
			free(assert_memo_same(k, &meta, &sub, some, 3, memo));
			free(assert_memo_same(k, &meta, &sub, rs + 1, 0,
			    memo));
			free(assert_memo_same(k, &meta, &main_doc, rs, nrs,
			    tiny));
			free(assert_memo_same(k, &meta, &sub, some, 3, tiny));
		}
	assert_true(feed_memo_hits(memo) >= (size_t)FEED_NKINDS * (nrs + 3));
	assert_true(feed_memo_bytes(memo) > 2048);
	assert_true(feed_memo_bytes(tiny) < feed_memo_bytes(memo));
	feed_memo_free(tiny);

	/* From the memo: without their bodies, not rendered again. */
	for (size_t i = 0; i < nrs; i++) {
		free(rs[i]->html);
		rs[i]->html = NULL;
	}
	for (int k = 0; k < FEED_NKINDS; k++) {
		struct feed_doc main_doc = { .path = feed_file_name(k),
		    .tombs = &tomb, .ntombs = 1 };
		char *got;
		size_t len;

		assert_int_equal(feed_render_memo(k, &meta, &main_doc, rs, nrs,
		    memo, &got, &len, NULL), 0);
		assert_string_equal(got, first[k]);
		free(got);
		free(first[k]);
	}
	for (size_t i = 0; i < nrs; i++)
		assert_null(rs[i]->html);

	/* Another feed language changes entries: not served from it. */
	en.language = "en";
	feed_memo_begin(memo, stamp_meta(&en, "UTC"), sm);
	assert_int_equal(feed_memo_bytes(memo), 0);
	for (int k = 0; k < FEED_NKINDS; k++) {
		struct feed_doc main_doc = { .path = feed_file_name(k) };

		free(assert_memo_same(k, &en, &main_doc, rs, nrs, memo));
	}
	feed_memo_free(memo);
	stamp_memo_free(sm);
}

/*
 * Entries taken from a document's file (feed_memo_prime()): a fresh memo
 * primed with what the last render's spots say finds every entry there,
 * renders the same bytes, and needs no body; a byte changed by hand
 * inside one entry loses that entry alone, which is rendered again, and
 * spots past the file's end are ignored.
 */
static void
test_memo_from_file(void **state)
{
	struct stamp_memo *sm = stamp_memo_new(8);

	(void)state;
	assert_non_null(sm);
	add_golden_releases();
	for (int k = 0; k < FEED_NKINDS; k++) {
		struct feed_doc d = { .path = feed_file_name(k) };
		struct feed_memo *a = feed_memo_new(1u << 20), *b;
		struct entry_spots sp;
		char *data, *again, *p, was;
		size_t len, alen, hits;

		assert_non_null(a);
		feed_memo_begin(a, stamp_meta(&meta, "UTC"), sm);
		assert_int_equal(feed_render_memo(k, &meta, &d, rs, nrs, a,
		    &data, &len, NULL), 0);
		assert_int_equal(feed_memo_spots(a, data, len, &sp), 0);
		assert_int_equal(sp.n, nrs);
		feed_memo_free(a);

		/* Primed from the file alone: every entry, no body. */
		b = feed_memo_new(1u << 20);
		assert_non_null(b);
		feed_memo_begin(b, stamp_meta(&meta, "UTC"), sm);
		feed_memo_prime(b, (enum feed_kind)k, &sp, data, len);
		for (size_t i = 0; i < nrs; i++) {
			free(rs[i]->html);
			rs[i]->html = NULL;
		}
		hits = feed_memo_hits(b);
		assert_int_equal(feed_render_memo(k, &meta, &d, rs, nrs, b,
		    &again, &alen, NULL), 0);
		/* Each entry looked up twice: for its body, then put in. */
		assert_int_equal(feed_memo_hits(b) - hits, 2 * nrs);
		assert_int_equal(alen, len);
		assert_memory_equal(again, data, len);
		for (size_t i = 0; i < nrs; i++)
			assert_null(rs[i]->html);
		free(again);
		feed_memo_free(b);

		/* One entry edited by hand: that one is rendered again. */
		b = feed_memo_new(1u << 20);
		assert_non_null(b);
		feed_memo_begin(b, stamp_meta(&meta, "UTC"), sm);
		p = data + sp.v[1].off + sp.v[1].len / 2;
		was = *p;
		*p = was == 'x' ? 'y' : 'x';
		sp.v[0].off = len;		/* and one past the end */
		feed_memo_prime(b, (enum feed_kind)k, &sp, data, len);
		*p = was;
		hits = feed_memo_hits(b);
		assert_int_equal(feed_render_memo(k, &meta, &d, rs, nrs, b,
		    &again, &alen, NULL), 0);
		assert_int_equal(feed_memo_hits(b) - hits, 2 * (nrs - 2));
		assert_int_equal(alen, len);
		assert_memory_equal(again, data, len);
		free(again);
		feed_memo_free(b);
		entry_spots_free(&sp);
		free(data);
	}
	stamp_memo_free(sm);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_file_names),
		T(test_golden_atom),
		T(test_memo),
		T(test_memo_from_file),
		T(test_golden_rss),
		T(test_golden_empty),
		T(test_feed_updated_empty_since),
		T(test_links_are_uris),
		T(test_relative_links),
		T(test_clients_rules),
		T(test_titles_and_ids),
		T(test_forbidden_chars),
		T(test_feed_updated),
		T(test_feed_updated_empty),
		T(test_entry_lang),
		T(test_rss_guid),
		T(test_rss_description_html),
		T(test_golden_json),
		T(test_json_fields),
		T(test_json_hostile),
		T(test_doc),
	};
	int rc = cmocka_run_group_tests(tests, tu_setup_zone, NULL);

	xmlCleanupParser();
	return rc;
}
