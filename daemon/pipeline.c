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
	bool rescan;			/* read the whole folder next */
	size_t removed;			/* releases gone with their folder */

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
	pathset_clear(p->dirty);
	pathset_clear(p->writing);
	p->rescan = true;
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
	if (err->line > 0)
		log_errx("%s/%s:%zu: %s", p->cfg->releases_dir, relpath,
		    err->line, err->msg);
	else
		log_errx("%s/%s: %s", p->cfg->releases_dir, relpath, err->msg);
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

static void
history_end(struct pipeline *p)
{
	bool owed = p->history_owed;

	if (p->st == NULL)
		return;
	if (p->history_unread || p->history_unsaved)
		state_rollback(p->st);
	p->history_owed = p->history_unread || p->history_unsaved ||
	    state_commit(p->st) < 0;
	if (p->history_owed && !owed)
		log_errx("the release history in %s/feedpubd.db could not be "
		    "%s; dates stay as published and it is saved at the next "
		    "change", p->cfg->state_dir, p->history_unread ? "read" :
		    "saved");
	else if (owed && !p->history_owed)
		log_info("the release history is saved again");
}

/* ---- reading ---------------------------------------------------------- */

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
	if (s != NULL && p->bad != NULL && p->clashed != NULL)
		rc = scan_folder(&p->cfg->feed, p->cfg->releases_dir, s,
		    p->store, report, p) < 0 ? -1 : 0;
	else
		errno = ENOMEM;
	if (rc < 0) {
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
	pathset_clear(p->dirty);	/* answered by the rescan */
	p->removed = 0;
	log_debug("full scan: %zu releases", store_count(s));
	return 0;
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

/*
 * Read the marked files (files still being written wait): removals first,
 * so their ids are free for the rest, then the others in byte order. When
 * releases left, the files that lost an id clash get another chance: the
 * rival may be the one gone. Returns 0, or -1 when out of memory (nothing
 * read: the caller rescans).
 */
static int
reread_marked(struct pipeline *p)
{
	size_t n, removed = p->removed;
	char **v = pathset_sorted(p->dirty, &n);

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!gone(p, v[i]))
			continue;
		pathset_remove(p->dirty, v[i]);
		pathset_remove(p->bad, v[i]);
		pathset_remove(p->clashed, v[i]);
		removed += store_remove(p->store, v[i]) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (pathset_remove(p->dirty, v[i]))
			reread(p, v[i], &removed);
	pathset_sorted_free(v, n);
	p->removed = 0;
	/* A copy: reread() changes the clashed set as it goes. */
	if (removed > 0 && pathset_count(p->clashed) > 0) {
		if ((v = pathset_sorted(p->clashed, &n)) == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			reread(p, v[i], &removed);
		pathset_sorted_free(v, n);
	}
	return 0;
}

int
pipeline_read(struct pipeline *p)
{
	bool whole;
	int rc = 0;

	history_begin(p);
	if (!p->rescan && reread_marked(p) < 0)
		p->rescan = true;
	if ((whole = p->rescan))
		rc = full_rescan(p);
	/* A new store, or one the history does not hold all of. */
	if (rc == 0 && (whole || p->history_owed))
		store_foreach(p->store, remember_one, p);
	history_end(p);
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
	int rc = publish_feeds(p->cfg, p->store, now, &pr);

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
	for (int k = 0; k < FEED_NKINDS; k++) {
		res->changed[k] = pr.changed[k];
		if (pr.changed[k])
			ping_published(p->ping, k, pr.rs, pr.entries);
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
	if (pipeline_read(p) < 0) {
		memset(res, 0, sizeof(*res));
		res->outcome = PIPE_UNREAD;
		res->next_embargo = p->next_embargo;
		return -1;
	}
	return pipeline_publish(p, now, res);
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
	if (p->store == NULL || p->dirty == NULL || p->writing == NULL ||
	    p->bad == NULL || p->clashed == NULL) {
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
	store_free(p->store);
	pathset_free(p->dirty);
	pathset_free(p->writing);
	pathset_free(p->bad);
	pathset_free(p->clashed);
	free(p);
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
	}
	snprintf(buf, len, "%zu releases, %zu in feeds, %lu publishes, last %s "
	    "(%.1f ms), %zu skipped%s%s", store_count(p->store), p->entries,
	    p->publishes, when, p->last_ms, pathset_count(p->bad), pings,
	    next);
}
