/*
 * sitemap: see sitemap.h. Written through xmlTextWriter, as the feeds
 * are, so every URL and title is escaped and cleaned (xmlout.h).
 */
#include "sitemap.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlout.h"

#define SITEMAP_NS	"http://www.sitemaps.org/schemas/sitemap/0.9"
#define NEWS_NS		"http://www.google.com/schemas/sitemap-news/0.9"

/* <url><loc>base path</loc><lastmod>t</lastmod></url> */
static int
url_el(xmlTextWriterPtr w, const struct feed_meta *m, const char *path,
    const struct fp_time *t)
{
	char loc[8192], d[DATE_BUFSZ];

	snprintf(loc, sizeof(loc), "%s%s", m->base_url, path);
	if (xmlTextWriterStartElement(w, (const xmlChar *)"url") < 0 ||
	    xo_element(w, NULL, "loc", loc) < 0 ||
	    (t != NULL && xo_element(w, NULL, "lastmod",
	    date_rfc3339(t, d)) < 0))
		return -1;
	return xmlTextWriterEndElement(w);
}

struct site {
	const struct feed_meta *m;
	struct release *const *rs;
	size_t n, nlistings, per_page;
	int64_t now;
	size_t max;		/* URLs per chunk */
	bool pages;		/* the chunk is of the pages, not releases */
	size_t k;		/* the chunk, 1-based */
};

/*
 * URL j of the pages, 0..nlistings: archive/J+1.html, then index.html,
 * with its lastmod into *t (the newest updated it shows). false: no
 * lastmod (an empty site).
 */
static bool
page_at(const struct site *s, size_t j, char *path, size_t size,
    struct fp_time *t)
{
	if (j == s->nlistings) {
		snprintf(path, size, "%s", "");
		*t = xo_feed_updated(s->m, s->rs, s->n);
	} else {
		/* Page j+1 holds the (j+1)-th per_page counted from the
		 * oldest. */
		size_t hi = s->n - j * s->per_page, lo =
		    hi > s->per_page ? hi - s->per_page : 0;

		snprintf(path, size, "archive/%zu.html", j + 1);
		if (s->n > 0)
			*t = xo_feed_updated(s->m, s->rs + lo, hi - lo);
	}
	return s->n > 0;
}

static int
page_el(xmlTextWriterPtr w, const struct site *s, size_t j)
{
	struct fp_time t;
	char path[512];
	bool has = page_at(s, j, path, sizeof(path), &t);

	return url_el(w, s->m, path, has ? &t : NULL);
}

static int
release_el(xmlTextWriterPtr w, const struct site *s, size_t i)
{
	char path[512];

	snprintf(path, sizeof(path), "releases/%s.html", s->rs[i]->slug);
	return url_el(w, s->m, path, &s->rs[i]->updated);
}

static int
site_body(xmlTextWriterPtr w, void *arg)
{
	const struct site *s = arg;

	CHECK(xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)"urlset",
	    (const xmlChar *)SITEMAP_NS));
	CHECK(page_el(w, s, s->nlistings));
	for (size_t j = 0; j < s->nlistings; j++)
		CHECK(page_el(w, s, j));
	for (size_t i = 0; i < s->n; i++)
		CHECK(release_el(w, s, i));
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
sitemap_render(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, char **data, size_t *len)
{
	struct site s = { m, rs, n, nlistings, per_page, 0, 0, false, 0 };

	return xo_document(site_body, &s, data, len);
}

/* ---- split sitemaps ----------------------------------------------------- */

static size_t
chunks(size_t urls, size_t max)
{
	return (urls + max - 1) / max;
}

struct sitemap_split
sitemap_split(size_t n, size_t nlistings, size_t max)
{
	struct sitemap_split sp = { 0, 0 };

	if (max == 0)
		max = SITEMAP_MAX_URLS;
	if (1 + nlistings + n > max) {
		sp.releases = chunks(n, max);
		sp.pages = chunks(nlistings + 1, max);
	}
	return sp;
}

void
sitemap_chunk_name(bool pages, size_t k, char *buf, size_t size)
{
	snprintf(buf, size, "sitemaps/%s%zu.xml", pages ? "pages-" : "", k);
}

bool
sitemap_chunk_keep(const char *name, const struct sitemap_split *s)
{
	bool pages = strncmp(name, "pages-", 6) == 0;
	const char *num = pages ? name + 6 : name;
	char *end;
	unsigned long long k;

	/* Only names sitemap_chunk_name() makes are ours to remove. */
	if (num[0] < '1' || num[0] > '9')
		return true;
	k = strtoull(num, &end, 10);
	if (strcmp(end, ".xml") != 0)
		return true;
	return k <= (pages ? s->pages : s->releases);
}

/* The chunk's URLs: [*lo, *hi) of the pages, or of the releases counted
 * from the oldest. */
static void
chunk_range(const struct site *s, size_t *lo, size_t *hi)
{
	size_t urls = s->pages ? s->nlistings + 1 : s->n;

	*lo = (s->k - 1) * s->max;
	*hi = *lo + s->max < urls ? *lo + s->max : urls;
}

static int
chunk_body(xmlTextWriterPtr w, void *arg)
{
	const struct site *s = arg;
	size_t lo, hi;

	chunk_range(s, &lo, &hi);
	CHECK(xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)"urlset",
	    (const xmlChar *)SITEMAP_NS));
	for (size_t j = lo; j < hi; j++)
		CHECK(s->pages ? page_el(w, s, j) : release_el(w, s,
		    s->n - 1 - j));
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
sitemap_render_chunk(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, size_t max, bool pages,
    size_t k, char **data, size_t *len)
{
	struct site s = { m, rs, n, nlistings, per_page, 0,
	    max == 0 ? SITEMAP_MAX_URLS : max, pages, k };

	return xo_document(chunk_body, &s, data, len);
}

/* The newest lastmod of the chunk's URLs; false: none has one. */
static bool
chunk_lastmod(const struct site *s, struct fp_time *t)
{
	size_t lo, hi;
	struct fp_time u;
	char path[512];

	chunk_range(s, &lo, &hi);
	if (s->n == 0 || hi <= lo)
		return false;
	if (!s->pages) {
		*t = xo_feed_updated(s->m, s->rs + (s->n - hi), hi - lo);
		return true;
	}
	page_at(s, lo, path, sizeof(path), t);
	for (size_t j = lo + 1; j < hi; j++)
		if (page_at(s, j, path, sizeof(path), &u) && u.sec > t->sec)
			*t = u;
	return true;
}

static int
index_body(xmlTextWriterPtr w, void *arg)
{
	struct site *s = arg;
	struct sitemap_split sp = sitemap_split(s->n, s->nlistings, s->max);
	char name[64], loc[8192], d[DATE_BUFSZ];
	struct fp_time t;

	CHECK(xmlTextWriterStartElementNS(w, NULL,
	    (const xmlChar *)"sitemapindex", (const xmlChar *)SITEMAP_NS));
	for (int pages = 0; pages <= 1; pages++) {
		size_t count = pages ? sp.pages : sp.releases;

		s->pages = pages;
		for (s->k = 1; s->k <= count; s->k++) {
			sitemap_chunk_name(pages, s->k, name, sizeof(name));
			snprintf(loc, sizeof(loc), "%s%s", s->m->base_url,
			    name);
			CHECK(xmlTextWriterStartElement(w,
			    (const xmlChar *)"sitemap"));
			CHECK(xo_element(w, NULL, "loc", loc));
			if (chunk_lastmod(s, &t))
				CHECK(xo_element(w, NULL, "lastmod",
				    date_rfc3339(&t, d)));
			CHECK(xmlTextWriterEndElement(w));
		}
	}
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
sitemap_render_index(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, size_t max, char **data,
    size_t *len)
{
	struct site s = { m, rs, n, nlistings, per_page, 0,
	    max == 0 ? SITEMAP_MAX_URLS : max, false, 0 };

	return xo_document(index_body, &s, data, len);
}

/* In the news sitemap at now: published less than two days before. */
static bool
is_news(const struct release *r, int64_t now)
{
	return r->date.sec <= now && now - r->date.sec < SITEMAP_NEWS_AGE;
}

/*
 * ISO 639 as Google wants it: the primary subtag in lower case, except
 * zh-cn and zh-tw.
 */
static void
news_language(const char *lang, char *buf, size_t size)
{
	size_t i = 0;

	if (lang == NULL)
		lang = "en";
	for (; lang[i] != '\0' && i + 1 < size; i++)
		buf[i] = (char)(lang[i] >= 'A' && lang[i] <= 'Z' ?
		    lang[i] + 32 : lang[i] == '_' ? '-' : lang[i]);
	buf[i] = '\0';
	if (strcmp(buf, "zh-cn") != 0 && strcmp(buf, "zh-tw") != 0)
		buf[strcspn(buf, "-")] = '\0';
}

static int
news_body(xmlTextWriterPtr w, void *arg)
{
	const struct site *s = arg;
	char path[512], lang[16], d[DATE_BUFSZ];
	size_t count = 0;

	CHECK(xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)"urlset",
	    (const xmlChar *)SITEMAP_NS));
	CHECK(xmlTextWriterWriteAttribute(w, (const xmlChar *)"xmlns:news",
	    (const xmlChar *)NEWS_NS));
	for (size_t i = 0; i < s->n && count < SITEMAP_NEWS_MAX; i++) {
		const struct release *r = s->rs[i];

		if (!is_news(r, s->now))
			continue;
		count++;
		snprintf(path, sizeof(path), "%sreleases/%s.html",
		    s->m->base_url, r->slug);
		news_language(r->lang != NULL ? r->lang : s->m->language, lang,
		    sizeof(lang));
		CHECK(xmlTextWriterStartElement(w, (const xmlChar *)"url"));
		CHECK(xo_element(w, NULL, "loc", path));
		CHECK(xmlTextWriterStartElement(w,
		    (const xmlChar *)"news:news"));
		CHECK(xmlTextWriterStartElement(w,
		    (const xmlChar *)"news:publication"));
		CHECK(xo_element(w, NULL, "news:name", s->m->title));
		CHECK(xo_element(w, NULL, "news:language", lang));
		CHECK(xmlTextWriterEndElement(w));
		CHECK(xo_element(w, NULL, "news:publication_date",
		    date_rfc3339(&r->date, d)));
		CHECK(xo_element(w, NULL, "news:title", r->title));
		CHECK(xmlTextWriterEndElement(w));
		CHECK(xmlTextWriterEndElement(w));
	}
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
sitemap_news_render(const struct feed_meta *m, struct release *const *rs,
    size_t n, int64_t now, char **data, size_t *len)
{
	struct site s = { m, rs, n, 0, 0, now, 0, false, 0 };

	return xo_document(news_body, &s, data, len);
}

int64_t
sitemap_news_next_change(struct release *const *rs, size_t n, int64_t now)
{
	int64_t next = INT64_MAX;
	size_t count = 0;

	for (size_t i = 0; i < n && count < SITEMAP_NEWS_MAX; i++) {
		if (!is_news(rs[i], now))
			continue;
		count++;
		if (rs[i]->date.sec + SITEMAP_NEWS_AGE < next)
			next = rs[i]->date.sec + SITEMAP_NEWS_AGE;
	}
	return next;
}

int
sitemap_robots(const struct feed_meta *m, char **data, size_t *len)
{
	int n = asprintf(data, "User-agent: *\nAllow: /\n\n"
	    "Sitemap: %ssitemap.xml\nSitemap: %ssitemap-news.xml\n",
	    m->base_url, m->base_url);

	if (n < 0) {
		*data = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}
