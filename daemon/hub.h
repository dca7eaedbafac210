/*
 * hub: the built-in WebSub hub (W3C Recommendation, hub role) for our own
 * feeds. Subscription requests come from the HTTP server's threads as
 * jobs (http.h) and are handled on the loop thread: checked, answered 202
 * (or, for a PubSubHubbub 0.3 "hub.verify=sync" request, held until
 * verified), and verified by a GET of the callback, rate-limited. Verified
 * subscriptions live in the state database until their lease ends (a
 * timer). When a feed's bytes change, one delivery per subscription is
 * queued in the pings' durable queue (target "hub/ID") and sent with the
 * pings' backoff: the served bytes, Content-Type and Link header, signed
 * with X-Hub-Signature when the subscriber gave a secret. A callback is
 * connected to only at a public address unless allow_private_callbacks.
 *
 * Everything here runs on the loop thread. The config, state, ping queue
 * and HTTP server are borrowed.
 */
#ifndef DAEMON_HUB_H
#define DAEMON_HUB_H

#include <ev.h>

#include "config/config.h"
#include "http.h"
#include "ping.h"
#include "state.h"

struct hub;

/* A hub on loop; NULL when out of memory. It takes ping's delegate. */
struct hub *hub_new(struct ev_loop *loop, struct state *st, struct ping *ping,
    const struct config *c);

/* The server whose documents are the topics (NULL: none for now). */
void hub_serve(struct hub *h, struct http *http);

/* A reloaded config, borrowed from now on. */
void hub_configure(struct hub *h, const struct config *c);

/* For http_settings.post: a subscription request. */
void hub_post(void *hub, struct http_job *job);

/*
 * The document name (a feed in the served set) was written with new
 * bytes, already published to the HTTP server: queue its deliveries.
 */
void hub_published(struct hub *h, const char *name);

/* Answer every request still held (503), before http_free(). */
void hub_drop_jobs(struct hub *h);

/* Free h after ping_free() (verifications under way are ping's). NULL is
 * fine. */
void hub_free(struct hub *h);

#endif
