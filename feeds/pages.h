/*
 * pages: the web pages of a newsroom, in memory. A page is the XSLT
 * transform of one XML view (docs/pages.md documents its schema): the view
 * is built as a libxml2 tree, so every string of a release is a text node
 * and comes out escaped by construction, whatever the stylesheet does with
 * it (short of disable-output-escaping, which the view's HTML bodies alone
 * need and get).
 *
 * pages_load() is the only function that reads files: the stylesheet, the
 * CSS and the boilerplate; the config layer calls it at load and reload.
 * The rest are pure: a release or a listing in, bytes out. A struct pages
 * is immutable once loaded (the compiled stylesheet is only read by a
 * transform; the parts fp:memo keeps for every page are behind a mutex),
 * so a reload builds a new one beside the old, and several threads may
 * render pages of one struct pages at once (each its own release or
 * listing: rendering fills in the release's body).
 *
 * Files of a site, relative to the output folder:
 *	index.html		the newest releases, links to every feed
 *	releases/SLUG.html	one per published release
 *	archive/K.html		listing page K (1 = the oldest releases)
 *	style.css		the built-in CSS, or [pages] css
 *	sitemap.xml, sitemap-news.xml, robots.txt	(sitemap.h)
 *
 * Strings returned are malloc'd, NUL-terminated, and the caller frees them.
 * Errors: -1 (out of memory, or the stylesheet failed on this view: then
 * *why says so when given).
 */
#ifndef FEEDS_PAGES_H
#define FEEDS_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "release.h"

/* What pages_load() reads; paths absolute or relative to the cwd. */
struct pages_settings {
	const char *stylesheet;		/* an .xsl; NULL: the built-in */
	const char *css;		/* NULL: the built-in style.css */
	/*
	 * Markdown appended to every release as its "About" section; NULL:
	 * none. "{lang}" in the name makes it one file per language
	 * (about.{lang}.md: about.sv.md, about.en.md); a release whose
	 * language has no file gets the feed language's, if any.
	 */
	const char *boilerplate;
	size_t per_page;		/* releases per listing page, >= 1 */
	size_t index_entries;		/* releases on index.html, >= 1 */
	/*
	 * Tests: make every fp:memo part afresh (xslmemo.h), to show the
	 * bytes are the same as with the parts kept.
	 */
	bool no_memo;
};

struct pages;

/*
 * Load and check s. A stylesheet that does not parse or compile, a file
 * that cannot be read, a boilerplate that is not UTF-8: NULL, with the
 * reason ("FILE:LINE: message" where libxslt gives a line) in
 * why[0..whylen). The stylesheet may xsl:import or xsl:include files
 * beside it (read now, at load, never by the network); a transform can
 * read or write nothing (libxslt's security preferences forbid it).
 */
struct pages *pages_load(const struct pages_settings *s, char *why,
    size_t whylen);

void pages_free(struct pages *p);	/* NULL is fine */

/* fp:memo's parts copied and made so far, by every render of p. */
void pages_memo_counts(const struct pages *p, size_t *hits,
    size_t *misses);

/* The CSS to write as style.css; owned by p. */
const char *pages_css(const struct pages *p, size_t *len);

/* "releases/SLUG.html" for r, into buf (NUL-terminated); -1 if too long. */
int pages_release_name(const struct release *r, char *buf, size_t size);

/* Listing pages for n releases: at least 1 (an empty site has one). */
size_t pages_listing_count(const struct pages *p, size_t n);

/*
 * The page of release r (rendered on demand, release_render()). Returns 0
 * with *data and *len, or -1.
 */
int pages_render_release(const struct pages *p, const struct feed_meta *m,
    struct release *r, char **data, size_t *len, char *why, size_t whylen);

/*
 * index.html: the newest index_entries of rs[0..n) (newest first, every
 * published release, as store_select() gives them). Same return.
 */
int pages_render_index(const struct pages *p, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len,
    char *why, size_t whylen);

/*
 * archive/K.html for k in 1..pages_listing_count(): page k lists the
 * releases k*per_page-per_page .. k*per_page-1 counted from the oldest, so
 * a new release changes only the newest page (and, when that one was
 * full, it gains a "newer" link). Same return.
 */
int pages_render_listing(const struct pages *p, const struct feed_meta *m,
    struct release *const *rs, size_t n, size_t k, char **data, size_t *len,
    char *why, size_t whylen);

/*
 * The page left at a renamed release's old name (releases/OLD.html): a
 * meta refresh to the new page beside it, rel=canonical to its link,
 * robots noindex. Not made by the stylesheet (a newsroom's need not know
 * of it). Same return.
 */
int pages_render_redirect(const struct feed_meta *m,
    const struct release *to, char **data, size_t *len);

/*
 * The views themselves, as XML text, for tests and for writing a
 * stylesheet (feedpubd's docs/pages.md shows them). kind "release" takes
 * r; "index" and "listing" (page k) take rs[0..n).
 */
int pages_view_xml(const struct pages *p, const struct feed_meta *m,
    const char *kind, struct release *r, struct release *const *rs,
    size_t n, size_t k, char **xml, size_t *len);

/*
 * What release r's page is made of besides r's own strings: p's
 * generation and r's dates (which the history may change in place). A
 * caller that keeps the last stamp it wrote (r->page_stamp) need not
 * render the page again while it is the same. Never 0.
 */
uint64_t pages_stamp(const struct pages *p, const struct release *r);

/*
 * A stamp for listing page k of rs[0..n): p's generation, k, the page
 * count, and the page_key (bytes of the page) of each release it lists.
 * Never 0.
 */
uint64_t pages_listing_stamp(const struct pages *p,
    struct release *const *rs, size_t n, size_t k);

/* FNV-1a 64 of data[0..len), never 0: what r->page_key holds. */
uint64_t pages_hash(const void *data, size_t len);

/*
 * A date as a page shows it, in the current zone (date_set_zone()) with
 * its abbreviation and in language lang (NULL or unknown: English):
 * "10 december 2019 08:54 CET" (sv), "December 10, 2019 08:54 CET" (en).
 * Returns buf.
 */
char *pages_date(const struct fp_time *t, const char *lang, char *buf,
    size_t size);

/* true for a language written right to left (ar, he, fa, ur, …). */
bool pages_rtl(const char *lang);

#endif
