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
};

static int
site_body(xmlTextWriterPtr w, void *arg)
{
	const struct site *s = arg;
	struct fp_time t;
	char path[512];

	CHECK(xmlTextWriterStartElementNS(w, NULL, (const xmlChar *)"urlset",
	    (const xmlChar *)SITEMAP_NS));
	t = xo_feed_updated(s->m, s->rs, s->n);
	CHECK(url_el(w, s->m, "", s->n > 0 ? &t : NULL));
	for (size_t k = 1; k <= s->nlistings; k++) {
		/* Page k holds the k-th per_page counted from the oldest. */
		size_t hi = s->n - (k - 1) * s->per_page, lo =
		    hi > s->per_page ? hi - s->per_page : 0;

		if (s->n > 0)
			t = xo_feed_updated(s->m, s->rs + lo, hi - lo);
		snprintf(path, sizeof(path), "archive/%zu.html", k);
		CHECK(url_el(w, s->m, path, s->n > 0 ? &t : NULL));
	}
	for (size_t i = 0; i < s->n; i++) {
		snprintf(path, sizeof(path), "releases/%s.html",
		    s->rs[i]->slug);
		CHECK(url_el(w, s->m, path, &s->rs[i]->updated));
	}
	return xmlTextWriterEndElement(w);
out:
	return -1;
}

int
sitemap_render(const struct feed_meta *m, struct release *const *rs,
    size_t n, size_t nlistings, size_t per_page, char **data, size_t *len)
{
	struct site s = { m, rs, n, nlistings, per_page, 0 };

	return xo_document(site_body, &s, data, len);
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
	struct site s = { m, rs, n, 0, 0, now };

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
