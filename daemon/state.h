/*
 * state: feedpubd's durable state, one SQLite database (feedpubd.db) in
 * the state folder (WAL, one small transaction per change; checkpoints run
 * on a thread of the state's own, so a commit never waits for their
 * fsyncs; state_close() joins it): the pending pings, at most one per
 * (target, feed), which survive crashes and
 * restarts, what they announced, and the release history (what each
 * release's dates were).
 * Older databases are migrated when opened for writing.
 *
 * Ping times are wall-clock seconds since the epoch (double). Functions
 * returning int give 0, or -1 after logging the database's error.
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
	/*
	 * This change's delivery id (32 hex digits), made when the change
	 * was queued: the same on every retry and after restarts, a new one
	 * for a new gen. Sent with each try (X-Feedpubd-Delivery), so a
	 * receiver can drop what a crash made us send twice (a kill between
	 * its answer and our deletion of the row). NULL only for a row
	 * written by a feedpubd older than the column, never since.
	 */
	char *delivery;
	/*
	 * The row's place among those due at the same time (its rowid,
	 * kept by every update of the row; a new row's is larger than any
	 * in the queue then, or reused from a deleted last one).
	 */
	int64_t seq;
};

enum state_mode {
	STATE_CREATE,	/* the daemon: dir and the database are made if need be */
	STATE_EXISTING,	/* --once: read and write a database that exists */
	STATE_READONLY,	/* --status: reads pings, meta and skipped files */
};

/*
 * Open dir/feedpubd.db; free with state_close(). NULL on error, with the
 * reason in why[0..whylen) (why NULL: logged instead). In STATE_EXISTING
 * and STATE_READONLY a missing database is NULL with errno ENOENT, nothing
 * said, and nothing is created. In STATE_CREATE a file that is not a
 * SQLite database, or fails its quick_check, is moved aside as
 * feedpubd.db.corrupt-TIME (logged, always) and a new one made. A write
 * waits for another writer 200 ms at most: callers retry by timer.
 */
struct state *state_open(const char *dir, enum state_mode mode, char *why,
    size_t whylen);
void state_close(struct state *st);	/* NULL is fine */

/*
 * The database file deleted or replaced while open (SQLite would go on
 * writing an inode nobody finds again, and lose what it holds at the next
 * restart): write it again at its path from the open copy, whose
 * connection is then reopened there (a replacing file is kept aside).
 * Checked at state_begin() and on the caller's timer; nothing to do for a
 * read-only state, nor inside a transaction. Returns 0 when the file is in
 * place, -1 when it could not be written again (logged once; call again),
 * or when the copy could not be reopened (logged; the database is then
 * unusable until a restart).
 */
int state_relink(struct state *st);

/*
 * A new change of feed for target: insert, or update the pending row (new
 * body, due at now, attempts reset, first kept, gen bumped, a new delivery
 * id). Returns 0/-1.
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

/*
 * The same, at most max of them (the soonest), in the order (due, seq);
 * with after, only the rows past its (due, seq) in that order. Each call
 * reads about max rows, however many are due.
 */
int state_ping_due_max(struct state *st, double now,
    const struct pending_ping *after, size_t max, struct pending_ping **out,
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
	bool has_date;			/* published came from front matter */
	unsigned char digest[32];	/* SHA-256 of the release's text */
	const char *path;		/* the file that holds the id (relpath, */
					/* borrowed): put writes it, get */
					/* compares it into same_path */
	bool same_path;
	bool has_text;			/* get: a text is saved (not before */
					/* migration 5 or the next change) */
	const char *text;		/* put: the release's text (borrowed), */
					/* kept to publish it again should the */
					/* file turn bad; NULL: none */
};

/*
 * 1 and *out when id is known, 0 when not, -1 on error (logged). Set
 * out->path first (or NULL) for out->same_path.
 */
int state_release_get(struct state *st, const char *id,
    struct seen_release *out);
int state_release_put(struct state *st, const char *id,
    const struct seen_release *r);

/*
 * The id the file at path (relpath) held when last saved, or NULL (none,
 * or an error). Caller frees. Of two files with one id, the history's
 * holder keeps it: the same one at every start.
 */
char *state_release_held(struct state *st, const char *path);

/*
 * The walks of a start (one read of each table instead of a look-up per
 * release). state_release_each(): every row state_release_get() reads,
 * in id order (strcmp()): fn(ud, id, r) with r->path the file that held
 * it (borrowed; NULL: none saved) and r->same_path false.
 * state_held_each(): every path the history holds, in byte order, with
 * the id state_release_held() gives for it. Strings are valid during the
 * call. fn returns 0 to go on; it may write the history (a row it wrote
 * is not given again), not start another walk. Returns 0 after the last
 * row, 1 when fn stopped the walk, -1 on a database error (logged: the
 * rows given so far were read right).
 */
typedef int state_release_fn(void *ud, const char *id,
    const struct seen_release *r);
typedef int state_held_fn(void *ud, const char *path, const char *id);
int state_release_each(struct state *st, state_release_fn *fn, void *ud);
int state_held_each(struct state *st, state_held_fn *fn, void *ud);

/* The last text saved for id, or NULL (none, or an error). Caller frees. */
char *state_release_text(struct state *st, const char *id);

/*
 * The releases whose saved text has this digest (a rename keeps it): up
 * to max of them into out (free with state_digest_holders_free()), *n
 * how many. Returns 0 (an error reads as none).
 */
struct digest_holder {
	char *id;
	char *path;		/* the file that held it */
};

int state_release_by_digest(struct state *st, const unsigned char digest[32],
    struct digest_holder *out, size_t max, size_t *n);
void state_digest_holders_free(struct digest_holder *v, size_t n);

/*
 * The release cache: what the store holds of each release (feeds/relpack.h
 * bytes), by path and file key (feeds/scan.h), so a restart reads only the
 * files changed meanwhile. Its own table, made when first opened; rows
 * under another meta key (another config, another build) are never found.
 * A cursor is one scan's use of it: find() is asked in byte order of the
 * paths and walks the table once, put() writes (in the caller's
 * transaction). NULL from open: no cache (logged), every file is read.
 */
struct state_cache;
struct scan_key;
struct state_cache *state_cache_open(struct state *st, uint64_t meta_key);
/*
 * The bytes cached for path under key, *len of them, valid until the next
 * call; NULL: none (or another key). path NULL: the finds are over.
 */
const void *state_cache_find(struct state_cache *c, const char *path,
    const struct scan_key *key, size_t *len);
int state_cache_put(struct state_cache *c, const char *path,
    const struct scan_key *key, const void *bytes, size_t len);
void state_cache_close(struct state_cache *c);	/* NULL is fine */

/*
 * Small named values (the status line, when the feed became empty).
 * get: a copy (caller frees), or NULL when not set; set: value NULL
 * deletes the key. set returns 0/-1.
 */
char *state_meta_get(struct state *st, const char *key);
int state_meta_set(struct state *st, const char *key, const char *value);

/*
 * The files skipped at the last publish, with their errors: set replaces
 * the list (0/-1), list gives it in path order (0 with *out, free with
 * state_skipped_free(), or -1). --status lists them.
 */
struct skipped_file {
	char *path;
	char *error;
};

int state_skipped_set(struct state *st, const struct skipped_file *v,
    size_t n);
int state_skipped_list(struct state *st, struct skipped_file **out,
    size_t *n);
void state_skipped_free(struct skipped_file *v, size_t n);

/*
 * What the pings of a feed (by URL) announced: each entry's id and the
 * updated time it had then (seconds), so a restart announces only what
 * changed meanwhile. get: 0 with *out sorted by id in strcmp() order (free
 * with state_announced_free()) and *n, or -1. set: replaces the feed's
 * list; call it in the transaction that queues the pings.
 */
struct announced {
	char *id;
	int64_t updated;
};

int state_announced_get(struct state *st, const char *feed,
    struct announced **out, size_t *n);
int state_announced_set(struct state *st, const char *feed,
    const struct announced *v, size_t n);
void state_announced_free(struct announced *v, size_t n);

/*
 * The hub's verified subscriptions, one per (topic, callback). Times are
 * wall-clock seconds since the epoch. A struct hub_sub read from the
 * database owns its strings: state_hub_sub_finish() frees them.
 */
struct hub_sub {
	int64_t id;		/* stable while the subscription lives */
	char *topic;
	char *callback;
	char *host;		/* the callback's, lower-cased (put only) */
	char *secret;		/* NULL: deliveries are not signed */
	double expires;		/* the lease ends */
};

/* Insert, or replace secret, host and lease of the same pair. 0/-1. */
int state_hub_put(struct state *st, const struct hub_sub *s, double now);
/* The id of the pair, 0 when there is none, -1 on error. */
int64_t state_hub_find(struct state *st, const char *topic,
    const char *callback);
int state_hub_del(struct state *st, const char *topic, const char *callback);
int state_hub_del_id(struct state *st, int64_t id);
/* 1 and *out (topic, callback, secret, expires) when id exists, 0, -1. */
int state_hub_get(struct state *st, int64_t id, struct hub_sub *out);
void state_hub_sub_finish(struct hub_sub *s);
/* Subscriptions to topic, or with callbacks on host, or (both NULL) all;
 * -1 on error. */
int64_t state_hub_count(struct state *st, const char *topic,
    const char *host);
/*
 * Queue one ping row per subscription to topic whose lease runs past now,
 * target prefix + its id, as state_ping_add() would (a pending one gets
 * the new change). Returns how many, or -1.
 */
int state_hub_queue(struct state *st, const char *topic, const char *prefix,
    double now);
/* Delete those whose lease ended by now: how many, or -1. */
int state_hub_expire(struct state *st, double now);
/* When the next lease ends (INFINITY: none). */
double state_hub_next_expiry(struct state *st);

/*
 * One transaction around many small writes (a run of the pipeline). A
 * failed commit rolls back; state_rollback() drops the writes since
 * state_begin() (nothing when no transaction is open, or st is NULL).
 */
int state_begin(struct state *st);
int state_commit(struct state *st);
void state_rollback(struct state *st);

/*
 * state_begin() unless a transaction is open already (or st is NULL):
 * true when it began one, for the caller to state_commit().
 */
bool state_batch_begin(struct state *st);

#endif
