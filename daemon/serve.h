/*
 * serve: the HTTP side of the daemon, the embedded server (http) and the
 * WebSub hub (hub), kept alive across reloads and state outages. After
 * each publish it serves the output folder and tells the hub what changed.
 */
#ifndef DAEMON_SERVE_H
#define DAEMON_SERVE_H

#include <ev.h>

#include "config/config.h"
#include "pipeline.h"
#include "statedir.h"

struct serve;

/*
 * Serve c's [http] (or socket activation's sockets, which take its place)
 * and, once sd has a state database, c's [hub]. c and sd are borrowed:
 * call serve_configure() before freeing c. Returns NULL (logged) when an
 * address cannot be used or out of memory.
 */
struct serve *serve_new(struct ev_loop *loop, const struct config *c,
    struct statedir *sd);

/* The state database opened (late, or again): the hub can start. */
void serve_state_up(struct serve *s);

/* A reloaded config: a server made anew if it serves differently. */
void serve_configure(struct serve *s, const struct config *c);

/* A run ended: serve what it wrote, tell the hub which feeds changed. */
void serve_published(struct serve *s, const struct pipe_result *res);

/*
 * Stop listening (serve_stop(); requests in flight are dropped), then,
 * once the ping queue that runs the hub's transfers is gone, free s
 * (serve_free()). NULL does nothing to either.
 */
void serve_stop(struct serve *s);
void serve_free(struct serve *s);

#endif
