/*
 * site: see site.h.
 */
#include "site.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/hash.h>

#include "feeds/date.h"
#include "feeds/output.h"
#include "feeds/pages.h"
#include "feeds/sitemap.h"
#include "log.h"
#include "slugmap.h"

/* One slice of a publish of the site: where it writes, what it counts. */
struct run {
	const struct config *c;
	struct output_batch *b;
	struct publish_result *res;
	double deadline;	/* monotonic ms; 0: none */
	atomic_bool rendered;	/* a page was made in this slice */
	bool eager;		/* no whole site written yet: site_written */
	bool save_state;	/* write pages-slugs (not --once) */
	size_t looked;		/* release and listing pages looked at */
	char first[1300];	/* the publish's first failure, or "" */
	size_t need;		/* rs[0..need): the feeds render these too */
};

/*
 * The batch of the publish under way: its slices write pages at once,
 * and the folders are fsync'd once, by the slice that completes the site
 * (just before the feeds, which are fsync'd themselves), never by the
 * other slices, so no slice waits on the disk.
 */
static struct output_batch *open_batch;

/*
 * Until the process has written a whole site once, a slice makes the
 * pages of the feeds' and the index's releases and one listing page
 * whatever the time (as many as max_entries and index_entries say, not
 * as many as there are releases), and the index and sitemaps: so the
 * daemon's first publish, before READY=1 and systemd's watchdog, has its
 * feeds out when the newsroom is small, however slow the machine. Later
 * slices are held to the time alone.
 */
static bool site_written;

/*
 * The work of the site's publish under way, kept across its slices: made
 * for one selection (the store's generation, rs, n), each slice takes its
 * share from where the last one stopped, so a slice costs the pages it
 * makes, not the archive (D12 in docs/reliability.md: 20,000 stamps per
 * 50 ms slice). A change to the store or the config starts it again; the
 * pages already written are then skipped by their stamps.
 */
enum stage {
	STAGE_RELEASES,		/* release pages, newest first */
	STAGE_LISTINGS,		/* archive/K.html */
	STAGE_FILES,		/* index, sitemaps, style.css, robots.txt */
	STAGE_SWEEP,		/* redirects, then removals */
};

static struct plan {
	bool on;
	const struct config *c;
	const struct pages *pages;
	struct release **rs;
	size_t n, nfeed;
	uint64_t gen;		/* store_generation() it was made for */
	enum stage stage;
	size_t next;		/* the stage's next page (0-based) */
	uint64_t print;		/* slugmap_mix() of each of rs */
	bool named;		/* redirects() done */
	int list;		/* its answer: list releases/? */
	bool list_listings, list_chunks;	/* list archive/, sitemaps/? */
	size_t count;		/* listing pages */
	struct sitemap_split split;	/* sitemaps/ chunks that live */
	int folder;		/* sweeping releases/, archive/, sitemaps/ */
	bool unswept;		/* a removal failed: sweep all next time */
	DIR *dir;		/* its folder, open while being swept */
	unsigned failed;	/* pages that could not be made, so far */
	bool feeds_out;		/* SITE_FEEDS was returned */
} plan;

static void
plan_end(void)
{
	if (plan.dir != NULL)
		closedir(plan.dir);
	memset(&plan, 0, sizeof(plan));
}

static void known_free(void);

void
site_forget(void)
{
	plan_end();
	known_free();
}

/* The plan for rs[0..n) of store generation gen: kept, or a new one. */
static void
plan_for(const struct config *c, struct release **rs, size_t n,
    size_t nfeed, uint64_t gen)
{
	if (plan.on && plan.c == c && plan.pages == c->pages &&
	    plan.rs == rs && plan.n == n && plan.nfeed == nfeed &&
	    plan.gen == gen)
		return;
	plan_end();
	plan.on = true;
	plan.c = c;
	plan.pages = c->pages;
	plan.rs = rs;
	plan.n = n;
	plan.nfeed = nfeed;
	plan.gen = gen;
	plan.count = pages_listing_count(c->pages, n);
	plan.split = sitemap_split(n, plan.count, c->pages_sitemap_max_urls);
}

/*
 * An episode of failing publishes (a full disk, a stylesheet that fails
 * on every page): its first failure is logged, then nothing until a
 * publish of the site goes through, as publish.c does for the feeds.
 */
static unsigned episode_fails;

/*
 * What one thread did: the pages it wrote, those it could not make, and
 * the first of those, logged once the threads are joined.
 */
struct tally {
	size_t written;
	size_t looked;		/* pages whose stamps were looked at */
	uint64_t print;		/* slugmap_mix() of the releases looked at */
	unsigned failed;
	char first[1200];
};

static void
note_failure(struct tally *t, const char *name, const char *why)
{
	if (t->failed++ == 0)
		snprintf(t->first, sizeof(t->first), "%s: %s", name, why);
}

/* Add t to the publish's counts; log its first failure. */
static void
tally_add(struct run *u, const struct tally *t)
{
	if (t->failed > 0 && u->first[0] == '\0')
		snprintf(u->first, sizeof(u->first), "%s/%s", u->c->output_dir,
		    t->first);
	u->res->pages_written += t->written;
	plan.print += t->print;
	u->looked += t->looked;
	u->res->pages_failed += t->failed;
}

/* Stage name with data (freed here). Returns put's 1/0/-1. */
static int
put(struct run *u, struct tally *t, const char *name, char *data,
    size_t len)
{
	int rc = output_batch_put(u->b, name, data, len), e = errno;

	free(data);
	if (rc < 0)
		note_failure(t, name, strerror(e));
	else if (rc == 1)
		t->written++;
	return rc;
}

/* ---- pages in parallel ------------------------------------------------- */

/*
 * The release pages and the listing pages are made by up to MAX_THREADS
 * threads: one compiled stylesheet serves concurrent transforms (each has
 * its own context), each page is one release's or one listing's, and the
 * batch takes files from several threads. Below MIN_PARALLEL pages (an
 * edit, an embargo) one thread does it all.
 */
#define MAX_THREADS	4
#define MIN_PARALLEL	32

struct work {
	struct run *u;
	struct release **rs;
	size_t n;		/* releases */
	size_t items;		/* release pages: n; listings: their count */
	double deadline;	/* monotonic ms; 0: none */
	size_t must;		/* items below it are made whatever the time */
	bool listings;
	atomic_size_t next;	/* the next item to take */
	atomic_bool stopped;	/* out of time with items left */
	size_t nfeed;
};

/*
 * Bodies kept past their page for the feeds after it (site_feeds_done()
 * frees them): only when the feeds need at most KEPT_RELEASES (so all of
 * them fit, a city newsroom's), and at most KEPT_BODIES bytes. A bigger
 * archive reads them again per document, as before: kept, a tenth of
 * 100,000 bodies would save little and cost the memory issue 13 counts.
 */
#define KEPT_RELEASES	12000u
#define KEPT_BODIES	(32u << 20)
static atomic_size_t kept_bytes;

/* Whether html may stay until the feeds of need releases are made. */
static bool
keep_body(const char *html, size_t need)
{
	size_t len = html != NULL ? strlen(html) + 1 : 0;

	if (len == 0 || need > KEPT_RELEASES)
		return false;
	if (atomic_fetch_add(&kept_bytes, len) + len <= KEPT_BODIES)
		return true;
	atomic_fetch_sub(&kept_bytes, len);
	return false;
}

static void note_made(const struct release *r, size_t n);

/* Release page i, if its stamp says it changed. */
static void
release_page(struct work *w, struct tally *t, size_t i)
{
	const struct pages *p = w->u->c->pages;
	struct release *r = w->rs[i];
	uint64_t stamp = pages_stamp(p, r), key;
	char name[512], why[600], *data;
	size_t len;

	if (r->page_stamp == stamp ||
	    pages_release_name(r, name, sizeof(name)) < 0)
		return;
	atomic_store(&w->u->rendered, true);
	note_made(r, w->n);
	if (pages_render_release(p, &w->u->c->feed, r, &data, &len, why,
	    sizeof(why)) < 0) {
		note_failure(t, name, why);
		return;
	}
	key = pages_hash(data, len);
	if (put(w->u, t, name, data, len) >= 0) {
		r->page_stamp = stamp;
		r->page_key = key;
	}
	/*
	 * Kept for the main feed, and for the sub-feeds and archives that
	 * render it next in this publish while the bodies kept fit
	 * KEPT_BODIES (read again per document, a cold build with every
	 * feed did its Markdown twice). The summary made with it stays for
	 * the listing that shows it, which drops it (~300 B a release until
	 * then; made again it was a seventh of a 10,000-page cold build).
	 */
	if (i >= w->nfeed && (i >= w->u->need ||
	    !keep_body(r->html, w->u->need))) {
		free(r->html);
		r->html = NULL;
	}
}

void
site_feeds_done(struct release **rs, size_t n, size_t all)
{
	for (size_t i = n; atomic_load(&kept_bytes) > 0 && i < all; i++) {
		free(rs[i]->html);	/* the summary stays, as above */
		rs[i]->html = NULL;
	}
	atomic_store(&kept_bytes, 0);
}

/* Listing page k (1-based), if its stamp says it changed. */
static void
listing_page(struct work *w, struct tally *t, size_t k)
{
	const struct pages *p = w->u->c->pages;
	/* The oldest release of page k keeps the page's stamp. */
	struct release *head = w->n > 0 ? w->rs[w->n - 1 - (k - 1) *
	    w->u->c->pages_set.per_page] : NULL;
	uint64_t stamp = pages_listing_stamp(p, w->rs, w->n, k);
	char name[64], why[600], *data;
	size_t len;

	if (head != NULL && head->listing_stamp == stamp)
		return;
	snprintf(name, sizeof(name), "archive/%zu.html", k);
	atomic_store(&w->u->rendered, true);
	if (pages_render_listing(p, &w->u->c->feed, w->rs, w->n, k, &data,
	    &len, why, sizeof(why)) < 0) {
		note_failure(t, name, why);
		return;
	}
	if (put(w->u, t, name, data, len) >= 0 && head != NULL)
		head->listing_stamp = stamp;
}

struct worker {
	pthread_t tid;
	struct work *w;
	struct tally t;
};

static void *
work_loop(void *arg)
{
	struct worker *me = arg;
	struct work *w = me->w;
	size_t i;

	while (!atomic_load(&w->stopped) &&
	    (i = atomic_load(&w->next)) < w->items) {
		/*
		 * Out of time once a page is made: each slice makes one. Looked
		 * at before an item is taken, so none taken is left undone
		 * for the next slice.
		 */
		if (i >= w->must && w->deadline > 0 &&
		    atomic_load(&w->u->rendered) &&
		    date_mono_ms() >= w->deadline) {
			atomic_store(&w->stopped, true);
			break;
		}
		if ((i = atomic_fetch_add(&w->next, 1)) >= w->items)
			break;
		me->t.looked++;
		if (!w->listings)
			me->t.print += slugmap_mix(w->rs[i]);
		if (w->listings)
			listing_page(w, &me->t, i + 1);
		else
			release_page(w, &me->t, i);
	}
	return NULL;
}

/*
 * Run w from plan.next on as many threads as it is worth; plan.next is
 * where it stopped. Returns 1 if out of time with items left, else 0.
 */
static int
work_run(struct work *w)
{
	struct worker ws[MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t left = w->items > plan.next ? w->items - plan.next : 0, done;
	size_t nt = left < MIN_PARALLEL || cpus < 2 ? 1 :
	    cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus, started = 1;

	memset(ws, 0, sizeof(ws));
	atomic_init(&w->next, plan.next);
	atomic_init(&w->stopped, false);
	for (size_t t = 0; t < nt; t++)
		ws[t].w = w;
	/* The calling thread is worker 0; a thread not made is no loss. */
	for (size_t t = 1; t < nt; t++, started++)
		if (pthread_create(&ws[t].tid, NULL, work_loop, &ws[t]) != 0)
			break;
	work_loop(&ws[0]);
	for (size_t t = 1; t < started; t++)
		pthread_join(ws[t].tid, NULL);
	for (size_t t = 0; t < started; t++)
		tally_add(w->u, &ws[t].t);
	done = atomic_load(&w->next);
	plan.next = done < w->items ? done : w->items;
	return plan.next < w->items ? 1 : 0;
}

/*
 * The pages of rs that need it, newest first, until u's deadline (one
 * item at least). Returns 1 when it stopped with pages left, else 0.
 */
static int
release_pages(struct run *u, struct release **rs, size_t n, size_t nfeed)
{
	struct work w = { .u = u, .rs = rs, .n = n, .items = n,
	    .nfeed = nfeed, .deadline = u->deadline };
	size_t idx = u->c->pages_set.index_entries;

	w.must = !u->eager ? 0 : nfeed > idx ? nfeed : idx;
	return work_run(&w);
}

/* The listing pages that need it; the same way. */
static int
listing_pages(struct run *u, struct release **rs, size_t n)
{
	struct work w = { .u = u, .rs = rs, .n = n, .listings = true,
	    .items = plan.count, .deadline = u->deadline,
	    .must = u->eager ? 1 : 0 };

	return work_run(&w);
}

/*
 * sitemap.xml: one <urlset>, or over [pages] sitemap_max_urls, the
 * chunks of plan.split (each written only if its bytes changed) before
 * the index that names them.
 */
static void
sitemaps(struct run *u, struct tally *t, struct release **rs, size_t n,
    size_t count)
{
	const struct config *c = u->c;
	size_t per = c->pages_set.per_page, max = c->pages_sitemap_max_urls;
	char name[64], *data;
	size_t len;

	for (int pages = 0; pages <= 1; pages++) {
		size_t chunks = pages ? plan.split.pages :
		    plan.split.releases;

		for (size_t k = 1; k <= chunks; k++) {
			sitemap_chunk_name(pages, k, name, sizeof(name));
			if (sitemap_render_chunk(&c->feed, rs, n, count, per,
			    max, pages, k, &data, &len) < 0)
				note_failure(t, name, "out of memory");
			else
				put(u, t, name, data, len);
		}
	}
	if ((plan.split.releases > 0 ? sitemap_render_index(&c->feed, rs, n,
	    count, per, max, &data, &len) : sitemap_render(&c->feed, rs, n,
	    count, per, &data, &len)) < 0)
		note_failure(t, "sitemap.xml", "out of memory");
	else
		put(u, t, "sitemap.xml", data, len);
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
	struct tally t = { 0 };

	if (pages_render_index(p, &c->feed, rs, n, &data, &len, why,
	    sizeof(why)) < 0)
		note_failure(&t, "index.html", why);
	else
		put(u, &t, "index.html", data, len);
	sitemaps(u, &t, rs, n, count);
	if (sitemap_news_render(&c->feed, rs, n, now, &data, &len) < 0)
		note_failure(&t, "sitemap-news.xml", "out of memory");
	else
		put(u, &t, "sitemap-news.xml", data, len);
	css = pages_css(p, &len);
	if ((data = malloc(len + 1)) == NULL) {
		note_failure(&t, "style.css", "out of memory");
	} else {
		memcpy(data, css, len + 1);
		put(u, &t, "style.css", data, len);
	}
	if (c->pages_robots) {
		if (sitemap_robots(&c->feed, &data, &len) < 0)
			note_failure(&t, "robots.txt", "out of memory");
		else
			put(u, &t, "robots.txt", data, len);
	}
	tally_add(u, &t);
}

/* Removals a slice makes before it looks at the time: progress. */
#define MIN_REMOVALS	64

/*
 * Remove the files in folder (under the output folder) whose names keep()
 * does not want: pages of releases gone, listing pages past the last,
 * sitemap chunks past the last. Only NAME.ext files are looked at. The
 * folder stays open in the plan across slices. Returns 1 when u's
 * deadline came with files left (after MIN_REMOVALS at least), else 0.
 */
static int
sweep(struct run *u, const char *folder, const char *ext,
    bool (*keep)(const char *name, void *arg), void *arg)
{
	size_t elen = strlen(ext);
	char dir[4096], rel[512];
	struct dirent *e;
	unsigned done = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", u->c->output_dir, folder);
	if (plan.dir == NULL) {
		if ((plan.dir = opendir(dir)) == NULL)
			return 0;	/* none yet */
		/* What tests count: listing releases/ costs the archive. */
		log_debug("site: listing %s/", folder);
	}
	while ((e = readdir(plan.dir)) != NULL) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len <= elen ||
		    strcmp(e->d_name + len - elen, ext) != 0 ||
		    keep(e->d_name, arg))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", folder, e->d_name);
		if ((rc = output_batch_remove(u->b, rel)) < 0) {
			struct tally t = { 0 };

			note_failure(&t, rel, strerror(errno));
			tally_add(u, &t);
			plan.unswept = true;
		} else if (rc == 1) {
			u->res->pages_removed++;
		}
		if (++done >= MIN_REMOVALS && u->deadline > 0 &&
		    date_mono_ms() >= u->deadline)
			return 1;
	}
	closedir(plan.dir);
	plan.dir = NULL;
	return 0;
}

/* ---- redirects of renamed releases -------------------------------------- */

/*
 * What the site's release pages were, for the next publish (and the next
 * start): SLUGS in the state folder (beside the release history: which
 * slug each id had), one line per page, "P" TAB slug TAB id, and per
 * redirect page, "R" TAB old slug TAB id. A release whose id had another
 * slug gets a redirect page at the old one, for as long as the release
 * lives; a redirect whose slug is a release's own again (renamed back) is
 * that release's page, so no redirect ever points at a redirect.
 *
 * The file is read once (at start, or after a reload) into memory
 * (known, below), and grows by lines for what changed: a later P line of
 * an id replaces its earlier ones, and a line without its line break (a
 * crash while appending) is not read. It is rewritten whole (atomically)
 * by the first sweep, when a redirect goes or moves, and when the lines
 * replaced outgrow the live ones.
 */
#define SLUGS	"pages-slugs"

/*
 * The sweep's memory across publishes, so that one publish costs what
 * changed, not the archive (issue 13): the ids and slugs of the last
 * sweep's releases (pages) and its redirects, the releases whose page
 * was made since (pending, filled by the page threads), and what SLUGS
 * holds. A sweep checks that the last sweep's releases plus pending are
 * rs (their count and slugmap_print() against the release stage's sum);
 * anything else (a release left the selection, a first sweep, memory
 * short) has it rebuilt from rs, as every sweep did before. Freed by
 * site_forget() (a reload, the exit).
 */
static struct known {
	bool loaded;		/* SLUGS read */
	bool full;		/* the next sweep rebuilds pages from rs */
	bool rewrite;		/* SLUGS must be rewritten whole */
	struct slugmap *pages;	/* id -> slug (and release) */
	struct slugmap *pending;	/* pages made since the last sweep */
	bool orphan;		/* one was made under a name its release */
				/* left before the sweep: list releases/ */
	xmlHashTablePtr redirects;	/* old slug -> id (strdup'd) */
	size_t file_bytes;	/* SLUGS's bytes, as far as known */
	size_t live_bytes;	/* of those, its lines still meant */
	bool swept;		/* the last sweep ended, none of it failed */
	size_t listings_hi;	/* archive/K.html written up to */
	size_t chunks_hi[2];	/* sitemap chunks written up to */
} known;

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;

/* Above this many pages made since the last sweep, rebuild instead. */
#define PENDING_MAX(n)	(4096 + (n) / 8)

static void
free_str(void *payload, const xmlChar *name)
{
	(void)name;
	free(payload);
}

static void
known_free(void)
{
	slugmap_free(known.pages);
	slugmap_free(known.pending);
	xmlHashFree(known.redirects, free_str);
	memset(&known, 0, sizeof(known));
}

/* r's page was made: the next sweep looks at it (a page thread). */
static void
note_made(const struct release *r, size_t n)
{
	const char *was;

	pthread_mutex_lock(&pending_lock);
	if (known.pending != NULL && (was = slugmap_get(known.pending, r->id,
	    NULL)) != NULL && strcmp(was, r->slug) != 0)
		known.orphan = true;
	if (known.loaded && !known.full && (known.pending == NULL ||
	    slugmap_set(known.pending, r->id, r->slug, r, true) < 0 ||
	    slugmap_count(known.pending) > PENDING_MAX(n)))
		known.full = true;
	pthread_mutex_unlock(&pending_lock);
}

/* A field fit for a line of SLUGS: no TAB, no line break. */
static bool
slug_field_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && strpbrk(s, "\t\r\n") == NULL;
}

/*
 * Whether a slug read from SLUGS is one a release can have (text_slug():
 * a-z, 0-9 and '-', from a file name of at most NAME_MAX bytes and its
 * hash): any other would name a redirect page outside releases/, in a
 * folder of its own, or none (a site failure at every publish).
 */
static bool
slug_read_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 300 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

/* The bytes of id's P line, 0 if it has none. */
static size_t
page_line_len(const char *id, const char *slug)
{
	return slug_field_ok(id) && slug_field_ok(slug) ? strlen(slug) +
	    strlen(id) + 4 : 0;
}

/*
 * Read SLUGS into known: page slug by id (the last line of an id wins),
 * redirects' ids by old slug. No file (a first start) is no line.
 * Returns 0, or -1 when out of memory.
 */
static int
slugs_load(const char *dir)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t got;
	FILE *f;

	known_free();
	known.pages = slugmap_new();
	known.pending = slugmap_new();
	known.redirects = xmlHashCreate(16);
	known.full = known.rewrite = known.loaded = true;
	if (known.pages == NULL || known.pending == NULL ||
	    known.redirects == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/" SLUGS, dir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while ((got = getline(&line, &cap, f)) > 0) {
		char *slug, *id, *v;

		/* Torn (a crash while appending): not a line. */
		if (line[got - 1] != '\n')
			break;
		line[got - 1] = '\0';
		if ((line[0] != 'P' && line[0] != 'R') || line[1] != '\t' ||
		    (id = strchr(line + 2, '\t')) == NULL)
			continue;
		*id++ = '\0';
		slug = line + 2;
		if (!slug_read_ok(slug))
			continue;
		if (line[0] == 'P') {
			if (slugmap_set(known.pages, id, slug, NULL, true) < 0)
				break;
		} else if ((v = strdup(id)) == NULL ||
		    xmlHashUpdateEntry(known.redirects, (const xmlChar *)slug,
		    v, free_str) < 0) {
			free(v);
			break;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

struct redirecting {
	struct run *u;
	const struct slugmap *now;	/* id -> slug and release of rs */
	xmlHashTablePtr made;	/* old slug -> its release */
};

/* old was id's slug: a redirect if id lives under another, free slug. */
static void
redirect_if_moved(struct redirecting *g, const char *old, const char *id)
{
	const void *r;
	const char *slug = slugmap_get(g->now, id, &r);

	if (slug == NULL || strcmp(slug, old) == 0 ||
	    slugmap_has_slug(g->now, old) ||
	    xmlHashLookup(g->made, (const xmlChar *)old) != NULL)
		return;
	xmlHashAddEntry(g->made, (const xmlChar *)old, (void *)r);
}

static void
scan_page(const char *id, const char *slug, const void *r, void *data)
{
	(void)r;
	redirect_if_moved(data, slug, id);
}

static void
scan_redirect(void *payload, void *data, const xmlChar *slug)
{
	redirect_if_moved(data, (const char *)slug, payload);
}

/* Write the redirect page of old. */
static void
write_redirect(void *payload, void *data, const xmlChar *old)
{
	struct redirecting *g = data;
	struct release *r = payload;
	struct tally t = { 0 };
	char name[512], *page;
	size_t len;

	snprintf(name, sizeof(name), "releases/%s.html", (const char *)old);
	if (pages_render_redirect(&g->u->c->feed, r, &page, &len) < 0)
		note_failure(&t, name, "out of memory");
	else
		put(g->u, &t, name, page, len);
	tally_add(g->u, &t);
}

/* What a sweep writes to SLUGS: the lines added, and what it learnt. */
struct slug_lines {
	FILE *f;		/* the lines to append */
	xmlHashTablePtr kept;	/* old slug -> id: the redirects until now */
	xmlHashTablePtr next;	/* the same for the next sweep */
	bool changed;		/* a redirect went or moved: rewrite */
	bool oom;
};

static void
save_page(const char *id, const char *slug, const void *r, void *data)
{
	(void)r;
	if (page_line_len(id, slug) > 0)
		fprintf(data, "P\t%s\t%s\n", slug, id);
}

/* A redirect made: kept for the next sweep; a line if it is new. */
static void
keep_redirect(void *payload, void *data, const xmlChar *old)
{
	struct slug_lines *l = data;
	const struct release *r = payload;
	const char *was = xmlHashLookup(l->kept, old);
	char *id = strdup(r->id);

	if (id == NULL || xmlHashAddEntry(l->next, old, id) < 0) {
		free(id);
		l->oom = true;
		return;
	}
	if (was != NULL && strcmp(was, r->id) == 0)
		return;
	if (was != NULL)
		l->changed = true;
	if (slug_field_ok(r->id)) {
		fprintf(l->f, "R\t%s\t%s\n", (const char *)old, r->id);
		known.live_bytes += strlen((const char *)old) + strlen(r->id) +
		    4;
	}
}

/* A redirect of the last sweep that is not made any more. */
static void
gone_redirect(void *payload, void *data, const xmlChar *old)
{
	struct slug_lines *l = data;

	(void)payload;
	if (xmlHashLookup(l->next, old) == NULL)
		l->changed = true;
}

static void
save_redirect(void *payload, void *data, const xmlChar *old)
{
	if (slug_field_ok(payload))
		fprintf(data, "R\t%s\t%s\n", (const char *)old,
		    (const char *)payload);
}

/* A failure to write SLUGS: one of the site's, logged once per episode. */
static void
slugs_failed(struct run *u)
{
	if (u->first[0] == '\0')
		snprintf(u->first, sizeof(u->first), "%.600s/%s: %s",
		    u->c->state_dir, SLUGS, strerror(errno));
	u->res->pages_failed++;
	known.rewrite = true;
}

/*
 * SLUGS rewritten whole. Replaced atomically, not fsync'd (a batch of
 * one, in the state folder): like a page, a hint the next publish
 * rewrites, and no wait on the disk in the loop. No state folder (it
 * could not be made): no redirects after a restart, nothing worse.
 */
static void
slugs_rewrite(struct run *u)
{
	struct output_batch *sb;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		slugs_failed(u);
		return;
	}
	slugmap_foreach(known.pages, save_page, f);
	xmlHashScan(known.redirects, save_redirect, f);
	if (fclose(f) != 0) {
		free(buf);
		slugs_failed(u);
		return;
	}
	known.live_bytes = known.file_bytes = len;
	known.rewrite = false;
	if ((sb = output_batch_new(u->c->state_dir)) == NULL ||
	    (output_batch_put(sb, SLUGS, buf, len) < 0 && errno != ENOENT))
		slugs_failed(u);
	output_batch_free(sb);
	free(buf);
	log_debug("site: %s rewritten whole (%zu bytes)", SLUGS, len);
}

/* The lines of what changed appended to SLUGS (one write). */
static void
slugs_append(struct run *u, const char *buf, size_t len)
{
	char path[4096];
	ssize_t w;
	int fd;

	snprintf(path, sizeof(path), "%s/" SLUGS, u->c->state_dir);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		/* Gone (removed under us): the lines are all, not these. */
		if (errno == ENOENT)
			slugs_rewrite(u);
		else
			slugs_failed(u);
		return;
	}
	w = write(fd, buf, len);
	if (w < 0 || (size_t)w != len) {
		if (w >= 0)
			errno = ENOSPC;
		slugs_failed(u);
	} else {
		known.file_bytes += len;
	}
	close(fd);
}

/* The pending pages' sum against the last sweep's: are they rs? */
struct checking {
	size_t count;
	uint64_t print;
};

static void
check_pending(const char *id, const char *slug, const void *r, void *data)
{
	struct checking *k = data;
	const void *was;

	(void)slug;
	if (slugmap_get(known.pages, id, &was) == NULL) {
		k->count++;
		k->print += slugmap_mix(r);
	} else {
		k->print += slugmap_mix(r) - slugmap_mix(was);
	}
}

/* What applying pending learns: the old slugs of the ids renamed. */
struct applying {
	FILE *f;		/* P lines for SLUGS */
	xmlHashTablePtr moved;	/* old slug -> id (strdup'd) */
	bool oom;
};

static void
apply_pending(const char *id, const char *slug, const void *r, void *data)
{
	struct applying *a = data;
	const char *was = slugmap_get(known.pages, id, NULL);
	char *v;

	if (was != NULL && strcmp(was, slug) != 0) {
		if ((v = strdup(id)) == NULL || xmlHashAddEntry(a->moved,
		    (const xmlChar *)was, v) < 0)
			free(v);
		if (v == NULL)
			a->oom = true;
		known.live_bytes -= page_line_len(id, was);
	}
	if (was == NULL || strcmp(was, slug) != 0) {
		if (page_line_len(id, slug) > 0)
			fprintf(a->f, "P\t%s\t%s\n", slug, id);
		known.live_bytes += page_line_len(id, slug);
	}
	if (slugmap_set(known.pages, id, slug, r, true) < 0)
		a->oom = true;
}

static void
scan_moved(void *payload, void *data, const xmlChar *old)
{
	redirect_if_moved(data, (const char *)old, payload);
}

/*
 * The last sweep's releases made rs by pending (no release left; made
 * has the redirects of ids renamed). Returns 1 if one was renamed, 0 if
 * none, -1 if that is not so or memory ran short (known.pages may be
 * part way: known.full is set).
 */
static int
slugs_step(size_t n, struct redirecting *g, FILE *f)
{
	struct checking k = { slugmap_count(known.pages),
	    slugmap_print(known.pages) };
	struct applying a = { f, xmlHashCreate(16), false };
	int renamed;

	slugmap_foreach(known.pending, check_pending, &k);
	if (k.count != n || k.print != plan.print || a.moved == NULL) {
		xmlHashFree(a.moved, free_str);
		return -1;
	}
	slugmap_foreach(known.pending, apply_pending, &a);
	renamed = xmlHashSize(a.moved) > 0;
	g->now = known.pages;
	/* As a rebuild scans the last sweep's pages: those renamed. */
	xmlHashScan(a.moved, scan_moved, g);
	xmlHashScan(known.redirects, scan_redirect, g);
	xmlHashFree(a.moved, free_str);
	if (a.oom) {
		known.full = true;
		return -1;
	}
	return renamed;
}

/*
 * known.pages rebuilt from rs; made has the redirects of every id whose
 * slug was another. Returns 1, or -1 when out of memory.
 */
static int
slugs_rebuild(struct release **rs, size_t n, struct redirecting *g)
{
	struct slugmap *now = slugmap_new();

	if (now == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (slugmap_set(now, rs[i]->id, rs[i]->slug, rs[i],
		    false) < 0) {
			slugmap_free(now);
			return -1;
		}
	g->now = now;
	slugmap_foreach(known.pages, scan_page, g);
	xmlHashScan(known.redirects, scan_redirect, g);
	slugmap_free(known.pages);
	known.pages = now;
	known.rewrite = true;
	return 1;
}

/*
 * The redirect pages of rs[0..n), known brought to rs, and SLUGS for the
 * next time. Returns 1 when releases/ must be listed (a release left or
 * was renamed: its page may be there), 0 if not, -1 when what lives is
 * not known (remove nothing).
 */
static int
redirects(struct run *u, struct release **rs, size_t n)
{
	struct redirecting g = { u, NULL, xmlHashCreate(16) };
	struct slug_lines l = { NULL, known.redirects, xmlHashCreate(16),
	    false, false };
	char *buf = NULL;
	size_t len = 0;
	int list = -1;

	if (!known.loaded && slugs_load(u->c->state_dir) < 0)
		known.loaded = false;
	if (!known.loaded || g.made == NULL || l.next == NULL ||
	    (l.f = open_memstream(&buf, &len)) == NULL)
		goto out;
	if (known.full || (list = slugs_step(n, &g, l.f)) < 0) {
		/* Made again from nothing: none of the lines so far. */
		xmlHashFree(g.made, NULL);
		if ((g.made = xmlHashCreate(16)) == NULL)
			goto out;
		list = slugs_rebuild(rs, n, &g);
	}
	if (list < 0)
		goto out;
	xmlHashScan(g.made, write_redirect, &g);
	xmlHashScan(g.made, keep_redirect, &l);
	xmlHashScan(known.redirects, gone_redirect, &l);
	if (l.oom) {
		list = -1;
		known.full = true;
		goto out;
	}
	xmlHashFree(known.redirects, free_str);
	known.redirects = l.next;
	l.next = NULL;
	known.full = false;
	slugmap_free(known.pending);
	known.pending = slugmap_new();
	if (known.orphan)
		list = 1;
	known.orphan = false;
	if (fflush(l.f) != 0) {
		known.rewrite = true;
		len = 0;
	}
	if (!u->save_state)
		goto out;
	if (l.changed || known.rewrite ||
	    known.file_bytes + len > 2 * known.live_bytes)
		slugs_rewrite(u);
	else if (len > 0)
		slugs_append(u, buf, len);
out:
	if (l.f != NULL)
		fclose(l.f);
	free(buf);
	xmlHashFree(l.next, free_str);
	xmlHashFree(g.made, NULL);
	if (list < 0)
		known.full = true;
	return list;
}

/* ---- sweeping ----------------------------------------------------------- */

static bool
keep_release(const char *name, void *arg)
{
	char slug[512];
	size_t len = strlen(name) - strlen(".html");

	(void)arg;
	if (len >= sizeof(slug))
		return true;	/* no page of ours has so long a name */
	memcpy(slug, name, len);
	slug[len] = '\0';
	return slugmap_has_slug(known.pages, slug) ||
	    xmlHashLookup(known.redirects, (const xmlChar *)slug) != NULL;
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

static bool
keep_chunk(const char *name, void *arg)
{
	return sitemap_chunk_keep(name, arg);
}

/*
 * An unsplit sitemap needs no sitemaps/: the folder goes once the sweep
 * emptied it (one holding files not ours stays).
 */
static void
sitemaps_folder_gone(struct run *u)
{
	char dir[4096];
	struct tally t = { 0 };

	snprintf(dir, sizeof(dir), "%s/sitemaps", u->c->output_dir);
	if (access(dir, F_OK) < 0)
		return;		/* the usual case: never split */
	/* The batch fsyncs the folders it touched: this one first. */
	if (output_batch_sync(u->b) < 0) {
		note_failure(&t, "sitemaps", strerror(errno));
	} else if (rmdir(dir) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		note_failure(&t, "sitemaps", strerror(errno));
	}
	tally_add(u, &t);
}

/*
 * The redirect pages (once per plan), then the sweep of releases/ (when a
 * release left or was renamed, or at the first sweep), archive/ and
 * sitemaps/ (when pages past the last may have been written: at the
 * first sweep, or after more listing pages or chunks than there are now);
 * all three when the last sweep did not end (out of time, then another
 * plan) or could not remove a file. Returns 1 if out of time, else 0.
 */
static int
sweep_all(struct run *u, struct release **rs, size_t n)
{
	if (!plan.named) {
		plan.named = true;
		if ((plan.list = redirects(u, rs, n)) < 0) {
			/* Not knowing what lives, remove nothing. */
			u->res->pages_failed++;
			return 0;
		}
		plan.list_listings = !known.swept ||
		    known.listings_hi > plan.count;
		plan.list_chunks = !known.swept ||
		    known.chunks_hi[0] > plan.split.releases ||
		    known.chunks_hi[1] > plan.split.pages;
		/*
		 * The last sweep did not end (out of time, then another
		 * plan) or a removal failed: what it was to remove still is.
		 */
		if (plan.list == 0 && !known.swept)
			plan.list = 1;
		known.swept = false;	/* until this one ends */
	}
	if (plan.list < 0)
		return 0;
	if (plan.folder == 0) {
		if (plan.list > 0 && sweep(u, "releases", ".html",
		    keep_release, NULL) > 0)
			return 1;
		plan.folder = 1;
	}
	if (plan.folder == 1) {
		if (plan.list_listings && sweep(u, "archive", ".html",
		    keep_listing, &plan.count) > 0)
			return 1;
		plan.folder = 2;
	}
	if (plan.list_chunks && sweep(u, "sitemaps", ".xml", keep_chunk,
	    &plan.split) > 0)
		return 1;
	if (plan.split.releases == 0)
		sitemaps_folder_gone(u);
	known.swept = !plan.unswept;
	known.listings_hi = plan.count;
	known.chunks_hi[0] = plan.split.releases;
	known.chunks_hi[1] = plan.split.pages;
	return 0;
}

/* The sitemap chunks of the plan are being written: swept after. */
static void
chunks_written(void)
{
	if (known.chunks_hi[0] < plan.split.releases)
		known.chunks_hi[0] = plan.split.releases;
	if (known.chunks_hi[1] < plan.split.pages)
		known.chunks_hi[1] = plan.split.pages;
}

/* The batch of this publish: the one under way if it writes to dir. */
static struct output_batch *
batch_for(const char *dir)
{
	if (open_batch != NULL &&
	    strcmp(output_batch_dir(open_batch), dir) != 0) {
		/* A reload moved the site: the old one is complete enough. */
		output_batch_sync(open_batch);
		output_batch_free(open_batch);
		open_batch = NULL;
	}
	if (open_batch == NULL)
		open_batch = output_batch_new(dir);
	return open_batch;
}

/* Out of time after a page was made in this slice: the rest next time. */
static bool
late(struct run *u)
{
	return !u->eager && atomic_load(&u->rendered) && u->deadline > 0 &&
	    date_mono_ms() >= u->deadline;
}

/*
 * Whether the feeds go once the release pages are in place, before the
 * listing pages, index, sitemaps and sweeps: the feeds link only release
 * pages and the home page (there since a whole site was written), so the
 * rest can follow them, after the HTTP snapshot has moved to the new
 * feeds (docs/pages.md, Performance). Not before a whole site was
 * written, nor with slice_ms 0 (--once), nor after a failure (then the
 * whole site comes first, as feeds_may_go() says).
 */
static bool
feeds_next(const struct run *u)
{
	return !u->eager && u->deadline > 0 && site_written &&
	    !plan.feeds_out && plan.failed == 0 && u->res->pages_failed == 0;
}

/*
 * One slice: the plan's stages from where the last slice left them: the
 * release pages, the listing pages, then (in a slice of its own when the
 * pages took the time) the index, sitemaps and sweeps. Returns 1 when
 * there is more to do.
 */
static int
site_slice(struct run *u, struct release **rs, size_t n, size_t nfeed,
    int64_t now)
{
	switch (plan.stage) {
	case STAGE_RELEASES:
		if (release_pages(u, rs, n, nfeed) > 0)
			return 1;
		plan.stage = STAGE_LISTINGS;
		plan.next = 0;
		if (known.listings_hi < plan.count)
			known.listings_hi = plan.count;
		/* The feeds first, the rest behind them (feeds_may_go()). */
		if (feeds_next(u))
			return 1;
		/* FALLTHROUGH */
	case STAGE_LISTINGS:
		if (listing_pages(u, rs, n) > 0)
			return 1;
		plan.stage = STAGE_FILES;
		/* A slice that made no page goes on whatever the time. */
		if (late(u))
			return 1;
		/* FALLTHROUGH */
	case STAGE_FILES:
		chunks_written();
		site_files(u, rs, n, now);
		plan.stage = STAGE_SWEEP;
		/* The sweep and the feeds in the next slice, if late. */
		if (!u->eager && u->deadline > 0 &&
		    date_mono_ms() >= u->deadline)
			return 1;
		/* FALLTHROUGH */
	case STAGE_SWEEP:
		break;
	}
	u->res->next_change = sitemap_news_next_change(rs, n, now);
	return sweep_all(u, rs, n);
}

/*
 * Whether the feeds may go before the rest of the site: a whole site was
 * written before (so index.html is there), the pages of rs[0..need) are,
 * none failed, and their renames are durable (the feeds are fsync'd: a
 * power cut must not leave one linking a page whose rename was lost).
 */
static bool
feeds_may_go(struct run *u, size_t need)
{
	if (plan.feeds_out || !site_written || plan.failed > 0 ||
	    (plan.stage == STAGE_RELEASES && plan.next < need))
		return false;
	if (output_batch_sync(u->b) < 0) {
		if (u->first[0] == '\0')
			snprintf(u->first, sizeof(u->first), "cannot sync the "
			    "pages in %s: %s", u->c->output_dir,
			    strerror(errno));
		u->res->pages_failed++;
		plan.failed++;
		return false;
	}
	return true;
}

enum site_step
site_publish(const struct config *c, struct release **rs, size_t n,
    size_t nfeed, size_t need, uint64_t gen, int64_t now, double slice_ms,
    bool save_state, struct publish_result *res, bool *feeds_out)
{
	struct run u = { c, batch_for(c->output_dir), res, slice_ms > 0 ?
	    date_mono_ms() + slice_ms : 0, false, !site_written, save_state,
	    0, "", need };
	enum site_step step;
	int more;

	atomic_init(&u.rendered, false);
	if (u.b == NULL) {
		log_errx("cannot publish the pages (out of memory)");
		res->pages_failed++;
		*feeds_out = false;
		return SITE_DONE;
	}
	plan_for(c, rs, n, nfeed, gen);
	more = site_slice(&u, rs, n, nfeed, now);
	plan.failed += res->pages_failed;
	*feeds_out = plan.feeds_out;
	step = more == 0 ? SITE_DONE : feeds_may_go(&u, need) ? SITE_FEEDS :
	    SITE_MORE;
	if (step == SITE_FEEDS)
		plan.feeds_out = true;
	if (more == 0) {
		/* The site is complete: make its renames durable, then the
		 * feeds that link to it follow. */
		if (output_batch_sync(u.b) < 0) {
			if (u.first[0] == '\0')
				snprintf(u.first, sizeof(u.first), "cannot "
				    "sync the pages in %s: %s", c->output_dir,
				    strerror(errno));
			res->pages_failed++;
		}
		output_batch_free(u.b);
		open_batch = NULL;
		site_written = true;
		plan_end();
	}
	if (res->pages_failed > 0 && episode_fails++ == 0)
		log_errx("%s (more failures of the site are not logged until "
		    "it is written again)", u.first[0] ? u.first : "site: a page "
		    "could not be made");
	else if (res->pages_failed == 0 && !more && episode_fails > 0) {
		log_info("%s: the site is written again, after %u failed "
		    "publishes", c->output_dir, episode_fails);
		episode_fails = 0;
	}
	/* "looked at": each page once per site publish, not per slice. */
	log_debug("site: %zu files written, %zu removed, %u failed, %zu pages "
	    "looked at%s", res->pages_written, res->pages_removed,
	    res->pages_failed, u.looked, step == SITE_FEEDS ? ", more to "
	    "come after the feeds" : more ? ", more to come" : "");
	return step;
}
