/*
 * ping: tell the aggregators that a feed changed (WebSub hubs, XML-RPC
 * weblogUpdates, webhooks). Transfers run concurrently on libcurl's multi
 * socket interface driven by the libev loop, so a slow or hanging target
 * never holds up watching, publishing or the other targets.
 *
 * Every ping is first written to the state database and deleted only once
 * delivered (or given up), so none is lost to a crash or a restart.
 */
#ifndef DAEMON_PING_H
#define DAEMON_PING_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "config/config.h"
#include "feeds/feed.h"
#include "feeds/release.h"
#include "state.h"

struct ping;

/*
 * Start on loop with the targets of c (borrowed: call ping_configure()
 * before freeing it) and the pending pings in st (borrowed). Pending pings
 * whose time has come are sent at once.
 */
typedef void ping_counts_fn(void *ud);

/* on_counts(ud) is called when the pending/failed counts may have moved. */
struct ping *ping_new(struct ev_loop *loop, struct state *st,
    const struct config *c, ping_counts_fn *on_counts, void *ud);

/* A reloaded config: new targets from now on; transfers under way go on. */
void ping_configure(struct ping *p, const struct config *c);

/*
 * The feed of kind holds rs[0..n) (borrowed for the call) after a
 * publish; written: its bytes changed and were written. Queue one ping per
 * target, merged with any still pending for the same (target, feed), when
 * it was written, or when rs differs from what kind's pings last
 * announced (pings owed from before: a start after pings could not be
 * queued, or were paused). A webhook lists the entries that are new, or
 * have another updated time, since then; what kind announced becomes rs
 * once the queue holds the pings. When the state database cannot take
 * them (busy, read-only), they are kept in memory and written by a timer
 * as soon as it can. Do not call it for a feed that failed to be written,
 * so its entries stay for the next webhook. p NULL: nothing happens.
 */
void ping_published(struct ping *p, enum feed_kind kind,
    struct release *const *rs, size_t n, bool written);

/*
 * For the status line: pings waiting (queued, under way, or kept in
 * memory for the queue) and given up.
 */
void ping_counts(struct ping *p, size_t *pending, size_t *failed);

/*
 * Stop: transfers under way are abandoned; they stay pending in st. Pings
 * kept in memory get a last try at the queue; failing that, the next
 * start sends them (what was announced did not move on).
 */
void ping_free(struct ping *p);

#endif
