/*
 * state: the daemon's durable state, one SQLite database in the state
 * folder (WAL, one small transaction per change). For now: pending pings,
 * at most one per (target, feed), which survive crashes and restarts.
 *
 * Times are wall-clock seconds since the epoch (double).
 */
#ifndef DAEMON_STATE_H
#define DAEMON_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feeds/date.h"

struct state;

struct pending_ping {
	char *target;		/* the [ping "name"] */
	char *feed;		/* the feed's URL */
	char *body;		/* kind-specific data (webhook entries), or NULL */
	int64_t gen;		/* bumped by every new change of the feed */
	double first;		/* when the oldest undelivered change happened */
	double due;		/* when to (re)try */
	int attempts;		/* failed tries so far */
	char *last_error;	/* NULL until a try failed */
};

/*
 * Open or create dir/feedpubd.db (dir is created). NULL on error (logged).
 * Read-only (for --status) creates and changes nothing; a missing database
 * is NULL with errno ENOENT, not logged.
 */
struct state *state_open(const char *dir, bool readonly);
void state_close(struct state *st);	/* NULL is fine */

/*
 * A new change of feed for target: insert, or update the pending row (new
 * body, due at now, attempts reset, first kept, gen bumped). Returns 0/-1.
 */
int state_ping_add(struct state *st, const char *target, const char *feed,
    const char *body, double now);

/* The body of the pending row, or NULL. Caller frees. */
char *state_ping_body(struct state *st, const char *target, const char *feed);

/*
 * Every pending row, soonest due first. Returns 0 with *out (free with
 * state_pings_free) and *n, or -1.
 */
int state_ping_list(struct state *st, struct pending_ping **out, size_t *n);
void state_pings_free(struct pending_ping *v, size_t n);

/* The same for the rows due at or before now only. */
int state_ping_due(struct state *st, double now, struct pending_ping **out,
    size_t *n);

/* The earliest due time after now (INFINITY if none), and the row count. */
double state_ping_next(struct state *st, double now);
size_t state_ping_count(struct state *st);

/* Delivered: delete the row if no newer change (gen) came meanwhile. */
int state_ping_done(struct state *st, const char *target, const char *feed,
    int64_t gen);

/* Failed, to be retried at due. A newer change (other gen) wins. */
int state_ping_retry(struct state *st, const char *target, const char *feed,
    int64_t gen, double due, const char *error);

/* Given up (permanent failure or too old): delete whatever the gen. */
int state_ping_drop(struct state *st, const char *target, const char *feed);

/*
 * What feedpubd remembers of each release between runs, by id: the dates
 * it published, and a digest of the text, so that a restart neither moves
 * a date taken from the file's mtime nor forgets that an edit happened.
 */
struct seen_release {
	struct fp_time published;
	struct fp_time updated;
	unsigned char digest[32];	/* SHA-256 of the release's text */
};

/* 1 and *out when id is known, 0 when not, -1 on error (logged). */
int state_release_get(struct state *st, const char *id,
    struct seen_release *out);
int state_release_put(struct state *st, const char *id,
    const struct seen_release *r);

/* One transaction around many small writes (a full rescan). */
int state_begin(struct state *st);
int state_commit(struct state *st);

#endif
