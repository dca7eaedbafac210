/*
 * site: see site.h.
 */
#include "site.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/hash.h>

#include "feeds/output.h"
#include "feeds/pages.h"
#include "feeds/sitemap.h"
#include "log.h"

/* One publish of the site: what it writes through, what it counts. */
struct run {
	const struct config *c;
	struct output_batch *b;
	struct publish_result *res;
};

/* A page that could not be made: the first one logged, all counted. */
static void
failed(struct run *u, const char *name, const char *why)
{
	if (u->res->pages_failed++ == 0)
		log_errx("%s/%s: %s", u->c->output_dir, name, why);
}

/* Stage name with data (freed here). Returns put's 1/0/-1. */
static int
put(struct run *u, const char *name, char *data, size_t len)
{
	int rc = output_batch_put(u->b, name, data, len);

	free(data);
	if (rc < 0) {
		if (u->res->pages_failed++ == 0)
			log_err("cannot write %s/%s", u->c->output_dir, name);
	} else if (rc == 1) {
		u->res->pages_written++;
	}
	return rc;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The pages of rs that need it. Those of the first nfeed (and of the
 * index's) are always made; past them, after slice_ms (0: never) it
 * stops. Returns 1 when it stopped with pages left, else 0.
 */
static int
release_pages(struct run *u, struct release **rs, size_t n, size_t nfeed,
    double slice_ms)
{
	const struct pages *p = u->c->pages;
	size_t must = nfeed > u->c->pages_set.index_entries ? nfeed :
	    u->c->pages_set.index_entries;
	double t0 = mono_ms();

	for (size_t i = 0; i < n; i++) {
		struct release *r = rs[i];
		uint64_t stamp = pages_stamp(p, r), key;
		char name[512], why[600], *data;
		size_t len;

		if (r->page_stamp == stamp ||
		    pages_release_name(r, name, sizeof(name)) < 0)
			continue;
		if (i >= must && slice_ms > 0 && mono_ms() - t0 >= slice_ms)
			return 1;
		if (pages_render_release(p, &u->c->feed, r, &data, &len, why,
		    sizeof(why)) < 0) {
			failed(u, name, why);
			continue;
		}
		key = pages_hash(data, len);
		if (put(u, name, data, len) >= 0) {
			r->page_stamp = stamp;
			r->page_key = key;
		}
		/* Kept for the feeds only: 10,000 bodies are 30 MB. */
		if (i >= nfeed) {
			free(r->html);
			r->html = NULL;
		}
	}
	return 0;
}

static void
listing_pages(struct run *u, struct release **rs, size_t n)
{
	const struct pages *p = u->c->pages;
	size_t count = pages_listing_count(p, n);

	for (size_t k = 1; k <= count; k++) {
		/* The oldest release of page k keeps the page's stamp. */
		struct release *head = n > 0 ? rs[n - 1 - (k - 1) *
		    u->c->pages_set.per_page] : NULL;
		uint64_t stamp = pages_listing_stamp(p, rs, n, k);
		char name[64], why[600], *data;
		size_t len;

		if (head != NULL && head->listing_stamp == stamp)
			continue;
		snprintf(name, sizeof(name), "archive/%zu.html", k);
		if (pages_render_listing(p, &u->c->feed, rs, n, k, &data, &len,
		    why, sizeof(why)) < 0) {
			failed(u, name, why);
			continue;
		}
		if (put(u, name, data, len) >= 0 && head != NULL)
			head->listing_stamp = stamp;
	}
}

/* index.html, the sitemaps, style.css and robots.txt: cheap, made always. */
static void
site_files(struct run *u, struct release **rs, size_t n, int64_t now)
{
	const struct config *c = u->c;
	const struct pages *p = c->pages;
	size_t len, count = pages_listing_count(p, n);
	char why[600], *data;
	const char *css;

	if (pages_render_index(p, &c->feed, rs, n, &data, &len, why,
	    sizeof(why)) < 0)
		failed(u, "index.html", why);
	else
		put(u, "index.html", data, len);
	if (sitemap_render(&c->feed, rs, n, count, c->pages_set.per_page,
	    &data, &len) < 0)
		failed(u, "sitemap.xml", "out of memory");
	else
		put(u, "sitemap.xml", data, len);
	if (sitemap_news_render(&c->feed, rs, n, now, &data, &len) < 0)
		failed(u, "sitemap-news.xml", "out of memory");
	else
		put(u, "sitemap-news.xml", data, len);
	u->res->next_change = sitemap_news_next_change(rs, n, now);
	css = pages_css(p, &len);
	if ((data = malloc(len + 1)) == NULL) {
		failed(u, "style.css", "out of memory");
	} else {
		memcpy(data, css, len + 1);
		put(u, "style.css", data, len);
	}
	if (c->pages_robots) {
		if (sitemap_robots(&c->feed, &data, &len) < 0)
			failed(u, "robots.txt", "out of memory");
		else
			put(u, "robots.txt", data, len);
	}
}

/*
 * Stage the removal of the files in folder (under the output folder)
 * whose names keep() does not want: pages of releases gone, listing
 * pages past the last. Only NAME.html files are looked at.
 */
static void
sweep(struct run *u, const char *folder, bool (*keep)(const char *name,
    void *arg), void *arg)
{
	char dir[4096], rel[512];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", u->c->output_dir, folder);
	if ((d = opendir(dir)) == NULL)
		return;		/* none yet */
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 ||
		    strcmp(e->d_name + len - 5, ".html") != 0 ||
		    keep(e->d_name, arg))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", folder, e->d_name);
		if (output_batch_remove(u->b, rel) < 0)
			u->res->pages_failed++;
		else
			u->res->pages_removed++;
	}
	closedir(d);
}

static bool
keep_release(const char *name, void *arg)
{
	return xmlHashLookup(arg, (const xmlChar *)name) != NULL;
}

static bool
keep_listing(const char *name, void *arg)
{
	char *end;
	unsigned long k = strtoul(name, &end, 10);

	/* Other names are not ours to remove. */
	if (end == name || strcmp(end, ".html") != 0 || name[0] == '0')
		return true;
	return k >= 1 && k <= *(size_t *)arg;
}

static void
sweep_all(struct run *u, struct release **rs, size_t n)
{
	xmlHashTablePtr live = xmlHashCreate((int)(n < 64 ? 64 : n));
	size_t count = pages_listing_count(u->c->pages, n);
	char name[512];

	if (live == NULL) {
		u->res->pages_failed++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.html", rs[i]->slug);
		if (xmlHashAddEntry(live, (const xmlChar *)name, rs[i]) < 0 &&
		    xmlHashLookup(live, (const xmlChar *)name) == NULL) {
			/* Not knowing what lives, remove nothing. */
			xmlHashFree(live, NULL);
			u->res->pages_failed++;
			return;
		}
	}
	sweep(u, "releases", keep_release, live);
	sweep(u, "archive", keep_listing, &count);
	xmlHashFree(live, NULL);
}

/* The batch failed: every page is made again at the next publish. */
static void
forget(struct release **rs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rs[i]->page_stamp = rs[i]->listing_stamp = 0;
}

int
site_publish(const struct config *c, struct release **rs, size_t n,
    size_t nfeed, int64_t now, double slice_ms, struct publish_result *res)
{
	struct run u = { c, output_batch_new(c->output_dir), res };
	int more;

	if (u.b == NULL) {
		log_errx("cannot publish the pages (out of memory)");
		res->pages_failed++;
		return 0;
	}
	if ((more = release_pages(&u, rs, n, nfeed, slice_ms)) == 0) {
		listing_pages(&u, rs, n);
		site_files(&u, rs, n, now);
		sweep_all(&u, rs, n);
	}
	if (output_batch_commit(u.b) < 0) {
		log_err("cannot write the pages in %s", c->output_dir);
		res->pages_failed++;
		forget(rs, n);
		more = 0;	/* the feeds still go out; pages at the retry */
	}
	output_batch_free(u.b);
	log_debug("site: %zu files written, %zu removed, %u failed%s",
	    res->pages_written, res->pages_removed, res->pages_failed,
	    more ? ", more to come" : "");
	return more;
}
