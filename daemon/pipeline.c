/*
 * pipeline: see pipeline.h. A run is: read (the marked files, or the whole
 * folder) -> history -> publish -> ping. Each step is one function below.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/hash.h>

#include "feeds/date.h"
#include "feeds/gitdates.h"
#include "feeds/release.h"
#include "feeds/scan.h"
#include "dirwalk.h"
#include "history.h"
#include "log.h"
#include "pathset.h"
#include "relcache.h"
#include "publish.h"
#include "site.h"

/* An entry of a feed, or an embargoed release, as a publish saw it. */
struct shown {
	char *id;
	char *title;
	int64_t updated;
	int64_t date;
	bool embargo;		/* not live yet: goes live at date */
};

struct pipeline {
	const struct config *cfg;
	struct feed_meta meta;		/* cfg's, with git: what scans use */
	struct gitdates *git;		/* date_source = git; NULL: file */
	char *git_root;			/* the folder git was opened for */
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
	struct pathset *tokeep;		/* of those, told only once we know */
					/* whether the published version */
					/* stays (settle_bad()) */
	xmlHashTablePtr errors;		/* path -> its struct release_error */
	struct store *held;		/* reread(): the old version, apart */
	bool notes;			/* log the releases' notes (--check) */
	bool once;			/* --once: nothing of the daemon's */
					/* own (status, empty time) is saved */
	int64_t once_empty;		/* --once: the empty feed's time */
	int64_t empty_at;		/* when the feed became empty, as */
					/* this process saw it; 0: not empty */
	bool scanning;			/* a full rescan reports */
	bool rescan;			/* read the whole folder next */
	size_t removed;			/* releases gone with their folder */

	/* The marked files being read, in slices (see pipeline_slice()). */
	struct batch {
		char **v;		/* the paths (owned; NULL once done */
					/* with); NULL: no batch */
		size_t n, i;		/* how many, the next one */
		enum { B_SORT, B_GONE, B_READ, B_CLASHED } step;
		struct pathsort sort;	/* B_SORT: v being sorted */
		size_t removed;		/* ids freed so far */
	} batch;
	double slice_ms;		/* 0: no limit */
	struct dirwalk *walk;		/* folders that appeared, listed */
					/* in slices before any batch */
	struct relcache cache;		/* the release cache, open for */
	const struct scan_cache *cache_sc;	/* one run's rereads */
	bool cache_open;
	bool unwritten;			/* the last publish's feeds failed */

	/* The release history, per run (see history_begin()). */
	bool history_unread;		/* stop reading it in this run */
	bool history_unsaved;		/* stop writing it in this run */
	bool history_owed;		/* the database lacks part of the store */

	/* What the last publish showed, by id (for its info line). */
	struct shown *shown;
	size_t nshown;
	bool shown_known;		/* false until the first publish */

	/* For the status line. */
	unsigned long publishes;
	size_t entries;			/* in the last publish */
	double last_ms;
	time_t last_at;
	int64_t next_embargo;
};

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
	struct batch *b = &p->batch;

	if (b->step == B_SORT && b->v != NULL) {
		pathset_sorted_free(b->sort.v, b->n);
		pathsort_finish(&b->sort);
	} else {
		pathset_sorted_free(b->v, b->n);
	}
	memset(b, 0, sizeof(*b));
}


/* A medium that changed: the releases that use it. */
struct media_owner {
	struct pipeline *p;
	const char *relpath;
	bool lost;
};

static void
mark_owner(struct release *r, void *ud)
{
	struct media_owner *o = ud;
	const struct media *md;

	for (size_t i = 0; (md = release_medium(r, i)) != NULL; i++)
		if (md->path != NULL && strcmp(md->path, o->relpath) == 0) {
			if (pathset_add(o->p->dirty, r->path) < 0)
				o->lost = true;
			return;
		}
}

/*
 * A file that is not a release may be one's image or attachment: read
 * those releases again, so the size in the feeds follows and the copy is
 * made (media.h).
 */
static void
mark_media_owners(struct pipeline *p, const char *relpath)
{
	const char *base = strrchr(relpath, '/');
	struct media_owner o = { p, relpath, false };

	if (release_format_of(base ? base + 1 : relpath) >= 0)
		return;
	store_foreach(p->store, mark_owner, &o);
	if (o.lost)
		lost(p);
}

void
pipeline_mark(struct pipeline *p, const char *relpath, enum pipe_mark m)
{
	int rc = 0;

	if (m != PIPE_WRITING)
		mark_media_owners(p, relpath);

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

/*
 * Its files are marked as the runs list it (list_folders()): 100,000 of
 * them in one step held the loop. Read at the run, like any file: late
 * writes hold it back.
 */
void
pipeline_mark_folder(struct pipeline *p, const char *relpath)
{
	if (dirwalk_add(p->walk, relpath) < 0)
		lost(p);
}

void
pipeline_folder_gone(struct pipeline *p, const char *relpath)
{
	dirwalk_drop(p->walk, relpath);
	p->removed += store_remove_under(p->store, relpath);
}

void
pipeline_rescan(struct pipeline *p)
{
	batch_free(p);
	dirwalk_clear(p->walk);
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

static void
free_error(void *payload, const xmlChar *name)
{
	(void)name;
	free(payload);
}

/* Remember why relpath was skipped (for settle_bad() and --status). */
static void
stash_error(struct pipeline *p, const char *relpath,
    const struct release_error *err)
{
	struct release_error *e = malloc(sizeof(*e));

	if (e == NULL || xmlHashUpdateEntry(p->errors,
	    (const xmlChar *)relpath, e, free_error) < 0) {
		free(e);
		return;		/* only --status and the wording suffer */
	}
	*e = *err;
}

static void
forget_error(struct pipeline *p, const char *relpath)
{
	xmlHashRemoveEntry(p->errors, (const xmlChar *)relpath, free_error);
}

/* "FILE:LINE: msg" or "FILE: msg", escaped, and a suffix. */
static void
log_problem(struct pipeline *p, const char *relpath,
    const struct release_error *err, const char *suffix)
{
	if (err->line > 0)
		log_errx("%s/%s:%zu: %s%s", log_esc(p->cfg->releases_dir),
		    log_esc(relpath), err->line, log_esc(err->msg), suffix);
	else
		log_errx("%s/%s: %s%s", log_esc(p->cfg->releases_dir),
		    log_esc(relpath), log_esc(err->msg), suffix);
}

/*
 * Told by the scanner about every file it skipped: the one place a
 * release's problem is logged, here or, for a file that may hold a
 * published release, by settle_bad() once the reading is done.
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
	stash_error(p, relpath, err);
	if (!err->clash && !err->transient) {
		if (pathset_add(p->tokeep, relpath) < 0)
			lost(p);
		return;
	}
	log_problem(p, relpath, err, "");
	if (pathset_add(p->bad, relpath) < 0 || (err->clash &&
	    pathset_add(p->clashed, relpath) < 0))
		lost(p);
}

/* A release's warnings (always) and notes (--check only), escaped. */
static void
tell_diags(struct pipeline *p, const struct release *r)
{
	size_t told = 0, warnings = 0;

	for (size_t i = 0; i < r->ndiags; i++)
		warnings += r->diags[i].level == RELEASE_WARNING;
	for (size_t i = 0; i < r->ndiags; i++) {
		const struct release_diag *d = &r->diags[i];
		char where[32] = "", more[80] = "";

		if (d->level == RELEASE_NOTE && !p->notes)
			continue;
		/* Outside --check, one line per file: a file full of */
		/* near misses must not flood the log. */
		if (d->level == RELEASE_WARNING && !p->notes && told++ > 0)
			continue;
		if (d->line > 0)
			snprintf(where, sizeof(where), ":%zu", d->line);
		if (d->level == RELEASE_WARNING && !p->notes && warnings > 1)
			snprintf(more, sizeof(more), " (and %zu more warnings: "
			    "feedpubd --check lists them)", warnings - 1);
		if (d->level == RELEASE_WARNING)
			log_warnx("%s/%s%s: %s: %s%s",
			    log_esc(p->cfg->releases_dir), log_esc(r->path),
			    where, release_diag_name(d->level),
			    log_esc(d->msg), more);
		else
			log_info("%s/%s%s: %s: %s",
			    log_esc(p->cfg->releases_dir), log_esc(r->path),
			    where, release_diag_name(d->level),
			    log_esc(d->msg));
	}
}

static void
tell_diags_one(struct release *r, void *ud)
{
	tell_diags(ud, r);
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

/*
 * Apply the history to r (see history_begin()). scanned: st's row for r's
 * id is was, read already (NULL: none); else it is looked up.
 */
static void
remember_from(struct pipeline *p, struct release *r, bool scanned,
    const struct seen_release *was)
{
	int64_t date = r->date.sec;
	bool save = !p->history_unsaved;

	if (p->st == NULL || p->history_unread)
		return;
	switch (scanned ? history_apply_seen(p->st, r, &p->meta, save, was) :
	    history_apply(p->st, r, &p->meta, save)) {
	case HISTORY_OK:
		break;
	case HISTORY_UNSAVED:
		p->history_unsaved = true;
		break;
	case HISTORY_UNREAD:
		p->history_unread = true;
		break;
	}
	store_redated(p->store, r, date);
}

static void
remember(struct pipeline *p, struct release *r)
{
	remember_from(p, r, false, NULL);
}

static void
remember_one(struct release *r, void *ud)
{
	remember(ud, r);
}

/*
 * A whole-store walk of the history: each row's release is looked up in
 * the store's table (by id or by path, O(1)), not found in a copy of the
 * store sorted by that key (two sorts of N keys were an eighth of a
 * restart, and grew as N log N). Those the walk found are kept, so that
 * the rest (no row in the history: new files) can be done after it, in
 * key order, as a merged walk did them.
 */
struct hist_walk {
	struct pipeline *p;
	struct release **found;		/* room for the whole store */
	size_t n, total;
	bool by_path;
};

/* w ready for a walk of p's store, or -1 when out of memory. */
static int
hist_walk_init(struct pipeline *p, struct hist_walk *w, bool by_path)
{
	*w = (struct hist_walk){ .p = p, .total = store_count(p->store),
	    .by_path = by_path };
	w->found = malloc(w->total * sizeof(*w->found) + 1);
	return w->found == NULL ? -1 : 0;
}

/* The release a row is about (NULL: none), kept as found. */
static struct release *
hist_find(struct hist_walk *w, const char *key)
{
	struct release *r = w->by_path ? store_get(w->p->store, key) :
	    store_get_id(w->p->store, key);

	/* A row's key comes once (state.h's walks): so does its release. */
	if (r != NULL && w->n < w->total)
		w->found[w->n++] = r;
	return r;
}

/*
 * A release with a key of its (id or path) beside it, to sort by: read
 * through the release, it cost a cache miss more per comparison.
 */
struct keyed {
	const char *key;
	struct release *r;
};

struct rest {
	struct keyed *v;
	size_t n;
	struct release *const *found;	/* sorted by address */
	size_t nfound;
	bool by_path;
};

static int
by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct release *const *)a,
	    y = (uintptr_t)*(struct release *const *)b;

	return x < y ? -1 : x > y;
}

static void
collect_rest(struct release *r, void *ud)
{
	struct rest *u = ud;

	if (bsearch(&r, u->found, u->nfound, sizeof(*u->found),
	    by_address) != NULL)
		return;
	u->v[u->n].key = u->by_path ? r->path : r->id;
	u->v[u->n++].r = r;
}

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key,
	    ((const struct keyed *)b)->key);
}

/*
 * The store's releases the walk w did not find, sorted by its key, in
 * *v (free it): *n of them, or -1 when out of memory. None at a restart
 * with nothing new: no pass over the store then.
 */
static int
hist_rest(struct hist_walk *w, struct keyed **v, size_t *n)
{
	struct rest u = { .found = w->found, .nfound = w->n,
	    .by_path = w->by_path };

	*v = NULL;
	*n = 0;
	if (w->n == w->total)
		return 0;
	if ((u.v = malloc((w->total - w->n) * sizeof(*u.v))) == NULL)
		return -1;
	qsort(w->found, w->n, sizeof(*w->found), by_address);
	store_foreach(w->p->store, collect_rest, &u);
	qsort(u.v, u.n, sizeof(*u.v), by_key);
	*v = u.v;
	*n = u.n;
	return 0;
}

static int
remember_row(void *ud, const char *id, const struct seen_release *was)
{
	struct hist_walk *w = ud;
	struct release *r = hist_find(w, id);

	if (r != NULL)
		remember_from(w->p, r, true, was);
	return w->n == w->total || w->p->history_unread;
}

/*
 * remember() for the whole store, with one walk of the history (in id
 * order) instead of a look-up per release (a fifth of a restart's time
 * at 100,000). A walk that fails is the first failure to read it.
 */
static void
remember_all(struct pipeline *p)
{
	struct hist_walk w;
	struct keyed *v;
	size_t n;

	if (p->st == NULL || p->history_unread)
		return;
	if (hist_walk_init(p, &w, false) < 0) {
		store_foreach(p->store, remember_one, p);	/* any order */
		return;
	}
	if ((w.total > 0 ? state_release_each(p->st, remember_row, &w) : 1) <
	    0)
		p->history_unread = true;
	else if (hist_rest(&w, &v, &n) < 0)
		store_foreach(p->store, remember_one, p);	/* looked up */
	else {
		/* Ids the history has not (or the walk stopped short of). */
		for (size_t i = 0; i < n; i++)
			remember_from(p, v[i].r, true, NULL);
		free(v);
	}
	free(w.found);
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

/* ---- keeping what was published -------------------------------------- */

/* Whether the body after the front matter holds no text. */
static bool
body_empty(const struct release *r)
{
	return r->body_empty;
}

/* The last good version of relpath the history holds, parsed, or NULL. */
static struct release *
from_history(struct pipeline *p, const char *relpath)
{
	struct release_error err = { .line = 0 };
	struct release *r = NULL;
	char *id, *text = NULL;

	if (p->st == NULL || p->history_unread ||
	    (id = state_release_held(p->st, relpath)) == NULL)
		return NULL;
	if ((text = state_release_text(p->st, id)) != NULL &&
	    release_parse(&p->cfg->feed, relpath, text, strlen(text), 0, &r,
	    &err) == 0 && strcmp(r->id, id) != 0) {
		char *def = release_default_id(&p->cfg->feed, r->slug);

		if (def != NULL && strcmp(r->id, def) == 0) {
			free(r->id);	/* renamed before: adopt()'s id */
			r->id = id;
			id = NULL;
		} else {
			release_free(r);	/* that text gives another id */
			r = NULL;
		}
		free(def);
	}
	free(text);
	free(id);
	return r;
}

/*
 * A version kept while its file is bad or half written: its body can no
 * longer be read from the file (release.h), so it holds the history's
 * text of it, if that is its text, for the documents still to come.
 */
static void
hold_text(struct pipeline *p, struct release *r)
{
	char *text;

	if (r->text != NULL || p->st == NULL || p->history_unread ||
	    (text = state_release_text(p->st, r->id)) == NULL)
		return;
	if (release_adopt_text(r, text) < 0)
		free(text);
}

/*
 * The file at relpath turned bad (or lost its body): when the release it
 * held is live, it stays published as it was, from prev (the store read
 * before; NULL: none) or else from the history. Returns that version,
 * back in the store, or NULL.
 */
static struct release *
keep(struct pipeline *p, struct store *prev, const char *relpath)
{
	struct release *r = prev != NULL ? store_take(prev, relpath) : NULL;

	if (r != NULL)
		hold_text(p, r);
	else
		r = from_history(p, relpath);
	if (r == NULL)
		return NULL;
	if (r->draft || r->date.sec > (int64_t)time(NULL)) {
		release_free(r);	/* not live: nothing to keep */
		return NULL;
	}
	store_remove(p->store, relpath);
	if (store_put(p->store, r, NULL) != STORE_PUT_OK)
		return NULL;
	r = store_get(p->store, relpath);
	remember(p, r);
	return r;
}

/* What a kept release's error line adds. */
static void
kept_suffix(const struct release *r, char *buf, size_t len)
{
	char date[DATE_BUFSZ];

	snprintf(buf, len, "; kept the published version from %s",
	    date_rfc3339(&r->updated, date));
}

/*
 * Tell the files report() held back: each is an error (skipped), an
 * error whose published version stays, or an empty file that is not a
 * release yet (no error at all).
 */
static void
settle_bad(struct pipeline *p, struct store *prev)
{
	size_t n;
	char **v = pathset_sorted(p->tokeep, &n);

	pathset_clear(p->tokeep);
	if (v == NULL && n > 0)
		lost(p);
	for (size_t i = 0; v != NULL && i < n; i++) {
		const struct release_error *err = xmlHashLookup(p->errors,
		    (const xmlChar *)v[i]);
		struct release_error none = { .line = 0 };
		struct release *r = keep(p, prev, v[i]);
		char suffix[DATE_BUFSZ + 64] = "";

		if (err == NULL)	/* out of memory when stashed */
			err = &none;
		if (r == NULL && err->empty) {
			log_info("%s/%s: %s", log_esc(p->cfg->releases_dir),
			    log_esc(v[i]), log_esc(err->msg));
			pathset_remove(p->bad, v[i]);
			forget_error(p, v[i]);
			continue;
		}
		if (r != NULL)
			kept_suffix(r, suffix, sizeof(suffix));
		log_problem(p, v[i], err, suffix);
		if (pathset_add(p->bad, v[i]) < 0)
			lost(p);
	}
	pathset_sorted_free(v, n);
}

/*
 * The release just read from relpath has no body where its published
 * version, in prev, had one: a slip (the text cut, a paste gone wrong)
 * that must not publish. Keep the old one, as for an error.
 */
static bool
keep_body(struct pipeline *p, struct store *prev, const char *relpath)
{
	struct release *r = store_get(p->store, relpath);
	struct release *old = prev != NULL ? store_get(prev, relpath) : NULL;
	struct release_error err = { .line = 0 };

	if (r == NULL || old == NULL || !body_empty(r) || body_empty(old))
		return false;
	snprintf(err.msg, sizeof(err.msg), "has no text after the front "
	    "matter");
	stash_error(p, relpath, &err);
	if (pathset_add(p->tokeep, relpath) < 0)
		lost(p);
	return true;
}

/* ---- renames ---------------------------------------------------------- */

static bool gone(const struct pipeline *p, const char *relpath);

/* For history_renamed_id(): whether the release at path with id left. */
static bool
left(void *ud, const char *id, const char *path)
{
	struct pipeline *p = ud;
	struct release *r = store_get_id(p->store, id);

	if (r != NULL)
		return false;
	return path == NULL || (store_get(p->store, path) == NULL &&
	    gone(p, path));
}

/*
 * The release r (in the store) is a renamed file: it takes back the id
 * it had (and so its dates and its place in the feeds); the link follows
 * the new name. scanned: held is the id the history holds at r's path,
 * read already (NULL: none); else it is looked up.
 */
static void
adopt_release(struct pipeline *p, struct release *r, bool scanned,
    const char *held)
{
	char *def, *id = NULL, *was;
	const char *relpath;

	if (p->st == NULL || p->history_unread)
		return;
	/* Its own id: no rename, whatever its default id is. */
	if (scanned && held != NULL && strcmp(held, r->id) == 0)
		return;
	if ((def = release_default_id(&p->cfg->feed, r->slug)) == NULL)
		return;
	id = scanned ? history_renamed_held(p->st, r, def, held, left, p) :
	    history_renamed_id(p->st, r, def, left, p);
	free(def);
	if (id == NULL)
		return;
	relpath = r->path;
	r = store_take(p->store, relpath);
	was = r->id;
	r->id = id;
	if (store_put(p->store, r, NULL) != STORE_PUT_OK) {
		lost(p);	/* gone from the store: read it again */
		free(was);
		return;
	}
	log_info("%s/%s: renamed, keeps its id %s",
	    log_esc(p->cfg->releases_dir), log_esc(r->path), log_esc(id));
	free(was);
}

static void
adopt(struct pipeline *p, const char *relpath)
{
	struct release *r = store_get(p->store, relpath);

	if (r != NULL)
		adopt_release(p, r, false, NULL);
}

static int
adopt_row(void *ud, const char *path, const char *id)
{
	struct hist_walk *w = ud;
	struct release *r = hist_find(w, path);

	if (r != NULL)
		adopt_release(w->p, r, true, id);
	return w->n == w->total;
}

/*
 * adopt() for every release of the store (a full rescan), with one walk
 * of the history's paths instead of a look-up per release (a quarter of
 * a restart's time at 100,000); those it has no row for after it, in path
 * order (of two new files with one old text, the first takes its id).
 * When the walk fails, the rest look theirs up, as adopt() does. A
 * release adopted keeps its address (a failed put frees it: it is out of
 * the store, so never among the rest).
 */
static void
adopt_all(struct pipeline *p)
{
	struct hist_walk w;
	struct keyed *v;
	size_t n;
	int rc = 0;

	if (p->st == NULL || p->history_unread || hist_walk_init(p, &w,
	    true) < 0)
		return;		/* out of memory: no renames now */
	if (w.total > 0)
		rc = state_held_each(p->st, adopt_row, &w);
	if (hist_rest(&w, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			adopt_release(p, v[i].r, rc >= 0, NULL);
		free(v);
	}
	free(w.found);
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
		hold_text(p, r);
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

static void
body_check(struct release *r, void *ud)
{
	struct pathset *v = ud;

	if (body_empty(r) && pathset_add(v, r->path) < 0)
		pathset_clear(v);	/* out of memory: they publish */
}

/* keep_body() for every release of the new store without a body. */
static void
keep_bodies(struct pipeline *p, struct store *prev)
{
	struct pathset *set = pathset_new();
	char **v = NULL;
	size_t n = 0;

	if (set != NULL) {
		store_foreach(p->store, body_check, set);
		v = pathset_sorted(set, &n);
	}
	for (size_t i = 0; v != NULL && i < n; i++)
		keep_body(p, prev, v[i]);
	pathset_sorted_free(v, n);
	pathset_free(set);
}

/*
 * The release cache for a scan, or NULL: none without a state database,
 * when its writes fail (they belong in the run's transaction), or with
 * dates from git (they change without the file).
 */
static const struct scan_cache *
cache_for(struct pipeline *p, struct relcache *rc)
{
	*rc = (struct relcache){ .c = NULL };
	if (p->st == NULL || p->history_unsaved || p->meta.git != NULL)
		return NULL;
	return relcache_open(rc, p->st, &p->meta, p->cfg->releases_dir);
}

/*
 * Read the whole folder into a new store, beside the old one, and swap
 * only when every folder could be read: a half-read tree must not publish
 * as releases removed. Returns 0, or -1 with the old store kept.
 */
static int
full_rescan(struct pipeline *p)
{
	struct store *s = store_new(), *old;
	struct pathset *bad = p->bad, *clashed = p->clashed;
	const struct scan_cache *cache;
	struct relcache cached = { .c = NULL };
	int rc = -1;

	p->rescan = false;	/* a report may ask again */
	p->bad = pathset_new();
	p->clashed = pathset_new();
	p->scanning = true;
	if (s != NULL && p->bad != NULL && p->clashed != NULL) {
		cache = cache_for(p, &cached);
		rc = scan_folder_cached(&p->meta, p->cfg->releases_dir, s,
		    p->store, cache, report, p) < 0 ? -1 : 0;
		relcache_close(&cached);
	} else
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
	old = p->store;
	p->store = s;
	store_foreach(s, tell_diags_one, p);
	keep_bodies(p, old);
	settle_bad(p, old);
	store_free(old);
	adopt_all(p);
	reclaim(p);
	pathset_clear(p->dirty);	/* answered by the rescan */
	p->removed = 0;
	log_debug("full scan: %zu releases, %zu from the release cache, "
	    "%zu read and cached", store_count(s), cached.found, cached.put);
	return 0;
}

static void reread(struct pipeline *p, const char *relpath, size_t *removed);

/*
 * The release cache for this run's rereads, opened at the first (opening
 * it prepares its statements: once per file was a fifth of a burst's
 * time). None while the history cannot be saved, as for cache_for().
 */
static const struct scan_cache *
run_cache(struct pipeline *p)
{
	if (!p->cache_open) {
		p->cache_open = true;
		p->cache_sc = cache_for(p, &p->cache);
	}
	return p->history_unsaved ? NULL : p->cache_sc;
}

static void
run_cache_close(struct pipeline *p)
{
	if (p->cache_open)
		relcache_close(&p->cache);
	p->cache_open = false;
	p->cache_sc = NULL;
}

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
	int rc;

	if (pathset_has(p->writing, relpath)) {
		free(was);
		return;
	}
	pathset_remove(p->clashed, relpath);
	/* Apart, so that a slip can put it back (settle_bad()). */
	if (r != NULL && (r = store_take(p->store, relpath)) != NULL &&
	    store_put(p->held, r, NULL) != STORE_PUT_OK)
		lost(p);
	rc = scan_file_cached(&p->meta, p->cfg->releases_dir, relpath,
	    p->store, p->held, run_cache(p), report, p);
	if (rc >= 0) {
		pathset_remove(p->bad, relpath);
		forget_error(p, relpath);
		if (!keep_body(p, p->held, relpath) &&
		    (r = store_get(p->store, relpath)) != NULL) {
			tell_diags(p, r);
			adopt(p, relpath);
		}
	}
	settle_bad(p, p->held);
	store_remove(p->held, relpath);
	if ((r = store_get(p->store, relpath)) != NULL)
		remember(p, r);
	/* Its old id is free now if it left or took another one. */
	if (was != NULL && (r == NULL || strcmp(r->id, was) != 0))
		(*removed)++;
	free(was);
}

/*
 * The marked files, taken out of the change set (marks made from now on
 * wait for the next batch), to be sorted in steps (B_SORT). Returns 0, or
 * -1 when out of memory.
 */
static int
batch_start(struct pipeline *p)
{
	struct batch *b = &p->batch;

	if ((b->v = pathset_take(p->dirty, &b->n)) == NULL)
		return -1;
	if (pathsort_init(&b->sort, b->v, b->n) < 0) {
		/* Back into the set: the marks are kept for the rescan. */
		for (size_t i = 0; i < b->n; i++)
			if (pathset_add(p->dirty, b->v[i]) < 0)
				break;
		pathset_sorted_free(b->v, b->n);
		b->v = NULL;
		b->n = 0;
		return -1;
	}
	b->i = 0;
	b->step = B_SORT;
	b->removed = p->removed;
	p->removed = 0;
	return 0;
}

/*
 * Next step of the batch. Returns 1 when there is one, 0 when the batch
 * is done, -1 when out of memory. The removals and the reads take the
 * same sorted paths: a path the first step took is NULL for the second.
 */
static int
batch_next(struct pipeline *p)
{
	struct batch *b = &p->batch;

	b->i = 0;
	if (b->step == B_SORT) {
		b->v = b->sort.v;
		pathsort_finish(&b->sort);
		b->step = B_GONE;
		return 1;
	}
	if (b->step == B_GONE) {
		b->step = B_READ;
		return 1;
	}
	pathset_sorted_free(b->v, b->n);
	b->v = NULL;
	b->n = 0;
	if (b->step == B_READ && b->removed + p->removed > 0 &&
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
batch_one(struct pipeline *p, size_t i)
{
	struct batch *b = &p->batch;
	char *path = b->v[i];

	if (path == NULL)
		return;
	switch (b->step) {
	case B_SORT:	/* not called: the paths are not in order yet */
		return;
	case B_GONE:
		if (!gone(p, path))
			return;
		pathset_remove(p->dirty, path);	/* marked again meanwhile */
		pathset_remove(p->bad, path);
		pathset_remove(p->clashed, path);
		forget_error(p, path);
		b->removed += store_remove(p->store, path) == 0;
		break;
	case B_READ:
		pathset_remove(p->dirty, path);	/* this read answers it */
		reread(p, path, &b->removed);
		break;
	case B_CLASHED:
		reread(p, path, &b->removed);
		break;
	}
	/* Freed as it goes: 100,000 frees at the end held the loop too. */
	free(path);
	b->v[i] = NULL;
}

#define SORT_STEP	8192	/* paths merged between looks at the clock */

/*
 * Read the marked files (files still being written wait): removals first,
 * so their ids are free for the rest, then the others in byte order. When
 * releases left, the files that lost an id clash get another chance: the
 * rival may be the one gone. With a slice limit, stop once it is spent
 * (after t0, a date_mono_ms() time): marks made meanwhile wait for the next
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
		if (b->step == B_SORT) {
			while (!pathsort_step(&b->sort, SORT_STEP))
				if (p->slice_ms > 0 &&
				    date_mono_ms() - t0 >= p->slice_ms)
					return 1;
		} else {
			/* One file at least per run, however little is left. */
			while (b->i < b->n) {
				batch_one(p, b->i++);
				if (b->i < b->n && p->slice_ms > 0 &&
				    date_mono_ms() - t0 >= p->slice_ms)
					return 1;
			}
		}
		rc = batch_next(p);
	}
	batch_free(p);
	return rc;
}

/*
 * date_source = git: the dates of HEAD, read once per HEAD (a warning is
 * logged once), for the scans to take (through p->meta, see gitdates.h).
 */
static void
git_dates(struct pipeline *p)
{
	char why[512];

	p->meta = p->cfg->feed;
	if (p->git != NULL && (!p->cfg->date_git ||
	    strcmp(p->git_root, p->cfg->releases_dir) != 0)) {
		gitdates_free(p->git);
		free(p->git_root);
		p->git = NULL;
		p->git_root = NULL;
	}
	if (!p->cfg->date_git)
		return;
	if (p->git == NULL && ((p->git_root = strdup(p->cfg->releases_dir)) ==
	    NULL || (p->git = gitdates_new(p->git_root)) == NULL)) {
		free(p->git_root);
		p->git_root = NULL;
		log_errx("%s: out of memory: undated releases take their "
		    "file's time", log_esc(p->cfg->releases_dir));
		return;
	}
	if (gitdates_refresh(p->git, why, sizeof(why)) == 1)
		log_warnx("%s: git: %s", log_esc(p->cfg->releases_dir),
		    log_esc(why));
	p->meta.git = p->git;
}

#define WALK_STEP	256	/* entries listed between looks at the clock */

/*
 * List the folders that appeared, marking their release files, for what
 * is left of the slice begun at t0 (a date_mono_ms() time). Returns 1
 * when more is left for the next run, else 0.
 */
static int
list_folders(struct pipeline *p, double t0)
{
	int rc;

	do {
		if ((rc = dirwalk_step(p->walk, p->cfg->releases_dir,
		    WALK_STEP, mark_touched, p)) < 0) {
			lost(p);
			return 0;
		}
	} while (rc == 1 && (p->slice_ms <= 0 ||
	    date_mono_ms() - t0 < p->slice_ms));
	return rc;
}

/*
 * 0 when read, 1 when a slice of a batch (or of listing new folders) was,
 * -1 when the folder was not. No batch starts before the new folders are
 * listed whole, so the publish that follows holds every file of a folder
 * moved in, not the first slice's.
 */
static int
read_some(struct pipeline *p)
{
	double t0 = date_mono_ms();
	bool whole = false;
	int rc = 0;

	if (p->rescan)
		dirwalk_clear(p->walk);		/* the rescan lists it all */
	else if (list_folders(p, t0) == 1)
		return 1;
	git_dates(p);
	history_begin(p);
	if (!p->rescan && (rc = read_marked(p, t0)) < 0)
		p->rescan = true;
	run_cache_close(p);
	if (p->rescan) {
		batch_free(p);
		whole = (rc = full_rescan(p)) == 0;
		run_cache_close(p);	/* reclaim()'s rereads open it */
	}
	/* A new store, or one the history does not hold all of. */
	whole = whole || (rc == 0 && p->history_owed);
	if (whole)
		remember_all(p);
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

/* ---- what a publish changed ------------------------------------------ */

static void
shown_free(struct shown *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].id);
		free(v[i].title);
	}
	free(v);
}

struct shown_list {
	struct shown *v;
	size_t n, cap;
	bool oom;
};

static void
shown_add(struct shown_list *l, const struct release *r, bool embargo)
{
	struct shown *w;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		if ((w = realloc(l->v, cap * sizeof(*w))) == NULL) {
			l->oom = true;
			return;
		}
		l->v = w;
		l->cap = cap;
	}
	w = &l->v[l->n];
	w->id = strdup(r->id);
	w->title = strdup(r->title);
	w->updated = r->updated.sec;
	w->date = r->date.sec;
	w->embargo = embargo;
	if (w->id == NULL || w->title == NULL) {
		free(w->id);
		free(w->title);
		l->oom = true;
		return;
	}
	l->n++;
}

static int
shown_cmp(const void *a, const void *b)
{
	return strcmp(((const struct shown *)a)->id,
	    ((const struct shown *)b)->id);
}

/* One category of the info line: "N added ("A", "B", ...)". */
struct change_words {
	char buf[1024];
	size_t n;
};

static void
word_add(struct change_words *w, const struct shown *s, bool when)
{
	size_t len = strlen(w->buf);
	char date[DATE_BUFSZ] = "";

	if (when) {
		struct fp_time t = date_from_epoch(s->date);

		date_rfc3339(&t, date);
	}
	if (w->n++ < 3 && len < sizeof(w->buf) - 1)
		snprintf(w->buf + len, sizeof(w->buf) - len, "%s\"%s\"%s%s",
		    len ? ", " : "", log_esc(s->title), when ? " at " : "",
		    date);
}

static void
words_put(char *line, size_t len, const char *what,
    const struct change_words *w)
{
	size_t at = strlen(line);

	if (w->n == 0 || at >= len - 1)
		return;
	snprintf(line + at, len - at, "%s%zu %s (%s%s)", at ? "; " : "", w->n,
	    what, w->buf, w->n > 3 ? ", ..." : "");
}

/*
 * One info line saying what this publish changed against the last one
 * (the first only sets the baseline): entries added, updated, removed,
 * embargoes scheduled.
 */
static void
tell_changes(struct pipeline *p, struct release **rs, size_t n, int64_t now)
{
	struct shown_list l = { .oom = false };
	struct change_words add = { "", 0 }, upd = { "", 0 }, rem = { "", 0 },
	    emb = { "", 0 };
	char line[4500] = "";
	size_t i = 0, j = 0, nes;
	struct release **es;

	for (size_t k = 0; k < n; k++)
		shown_add(&l, rs[k], false);
	if (store_embargoed(p->store, now, &es, &nes) < 0)
		l.oom = true;
	for (size_t k = 0; k < nes; k++)
		shown_add(&l, es[k], true);
	if (l.oom) {
		shown_free(l.v, l.n);
		return;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), shown_cmp);
	while (p->shown_known && (i < p->nshown || j < l.n)) {
		const struct shown *o = i < p->nshown ? &p->shown[i] : NULL;
		const struct shown *w = j < l.n ? &l.v[j] : NULL;
		int c = o == NULL ? 1 : w == NULL ? -1 : strcmp(o->id, w->id);

		if (c < 0) {
			word_add(&rem, o, false);
			i++;
			continue;
		}
		j++;
		if (c > 0) {
			word_add(w->embargo ? &emb : &add, w, w->embargo);
			continue;
		}
		i++;
		if (w->embargo && (!o->embargo || o->date != w->date))
			word_add(&emb, w, true);
		else if (!w->embargo && o->embargo)
			word_add(&add, w, false);
		else if (!w->embargo && (o->updated != w->updated ||
		    strcmp(o->title, w->title) != 0))
			word_add(&upd, w, false);
	}
	if (p->shown_known) {
		words_put(line, sizeof(line), "added", &add);
		words_put(line, sizeof(line), "updated", &upd);
		words_put(line, sizeof(line), "removed", &rem);
		words_put(line, sizeof(line), emb.n == 1 ? "embargo scheduled" :
		    "embargoes scheduled", &emb);
		log_info("published %zu entries: %s", n, line[0] ? line :
		    "no change");
	}
	shown_free(p->shown, p->nshown);
	p->shown = l.v;
	p->nshown = l.n;
	p->shown_known = true;
}

/* ---- the daemon's status, for --status -------------------------------- */

/* The status line and the skipped files, into the state database. */
static void
save_status(struct pipeline *p, int64_t now)
{
	char line[512], at[32];
	size_t n = 0;
	char **v;
	struct skipped_file *sk;

	if (p->st == NULL || p->once)
		return;
	pipeline_status(p, line, sizeof(line));
	snprintf(at, sizeof(at), "%lld", (long long)now);
	v = pathset_sorted(p->bad, &n);
	sk = calloc(n ? n : 1, sizeof(*sk));
	if (v == NULL || sk == NULL) {
		free(sk);
		pathset_sorted_free(v, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct release_error *e = xmlHashLookup(p->errors,
		    (const xmlChar *)v[i]);

		sk[i].path = v[i];
		sk[i].error = (char *)(e != NULL ? e->msg : "skipped");
	}
	if (state_begin(p->st) == 0) {
		if (state_meta_set(p->st, "status", line) < 0 ||
		    state_meta_set(p->st, "status_at", at) < 0 ||
		    state_skipped_set(p->st, sk, n) < 0)
			state_rollback(p->st);
		else
			state_commit(p->st);
	}
	free(sk);
	pathset_sorted_free(v, n);
}

#define EMPTY_KEY	"empty_since"

/*
 * The time an empty feed says it was updated: when it became empty, as
 * the state database remembers it (the daemon), else --once's time (the
 * config file's), else now.
 */
static int64_t
empty_since(struct pipeline *p, int64_t now, bool *known)
{
	char *v = p->st != NULL ? state_meta_get(p->st, EMPTY_KEY) : NULL;
	long long t = 0;

	*known = v != NULL && sscanf(v, "%lld", &t) == 1 && t > 0;
	free(v);
	if (*known)
		return (int64_t)t;
	if (p->once)
		return p->once_empty;
	return p->empty_at != 0 ? p->empty_at : now;
}

/* Remember (or forget) when the feed became empty. */
static void
save_empty(struct pipeline *p, size_t entries, int64_t since, bool known)
{
	char v[32];

	p->empty_at = entries == 0 ? since : 0;
	if (p->st == NULL || p->once || (entries == 0) == known)
		return;
	snprintf(v, sizeof(v), "%lld", (long long)since);
	state_meta_set(p->st, EMPTY_KEY, entries == 0 ? v : NULL);
}

int
pipeline_publish(struct pipeline *p, int64_t now, struct pipe_result *res)
{
	struct publish_result pr;
	double t0 = date_mono_ms();
	bool known;
	int64_t since = empty_since(p, now, &known);
	int rc;

	/*
	 * A batch under way (an embargo ending, a retry): the store holds
	 * part of it. The batch's last run publishes, past now.
	 */
	if (p->batch.v != NULL) {
		memset(res, 0, sizeof(*res));
		res->outcome = PIPE_MORE;
		res->next_embargo = p->next_embargo;
		return 1;
	}
	rc = publish_feeds(p->cfg, p->store, now, since, p->slice_ms,
	    !p->once, &pr);
	if (pr.site_more && !pr.feeds_went) {
		/* The site is written in slices too; the feeds when the pages
		 * they link are in place. */
		memset(res, 0, sizeof(*res));
		res->outcome = PIPE_MORE;
		res->next_embargo = p->next_embargo;
		return 1;
	}
	if (pr.site_rest) {
		/* The rest of a site whose feeds went: the snapshot moves, no
		 * publish of the feeds, no ping, the same status. */
		memset(res, 0, sizeof(*res));
		/* A failed publish of the feeds keeps its retry going. */
		res->outcome = p->unwritten ? PIPE_UNWRITTEN : PIPE_PUBLISHED;
		res->entries = p->entries;
		res->site_changed = true;
		res->next_embargo = p->next_embargo;
		if (pr.next_change < res->next_embargo)
			res->next_embargo = pr.next_change;
		log_debug("site: the rest after publish #%lu is in place",
		    p->publishes);
		return p->unwritten ? -1 : 0;
	}
	p->last_ms = date_mono_ms() - t0;
	p->last_at = (time_t)now;
	p->publishes++;
	log_debug("publish #%lu: %zu entries, %s %s, %s %s, %.1f ms "
	    "(render %.1f ms)", p->publishes, pr.entries,
	    feed_file_name(FEED_ATOM), outcome_word(&pr, FEED_ATOM),
	    feed_file_name(FEED_RSS), outcome_word(&pr, FEED_RSS),
	    p->last_ms, pr.render_ms);
	/* A line of its own: the one above is what scripts read. */
	log_debug("publish #%lu by stage: site %.1f ms, archives %.1f ms, "
	    "feeds %.1f ms, sub-feeds %.1f ms", p->publishes, pr.site_ms,
	    pr.archives_ms, pr.feeds_ms, pr.subs_ms);
	memset(res, 0, sizeof(*res));
	res->outcome = rc < 0 ? PIPE_UNWRITTEN : PIPE_PUBLISHED;
	p->unwritten = rc < 0;
	if (rc == 0)
		save_empty(p, pr.entries, since, known);
	res->entries = p->entries = pr.entries;
	res->site_changed = pr.pages_written + pr.pages_removed +
	    pr.nsubs_changed > 0;
	res->subs_changed = pr.subs_changed;
	res->nsubs_changed = pr.nsubs_changed;
	res->gone = pr.gone;
	res->ngone = pr.ngone;
	/* The feeds went before the rest of the site: slices follow. */
	res->site_more = pr.site_more;
	for (int k = 0; k < FEED_NKINDS; k++) {
		res->changed[k] = pr.changed[k];
		if (!pr.failed_k[k] && feed_written(&p->cfg->feed, k))
			ping_published(p->ping, k, pr.rs, pr.entries,
			    pr.changed[k]);
	}
	for (size_t i = 0; i < pr.nsubs_changed; i++)
		ping_document_changed(p->ping, pr.subs_changed[i]);
	res->next_embargo = p->next_embargo =
	    store_next_embargo(p->store, now);
	if (rc == 0 && !p->once)
		tell_changes(p, pr.rs, pr.entries, now);
	save_status(p, now);
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
	p->meta = c->feed;
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
	p->tokeep = pathset_new();
	p->errors = xmlHashCreate(64);
	p->held = store_new();
	p->walk = dirwalk_new();
	if (p->walk == NULL || p->store == NULL || p->dirty == NULL || p->writing == NULL ||
	    p->bad == NULL || p->clashed == NULL || p->reclaim == NULL ||
	    p->tokeep == NULL || p->errors == NULL || p->held == NULL) {
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
	site_forget();
	publish_forget();
	batch_free(p);
	dirwalk_free(p->walk);
	store_free(p->store);
	pathset_free(p->dirty);
	pathset_free(p->writing);
	pathset_free(p->bad);
	pathset_free(p->clashed);
	pathset_free(p->reclaim);
	pathset_free(p->tokeep);
	xmlHashFree(p->errors, free_error);
	store_free(p->held);
	shown_free(p->shown, p->nshown);
	gitdates_free(p->git);
	free(p->git_root);
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
pipeline_once(struct pipeline *p, int64_t empty_since)
{
	p->once = true;
	p->once_empty = empty_since;
}

void
pipeline_notes(struct pipeline *p, bool on)
{
	p->notes = on;
}

void
pipeline_configure(struct pipeline *p, const struct config *c)
{
	/* The site under way was planned with the old config. */
	site_forget();
	publish_forget();
	p->cfg = c;
	p->meta = c->feed;
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
