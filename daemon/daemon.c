/*
 * daemon: see daemon.h. The loop's wiring only: each callback turns one
 * event into one call of the pipeline (mark, run, publish) or of reload.
 */
#include "daemon.h"

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include <ev.h>

#include "feeds/date.h"
#include "log.h"
#include "notify.h"
#include "pipeline.h"
#include "serve.h"
#include "setup.h"
#include "statedir.h"
#include "upload.h"
#include "watch.h"

/*
 * Of reading per loop iteration, at most: a watchdog ping (every 50 ms at
 * WATCHDOG_USEC=100000) is late by about one slice at most.
 */
#define SLICE_MS	20.
/* Each EXTEND_TIMEOUT_USEC while starting in slices: systemd's start
 * timeout runs again from there. */
#define EXTEND_S	30

struct daemon {
	struct ev_loop *loop;
	const char *config_path;
	struct config *cfg;
	struct statedir *sd;		/* the state database and the pings */
	struct pipeline *pipe;
	struct watch *watch;		/* NULL while the folder is missing */
	struct serve *serve;		/* the HTTP server and the hub */
	struct upload *upload;		/* [publish] exec */
	ev_timer settle, cap, retry, again, watchdog;
	ev_timer slice;			/* a big batch goes on: at once */
	ev_periodic embargo;
	ev_signal sighup, sigterm, sigint, sigusr1;
	/* READY=1 waits for the end of the run under way (in slices). */
	enum { READY_SENT, READY_AT_START, READY_AT_RELOAD } ready;
	ev_tstamp extended;		/* the last EXTEND_TIMEOUT_USEC */
	int64_t published_at;		/* the latest time a run used */
};

/*
 * The time a run publishes at: t, never before one already used. time()
 * lags the clock an embargo timer fires on by up to a tick, so the next
 * slice (the rest of the site, right behind the feeds) ran at due - 1
 * and took the release out of the feeds again until the timer fired
 * once more. Nor does a clock set back take published releases out.
 */
static int64_t
publish_time(struct daemon *d, int64_t t)
{
	if (t > d->published_at)
		d->published_at = t;
	return d->published_at;
}

static void restart_watch(struct daemon *d);
static void root_gone(struct daemon *d);

/* Also ping's ping_counts_fn: the pending and failed counts moved. */
static void
status(void *ud)
{
	struct daemon *d = ud;
	char line[512];

	if (d->pipe == NULL)
		return;		/* ping_new() reporting its counts */
	pipeline_status(d->pipe, line, sizeof(line));
	notify_status("%s", line);
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
schedule_embargo(struct daemon *d, int64_t next)
{
	ev_periodic_stop(d->loop, &d->embargo);
	if (next == INT64_MAX)
		return;
	/* Absolute wall-clock time: right across DST and clock changes. */
	ev_periodic_set(&d->embargo, (ev_tstamp)next, 0., NULL);
	ev_periodic_start(d->loop, &d->embargo);
}

/*
 * READY=1 once the first run (or a reload's) has published: systemctl
 * start returns when the feeds are written (feedpubd(8)), however many
 * slices that takes.
 */
static void
ready(struct daemon *d, enum pipe_outcome o)
{
	if (d->ready == READY_AT_START && o != PIPE_UNREAD)
		log_info("feeds: %s (%zu entries); watching %s",
		    d->cfg->output_dir, pipeline_entries(d->pipe),
		    d->cfg->releases_dir);
	else if (d->ready == READY_AT_START)
		log_info("nothing published yet: %s cannot be read; the "
		    "feeds in %s stay as they are until it can",
		    d->cfg->releases_dir, d->cfg->output_dir);
	if (d->ready != READY_SENT)
		notify_ready();
	d->ready = READY_SENT;
}

/* A start or reload still in slices asks systemd for more time. */
static void
extend(struct daemon *d)
{
	ev_tstamp now = ev_now(d->loop);

	if (d->ready == READY_SENT || now - d->extended < 1.)
		return;
	d->extended = now;
	notify_extend_timeout(EXTEND_S);
}

/*
 * What a run leaves to the loop: the next slice of a big batch, a retry
 * while a feed cannot be written (less often while it keeps failing), the
 * next embargo, the status line. A folder that could not be read waits for
 * the next change or SIGUSR1. retry is true for a run of the retry timer.
 */
static void
after_run(struct daemon *d, const struct pipe_result *res, bool retry)
{
	if (res->outcome == PIPE_MORE) {
		ev_timer_start(d->loop, &d->slice);	/* after polling */
		extend(d);
		return;
	}
	ready(d, res->outcome);
	if (res->outcome == PIPE_UNREAD)
		return;
	serve_published(d->serve, res);
	upload_published(d->upload, res->site_changed ||
	    res->nsubs_changed > 0 || memchr(res->changed, true,
	    sizeof(res->changed)) != NULL);
	if (res->outcome == PIPE_UNWRITTEN) {
		/*
		 * Only a failed retry backs off (1, 2, 4 ... 60 s). A failure
		 * that a change triggered leaves a running retry timer alone:
		 * many changes during a long episode (a full disk) must not
		 * put a minute between space returning and the catch-up.
		 */
		if (retry)
			d->again.repeat = fmin(60., d->again.repeat * 2);
		if (d->again.repeat < 1.)
			d->again.repeat = 1.;
		if (retry || !ev_is_active(&d->again))
			ev_timer_again(d->loop, &d->again);
	} else {
		d->again.repeat = 0.;
		ev_timer_stop(d->loop, &d->again);
	}
	if (res->again)
		arm(d);
	/* The feeds went before the rest of the site: its next slice. */
	if (res->site_more)
		ev_timer_start(d->loop, &d->slice);
	schedule_embargo(d, res->next_embargo);
	status(d);
}

static void
publish(struct daemon *d, int64_t now, bool retry)
{
	struct pipe_result res;

	pipeline_publish(d->pipe, now, &res);
	after_run(d, &res, retry);
}

/* This thread's CPU time, ms. */
static double
cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0.;
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The settle window closed (or a batch goes on): read what changed and
 * publish. Returns the outcome, PIPE_UNREAD when the folder is not there.
 */
static enum pipe_outcome
flush(struct daemon *d)
{
	struct pipe_result res = { .outcome = PIPE_UNREAD };
	struct stat st;
	double t0, cpu0;

	ev_timer_stop(d->loop, &d->settle);
	ev_timer_stop(d->loop, &d->cap);
	ev_timer_stop(d->loop, &d->slice);
	if (d->watch == NULL)
		return PIPE_UNREAD;
	/* rm -rf of the folder shows up as deletes first: keep the feeds. */
	if (stat(d->cfg->releases_dir, &st) < 0) {
		root_gone(d);
		return PIPE_UNREAD;
	}
	t0 = date_mono_ms();
	cpu0 = cpu_ms();
	pipeline_run(d->pipe, publish_time(d, time(NULL)), &res);
	/* For bench/burst: what held the loop, and whether it ran or waited
	 * for a CPU meanwhile. */
	if ((t0 = date_mono_ms() - t0) > 2 * SLICE_MS)
		log_debug("a run held the loop %.1f ms (%.1f ms of CPU)%s", t0,
		    cpu_ms() - cpu0, res.outcome == PIPE_MORE ? ", more to "
		    "come" : "");
	after_run(d, &res, false);
	return res.outcome;
}

static void
on_watch(void *ud, enum watch_event ev, const char *rel)
{
	struct daemon *d = ud;

	switch (ev) {
	case WATCH_WRITING:
		pipeline_mark(d->pipe, rel, PIPE_WRITING);
		return;		/* nothing to publish until it is closed */
	case WATCH_TOUCHED:
	case WATCH_CHANGED:
	case WATCH_REMOVED:
		pipeline_mark(d->pipe, rel, ev == WATCH_TOUCHED ? PIPE_TOUCHED :
		    PIPE_DIRTY);
		break;
	case WATCH_DIR_ADDED:
		pipeline_mark_folder(d->pipe, rel);
		break;
	case WATCH_DIR_REMOVED:
		pipeline_folder_gone(d->pipe, rel);
		break;
	case WATCH_RESCAN:
		/* Folders made meanwhile have no watch yet: start afresh. */
		log_warnx("inotify queue overflowed: rescanning %s",
		    d->cfg->releases_dir);
		restart_watch(d);
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

/*
 * A new watch from scratch, and so a full rescan: the releases path may
 * now lead elsewhere (a symlink switched by a deploy), folders may have
 * become readable, and the old watch's events are lost. Returns true when
 * the folder is watched; else retried every second.
 */
static bool
start_watch(struct daemon *d)
{
	d->watch = watch_new(d->loop, d->cfg->releases_dir, on_watch, d);
	if (d->watch != NULL) {
		ev_timer_stop(d->loop, &d->retry);
		pipeline_rescan(d->pipe);
		return true;
	}
	if (!ev_is_active(&d->retry)) {
		log_warn("cannot watch the releases folder %s (the feeds stay "
		    "as they are; trying again every second)",
		    d->cfg->releases_dir);
		ev_timer_again(d->loop, &d->retry);
	}
	return false;
}

static void
restart_watch(struct daemon *d)
{
	watch_free(d->watch);
	d->watch = NULL;
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
	ev_timer_stop(d->loop, &d->slice);
	ev_timer_again(d->loop, &d->retry);
	notify_status("releases folder %s missing", d->cfg->releases_dir);
}

static void
folder_back(struct daemon *d)
{
	if (!start_watch(d))
		return;
	log_info("the releases folder %s is back", d->cfg->releases_dir);
	flush(d);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	folder_back(t->data);
}

static void
embargo_cb(struct ev_loop *loop, ev_periodic *p, int revents)
{
	int64_t due = (int64_t)ceil(ev_periodic_at(p)), now = time(NULL);

	(void)loop;
	(void)revents;
	publish(p->data, publish_time(p->data, now > due ? now : due),
	    false);
}

static void
again_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	ev_timer_stop(loop, t);
	publish(t->data, publish_time(t->data, time(NULL)), true);
}

/* statedir's: the database opened late; what was published is owed. */
static void
state_up(void *ud, struct state *st, struct ping *ping)
{
	struct daemon *d = ud;

	pipeline_attach(d->pipe, st, ping);
	serve_state_up(d->serve);
	flush(d);
}

/*
 * ev_break() still runs the callbacks pending in this iteration: a timer
 * due with the signal would publish after "stopping". Stopping a watcher
 * clears its pending event.
 */
static void
stop_work(struct daemon *d)
{
	ev_timer *timers[] = { &d->settle, &d->cap, &d->slice, &d->retry,
	    &d->again };

	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		ev_timer_stop(d->loop, timers[i]);
	ev_periodic_stop(d->loop, &d->embargo);
}

/* Read the config again; swap it in only when it is complete and valid. */
static void
reload(struct daemon *d)
{
	struct config *c, *old;

	notify_reloading();
	if ((c = setup_config(d->config_path, NULL)) == NULL) {
		log_errx("reload failed: keeping the configuration in force");
		notify_ready();
		return;
	}
	/* Whoever borrows the old config lets go of it before it is freed. */
	old = d->cfg;
	d->cfg = c;
	serve_configure(d->serve, c);
	upload_configure(d->upload, c);
	pipeline_configure(d->pipe, c);
	statedir_configure(d->sd, c);	/* may open the database: state_up */
	serve_state_up(d->serve);	/* [hub] enabled now */
	config_free(old);
	log_info("configuration reloaded from %s", d->config_path);
	d->ready = READY_AT_RELOAD;
	restart_watch(d);
	if (flush(d) == PIPE_UNREAD)
		ready(d, PIPE_UNREAD);
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
		flush(d);
		break;
	default:
		log_info("stopping on signal %d", s->signum);
		notify_stopping();
		stop_work(d);
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
	ev_timer_init(&d->slice, settle_cb, 0., 0.);
	d->retry.repeat = 1.;
	d->again.repeat = 0.;
	ev_periodic_init(&d->embargo, embargo_cb, 0., 0., NULL);
	d->settle.data = d->cap.data = d->retry.data = d->again.data = d;
	d->embargo.data = d->slice.data = d;
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
	bool held;
	int rc = 1;

	if ((d.loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_errx("cannot start the event loop");
		config_free(c);
		return 1;
	}
	init_watchers(&d);
	/* Without its database feedpubd still publishes; pings wait. */
	if ((d.sd = statedir_new(d.loop, d.cfg, state_up, status, &d,
	    &held)) == NULL) {
		rc = held ? EX_TEMPFAIL : 1;
		goto out;
	}
	setup_process(d.cfg);
	if ((d.serve = serve_new(d.loop, d.cfg, d.sd)) == NULL)
		goto out;
	if ((d.upload = upload_new(d.loop, d.cfg)) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	if ((d.pipe = pipeline_new(d.cfg, statedir_state(d.sd),
	    statedir_ping(d.sd))) == NULL) {
		log_errx("out of memory");
		goto out;
	}
	pipeline_slice(d.pipe, SLICE_MS);
	/* Watch before scanning, so nothing written meanwhile is missed. */
	start_watch(&d);
	d.ready = READY_AT_START;
	if (flush(&d) == PIPE_UNREAD)
		ready(&d, PIPE_UNREAD);
	ev_run(d.loop, 0);
	rc = 0;
out:
	watch_free(d.watch);
	upload_free(d.upload);	/* waits for its child */
	pipeline_free(d.pipe);
	serve_stop(d.serve);
	/* The hub's verifications under way are the ping queue's transfers:
	 * the queue goes first. */
	statedir_free(d.sd);
	serve_free(d.serve);
	config_free(d.cfg);
	ev_loop_destroy(d.loop);
	return rc;
}
