/*
 * daemon: see daemon.h. Callbacks stay short: each turns one event into one
 * call of the pipeline (mark, flush, publish, reload).
 */
#include "daemon.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ev.h>
#include <libxml/hash.h>

#include "feeds/date.h"
#include "feeds/scan.h"
#include "history.h"
#include "log.h"
#include "notify.h"
#include "ping.h"
#include "pingmsg.h"
#include "state.h"
#include "publish.h"
#include "watch.h"
#include "feeds/xmlstr.h"

/* What we know of a file between its event and the next flush. */
#define PENDING_DIRTY	((void *)1)	/* complete: re-read it */
#define PENDING_WRITING	((void *)2)	/* still open for writing: wait */

struct daemon {
	struct ev_loop *loop;
	const char *config_path;
	struct config *cfg;
	struct store *store;
	struct watch *watch;		/* NULL while the folder is missing */
	xmlHashTablePtr pending;	/* relpath -> PENDING_* */
	xmlHashTablePtr bad;		/* relpaths skipped with an error */
	xmlHashTablePtr clashed;	/* of those, the id clash losers */
	bool rescan;			/* events were lost */
	size_t dir_removed;		/* releases gone with their folder */
	ev_timer settle, cap, retry, again, watchdog;
	ev_periodic embargo;
	ev_signal sighup, sigterm, sigint, sigusr1;
	struct state *state;		/* NULL if it cannot be opened */
	struct ping *ping;		/* NULL without state */
	xmlHashTablePtr seen[FEED_NKINDS];	/* id -> updated.sec + 1 */
	unsigned long publishes;
	size_t entries;			/* in the last publish */
	double last_ms;
	time_t last_at;
};

static void publish_now(struct daemon *d);
static void start_watch(struct daemon *d);
static void restart_watch(struct daemon *d);
static void collect_dirty(void *payload, void *data, const xmlChar *name);


static void
report(void *ud, const char *relpath, const struct release_error *err)
{
	struct daemon *d = ud;

	/* Half a file: not an error yet, its close brings the whole. */
	if (xmlHashLookup(d->pending, X(relpath)) == PENDING_WRITING)
		return;
	if (err->line > 0)
		log_err("%s/%s:%zu: %s", d->cfg->releases_dir, relpath,
		    err->line, err->msg);
	else
		log_err("%s/%s: %s", d->cfg->releases_dir, relpath, err->msg);
	xmlHashUpdateEntry(d->bad, X(relpath), PENDING_DIRTY, NULL);
	if (err->clash)
		xmlHashUpdateEntry(d->clashed, X(relpath), PENDING_DIRTY, NULL);
}

/* Start (or extend) the settle window, never past the cap. */
static void
arm(struct daemon *d)
{
	double settle = d->cfg->settle_ms / 1000.0;

	if (!ev_is_active(&d->cap)) {
		ev_timer_set(&d->cap, d->cfg->settle_cap_ms / 1000.0, 0.);
		ev_timer_start(d->loop, &d->cap);
	}
	d->settle.repeat = settle > 0 ? settle : 1e-4;
	ev_timer_again(d->loop, &d->settle);
}

static void
remember_one(struct release *r, void *ud)
{
	history_apply(ud, r);
}

/* Dates that survive restarts, for every release (one transaction). */
static void
remember_all(struct daemon *d)
{
	if (d->state == NULL)
		return;
	state_begin(d->state);
	store_foreach(d->store, remember_one, d->state);
	state_commit(d->state);
	store_touch(d->store);
}

/* Replace *h with a new empty table; false (and *h kept) if none. */
static bool
renew(xmlHashTablePtr *h)
{
	xmlHashTablePtr n = xmlHashCreate(64);

	if (n == NULL)
		return false;
	xmlHashFree(*h, NULL);
	*h = n;
	return true;
}

struct keep {
	struct store *from, *to;
};

/*
 * A full rescan read files that are still open for writing: put back the
 * version published before, and keep the mark (the close will follow).
 * Other pending marks are answered by the rescan itself.
 */
static void
keep_writing(void *payload, void *data, const xmlChar *name)
{
	struct keep *k = data;
	struct release *r;

	if (payload != PENDING_WRITING)
		return;
	/* Nothing published before: keep what was read, if anything. */
	if ((r = store_take(k->from, (const char *)name)) == NULL)
		return;
	store_remove(k->to, (const char *)name);
	store_put(k->to, r, NULL);
}

static void
drop_dirty(void *payload, void *data, const xmlChar *name)
{
	if (payload == PENDING_DIRTY)
		xmlHashRemoveEntry(data, name, NULL);
}

/*
 * Read the whole folder into a new store, beside the old one, and swap
 * only when every folder could be read: a half-read tree must not publish
 * as releases removed. Returns 0, or -1 with the old store kept.
 */
static int
full_rescan(struct daemon *d)
{
	struct store *s = store_new();
	xmlHashTablePtr bad = d->bad, clashed = d->clashed;

	d->bad = xmlHashCreate(16);
	d->clashed = xmlHashCreate(16);
	if (s == NULL || d->bad == NULL || d->clashed == NULL ||
	    scan_folder(&d->cfg->feed, d->cfg->releases_dir, s, d->store,
	    report, d) < 0) {
		log_warn("cannot read all of %s; the feeds stay as they are",
		    d->cfg->releases_dir);
		store_free(s);
		xmlHashFree(d->bad, NULL);
		xmlHashFree(d->clashed, NULL);
		d->bad = bad;
		d->clashed = clashed;
		return -1;
	}
	xmlHashFree(bad, NULL);
	xmlHashFree(clashed, NULL);
	/* Files still being written keep their published version. */
	{
		struct keep k = { d->store, s };

		xmlHashScan(d->pending, keep_writing, &k);
	}
	store_free(d->store);
	d->store = s;
	remember_all(d);
	/* Collect first: removing while scanning a libxml2 hash is unsafe. */
	{
		xmlHashTablePtr dirty = xmlHashCreate(64);

		if (dirty != NULL) {
			xmlHashScan(d->pending, collect_dirty, dirty);
			xmlHashScan(dirty, drop_dirty, d->pending);
			xmlHashFree(dirty, NULL);
		}
	}
	d->rescan = false;
	d->dir_removed = 0;
	log_debug("full scan: %zu releases", store_count(s));
	return 0;
}

static void
collect_dirty(void *payload, void *data, const xmlChar *name)
{
	xmlHashTablePtr dirty = data;

	if (payload == PENDING_DIRTY)
		xmlHashAddEntry(dirty, name, PENDING_DIRTY);
}

struct reparse {
	struct daemon *d;
	size_t removed;		/* releases that left the store */
};

/* First pass: files that are gone, so their ids are free for the rest. */
static void
remove_gone(void *payload, void *data, const xmlChar *name)
{
	struct reparse *rp = data;
	struct daemon *d = rp->d;
	char full[8192];
	struct stat st;

	(void)payload;
	snprintf(full, sizeof(full), "%s/%s", d->cfg->releases_dir, name);
	if (lstat(full, &st) == 0)
		return;
	xmlHashRemoveEntry(d->pending, name, NULL);
	xmlHashRemoveEntry(d->bad, name, NULL);
	xmlHashRemoveEntry(d->clashed, name, NULL);
	rp->removed += store_remove(d->store, (const char *)name) == 0;
}

static void
reparse_one(void *payload, void *data, const xmlChar *name)
{
	struct reparse *rp = data;
	struct daemon *d = rp->d;
	const char *rel = (const char *)name;
	struct release *r = store_get(d->store, rel);
	char *was = r != NULL ? strdup(r->id) : NULL;

	(void)payload;
	if (xmlHashLookup(d->pending, name) == PENDING_WRITING) {
		free(was);
		return;
	}
	xmlHashRemoveEntry(d->pending, name, NULL);
	xmlHashRemoveEntry(d->clashed, name, NULL);
	if (scan_file(&d->cfg->feed, d->cfg->releases_dir, rel, d->store,
	    report, d) >= 0)
		xmlHashRemoveEntry(d->bad, name, NULL);
	/* Its old id is free now if it left or took another one. */
	if ((r = store_get(d->store, rel)) != NULL) {
		history_apply(d->state, r);
		store_touch(d->store);
	}
	if (was != NULL && (r == NULL || strcmp(r->id, was) != 0))
		rp->removed++;
	free(was);
}

/*
 * Re-read the files that are complete (files still being written wait):
 * removals first, then the rest. When releases left, the files that lost
 * an id clash get another chance: their rival may be the one gone.
 */
static void
reparse_dirty(struct daemon *d)
{
	xmlHashTablePtr dirty = xmlHashCreate(64);
	struct reparse rp = { d, d->dir_removed };

	if (dirty == NULL) {
		d->rescan = true;
		return;
	}
	xmlHashScan(d->pending, collect_dirty, dirty);
	xmlHashScan(dirty, remove_gone, &rp);
	if (d->state != NULL)
		state_begin(d->state);
	xmlHashScan(dirty, reparse_one, &rp);
	xmlHashFree(dirty, NULL);
	d->dir_removed = 0;
	/* A copy: reparse_one() changes d->clashed as it goes. */
	if (rp.removed > 0 && xmlHashSize(d->clashed) > 0 &&
	    (dirty = xmlHashCreate(16)) != NULL) {
		xmlHashScan(d->clashed, collect_dirty, dirty);
		xmlHashScan(dirty, reparse_one, &rp);
		xmlHashFree(dirty, NULL);
	}
	if (d->state != NULL)
		state_commit(d->state);
}

static void root_gone(struct daemon *d);

static void
flush(struct daemon *d)
{
	struct stat st;

	ev_timer_stop(d->loop, &d->settle);
	ev_timer_stop(d->loop, &d->cap);
	if (d->watch == NULL)
		return;
	/* rm -rf of the folder shows up as deletes first: keep the feeds. */
	if (stat(d->cfg->releases_dir, &st) < 0) {
		root_gone(d);
		return;
	}
	if (d->rescan) {
		if (full_rescan(d) < 0)
			return;	/* SIGUSR1 or the next change tries again */
	} else {
		reparse_dirty(d);
	}
	publish_now(d);
}

static void
mark_dirty(void *ud, const char *rel)
{
	struct daemon *d = ud;

	/* A file being written waits for its close, as everywhere. */
	if (xmlHashLookup(d->pending, X(rel)) != PENDING_WRITING)
		xmlHashUpdateEntry(d->pending, X(rel), PENDING_DIRTY, NULL);
}

static void
on_watch(void *ud, enum watch_event ev, const char *rel)
{
	struct daemon *d = ud;

	switch (ev) {
	case WATCH_WRITING:
		xmlHashUpdateEntry(d->pending, X(rel), PENDING_WRITING, NULL);
		return;		/* nothing to publish until it is closed */
	case WATCH_TOUCHED:
		if (xmlHashLookup(d->pending, X(rel)) == PENDING_WRITING)
			return;
		/* FALLTHROUGH */
	case WATCH_CHANGED:
	case WATCH_REMOVED:
		xmlHashUpdateEntry(d->pending, X(rel), PENDING_DIRTY, NULL);
		break;
	case WATCH_DIR_ADDED:
		/* Read at the flush, like any file: late writes hold it. */
		scan_paths(d->cfg->releases_dir, rel, mark_dirty, d);
		break;
	case WATCH_DIR_REMOVED:
		d->dir_removed += store_remove_under(d->store, rel);
		break;
	case WATCH_RESCAN:
		/* Folders made meanwhile have no watch yet: start afresh. */
		log_warnx("inotify queue overflowed: rescanning %s",
		    d->cfg->releases_dir);
		restart_watch(d);
		d->rescan = true;
		if (d->watch == NULL)
			return;
		break;
	case WATCH_ROOT_GONE:
		root_gone(d);
		return;
	}
	arm(d);
}

static void
settle_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	flush(t->data);
}

static void
start_watch(struct daemon *d)
{
	d->watch = watch_new(d->loop, d->cfg->releases_dir, on_watch, d);
	if (d->watch != NULL) {
		ev_timer_stop(d->loop, &d->retry);
		return;
	}
	if (!ev_is_active(&d->retry)) {
		log_warn("cannot watch the releases folder %s (the feeds stay "
		    "as they are; trying again every second)",
		    d->cfg->releases_dir);
		ev_timer_again(d->loop, &d->retry);
	}
}

/*
 * A new watch from scratch: the releases path may now lead elsewhere (a
 * symlink switched by a deploy), or folders may have become readable.
 */
static void
restart_watch(struct daemon *d)
{
	watch_free(d->watch);
	d->watch = NULL;
	/*
	 * The old queue may have held the close of a file we hold back as
	 * being written: forget those marks, the rescan reads every file.
	 */
	if (!renew(&d->pending))
		log_err("out of memory");
	start_watch(d);
}

static void
root_gone(struct daemon *d)
{
	log_warnx("the releases folder %s is gone; the feeds stay as they "
	    "are until it is back", d->cfg->releases_dir);
	watch_free(d->watch);
	d->watch = NULL;
	ev_timer_stop(d->loop, &d->settle);
	ev_timer_stop(d->loop, &d->cap);
	ev_timer_again(d->loop, &d->retry);
	notify_status("releases folder %s missing", d->cfg->releases_dir);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct daemon *d = t->data;

	(void)loop;
	(void)revents;
	start_watch(d);
	if (d->watch == NULL)
		return;
	log_info("the releases folder %s is back", d->cfg->releases_dir);
	d->rescan = true;
	flush(d);
}

static void
schedule_embargo(struct daemon *d, int64_t now)
{
	int64_t next = store_next_embargo(d->store, now);

	ev_periodic_stop(d->loop, &d->embargo);
	if (next == INT64_MAX)
		return;
	/* Absolute wall-clock time: right across DST and clock changes. */
	ev_periodic_set(&d->embargo, (ev_tstamp)next, 0., NULL);
	ev_periodic_start(d->loop, &d->embargo);
}

static void
status(struct daemon *d)
{
	char when[16] = "never", next[DATE_BUFSZ + 16] = "", pings[64] = "";
	size_t pending = 0, failed = 0;
	int64_t t = ev_is_active(&d->embargo) ?
	    (int64_t)ev_periodic_at(&d->embargo) : INT64_MAX;
	struct tm tm;

	if (d->last_at != 0 && localtime_r(&d->last_at, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (t != INT64_MAX) {
		struct fp_time ft = date_from_epoch(t);
		char buf[DATE_BUFSZ];

		snprintf(next, sizeof(next), ", next embargo %s",
		    date_rfc3339(&ft, buf));
	}
	if (d->ping != NULL && d->cfg->npings > 0) {
		ping_counts(d->ping, &pending, &failed);
		snprintf(pings, sizeof(pings), ", pings %zu pending %zu failed",
		    pending, failed);
	}
	notify_status("%zu releases, %zu in feeds, %lu publishes, last %s "
	    "(%.1f ms), %d skipped%s%s", store_count(d->store), d->entries,
	    d->publishes, when, d->last_ms, xmlHashSize(d->bad), pings, next);
}

/*
 * The entries that are new or updated since the last publish, as the JSON
 * a webhook carries; remembers this publish for the next comparison.
 */
static char *
changed_entries(xmlHashTablePtr *seen, struct release **rs, size_t n)
{
	xmlHashTablePtr now = xmlHashCreate((int)n + 1);
	struct release **changed = calloc(n + 1, sizeof(*changed));
	size_t k = 0;
	char *json = NULL;

	if (now == NULL || changed == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const xmlChar *id = X(rs[i]->id);
		void *was = *seen ? xmlHashLookup(*seen, id) : NULL;
		intptr_t t = (intptr_t)rs[i]->updated.sec;

		/* updated.sec + 1: a stored 0 would read as "not seen". */
		if (was == NULL || (intptr_t)was != t + 1)
			changed[k++] = rs[i];
		xmlHashAddEntry(now, id, (void *)(t + 1));
	}
	json = pingmsg_entries(changed, k);
	xmlHashFree(*seen, NULL);
	*seen = now;
	now = NULL;
out:
	xmlHashFree(now, NULL);
	free(changed);
	return json;
}

/*
 * Tell every ping target about each feed whose bytes changed. What a feed
 * "saw" moves on only when it was written, so a failed write loses no
 * entries from the next webhook.
 */
static void
ping_changes(struct daemon *d, const struct publish_result *res)
{
	if (d->ping == NULL)
		return;
	for (int k = 0; k < FEED_NKINDS; k++) {
		char *url = NULL, *entries;

		if (!res->changed[k])
			continue;
		entries = changed_entries(&d->seen[k], res->rs, res->entries);
		if (entries != NULL && asprintf(&url, "%s%s",
		    d->cfg->feed.base_url, feed_file_name(k)) >= 0)
			ping_feed_changed(d->ping, url, entries);
		free(url);
		free(entries);
	}
}

static const char *
outcome_word(const struct publish_result *res, int k)
{
	return res->failed_k[k] ? "failed" : res->changed[k] ? "written" :
	    "unchanged";
}

static void
ping_status(void *ud)
{
	status(ud);
}

static void
publish_at(struct daemon *d, int64_t now)
{
	struct publish_result res;
	double t0 = ev_time();
	int rc = publish_feeds(d->cfg, d->store, now, &res);

	d->last_ms = (ev_time() - t0) * 1000.0;
	d->last_at = (time_t)now;
	d->publishes++;
	log_debug("publish #%lu: %zu entries, %s %s, %s %s, %.1f ms "
	    "(render %.1f ms)", d->publishes, res.entries,
	    feed_file_name(FEED_ATOM), outcome_word(&res, FEED_ATOM),
	    feed_file_name(FEED_RSS), outcome_word(&res, FEED_RSS),
	    d->last_ms, res.render_ms);
	if (rc < 0) {
		/* Try again, less often while it keeps failing. */
		d->again.repeat = d->again.repeat < 1. ? 1. :
		    fmin(60., d->again.repeat * 2);	/* 1, 2, 4 ... 60 s */
		ev_timer_again(d->loop, &d->again);
	} else {
		d->again.repeat = 0.;
		ev_timer_stop(d->loop, &d->again);
	}
	ping_changes(d, &res);
	schedule_embargo(d, now);
	d->entries = res.entries;
	status(d);
}

static void
publish_now(struct daemon *d)
{
	publish_at(d, (int64_t)time(NULL));
}

static void
embargo_cb(struct ev_loop *loop, ev_periodic *p, int revents)
{
	int64_t due = (int64_t)ceil(ev_periodic_at(p)), now = time(NULL);

	(void)loop;
	(void)revents;
	publish_at(p->data, now > due ? now : due);
}

static void
again_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	ev_timer_stop(loop, t);
	publish_now(t->data);
}

/* Read the config again; swap it in only when it is complete and valid. */
static void
reload(struct daemon *d)
{
	char *errs = NULL;
	size_t errlen = 0;
	FILE *f = open_memstream(&errs, &errlen);
	struct config *c = f ? config_load(d->config_path, f) : NULL;
	notify_reloading();
	if (f != NULL)
		fclose(f);
	for (char *line = errs, *nl; line && *line; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		log_err("%.*s", (int)(nl - line), line);
	}
	free(errs);
	if (c == NULL || date_set_zone(c->timezone) < 0) {
		log_err("reload failed: keeping the configuration in force");
		config_free(c);
		notify_ready();
		return;
	}
	config_free(d->cfg);
	d->cfg = c;
	restart_watch(d);
	if (d->ping != NULL)
		ping_configure(d->ping, d->cfg);
	log_info("configuration reloaded from %s", d->config_path);
	d->rescan = true;
	flush(d);
	notify_ready();
}

static void
signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct daemon *d = s->data;

	(void)revents;
	switch (s->signum) {
	case SIGHUP:
		reload(d);
		break;
	case SIGUSR1:
		log_info("SIGUSR1: full rescan");
		restart_watch(d);
		d->rescan = true;
		flush(d);
		break;
	default:
		log_info("stopping on signal %d", s->signum);
		notify_stopping();
		ev_break(loop, EVBREAK_ALL);
	}
}

static void
init_watchers(struct daemon *d)
{
	ev_signal *sigs[] = { &d->sighup, &d->sigterm, &d->sigint,
	    &d->sigusr1 };
	int nums[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };

	ev_init(&d->settle, settle_cb);
	ev_init(&d->cap, settle_cb);
	ev_init(&d->retry, retry_cb);
	ev_init(&d->again, again_cb);
	d->retry.repeat = 1.;
	d->again.repeat = 0.;
	ev_periodic_init(&d->embargo, embargo_cb, 0., 0., NULL);
	d->settle.data = d->cap.data = d->retry.data = d->again.data = d;
	d->embargo.data = d;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev_signal_init(sigs[i], signal_cb, nums[i]);
		sigs[i]->data = d;
		ev_signal_start(d->loop, sigs[i]);
	}
	notify_watchdog_start(d->loop, &d->watchdog);
}

int
daemon_run(struct config *c, const char *config_path)
{
	struct daemon d = { .config_path = config_path, .cfg = c };

	signal(SIGPIPE, SIG_IGN);
	d.loop = ev_default_loop(EVFLAG_AUTO);
	d.store = store_new();
	d.pending = xmlHashCreate(64);
	d.bad = xmlHashCreate(16);
	d.clashed = xmlHashCreate(16);
	if (d.loop == NULL || d.store == NULL || d.pending == NULL ||
	    d.bad == NULL || d.clashed == NULL) {
		log_err("out of memory");
		return 1;
	}
	init_watchers(&d);
	/* Without its database feedpubd still publishes; it cannot ping. */
	if ((d.state = state_open(d.cfg->state_dir, false)) != NULL)
		d.ping = ping_new(d.loop, d.state, d.cfg, ping_status, &d);
	else if (d.cfg->npings > 0)
		log_err("pings are off: no state database in %s",
		    d.cfg->state_dir);
	/* Watch before scanning, so nothing written meanwhile is missed. */
	start_watch(&d);
	d.rescan = true;
	flush(&d);
	if (d.publishes > 0)
		log_info("feeds: %s/%s and %s/%s (%zu entries); watching %s",
		    d.cfg->output_dir, feed_file_name(FEED_ATOM),
		    d.cfg->output_dir, feed_file_name(FEED_RSS), d.entries,
		    d.cfg->releases_dir);
	else
		log_info("nothing published yet: %s cannot be read; the "
		    "feeds in %s stay as they are until it can",
		    d.cfg->releases_dir, d.cfg->output_dir);
	notify_ready();
	ev_run(d.loop, 0);

	ping_free(d.ping);
	state_close(d.state);
	for (int k = 0; k < FEED_NKINDS; k++)
		xmlHashFree(d.seen[k], NULL);
	watch_free(d.watch);
	store_free(d.store);
	xmlHashFree(d.pending, NULL);
	xmlHashFree(d.bad, NULL);
	xmlHashFree(d.clashed, NULL);
	config_free(d.cfg);
	ev_loop_destroy(d.loop);
	return 0;
}
