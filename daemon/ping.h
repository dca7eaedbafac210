/*
 * ping: tell the aggregators that a feed changed (WebSub hubs, XML-RPC
 * weblogUpdates, webhooks). Transfers run concurrently on libcurl's multi
 * socket interface driven by the libev loop, so a slow or hanging target
 * never holds up watching, publishing or the other targets.
 *
 * Every ping is first written to the state database and deleted only once
 * delivered (or given up), so none is lost to a crash or a restart. That
 * is at least once: a crash after the target answered and before the row
 * is deleted sends it again. So each queued change carries a delivery id
 * (see state.h), sent in every try's PING_DELIVERY_HEADER (and in a
 * webhook's body, under its signature): a resend has the same id, a new
 * change a new one, and a receiver that keeps the ids it saw gets each
 * change once.
 */
#ifndef DAEMON_PING_H
#define DAEMON_PING_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <ev.h>

#include "config/config.h"
#include "feeds/feed.h"
#include "feeds/release.h"
#include "state.h"

struct ping;

#define PING_DELIVERY_HEADER	"X-Feedpubd-Delivery"

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
 * Another document than the main feeds changed (name relative to the
 * output folder: a sub-feed, an archive): queue a WebSub ping of its URL
 * for every WebSub target, kept in memory while the state database cannot
 * take it, as ping_published() does. p NULL: nothing happens.
 */
void ping_document_changed(struct ping *p, const char *name);

/*
 * Rows of the queue whose target starts with prefix ("hub/": no config
 * target can be named so) are another module's: when one is due, request()
 * builds its transfer (URL, method, body, headers and policies set; ping
 * adds its own callbacks and runs it), or returns NULL to drop the row.
 * *arg is passed to cleanup() when the transfer is freed. verdict() says
 * what an answer means: code is the HTTP status, 0 when no answer came,
 * attempts counts this one. The backoff and durability are the pings'.
 */
enum ping_verdict { PING_DONE, PING_RETRY, PING_GIVE_UP };

struct ping_delegate {
	const char *prefix;
	CURL *(*request)(void *ud, const struct pending_ping *pp, void **arg);
	void (*cleanup)(void *arg);
	enum ping_verdict (*verdict)(void *ud, const char *target,
	    const char *feed, long code, int attempts);
	void *ud;
};

/* Borrowed until ping_free() or another call; NULL: none. */
void ping_delegate(struct ping *p, const struct ping_delegate *d);

/* Rows were added to the queue in st: send what is due soon. */
void ping_kick(struct ping *p);

/*
 * A one-shot transfer, not queued: e (configured by the caller, who
 * gives it up) runs on the pings' multi handle; done() gets the status (0:
 * none, err says why), the body (at most 64 KiB kept), and is called
 * exactly once, or never when ping_free() comes first. Returns 0, or -1
 * (e freed, done not called).
 */
typedef void ping_done_fn(void *ud, long code, const char *body, size_t len,
    const char *err);
int ping_transfer(struct ping *p, CURL *e, ping_done_fn *done, void *ud);

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
