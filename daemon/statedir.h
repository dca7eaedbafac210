/*
 * statedir: the daemon's state folder and what needs it. The folder's
 * lock (one feedpubd per state folder), the state database and the ping
 * queue on it. The database may be unavailable at start (read-only
 * mount, full disk, another process's lock): feedpubd then publishes
 * without history or pings, and tries again every few seconds and at
 * each reload until it opens; on_up then hands the database and the
 * pings to whoever publishes, which owes the pings of what it published
 * meanwhile (see ping_published()).
 */
#ifndef DAEMON_STATEDIR_H
#define DAEMON_STATEDIR_H

#include <stdbool.h>

#include <ev.h>

#include "config/config.h"
#include "ping.h"
#include "state.h"

struct statedir;

/* The state database and the pings opened (both borrowed by the callee). */
typedef void statedir_up_fn(void *ud, struct state *st, struct ping *ping);

/*
 * Take the folder's lock and open the database. NULL when another process
 * holds the lock (*held true; logged, naming its PID when known: the
 * caller exits) or when out of memory (logged). c is borrowed (statedir_configure() before freeing
 * it); on_counts as for ping_new(). on_up is called later, from the loop,
 * if the database opens only then.
 */
struct statedir *statedir_new(struct ev_loop *loop, const struct config *c,
    statedir_up_fn *on_up, ping_counts_fn *on_counts, void *ud, bool *held);

/* A reloaded config (pings' targets); if the database is down, try now. */
void statedir_configure(struct statedir *sd, const struct config *c);

/* The database and the pings, or NULL while the database is down. */
struct state *statedir_state(const struct statedir *sd);
struct ping *statedir_ping(const struct statedir *sd);

void statedir_free(struct statedir *sd);	/* NULL is fine */

#endif
