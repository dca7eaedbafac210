/*
 * pipeline: see pipeline.h. A run is: read (the marked files, or the whole
 * folder) -> history -> publish -> ping. Each step is one function below.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "feeds/date.h"
#include "feeds/scan.h"
#include "history.h"
#include "log.h"
#include "pathset.h"
#include "publish.h"

struct pipeline {
	const struct config *cfg;
	struct state *st;		/* NULL: no history */
	struct ping *ping;		/* NULL: no pings */
	struct store *store;

	/* The change set: a path is in at most one of dirty and writing. */
	struct pathset *dirty;		/* complete: read at the next run */
	struct pathset *writing;	/* open for writing: held back */
	struct pathset *bad;		/* skipped with an error */
	struct pathset *clashed;	/* of those, the id clash losers */
	struct pathset *reclaim;	/* losers in a full rescan that the */
					/* history says hold the id */
	bool scanning;			/* a full rescan reports */
	bool rescan;			/* read the whole folder next */
	size_t removed;			/* releases gone with their folder */

	/* The marked files being read, in slices (see pipeline_slice()). */
	struct batch {
		char **v;		/* the paths; NULL: no batch */
		size_t n, i;		/* how many, the next one */
		enum { B_GONE, B_READ, B_CLASHED } step;
		size_t removed;		/* ids freed so far */
	} batch;
	double slice_ms;		/* 0: no limit */

	/* The release history, per run (see history_begin()). */
	bool history_unread;		/* stop reading it in this run */
	bool history_unsaved;		/* stop writing it in this run */
	bool history_owed;		/* the database lacks part of the store */

	/* For the status line. */
	unsigned long publishes;
	size_t entries;			/* in the last publish */
	double last_ms;
	time_t last_at;
	int64_t next_embargo;
};

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A mark that cannot be kept is an event lost: read everything. */
static void
lost(struct pipeline *p)
{
	log_errx("out of memory: reading all of %s at the next change",
	    p->cfg->releases_dir);
	p->rescan = true;
}

/* ---- the change set --------------------------------------------------- */

/* The batch under way, if any, is over: a rescan answers it. */
static void
batch_free(struct pipeline *p)
{
	pathset_sorted_free(p->batch.v, p->batch.n);
	memset(&p->batch, 0, sizeof(p->batch));
}


void
pipeline_mark(struct pipeline *p, const char *relpath, enum pipe_mark m)
{
	int rc = 0;

	switch (m) {
	case PIPE_WRITING:
		pathset_remove(p->dirty, relpath);
		rc = pathset_add(p->writing, relpath);
		break;
	case PIPE_TOUCHED:
		if (pathset_has(p->writing, relpath))
			return;		/* its close will follow */
		/* FALLTHROUGH */
	case PIPE_DIRTY:
		pathset_remove(p->writing, relpath);
		rc = pathset_add(p->dirty, relpath);
		break;
	}
	if (rc < 0)
		lost(p);
}

static void
mark_touched(void *ud, const char *relpath)
{
	pipeline_mark(ud, relpath, PIPE_TOUCHED);
}

void
pipeline_mark_folder(struct pipeline *p, const char *relpath)
{
	/* Read at the run, like any file: late writes hold it back. */
	scan_paths(p->cfg->releases_dir, relpath, mark_touched, p);
}

void
pipeline_folder_gone(struct pipeline *p, const char *relpath)
{
	p->removed += store_remove_under(p->store, relpath);
}

void
pipeline_rescan(struct pipeline *p)
{
	batch_free(p);
	pathset_clear(p->dirty);
	pathset_clear(p->writing);
	p->rescan = true;
}

/* Whether the history says the file at relpath holds an id. */
static bool
holds(struct pipeline *p, const char *relpath)
{
	char *id = p->st != NULL ? state_release_held(p->st, relpath) : NULL;

	free(id);
	return id != NULL;
}

/*
 * Told by the scanner about every file it skipped: the one place a
 * release's problem is logged.
 */
static void
report(void *ud, const char *relpath, const struct release_error *err)
{
	struct pipeline *p = ud;

	/* Half a file: not an error yet, its close brings the whole. */
	if (pathset_has(p->writing, relpath))
		return;
	if (err->clash && p->scanning && holds(p, relpath)) {
		if (pathset_add(p->reclaim, relpath) < 0)
			lost(p);
		return;		/* told after reclaim(), if it still loses */
	}
	if (err->line > 0)
		log_errx("%s/%s:%zu: %s", log_esc(p->cfg->releases_dir),
		    log_esc(relpath), err->line, log_esc(err->msg));
	else
		log_errx("%s/%s: %s", log_esc(p->cfg->releases_dir),
		    log_esc(relpath), log_esc(err->msg));
	if (pathset_add(p->bad, relpath) < 0 || (err->clash &&
	    pathset_add(p->clashed, relpath) < 0))
		lost(p);
}

/* ---- the release history ---------------------------------------------- */

/*
 * One transaction per run. The first failure to read the history stops
 * its use for the rest of the run, the first failure to write it stops
 * the writes (a locked database would make each wait): the releases then
 * keep the dates they had in the store, which came from the history, and
 * the next run applies the history to the whole store again.
 */
static void
history_begin(struct pipeline *p)
{
	p->history_unread = p->history_unsaved = false;
	if (p->st != NULL && state_begin(p->st) < 0)
		p->history_unsaved = true;
}

static void
remember(struct pipeline *p, struct release *r)
{
	if (p->st == NULL || p->history_unread)
		return;
	switch (history_apply(p->st, r, !p->history_unsaved)) {
	case HISTORY_OK:
		break;
	case HISTORY_UNSAVED:
		p->history_unsaved = true;
		break;
	case HISTORY_UNREAD:
		p->history_unread = true;
		break;
	}
	store_touch(p->store);
}

static void
remember_one(struct release *r, void *ud)
{
	remember(ud, r);
}

/*
 * whole: the transaction applied the history to the whole store, so what
 * an earlier one failed to save is saved now (unless this one failed).
 */
static void
history_end(struct pipeline *p, bool whole)
{
	bool owed = p->history_owed, failed;

	if (p->st == NULL)
		return;
	if (p->history_unread || p->history_unsaved)
		state_rollback(p->st);
	failed = p->history_unread || p->history_unsaved ||
	    state_commit(p->st) < 0;
	p->history_owed = failed || (owed && !whole);
	if (failed && !owed)
		log_errx("the release history in %s/feedpubd.db could not be "
		    "%s; dates stay as published and it is saved at the next "
		    "change", p->cfg->state_dir, p->history_unread ? "read" :
		    "saved");
	else if (owed && !p->history_owed)
		log_info("the release history is saved again");
}

/* ---- reading ---------------------------------------------------------- */

static void reclaim(struct pipeline *p);

static bool
gone(const struct pipeline *p, const char *relpath)
{
	char full[8192];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", p->cfg->releases_dir, relpath);
	return lstat(full, &st) < 0;
}

/*
 * A full rescan read files that are still open for writing: put back the
 * version published before (if there was one), and keep the mark.
 * keep_writing() runs before the swap, so p->store is still the old one.
 */
static void
keep_writing(struct pipeline *p, struct store *s)
{
	size_t n;
	char **v = pathset_sorted(p->writing, &n);

	for (size_t i = 0; v != NULL && i < n; i++) {
		struct release *r = store_take(p->store, v[i]);

		if (r == NULL)
			continue;
		/* Failing that, neither version: what was read is partial. */
		switch (store_put(s, r, NULL)) {
		case STORE_PUT_OK:
			break;
		case STORE_PUT_CLASH:	/* another file took the id since */
			store_remove(s, v[i]);
			break;
		case STORE_PUT_NOMEM:
			store_remove(s, v[i]);
			lost(p);
			break;
		}
	}
	pathset_sorted_free(v, n);
}

/*
 * Read the whole folder into a new store, beside the old one, and swap
 * only when every folder could be read: a half-read tree must not publish
 * as releases removed. Returns 0, or -1 with the old store kept.
 */
static int
full_rescan(struct pipeline *p)
{
	struct store *s = store_new();
	struct pathset *bad = p->bad, *clashed = p->clashed;
	int rc = -1;

	p->rescan = false;	/* a report may ask again */
	p->bad = pathset_new();
	p->clashed = pathset_new();
	p->scanning = true;
	if (s != NULL && p->bad != NULL && p->clashed != NULL)
		rc = scan_folder(&p->cfg->feed, p->cfg->releases_dir, s,
		    p->store, report, p) < 0 ? -1 : 0;
	else
		errno = ENOMEM;
	p->scanning = false;
	if (rc < 0) {
		pathset_clear(p->reclaim);
		log_err("cannot read all of %s; the feeds stay as they are",
		    p->cfg->releases_dir);
		store_free(s);
		pathset_free(p->bad);
		pathset_free(p->clashed);
		p->bad = bad;
		p->clashed = clashed;
		p->rescan = true;
		return -1;
	}
	pathset_free(bad);
	pathset_free(clashed);
	keep_writing(p, s);
	store_free(p->store);
	p->store = s;
	reclaim(p);
	pathset_clear(p->dirty);	/* answered by the rescan */
	p->removed = 0;
	log_debug("full scan: %zu releases", store_count(s));
	return 0;
}

static void reread(struct pipeline *p, const char *relpath, size_t *removed);

/*
 * A full rescan reads files in byte order, so of two with one id (Å in
 * NFC and in NFD) the first path would win at every cold start, whoever
 * held the id before. The history knows: its holder takes the id back
 * and the other file is the one told it clashes.
 */
static void
reclaim(struct pipeline *p)
{
	size_t n, removed = 0;
	char **v = pathset_sorted(p->reclaim, &n);

	pathset_clear(p->reclaim);
	for (size_t i = 0; v != NULL && i < n; i++) {
		char *id = state_release_held(p->st, v[i]), *other = NULL;
		struct release *r = id ? store_get_id(p->store, id) : NULL;

		if (r != NULL && strcmp(r->path, v[i]) != 0 &&
		    (other = strdup(r->path)) != NULL)
			store_remove(p->store, other);
		reread(p, v[i], &removed);
		if (other != NULL)
			reread(p, other, &removed);
		free(other);
		free(id);
	}
	if (v == NULL && n > 0)
		lost(p);
	pathset_sorted_free(v, n);
}

/* Read one complete file again; counts a release that left into *removed. */
static void
reread(struct pipeline *p, const char *relpath, size_t *removed)
{
	struct release *r = store_get(p->store, relpath);
	char *was = r != NULL ? strdup(r->id) : NULL;

	if (pathset_has(p->writing, relpath)) {
		free(was);
		return;
	}
	pathset_remove(p->clashed, relpath);
	if (scan_file(&p->cfg->feed, p->cfg->releases_dir, relpath, p->store,
	    report, p) >= 0)
		pathset_remove(p->bad, relpath);
	if ((r = store_get(p->store, relpath)) != NULL)
		remember(p, r);
	/* Its old id is free now if it left or took another one. */
	if (was != NULL && (r == NULL || strcmp(r->id, was) != 0))
		(*removed)++;
	free(was);
}

/* The marked files, in byte order. Returns 0, or -1 when out of memory. */
static int
batch_start(struct pipeline *p)
{
	struct batch *b = &p->batch;

	if ((b->v = pathset_sorted(p->dirty, &b->n)) == NULL)
		return -1;
	b->i = 0;
	b->step = B_GONE;
	b->removed = p->removed;
	p->removed = 0;
	return 0;
}

/*
 * Next step of the batch. Returns 1 when there is one, 0 when the batch
 * is done, -1 when out of memory.
 */
static int
batch_next(struct pipeline *p)
{
	struct batch *b = &p->batch;

	pathset_sorted_free(b->v, b->n);
	b->v = NULL;
	b->n = b->i = 0;
	if (b->step == B_GONE) {
		b->step = B_READ;
		b->v = pathset_sorted(p->dirty, &b->n);
	} else if (b->step == B_READ && b->removed + p->removed > 0 &&
	    pathset_count(p->clashed) > 0) {
		/* A copy: reread() changes the clashed set as it goes. */
		b->step = B_CLASHED;
		b->v = pathset_sorted(p->clashed, &b->n);
	} else {
		return 0;
	}
	return b->v == NULL ? -1 : 1;
}

static void
batch_one(struct pipeline *p, const char *path)
{
	struct batch *b = &p->batch;

	switch (b->step) {
	case B_GONE:
		if (!gone(p, path))
			return;
		pathset_remove(p->dirty, path);
		pathset_remove(p->bad, path);
		pathset_remove(p->clashed, path);
		b->removed += store_remove(p->store, path) == 0;
		return;
	case B_READ:
		if (pathset_remove(p->dirty, path))
			reread(p, path, &b->removed);
		return;
	case B_CLASHED:
		reread(p, path, &b->removed);
		return;
	}
}

/*
 * Read the marked files (files still being written wait): removals first,
 * so their ids are free for the rest, then the others in byte order. When
 * releases left, the files that lost an id clash get another chance: the
 * rival may be the one gone. With a slice limit, stop once it is spent
 * (after t0, a mono_ms() time): marks made meanwhile wait for the next
 * batch. Returns 1 when the batch goes on, 0 when it is done, -1 when out
 * of memory (the batch is dropped: the caller rescans).
 */
static int
read_marked(struct pipeline *p, double t0)
{
	struct batch *b = &p->batch;
	int rc = 1;

	if (b->v == NULL && batch_start(p) < 0)
		return -1;
	while (rc == 1) {
		while (b->i < b->n) {
			if (p->slice_ms > 0 && mono_ms() - t0 >= p->slice_ms)
				return 1;
			batch_one(p, b->v[b->i++]);
		}
		rc = batch_next(p);
	}
	batch_free(p);
	return rc;
}

/* 0 when read, 1 when a slice of a batch was, -1 when the folder was not. */
static int
read_some(struct pipeline *p)
{
	bool whole = false;
	int rc = 0;

	history_begin(p);
	if (!p->rescan && (rc = read_marked(p, mono_ms())) < 0)
		p->rescan = true;
	if (p->rescan) {
		batch_free(p);
		whole = (rc = full_rescan(p)) == 0;
	}
	/* A new store, or one the history does not hold all of. */
	whole = whole || (rc == 0 && p->history_owed);
	if (whole)
		store_foreach(p->store, remember_one, p);
	history_end(p, whole);
	return rc;
}

int
pipeline_read(struct pipeline *p)
{
	int rc;

	while ((rc = read_some(p)) == 1)
		;
	return rc;
}

/* ---- publishing ------------------------------------------------------- */

static const char *
outcome_word(const struct publish_result *res, int k)
{
	return res->failed_k[k] ? "failed" : res->changed[k] ? "written" :
	    "unchanged";
}

int
pipeline_publish(struct pipeline *p, int64_t now, struct pipe_result *res)
{
	struct publish_result pr;
	double t0 = mono_ms();
	int rc = publish_feeds(p->cfg, p->store, now, p->slice_ms, &pr);

	if (pr.site_more) {
		/* The site is written in slices too; the feeds at the last. */
		memset(res, 0, sizeof(*res));
		res->outcome = PIPE_MORE;
		res->next_embargo = p->next_embargo;
		return 1;
	}
	p->last_ms = mono_ms() - t0;
	p->last_at = (time_t)now;
	p->publishes++;
	log_debug("publish #%lu: %zu entries, %s %s, %s %s, %.1f ms "
	    "(render %.1f ms)", p->publishes, pr.entries,
	    feed_file_name(FEED_ATOM), outcome_word(&pr, FEED_ATOM),
	    feed_file_name(FEED_RSS), outcome_word(&pr, FEED_RSS),
	    p->last_ms, pr.render_ms);
	memset(res, 0, sizeof(*res));
	res->outcome = rc < 0 ? PIPE_UNWRITTEN : PIPE_PUBLISHED;
	res->entries = p->entries = pr.entries;
	res->site_changed = pr.pages_written + pr.pages_removed > 0;
	for (int k = 0; k < FEED_NKINDS; k++) {
		res->changed[k] = pr.changed[k];
		if (!pr.failed_k[k])
			ping_published(p->ping, k, pr.rs, pr.entries,
			    pr.changed[k]);
	}
	res->next_embargo = p->next_embargo =
	    store_next_embargo(p->store, now);
	/* The news sitemap drops a release by itself: a timer, like one. */
	if (pr.next_change < res->next_embargo)
		res->next_embargo = pr.next_change;
	return rc < 0 ? -1 : 0;
}

int
pipeline_run(struct pipeline *p, int64_t now, struct pipe_result *res)
{
	int rc = read_some(p);

	if (rc != 0) {
		memset(res, 0, sizeof(*res));
		res->outcome = rc > 0 ? PIPE_MORE : PIPE_UNREAD;
		res->next_embargo = p->next_embargo;
		return rc;
	}
	rc = pipeline_publish(p, now, res);
	/* Marks made while a batch was read in slices: another run. */
	res->again = pathset_count(p->dirty) > 0;
	return rc;
}

void
pipeline_slice(struct pipeline *p, double ms)
{
	p->slice_ms = ms;
}

/* ---- the rest --------------------------------------------------------- */

struct pipeline *
pipeline_new(const struct config *c, struct state *st, struct ping *ping)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->cfg = c;
	p->st = st;
	p->ping = ping;
	p->rescan = true;
	p->next_embargo = INT64_MAX;
	p->store = store_new();
	p->dirty = pathset_new();
	p->writing = pathset_new();
	p->bad = pathset_new();
	p->clashed = pathset_new();
	p->reclaim = pathset_new();
	if (p->store == NULL || p->dirty == NULL || p->writing == NULL ||
	    p->bad == NULL || p->clashed == NULL || p->reclaim == NULL) {
		pipeline_free(p);
		return NULL;
	}
	return p;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	batch_free(p);
	store_free(p->store);
	pathset_free(p->dirty);
	pathset_free(p->writing);
	pathset_free(p->bad);
	pathset_free(p->clashed);
	pathset_free(p->reclaim);
	free(p);
}

void
pipeline_attach(struct pipeline *p, struct state *st, struct ping *ping)
{
	p->st = st;
	p->ping = ping;
	p->history_owed = st != NULL;
}

void
pipeline_configure(struct pipeline *p, const struct config *c)
{
	p->cfg = c;
}

size_t
pipeline_releases(const struct pipeline *p)
{
	return store_count(p->store);
}

size_t
pipeline_entries(const struct pipeline *p)
{
	return p->entries;
}

size_t
pipeline_skipped(const struct pipeline *p)
{
	return pathset_count(p->bad);
}

struct release *
pipeline_release(struct pipeline *p, const char *relpath)
{
	return store_get(p->store, relpath);
}

void
pipeline_status(const struct pipeline *p, char *buf, size_t len)
{
	char when[16] = "never", next[DATE_BUFSZ + 16] = "", pings[64] = "";
	size_t pending = 0, failed = 0;
	struct tm tm;

	if (p->last_at != 0 && localtime_r(&p->last_at, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (p->next_embargo != INT64_MAX) {
		struct fp_time ft = date_from_epoch(p->next_embargo);
		char date[DATE_BUFSZ];

		snprintf(next, sizeof(next), ", next embargo %s",
		    date_rfc3339(&ft, date));
	}
	if (p->ping != NULL && p->cfg->npings > 0) {
		ping_counts(p->ping, &pending, &failed);
		snprintf(pings, sizeof(pings), ", pings %zu pending %zu failed",
		    pending, failed);
	} else if (p->cfg->npings > 0 && p->st == NULL) {
		snprintf(pings, sizeof(pings), ", pings paused (no state "
		    "database)");
	}
	snprintf(buf, len, "%zu releases, %zu in feeds, %lu publishes, last %s "
	    "(%.1f ms), %zu skipped%s%s", store_count(p->store), p->entries,
	    p->publishes, when, p->last_ms, pathset_count(p->bad), pings,
	    next);
}
