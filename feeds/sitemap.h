/*
 * sitemap: sitemap.xml (every page of the site, sitemaps.org 0.9), the
 * Google News sitemap sitemap-news.xml and robots.txt naming them, in
 * memory. rs[0..n) is every published release, newest first (as
 * store_select() gives them). Each render returns 0 with *data
 * (NUL-terminated, caller frees) and *len, or -1 when out of memory.
 */
#ifndef FEEDS_SITEMAP_H
#define FEEDS_SITEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"
#include "release.h"

/*
 * Google's rules for a news sitemap: only articles published in the last
 * two days (seconds), at most 1,000 of them.
 */
#define SITEMAP_NEWS_AGE	(2 * 24 * 3600)
#define SITEMAP_NEWS_MAX	1000

/*
 * index.html, archive/1..nlistings.html and releases/SLUG.html for each
 * release, each with its lastmod (the newest updated it shows).
 */
int sitemap_render(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, char **data, size_t *len);

/*
 * The protocol's cap on the URLs of one sitemap file (its other cap,
 * 50 MB, is far off: a URL here is under 1 KB).
 */
#define SITEMAP_MAX_URLS	50000

/*
 * A site of more than max URLs (1 + nlistings + n) gets a split sitemap:
 * sitemap.xml becomes a <sitemapindex> of chunks of at most max URLs,
 * stable as the listing pages are: "sitemaps/K.xml" holds the K-th run of
 * max releases counted from the oldest (a new release changes only the
 * newest chunk), "sitemaps/pages-K.xml" the K-th run of archive/1.html ..
 * archive/NLISTINGS.html then index.html. Both counts 0: not split.
 */
struct sitemap_split {
	size_t releases, pages;
};

struct sitemap_split sitemap_split(size_t n, size_t nlistings, size_t max);

/* The name of chunk k (1-based) of the releases or the pages, into buf. */
void sitemap_chunk_name(bool pages, size_t k, char *buf, size_t size);

/*
 * Whether a file named name in sitemaps/ stays: a chunk of s, or a name
 * that is not a chunk's (not ours to remove).
 */
bool sitemap_chunk_keep(const char *name, const struct sitemap_split *s);

/*
 * sitemap.xml when split: a <sitemapindex> of every chunk, each with the
 * newest lastmod of its URLs. Same arguments as sitemap_render().
 */
int sitemap_render_index(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, size_t max, char **data,
    size_t *len);

/* Chunk k (1-based) of the releases or the pages: a <urlset>. */
int sitemap_render_chunk(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, size_t max, bool pages,
    size_t k, char **data, size_t *len);

/*
 * The releases of rs whose date is less than SITEMAP_NEWS_AGE before now
 * (seconds), newest first, at most SITEMAP_NEWS_MAX: news:publication
 * (name: the feed's title, language: the release's ISO 639 code),
 * publication_date and title. Empty when there are none.
 */
int sitemap_news_render(const struct feed_meta *m, struct release *const *rs,
    size_t n, int64_t now, char **data, size_t *len);

/*
 * When sitemap_news_render() would next give other bytes without any
 * release changing: the first moment after now at which a release it
 * lists gets too old (seconds), or INT64_MAX if it lists none. An embargo
 * ending changes it too; that is store_next_embargo()'s.
 */
int64_t sitemap_news_next_change(struct release *const *rs, size_t n,
    int64_t now);

/* robots.txt: everything allowed, both sitemaps named. */
int sitemap_robots(const struct feed_meta *m, char **data, size_t *len);

#endif
