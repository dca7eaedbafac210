/*
 * statedir: see statedir.h.
 */
#include "statedir.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "log.h"

#define RETRY_MIN	1.0	/* seconds before the first retry, */
#define RETRY_MAX	10.0	/* doubling to this */
#define RELINK_S	1.0	/* seconds between looks at the file */

struct statedir {
	struct ev_loop *loop;
	const struct config *cfg;
	int lockfd;			/* -1: not held */
	struct state *st;		/* NULL: down */
	struct ping *ping;
	ev_timer retry;
	ev_timer relink;		/* state_relink() while open */
	char why[512];			/* the last reason it is down, logged */
	statedir_up_fn *on_up;
	ping_counts_fn *on_counts;
	void *ud;
};

/* Log a reason once per episode: retries every few seconds stay quiet. */
static void
down(struct statedir *sd, const char *why)
{
	if (strcmp(sd->why, why) != 0 && sd->cfg->npings > 0)
		log_errx("pings are paused: %s; trying again every few seconds",
		    why);
	else if (strcmp(sd->why, why) != 0)
		log_warnx("no release history: %s; trying again every few "
		    "seconds", why);
	snprintf(sd->why, sizeof(sd->why), "%s", why);
	if (!ev_is_active(&sd->retry)) {
		sd->retry.repeat = sd->retry.repeat < RETRY_MIN ? RETRY_MIN :
		    fmin(RETRY_MAX, sd->retry.repeat * 2);
		ev_timer_set(&sd->retry, sd->retry.repeat, 0.);
		ev_timer_start(sd->loop, &sd->retry);
	}
}

/*
 * The lock, then the database, then the pings. Returns 1 when up, 0 when
 * down (retried), -1 when another process holds the lock (logged).
 */
static int
try_open(struct statedir *sd, bool first)
{
	char why[sizeof(sd->why)], pid[32];
	pid_t holder;
	int e;

	if (sd->lockfd < 0) {
		switch (lock_take(sd->cfg->state_dir, true, &sd->lockfd,
		    &holder)) {
		case LOCK_TAKEN:
			break;
		case LOCK_HELD:
			snprintf(pid, sizeof(pid), holder ? "pid %ld" :
			    "pid unknown", (long)holder);
			snprintf(why, sizeof(why), "another feedpubd (%s) runs "
			    "on the state folder %s", pid, sd->cfg->state_dir);
			if (first) {
				log_errx("%s; exiting", why);
				return -1;
			}
			down(sd, why);
			return 0;
		case LOCK_NONE:
			e = errno;
			snprintf(why, sizeof(why), "cannot lock %s/" LOCK_FILE
			    ": %s", sd->cfg->state_dir, strerror(e));
			down(sd, why);
			return 0;
		}
	}
	if ((sd->st = state_open(sd->cfg->state_dir, STATE_CREATE, why,
	    sizeof(why))) == NULL) {
		down(sd, why);
		return 0;
	}
	sd->ping = ping_new(sd->loop, sd->st, sd->cfg, sd->on_counts, sd->ud);
	if (sd->ping == NULL) {
		state_close(sd->st);
		sd->st = NULL;
		down(sd, "out of memory");
		return 0;
	}
	if (sd->why[0] != '\0')
		log_info("the state database in %s is open again; pings and "
		    "the release history resume", sd->cfg->state_dir);
	sd->why[0] = '\0';
	sd->retry.repeat = 0.;
	ev_timer_stop(sd->loop, &sd->retry);
	ev_timer_again(sd->loop, &sd->relink);
	return 1;
}

/* Deleted while open, what the database holds would go with it. */
static void
relink_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct statedir *sd = t->data;

	(void)loop;
	(void)revents;
	state_relink(sd->st);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct statedir *sd = t->data;

	(void)loop;
	(void)revents;
	if (try_open(sd, false) == 1)
		sd->on_up(sd->ud, sd->st, sd->ping);
}

struct statedir *
statedir_new(struct ev_loop *loop, const struct config *c,
    statedir_up_fn *on_up, ping_counts_fn *on_counts, void *ud, bool *held)
{
	struct statedir *sd = calloc(1, sizeof(*sd));

	*held = false;
	if (sd == NULL) {
		log_errx("out of memory");
		return NULL;
	}
	sd->loop = loop;
	sd->cfg = c;
	sd->lockfd = -1;
	sd->on_up = on_up;
	sd->on_counts = on_counts;
	sd->ud = ud;
	ev_init(&sd->retry, retry_cb);
	ev_init(&sd->relink, relink_cb);
	sd->relink.repeat = RELINK_S;
	sd->retry.data = sd->relink.data = sd;
	if (try_open(sd, true) < 0) {
		*held = true;
		statedir_free(sd);
		return NULL;
	}
	return sd;
}

void
statedir_configure(struct statedir *sd, const struct config *c)
{
	sd->cfg = c;
	if (sd->ping != NULL) {
		ping_configure(sd->ping, c);
		return;
	}
	ev_timer_stop(sd->loop, &sd->retry);
	sd->retry.repeat = 0.;
	retry_cb(sd->loop, &sd->retry, 0);
}

struct state *
statedir_state(const struct statedir *sd)
{
	return sd->st;
}

struct ping *
statedir_ping(const struct statedir *sd)
{
	return sd->ping;
}

void
statedir_free(struct statedir *sd)
{
	if (sd == NULL)
		return;
	ev_timer_stop(sd->loop, &sd->retry);
	ev_timer_stop(sd->loop, &sd->relink);
	ping_free(sd->ping);
	state_close(sd->st);
	lock_release(sd->lockfd);
	free(sd);
}
