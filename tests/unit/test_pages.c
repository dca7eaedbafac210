/*
 * Unit tests for feeds/pages.c and sitemap.c: the view, the built-in
 * transform, hostile strings, dates in the release's language, facts,
 * contacts and boilerplate, stylesheets that fail or try to read, stable
 * listing pages, and the sitemaps' rules.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/date.h"
#include "feeds/feed.h"
#include "feeds/output.h"
#include "feeds/pages.h"
#include "feeds/release.h"
#include "feeds/sitemap.h"
#include "feeds/subfeed.h"

#include "testutil.h"

/* tu_meta in Swedish, with the newsroom's name: setup(). */
static struct feed_meta meta;

static int
setup(void **state)
{
	meta = tu_meta;
	meta.title = "Nyheter fr\xC3\xA5n Staden";
	meta.author = "Pressavdelningen";
	meta.language = "sv";
	return tu_setup_zone(state);
}

#define NOW	1575964440	/* 2019-12-10T07:54:00Z */
#define HOUR	3600

/* What the running test made, freed by the teardown. */
static struct release *rs[16];
static size_t nrs;
static struct pages *pg;
static char *out, *out2, tmp[TU_PATH_MAX];

static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nrs; i++)
		release_free(rs[i]);
	nrs = 0;
	pages_free(pg);
	pg = NULL;
	free(out);
	free(out2);
	out = out2 = NULL;
	if (tmp[0] != '\0')
		tu_rm_tree(tmp);
	tmp[0] = '\0';
	return 0;
}

static struct release *
add(const char *relpath, const char *text)
{
	struct release_error err;
	struct release *r;

	assert_int_equal(release_parse(&meta, relpath, text, strlen(text),
	    NOW, &r, &err), 0);
	rs[nrs++] = r;
	return r;
}

static struct pages *
load(const char *stylesheet, const char *boilerplate, size_t per_page)
{
	struct pages_settings s = { .stylesheet = stylesheet,
	    .boilerplate = boilerplate, .per_page = per_page,
	    .index_entries = 10 };
	char why[600];
	struct pages *p = pages_load(&s, why, sizeof(why));

	if (p == NULL)
		fail_msg("pages_load: %s", why);
	return p;
}

/* The page of r with the built-in look, into out. */
static const char *
page_of(struct release *r)
{
	char why[600];
	size_t len;

	if (pg == NULL)
		pg = load(NULL, NULL, 50);
	free(out);
	if (pages_render_release(pg, &meta, r, &out, &len, why,
	    sizeof(why)) < 0)
		fail_msg("render: %s", why);
	assert_int_equal(strlen(out), len);
	return out;
}

#define HOSTILE_TITLE "<script>alert(\"x\")</script> & 'q' \"d\" " \
	"\xE2\x80\xAE" "evil\xE2\x80\xAC"

static void
test_hostile_title_is_inert(void **state)
{
	struct release *r;
	const char *p;

	(void)state;
	r = add("2019-12-10-x.md", "---\ntitle: '" "<script>alert(\"x\")"
	    "</script> & ''q'' \"d\" \xE2\x80\xAE" "evil\xE2\x80\xAC'\n"
	    "summary: '\"><img src=x onerror=alert(1)>'\n"
	    "tags: ['</script><script>alert(2)</script>']\n---\nBody.\n");
	assert_string_equal(r->title, HOSTILE_TITLE);
	p = page_of(r);
	/* No markup from the strings: no tag, no attribute broken out of. */
	assert_null(strstr(p, "<script>alert"));
	assert_null(strstr(p, "<img"));
	/* libxml2 quotes a value holding '"' with '\''. */
	assert_non_null(strstr(p, "<meta name=\"description\" content='\""
	    "&gt;&lt;img src=x onerror=alert(1)&gt;'>"));
	assert_non_null(strstr(p, "<h1>&lt;script&gt;alert(\"x\")&lt;/script"
	    "&gt; &amp; 'q' \"d\" \xE2\x80\xAE" "evil\xE2\x80\xAC</h1>"));
	assert_non_null(strstr(p, "content=\"&lt;script&gt;alert(&quot;x&quot;)"));
	/* The JSON-LD cannot end its <script>: < > & are \u escapes. */
	assert_non_null(strstr(p, "\"headline\":\"\\u003cscript\\u003e"
	    "alert(\\\"x\\\")\\u003c/script\\u003e \\u0026"));
	assert_non_null(strstr(p, "\"keywords\":[\"\\u003c/script\\u003e"));
	/* Exactly one script element: the JSON-LD. */
	assert_non_null(p = strstr(out, "<script"));
	assert_null(strstr(p + 1, "<script"));
	/* The bidi override stays text in its element; dir is the page's. */
	assert_non_null(strstr(out, "<html lang=\"sv\" dir=\"ltr\">"));
}

static void
test_rtl_and_languages(void **state)
{
	struct release *r;

	(void)state;
	r = add("ar.md", "---\ntitle: \xD8\xA7\xD9\x84\xD8\xAE\xD8\xA8\xD8\xB1"
	    "\nlang: ar\n---\nText.\n");
	assert_non_null(strstr(page_of(r), "<html lang=\"ar\" dir=\"rtl\">"));
	r = add("he.md", "---\ntitle: T\nlang: he-IL\n---\nText.\n");
	assert_non_null(strstr(page_of(r), "<html lang=\"he-IL\" dir=\"rtl\">"));
	assert_true(pages_rtl("fa"));
	assert_false(pages_rtl("sv"));
	assert_false(pages_rtl(NULL));
}

static void
test_dates_in_language_and_zone(void **state)
{
	struct fp_time winter = { 1575964440, 3600 };	/* 08:54 CET */
	struct fp_time summer = { 1561975200, 7200 };	/* 2019-07-01 12:00 */
	char buf[128];

	(void)state;
	assert_string_equal(pages_date(&winter, "sv", buf, sizeof(buf)),
	    "10 december 2019 08:54 CET");
	assert_string_equal(pages_date(&winter, "sv-FI", buf, sizeof(buf)),
	    "10 december 2019 08:54 CET");
	assert_string_equal(pages_date(&winter, "en", buf, sizeof(buf)),
	    "December 10, 2019 08:54 CET");
	assert_string_equal(pages_date(&summer, "sv", buf, sizeof(buf)),
	    "1 juli 2019 12:00 CEST");
	/* Unknown languages and none: English. */
	assert_string_equal(pages_date(&summer, "xx", buf, sizeof(buf)),
	    "July 1, 2019 12:00 CEST");
	assert_string_equal(pages_date(&summer, NULL, buf, sizeof(buf)),
	    "July 1, 2019 12:00 CEST");
}

static const char seedlike[] =
	"---\n"
	"title: Staden och stiftelsen ingår partnerskap\n"
	"date: 2019-12-10T08:54:00+01:00\n"
	"type: Pressmeddelande\n"
	"facts: |\n"
	"  Partnerskapet gäller i **tre år**.\n"
	"contacts:\n"
	"  - name: Anna Berg\n"
	"    role: Säkerhetschef\n"
	"    organisation: Staden\n"
	"    phone: 042-10 56 99\n"
	"    email: anna.berg@example.org\n"
	"  - name: Per Ek\n"
	"    phone: +46 40 30 67 00\n"
	"---\n"
	"Staden och stiftelsen ingår ett partnerskap.\n";

static void
test_release_parts(void **state)
{
	struct release *r;
	const char *p;

	(void)state;
	r = add("2019-12-10-partnerskap.md", seedlike);
	assert_int_equal(r->ncontacts, 2);
	assert_string_equal(r->contacts[0].organisation, "Staden");
	assert_null(r->contacts[1].email);
	p = page_of(r);
	assert_non_null(strstr(p, "<span class=\"type\">Pressmeddelande</span>"
	    " \xE2\x80\xA2 <time datetime=\"2019-12-10T08:54:00+01:00\">10 "
	    "december 2019 08:54 CET</time>"));
	assert_non_null(strstr(p, "<aside class=\"facts\"><h2>Fakta</h2><p>"
	    "Partnerskapet gäller i <strong>tre år</strong>.</p>"));
	assert_non_null(strstr(p, "<h2>Kontakter</h2>"));
	assert_non_null(strstr(p, "<a href=\"tel:042105699\">042-10 56 99</a>"));
	assert_non_null(strstr(p, "<a href=\"tel:+4640306700\">"));
	assert_non_null(strstr(p, "<a href=\"mailto:anna.berg@example.org\">"));
	/* Metadata: canonical, autodiscovery, Open Graph, Twitter. */
	assert_non_null(strstr(p, "<link rel=\"canonical\" href=\"https://news"
	    ".example.org/releases/2019-12-10-partnerskap.html\">"));
	assert_non_null(strstr(p, "<link rel=\"alternate\" type=\"application/"
	    "atom+xml\" href=\"https://news.example.org/feed.atom\""));
	assert_non_null(strstr(p, "<link rel=\"alternate\" type=\"application/"
	    "rss+xml\" href=\"https://news.example.org/feed.rss\""));
	assert_non_null(strstr(p, "<meta property=\"og:title\" content=\"Staden"
	    " och stiftelsen ingår partnerskap\">"));
	assert_non_null(strstr(p, "<meta name=\"twitter:card\" content=\"summary"
	    "\">"));
	assert_non_null(strstr(p, "\"@type\":\"NewsArticle\""));
	assert_non_null(strstr(p, "\"datePublished\":\"2019-12-10T08:54:00+01:00"
	    "\""));
	assert_non_null(strstr(p, "\"inLanguage\":\"sv\""));
	/* No JavaScript but the JSON-LD data block, no About without one. */
	assert_null(strstr(p, "<script>"));
	assert_null(strstr(p, "class=\"about\""));
}

static void
test_bad_contacts(void **state)
{
	static const struct {
		const char *fm, *msg;
	} bad[] = {
		{ "contacts:\n  - role: Chef\n", "contact 1 in 'contacts' needs "
		  "a name or an organisation" },
		{ "contacts:\n  - name: A\n    email: not an address\n",
		  "contact 1 in 'contacts': not an e-mail address: \"not an "
		  "address\"" },
		{ "contacts:\n  - name: A\n    email: \"a@b\\\">x\"\n",
		  "contact 1 in 'contacts': not an e-mail address" },
		{ "contacts:\n  - name: [A]\n", "'contacts' must be a list of "
		  "contacts" },
	};
	struct release_error err;
	struct release *r;
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "---\ntitle: T\n%s---\nB\n",
		    bad[i].fm);
		assert_int_equal(release_parse(&meta, "x.md", text,
		    strlen(text), NOW, &r, &err), -1);
		assert_int_equal(err.line, 3);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("%s: got \"%s\"", bad[i].fm, err.msg);
	}
	/* A bare name is a contact; one mapping alone is a list of one. */
	r = add("y.md", "---\ncontacts: [Anna Berg]\n---\nB\n");
	assert_int_equal(r->ncontacts, 1);
	assert_string_equal(r->contacts[0].name, "Anna Berg");
	r = add("z.md", "---\ncontacts:\n  organization: Staden\n---\nB\n");
	assert_int_equal(r->ncontacts, 1);
	assert_string_equal(r->contacts[0].organisation, "Staden");
}

static void
test_contributors_in_atom(void **state)
{
	struct release *r;
	size_t len;

	(void)state;
	r = add("2019-12-10-partnerskap.md", seedlike);
	assert_int_equal(feed_render(FEED_ATOM, &meta, &r, 1, &out, &len), 0);
	assert_non_null(strstr(out, "<contributor>\n      <name>Anna Berg</name>"
	    "\n      <email>anna.berg@example.org</email>\n    </contributor>"));
	/* Per Ek has no e-mail: no contributor. */
	assert_null(strstr(out, "Per Ek"));
}

static void
test_boilerplate_per_language(void **state)
{
	char pattern[TU_PATH_MAX + 32], path[TU_PATH_MAX + 32];
	struct release *r;

	(void)state;
	assert_int_equal(tu_mkdtemp(tmp, sizeof(tmp), "test_pages"), 0);
	snprintf(path, sizeof(path), "%s/about.sv.md", tmp);
	tu_write_file(path, "# Om Staden\n\nStaden har **100 000** "
	    "invånare.\n");
	snprintf(path, sizeof(path), "%s/about.en.md", tmp);
	tu_write_file(path, "The city has 100,000 people.\n");
	snprintf(pattern, sizeof(pattern), "%s/about.{lang}.md", tmp);
	pg = load(NULL, pattern, 50);
	r = add("sv.md", "---\ntitle: T\n---\nB\n");
	assert_non_null(strstr(page_of(r), "<section class=\"about\"><h2>Om "
	    "Staden</h2><p>Staden har <strong>100 000</strong> invånare.</p>"));
	/* No heading in the file: "About" and the newsroom's name. */
	r = add("en.md", "---\ntitle: T\nlang: en-GB\n---\nB\n");
	assert_non_null(strstr(page_of(r), "<section class=\"about\"><h2>About "
	    "Nyheter från Staden</h2><p>The city has 100,000 people.</p>"));
	/* A language without a file: the feed's. */
	r = add("de.md", "---\ntitle: T\nlang: de\n---\nB\n");
	assert_non_null(strstr(page_of(r), "<h2>Om Staden</h2>"));
}

/* pages_load() of an .xsl with text, which must fail; the message. */
static const char *
load_fails(const char *xsl)
{
	static char why[600];
	char path[TU_PATH_MAX + 32];
	struct pages_settings s = { .stylesheet = path, .per_page = 1,
	    .index_entries = 1 };

	if (tmp[0] == '\0')
		assert_int_equal(tu_mkdtemp(tmp, sizeof(tmp), "test_pages"), 0);
	snprintf(path, sizeof(path), "%s/my.xsl", tmp);
	tu_write_file(path, xsl);
	assert_null(pages_load(&s, why, sizeof(why)));
	assert_non_null(strstr(why, path));
	return why;
}

#define XSL_HEAD "<?xml version=\"1.0\"?>\n<xsl:stylesheet version=\"1.0\" " \
	"xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n"

static void
test_broken_stylesheets(void **state)
{
	const char *why;

	(void)state;
	why = load_fails("<xsl:stylesheet");
	assert_non_null(strstr(why, "not a usable XSLT stylesheet"));
	why = load_fails(XSL_HEAD "<xsl:template match=\"/\"><xsl:value-of "
	    "select=\"((\"/></xsl:template></xsl:stylesheet>\n");
	assert_non_null(strstr(why, "not a usable XSLT stylesheet"));
	why = load_fails(XSL_HEAD "<xsl:bogus/></xsl:stylesheet>\n");
	assert_non_null(strstr(why, "not a usable XSLT stylesheet"));
	why = load_fails("<html>not xslt</html>\n");
	assert_non_null(strstr(why, "not a usable XSLT stylesheet"));
	/* A missing file. */
	{
		struct pages_settings s = { .stylesheet = "/nonexistent/x.xsl",
		    .per_page = 1, .index_entries = 1 };
		char msg[600];

		assert_null(pages_load(&s, msg, sizeof(msg)));
		assert_non_null(strstr(msg, "/nonexistent/x.xsl"));
	}
}

/* A stylesheet that loads, and whose transform must fail. */
static void
render_fails(const char *xsl, const char *secret)
{
	char path[TU_PATH_MAX + 32], why[600];
	struct release *r = add("x.md", "---\ntitle: T\n---\nB\n");
	size_t len;

	if (tmp[0] == '\0')
		assert_int_equal(tu_mkdtemp(tmp, sizeof(tmp), "test_pages"), 0);
	snprintf(path, sizeof(path), "%s/my.xsl", tmp);
	tu_write_file(path, xsl);
	pages_free(pg);
	pg = load(path, NULL, 50);
	free(out);
	out = NULL;
	if (pages_render_release(pg, &meta, r, &out, &len, why,
	    sizeof(why)) == 0) {
		if (secret != NULL && strstr(out, secret) != NULL)
			fail_msg("the stylesheet read it: %s", out);
		fail_msg("rendered: %s", out);
	}
	assert_null(out);
	assert_non_null(strstr(why, "the stylesheet failed"));
}

static void
test_stylesheets_read_and_write_nothing(void **state)
{
	char xsl[1024], secret[TU_PATH_MAX + 32];

	(void)state;
	assert_int_equal(tu_mkdtemp(tmp, sizeof(tmp), "test_pages"), 0);
	snprintf(secret, sizeof(secret), "%s/secret.xml", tmp);
	tu_write_file(secret, "<s>TOPSECRET</s>\n");
	snprintf(xsl, sizeof(xsl), XSL_HEAD "<xsl:template match=\"/\"><p>"
	    "<xsl:value-of select=\"document('%s')\"/></p></xsl:template>"
	    "</xsl:stylesheet>\n", secret);
	render_fails(xsl, "TOPSECRET");
	snprintf(xsl, sizeof(xsl), XSL_HEAD "<xsl:template match=\"/\"><p>"
	    "<xsl:value-of select=\"document('http://127.0.0.1:9/x')\"/></p>"
	    "</xsl:template></xsl:stylesheet>\n");
	render_fails(xsl, NULL);
	/* xsl:message terminate: the page fails, nothing else does. */
	render_fails(XSL_HEAD "<xsl:template match=\"/\"><xsl:message "
	    "terminate=\"yes\">no</xsl:message></xsl:template>"
	    "</xsl:stylesheet>\n", NULL);
}

static void
test_own_stylesheet(void **state)
{
	char path[TU_PATH_MAX + 32], why[600];
	struct release *r;
	size_t len;

	(void)state;
	assert_int_equal(tu_mkdtemp(tmp, sizeof(tmp), "test_pages"), 0);
	snprintf(path, sizeof(path), "%s/my.xsl", tmp);
	tu_write_file(path, XSL_HEAD "<xsl:output method=\"html\"/>"
	    "<xsl:template match=\"/page\"><h1 class=\"mine\"><xsl:value-of "
	    "select=\"release/title\"/></h1></xsl:template>"
	    "</xsl:stylesheet>\n");
	pg = load(path, NULL, 50);
	r = add("x.md", "---\ntitle: <b>T</b>\n---\nB\n");
	assert_int_equal(pages_render_release(pg, &meta, r, &out, &len, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(out, "<h1 class=\"mine\">&lt;b&gt;T&lt;/b&gt;</h1>"));
}

/* n releases, one a day from 2019-12-01, newest first in rs. */
static void
add_days(size_t n)
{
	char name[32], text[128];

	for (size_t i = n; i-- > 0;) {
		snprintf(name, sizeof(name), "day-%02zu.md", i + 1);
		snprintf(text, sizeof(text), "---\ntitle: Dag %zu\ndate: "
		    "2019-12-%02zuT10:00:00+01:00\n---\nText %zu.\n", i + 1,
		    i + 1, i + 1);
		add(name, text);
	}
}

/* Listing page k of the newest n of rs (the oldest first: from the end). */
static char *
listing(size_t k, size_t n)
{
	char why[600], *data;
	size_t len;

	assert_int_equal(pages_render_listing(pg, &meta, rs + nrs - n, n, k,
	    &data,
	    &len, why, sizeof(why)), 0);
	return data;
}

static void
test_listings_are_stable(void **state)
{
	char *before[3], *after[3];

	(void)state;
	pg = load(NULL, NULL, 2);
	/* rs[0] is the newest: day 7; day 1..5 are rs[2..6]. */
	add_days(7);
	assert_int_equal(pages_listing_count(pg, 5), 3);
	assert_int_equal(pages_listing_count(pg, 0), 1);
	for (size_t k = 1; k <= 3; k++)
		before[k - 1] = listing(k, 5);	/* days 1..5 */
	assert_non_null(strstr(before[0], "Dag 1<"));
	assert_non_null(strstr(before[0], "Dag 2<"));
	assert_null(strstr(before[0], "Dag 3<"));
	assert_non_null(strstr(before[2], "Dag 5<"));
	assert_null(strstr(before[2], "href=\"4.html\""));
	assert_non_null(strstr(before[1], "href=\"1.html\""));
	assert_non_null(strstr(before[1], "href=\"3.html\""));
	/* Day 6 arrives: pages 1 and 2 keep their bytes, page 3 changes. */
	for (size_t k = 1; k <= 3; k++)
		after[k - 1] = listing(k, 6);
	assert_string_equal(before[0], after[0]);
	assert_string_equal(before[1], after[1]);
	assert_string_not_equal(before[2], after[2]);
	assert_non_null(strstr(after[2], "Dag 6<"));
	/*
	 * Day 7 opens page 4: page 3 gains its "newer" link, pages 1 and 2
	 * keep their bytes (no "of N" in them) and their stamps.
	 */
	for (size_t k = 1; k <= 2; k++) {
		char *p7 = listing(k, 7);

		assert_string_equal(before[k - 1], p7);
		free(p7);
		assert_true(pages_listing_stamp(pg, rs + 1, 6, k) ==
		    pages_listing_stamp(pg, rs, 7, k));
	}
	assert_true(pages_listing_stamp(pg, rs + 1, 6, 3) !=
	    pages_listing_stamp(pg, rs, 7, 3));
	for (size_t k = 0; k < 3; k++) {
		free(before[k]);
		free(after[k]);
	}
}

static void
test_view_documents_itself(void **state)
{
	struct release *r;
	size_t len;

	(void)state;
	pg = load(NULL, NULL, 50);
	r = add("2019-12-10-partnerskap.md", seedlike);
	assert_int_equal(pages_view_xml(pg, &meta, "release", r, NULL, 0, 0,
	    &out, &len), 0);
	assert_non_null(strstr(out, "<page kind=\"release\""));
	assert_non_null(strstr(out, "<published datetime=\"2019-12-10T08:54:00"
	    "+01:00\">10 december 2019 08:54 CET</published>"));
	assert_non_null(strstr(out, "<phone tel=\"042105699\">042-10 56 99"
	    "</phone>"));
	assert_int_equal(pages_view_xml(pg, &meta, "index", NULL, rs, nrs, 0,
	    &out2, &len), 0);
	assert_non_null(strstr(out2, "<listing number=\"1\" count=\"1\">"));
	free(out2);
	out2 = NULL;
	assert_int_equal(pages_view_xml(pg, &meta, "listing", NULL, rs, nrs,
	    2, &out2, &len), -1);
}

/*
 * With m->subs, a release's view has a subfeed per value (its tags in
 * order, its language), each with a feed per format and the clashed
 * spelling's own file; the index has them all; the listing none.
 */
static void
test_view_subfeeds(void **state)
{
	struct feed_meta m = meta;
	struct subfeeds set;
	struct release *r;
	size_t len;

	(void)state;
	pg = load(NULL, NULL, 50);
	m.tag_feeds = m.lang_feeds = m.json = true;
	r = add("a.md", "---\ntitle: A\ntags: [\"<M\xC3\xB6llan>\", "
	    "mollan]\n---\nB\n");
	add("b.md", "---\ntitle: B\ntags: [\"M\xC3\xB6llan\"]\n---\nB\n");
	assert_int_equal(subfeeds_build(&m, rs, nrs, NULL, 0, &set), 0);
	m.subs = &set;
	assert_int_equal(pages_view_xml(pg, &m, "release", r, NULL, 0, 0,
	    &out, &len), 0);
	assert_non_null(strstr(out, "<subfeed axis=\"tag\" value=\""
	    "&lt;M\xC3\xB6llan&gt;\">"));
	assert_non_null(strstr(out, "<feed href=\"https://news.example.org/"
	    "tags/mollan.json\" type=\"application/feed+json\">JSON Feed"
	    "</feed>"));
	assert_non_null(strstr(out, "<subfeed axis=\"lang\" value=\"sv\">"));
	assert_true(strstr(out, "value=\"&lt;M") < strstr(out,
	    "value=\"mollan\""));
	assert_null(strstr(out, "value=\"M\xC3\xB6llan\""));
	assert_null(strstr(out, "<subfeeds>"));
	assert_int_equal(pages_view_xml(pg, &m, "index", NULL, rs, nrs, 0,
	    &out2, &len), 0);
	assert_non_null(strstr(out2, "<subfeeds>"));
	assert_non_null(strstr(out2, "value=\"M\xC3\xB6llan\""));
	assert_non_null(strstr(out2, "tags/mollan-"));
	assert_non_null(strstr(out2, "langs/sv.rss"));
	assert_non_null(strstr(out2, "tags=\"\xC3\x84mnen\""));
	free(out2);
	out2 = NULL;
	/* Without them (m->subs NULL): nothing linked. */
	m.subs = NULL;
	free(out);
	assert_int_equal(pages_view_xml(pg, &m, "release", r, NULL, 0, 0,
	    &out, &len), 0);
	assert_null(strstr(out, "<subfeed"));
	subfeeds_free(&set);
}

/* ---- fp:memo: the parts every page shares, made once ------------------- */

#define MEMO_N	12	/* releases: several languages, tags and sub-feeds */

/* rs[0..MEMO_N) with shared and own tags, Swedish, English, Arabic. */
static void
add_memo_corpus(struct feed_meta *m, struct subfeeds *set)
{
	static const char *const langs[] = { "sv", "en", "ar" };
	char name[32], text[256];

	m->tag_feeds = m->type_feeds = m->lang_feeds = m->json = true;
	for (size_t i = 0; i < MEMO_N; i++) {
		snprintf(name, sizeof(name), "m-%02zu.md", i);
		snprintf(text, sizeof(text), "---\ntitle: \"<M\xC3\xB6te> %zu\"\n"
		    "lang: %s\ntype: Pressmeddelande\ntags: [\"delad & <t>\", "
		    "egen-%zu]\ndate: 2019-12-%02zuT10:00:00+01:00\n---\n"
		    "Text %zu.\n", i, langs[i % 3], i, i + 1, i);
		add(name, text);
	}
	assert_int_equal(subfeeds_build(m, rs, nrs, NULL, 0, set), 0);
	m->subs = set;
}

static struct pages *
load_memo(bool no_memo)
{
	struct pages_settings s = { .per_page = 5, .index_entries = 10,
	    .no_memo = no_memo };
	char why[600];
	struct pages *p = pages_load(&s, why, sizeof(why));

	if (p == NULL)
		fail_msg("pages_load: %s", why);
	return p;
}

/* Page i of p: 0..MEMO_N-1 the releases, then the index, then listings. */
static char *
memo_page(struct pages *p, const struct feed_meta *m, size_t i)
{
	char why[600], *data = NULL;
	size_t len;
	int rc;

	if (i < MEMO_N)
		rc = pages_render_release(p, m, rs[i], &data, &len, why,
		    sizeof(why));
	else if (i == MEMO_N)
		rc = pages_render_index(p, m, rs, nrs, &data, &len, why,
		    sizeof(why));
	else
		rc = pages_render_listing(p, m, rs, nrs, i - MEMO_N, &data,
		    &len, why, sizeof(why));
	if (rc < 0)
		fail_msg("page %zu: %s", i, why);
	assert_int_equal(strlen(data), len);
	return data;
}

#define MEMO_PAGES	(MEMO_N + 1 + 3)	/* releases, index, 3 listings */

/*
 * The built-in look with its shared parts kept (fp:memo) is byte for
 * byte the look made afresh, page after page, and the parts are kept:
 * a second round makes none.
 */
static void
test_memo_same_bytes(void **state)
{
	struct feed_meta m = meta;
	struct subfeeds set;
	struct pages *fresh = load_memo(true);
	size_t hits, misses, hits2, misses2;

	(void)state;
	add_memo_corpus(&m, &set);
	pg = load_memo(false);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < MEMO_PAGES; i++) {
			char *a = memo_page(pg, &m, i), *b = memo_page(fresh,
			    &m, i);

			assert_string_equal(a, b);
			if (i == 0 && round == 0) {
				/* The shared parts are there, linked. */
				assert_non_null(strstr(a, "<link rel=\"alternate"
				    "\" type=\"application/atom+xml\" href=\"https"
				    "://news.example.org/tags/delad-t.atom\""));
				assert_non_null(strstr(a, "<footer class=\"site"
				    "\"><nav><a href=\"../index.html\">Start"));
				assert_non_null(strstr(a, "&lt;t&gt;"));
			}
			free(a);
			free(b);
		}
	pages_memo_counts(pg, &hits, &misses);
	pages_memo_counts(fresh, &hits2, &misses2);
	assert_int_equal(hits2 + misses2, 0);
	/* Each release's own tag is one part; the shared ones recur. */
	print_message("memo: %zu hits, %zu misses\n", hits, misses);
	assert_true(misses > 2 * MEMO_N && misses < 4 * MEMO_N);
	assert_true(hits > 4 * MEMO_N);
	for (size_t i = 0; i < MEMO_PAGES; i++)
		free(memo_page(pg, &m, i));
	pages_memo_counts(pg, &hits2, &misses2);
	assert_int_equal(misses2, misses);
	assert_true(hits2 > hits);
	pages_free(fresh);
	subfeeds_free(&set);
}

struct memo_thread {
	const struct feed_meta *m;
	char *pages[MEMO_PAGES];
	size_t from;		/* renders in a different order per thread */
};

static void *
memo_thread(void *arg)
{
	struct memo_thread *t = arg;

	for (int round = 0; round < 20; round++)
		for (size_t j = 0; j < MEMO_PAGES; j++) {
			size_t i = (j + t->from) % MEMO_PAGES;
			char *p = memo_page(pg, t->m, i);

			if (round == 0) {
				t->pages[i] = p;
			} else {
				if (strcmp(p, t->pages[i]) != 0)
					t->pages[i][0] = '\0';	/* noted */
				free(p);
			}
		}
	return NULL;
}

/*
 * Four threads rendering the pages of one struct pages at once, as
 * daemon/site.c does (one stylesheet, one store of kept parts), each in
 * its own order: every page is the one one thread makes alone.
 */
static void
test_memo_threads_same_bytes(void **state)
{
	struct feed_meta m = meta;
	struct subfeeds set;
	struct memo_thread t[4];
	pthread_t tid[4];
	struct pages *serial = load_memo(true);
	char *want[MEMO_PAGES];

	(void)state;
	add_memo_corpus(&m, &set);
	pg = load_memo(false);
	/*
	 * One thread alone first. That also fills in every release's body
	 * and summary, which rendering does: site.c never gives one release
	 * to two threads at once, and here all four share them.
	 */
	for (size_t i = 0; i < MEMO_PAGES; i++)
		want[i] = memo_page(serial, &m, i);
	for (int k = 0; k < 4; k++) {
		memset(&t[k], 0, sizeof(t[k]));
		t[k].m = &m;
		t[k].from = (size_t)k * 5;
		assert_int_equal(pthread_create(&tid[k], NULL, memo_thread,
		    &t[k]), 0);
	}
	for (int k = 0; k < 4; k++)
		assert_int_equal(pthread_join(tid[k], NULL), 0);
	for (size_t i = 0; i < MEMO_PAGES; i++) {
		for (int k = 0; k < 4; k++) {
			assert_string_equal(t[k].pages[i], want[i]);
			free(t[k].pages[i]);
		}
		free(want[i]);
	}
	pages_free(serial);
	subfeeds_free(&set);
}

#define XSL_FP "<?xml version=\"1.0\"?>\n<xsl:stylesheet version=\"1.0\" " \
	"xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" " \
	"xmlns:fp=\"urn:x-feedpubd:xslt\" extension-element-prefixes=\"fp\">" \
	"<xsl:output method=\"html\" indent=\"no\"/>\n"

/*
 * A newsroom's stylesheet may use fp:memo too (with namespace nodes in
 * its key): without select it does not load; templates that set attributes of the element around it fail
 * the page (not a wrong one); a node whose subtree differs gets its own
 * part; with indent (or outside html) nothing is kept, the same bytes.
 */
static void
test_memo_in_own_stylesheet(void **state)
{
	char path[TU_PATH_MAX + 32], why[600];
	struct release *a, *b;
	size_t len, hits, misses;
	const char *w;

	(void)state;
	w = load_fails(XSL_FP "<xsl:template match=\"/\"><fp:memo mode=\"x\"/>"
	    "</xsl:template></xsl:stylesheet>\n");
	assert_non_null(strstr(w, "select"));
	snprintf(path, sizeof(path), "%s/memo.xsl", tmp);
	tu_write_file(path, XSL_FP "<xsl:template match=\"/page\"><p>"
	    "<fp:memo select=\"release/title | release/tag\" mode=\"t\" "
	    "with=\"namespace::* | release/@lang\"/>"
	    "</p></xsl:template><xsl:template match=\"*\" mode=\"t\"><b "
	    "class=\"{name()}\"><xsl:value-of select=\".\"/></b>"
	    "</xsl:template></xsl:stylesheet>\n");
	pg = load(path, NULL, 50);
	a = add("a.md", "---\ntitle: \"<A & B>\"\ntags: [x, y]\n---\nB\n");
	b = add("b.md", "---\ntitle: \"<A & B>\"\ntags: [y, z]\n---\nB\n");
	assert_int_equal(pages_render_release(pg, &meta, a, &out, &len, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(out, "<p><b class=\"title\">&lt;A &amp; B&gt;"
	    "</b><b class=\"tag\">x</b><b class=\"tag\">y</b></p>"));
	assert_int_equal(pages_render_release(pg, &meta, b, &out2, &len, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(out2, "<p><b class=\"title\">&lt;A &amp; B&gt;"
	    "</b><b class=\"tag\">y</b><b class=\"tag\">z</b></p>"));
	pages_memo_counts(pg, &hits, &misses);
	assert_int_equal(hits, 2);	/* the title and y */
	assert_int_equal(misses, 4);
	pages_free(pg);
	free(out);
	out = NULL;
	/* Writing an attribute of the <p> around it: the page fails. */
	tu_write_file(path, XSL_FP "<xsl:template match=\"/page\"><p>"
	    "<fp:memo select=\"release\" mode=\"t\"/></p></xsl:template>"
	    "<xsl:template match=\"*\" mode=\"t\"><xsl:attribute name=\"x\">"
	    "1</xsl:attribute></xsl:template></xsl:stylesheet>\n");
	pg = load(path, NULL, 50);
	assert_int_equal(pages_render_release(pg, &meta, a, &out, &len, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "fp:memo"));
	pages_free(pg);
	/* Indented: kept nothing, written as apply-templates would. */
	tu_write_file(path, "<?xml version=\"1.0\"?>\n<xsl:stylesheet "
	    "version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\""
	    " xmlns:fp=\"urn:x-feedpubd:xslt\" extension-element-prefixes="
	    "\"fp\"><xsl:output method=\"html\" indent=\"yes\"/><xsl:template "
	    "match=\"/page\"><div><fp:memo select=\"release/tag\" mode=\"t\"/>"
	    "</div></xsl:template><xsl:template match=\"*\" mode=\"t\"><p>"
	    "<xsl:value-of select=\".\"/></p></xsl:template>"
	    "</xsl:stylesheet>\n");
	pg = load(path, NULL, 50);
	assert_int_equal(pages_render_release(pg, &meta, a, &out, &len, why,
	    sizeof(why)), 0);
	assert_non_null(strstr(out, "<div>\n<p>x</p>\n<p>y</p>\n</div>"));
	pages_memo_counts(pg, &hits, &misses);
	assert_int_equal(hits + misses, 0);
}

/*
 * The split: none at exactly max URLs, one more splits; chunk names
 * round-trip through sitemap_chunk_keep(), names not ours stay.
 */
static void
test_sitemap_split_and_names(void **state)
{
	struct sitemap_split sp;
	char name[64];

	(void)state;
	/* 1 (index.html) + 2 listings + 7 releases = 10 URLs. */
	sp = sitemap_split(7, 2, 10);
	assert_true(sp.releases == 0 && sp.pages == 0);
	sp = sitemap_split(7, 2, 9);
	assert_true(sp.releases == 1 && sp.pages == 1);
	sp = sitemap_split(7, 2, 3);
	assert_true(sp.releases == 3 && sp.pages == 1);
	sp = sitemap_split(1000000, 20000, 50000);
	assert_true(sp.releases == 20 && sp.pages == 1);
	sp = sitemap_split(7, 2, 3);
	sitemap_chunk_name(false, 3, name, sizeof(name));
	assert_string_equal(name, "sitemaps/3.xml");
	sitemap_chunk_name(true, 1, name, sizeof(name));
	assert_string_equal(name, "sitemaps/pages-1.xml");
	assert_true(sitemap_chunk_keep("3.xml", &sp));
	assert_false(sitemap_chunk_keep("4.xml", &sp));
	assert_true(sitemap_chunk_keep("pages-1.xml", &sp));
	assert_false(sitemap_chunk_keep("pages-2.xml", &sp));
	/* Not a name sitemap_chunk_name() makes: not ours to remove. */
	assert_true(sitemap_chunk_keep("04.xml", &sp));
	assert_true(sitemap_chunk_keep("0.xml", &sp));
	assert_true(sitemap_chunk_keep("4.xml.bak", &sp));
	assert_true(sitemap_chunk_keep("mine.xml", &sp));
	assert_true(sitemap_chunk_keep("pages-.xml", &sp));
	assert_true(sitemap_chunk_keep("-4.xml", &sp));
}

static void
test_news_sitemap_rules(void **state)
{
	size_t len;

	(void)state;
	/* 47 h and 49 h old. */
	{
		struct fp_time t47 = { NOW - 47 * HOUR, 3600 };
		struct fp_time t49 = { NOW - 49 * HOUR, 3600 };
		struct release *a = add("new.md", "---\ntitle: Ny <&> 47\n"
		    "lang: sv-SE\n---\nB\n");
		struct release *b = add("old.md", "---\ntitle: Gammal 49\n"
		    "---\nB\n");

		a->date = a->updated = t47;
		b->date = b->updated = t49;
	}
	assert_int_equal(sitemap_news_render(&meta, rs, 2, NOW, &out, &len),
	    0);
	assert_non_null(strstr(out, "xmlns:news=\"http://www.google.com/"
	    "schemas/sitemap-news/0.9\""));
	assert_non_null(strstr(out, "<loc>https://news.example.org/releases/"
	    "new.html</loc>"));
	assert_non_null(strstr(out, "<news:name>Nyheter från Staden"
	    "</news:name>"));
	assert_non_null(strstr(out, "<news:language>sv</news:language>"));
	assert_non_null(strstr(out, "<news:title>Ny &lt;&amp;&gt; 47"
	    "</news:title>"));
	assert_non_null(strstr(out, "<news:publication_date>2019-12-08T"));
	assert_null(strstr(out, "old.html"));
	/* It drops the 47 h one an hour later: that is the next change. */
	assert_int_equal(sitemap_news_next_change(rs, 2, NOW),
	    NOW + 1 * HOUR);
	free(out);
	assert_int_equal(sitemap_news_render(&meta, rs, 2, NOW + HOUR, &out,
	    &len), 0);
	assert_null(strstr(out, "<url>"));
	assert_int_equal(sitemap_news_next_change(rs, 2, NOW + HOUR),
	    INT64_MAX);
	/* sitemap.xml has every page. */
	free(out);
	assert_int_equal(sitemap_render(&meta, rs, 2, 1, 50, &out, &len), 0);
	assert_non_null(strstr(out, "<loc>https://news.example.org/</loc>"));
	assert_non_null(strstr(out, "<loc>https://news.example.org/archive/"
	    "1.html</loc>"));
	assert_non_null(strstr(out, "old.html</loc>\n    <lastmod>2019-12-08T"));
}

static void
test_news_sitemap_at_most_1000(void **state)
{
	struct release *many[1200];
	size_t len, urls = 0;

	(void)state;
	for (size_t i = 0; i < 1200; i++) {
		struct release_error err;
		char name[32];

		snprintf(name, sizeof(name), "r%zu.md", i);
		assert_int_equal(release_parse(&meta, name, "B\n", 2, NOW - 60 -
		    (int64_t)i, &many[i], &err), 0);
	}
	assert_int_equal(sitemap_news_render(&meta, many, 1200, NOW, &out,
	    &len), 0);
	for (const char *p = out; (p = strstr(p, "<url>")) != NULL; p++)
		urls++;
	assert_int_equal(urls, SITEMAP_NEWS_MAX);
	for (size_t i = 0; i < 1200; i++)
		release_free(many[i]);
}

static bool
exists(const char *dir, const char *name)
{
	char path[4 * TU_PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	fclose(f);
	return true;
}

/* Entries of dir/sub, hidden ones (temp files) included. */
static int
count_entries(const char *dir, const char *sub)
{
	char path[2 * TU_PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_output_batch_and_its_temps(void **state)
{
	static const char *const stale[] = { ".a.html.Ab12Cd",
	    ".x-y.html.000000" };
	static const char *const kept[] = { ".html.Ab12Cd", "..a.html.Ab12Cd",
	    ".a.html.Ab12C", ".a.htm.Ab12Cd", "a.html", ".a.html.Ab12Cd~" };
	char path[2 * TU_PATH_MAX];
	struct output_batch *b;

	(void)state;
	assert_int_equal(tu_mkdtemp(tmp, sizeof(tmp), "test_pages"), 0);
	b = output_batch_new(tmp);
	assert_non_null(b);
	assert_int_equal(output_batch_put(b, "releases/a.html", "A", 1), 1);
	/* In place at once, the folder made; nothing else beside it. */
	assert_true(exists(tmp, "releases/a.html"));
	assert_int_equal(output_batch_put(b, "index.html", "I", 1), 1);
	assert_true(exists(tmp, "index.html"));
	/* Hidden or climbing names are refused, for removals too. */
	assert_int_equal(output_batch_put(b, ".x/a.html", "A", 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(output_batch_put(b, "releases/../a.html", "A", 1),
	    -1);
	assert_int_equal(output_batch_put(b, "releases//a.html", "A", 1), -1);
	assert_int_equal(output_batch_put(b, "/etc/a.html", "A", 1), -1);
	assert_int_equal(output_batch_put(b, "releases/.a.html", "A", 1), -1);
	assert_int_equal(output_batch_remove(b, "../index.html"), -1);
	assert_int_equal(output_batch_sync(b), 0);
	/* Same bytes: nothing to do; a removal; removing nothing is 0. */
	assert_int_equal(output_batch_put(b, "releases/a.html", "A", 1), 0);
	assert_int_equal(output_batch_remove(b, "index.html"), 1);
	assert_false(exists(tmp, "index.html"));
	assert_int_equal(output_batch_remove(b, "index.html"), 0);
	assert_int_equal(output_batch_put(b, "releases/a.html", "AA", 2), 1);
	assert_int_equal(output_batch_sync(b), 0);
	assert_int_equal(output_batch_sync(b), 0);	/* nothing left */
	/* What is put stays put when the batch goes, synced or not. */
	assert_int_equal(output_batch_put(b, "releases/b.html", "B", 1), 1);
	output_batch_free(b);
	assert_true(exists(tmp, "releases/b.html"));
	assert_int_equal(count_entries(tmp, "releases"), 2);
	/* What a killed run leaves: "*.html" takes page names only. */
	snprintf(path, sizeof(path), "%s/releases", tmp);
	for (size_t i = 0; i < 2; i++) {
		char f[3 * TU_PATH_MAX];

		snprintf(f, sizeof(f), "%s/%s", path, stale[i]);
		tu_write_file(f, "x");
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		char f[3 * TU_PATH_MAX];

		snprintf(f, sizeof(f), "%s/%s", path, kept[i]);
		tu_write_file(f, "x");
	}
	assert_int_equal(output_remove_temps(path, "*.html"), 2);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_true(exists(path, kept[i]));
	assert_true(exists(path, "a.html"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hostile_title_is_inert, teardown),
		cmocka_unit_test_teardown(test_rtl_and_languages, teardown),
		cmocka_unit_test_teardown(test_dates_in_language_and_zone,
		    teardown),
		cmocka_unit_test_teardown(test_release_parts, teardown),
		cmocka_unit_test_teardown(test_bad_contacts, teardown),
		cmocka_unit_test_teardown(test_contributors_in_atom, teardown),
		cmocka_unit_test_teardown(test_boilerplate_per_language,
		    teardown),
		cmocka_unit_test_teardown(test_broken_stylesheets, teardown),
		cmocka_unit_test_teardown(test_stylesheets_read_and_write_nothing,
		    teardown),
		cmocka_unit_test_teardown(test_own_stylesheet, teardown),
		cmocka_unit_test_teardown(test_listings_are_stable, teardown),
		cmocka_unit_test_teardown(test_view_documents_itself, teardown),
		cmocka_unit_test_teardown(test_view_subfeeds, teardown),
		cmocka_unit_test_teardown(test_memo_same_bytes, teardown),
		cmocka_unit_test_teardown(test_memo_threads_same_bytes,
		    teardown),
		cmocka_unit_test_teardown(test_memo_in_own_stylesheet, teardown),
		cmocka_unit_test_teardown(test_news_sitemap_rules, teardown),
		cmocka_unit_test_teardown(test_sitemap_split_and_names,
		    teardown),
		cmocka_unit_test_teardown(test_news_sitemap_at_most_1000,
		    teardown),
		cmocka_unit_test_teardown(test_output_batch_and_its_temps,
		    teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
