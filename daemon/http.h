/*
 * http: the embedded HTTP server (libmicrohttpd). GET and HEAD of the
 * published documents, from an immutable in-memory docset swapped
 * atomically by http_publish(); nothing is read from disk on a request.
 *
 * Threads: libmicrohttpd runs its own polling thread(s) (epoll) per
 * listening socket; see docs/http.md for why. The functions below are
 * called from the loop thread only. The request threads block every
 * signal, so ev_signal in the loop thread keeps receiving them.
 */
#ifndef DAEMON_HTTP_H
#define DAEMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "docset.h"

struct http_job;

/*
 * The [http] settings. Strings are owned by whoever fills the struct and
 * need only live until http_new() returns (it copies what it keeps).
 * http_settings_init() fills the defaults given here and in docs/http.md.
 */
struct http_settings {
	const char *const *listen;	/* "127.0.0.1:8080", "[::1]:8080",
					 * "*:8080" (all, v4 and v6); port 0:
					 * any (logged); nlisten of them */
	size_t nlisten;
	const char *base_path;		/* URL path served: "/" */
	const char *self_base;		/* absolute URL of the folder for
					 * rel="self" (the feed's base_url,
					 * ends in '/'); NULL: no self link */
	const char *const *hubs;	/* rel="hub" URLs on feeds, nhubs */
	size_t nhubs;
	unsigned max_age;		/* Cache-Control: max-age, s: 60 */
	unsigned threads;		/* per listening socket: 1 */
	unsigned max_connections;	/* per listening socket: 512 */
	unsigned max_per_ip;		/* connections from one address: 32 */
	unsigned timeout;		/* s of inactivity before close: 15 */
	size_t conn_memory;		/* bytes per connection, caps the
					 * request headers (431): 16384 */
	size_t max_url;			/* bytes of request target (414):
					 * 2048 */
	/*
	 * POST base_path + post_name (the hub: "hub"): the form body, at
	 * most post_max bytes (413 beyond), is handed to post() on the loop
	 * thread as a job, the connection suspended until the job is
	 * answered. post NULL: every POST is 405.
	 */
	const char *post_name;
	size_t post_max;		/* 8192 */
	void (*post)(void *ud, struct http_job *job);
	void *post_ud;
};

void http_settings_init(struct http_settings *s);

struct http;

/*
 * A POST handed to the loop thread. The body is NUL-terminated (len bytes
 * before the NUL); client is the peer's address as text. Answer every job
 * exactly once, from the loop thread, before http_free(): the job is gone
 * after http_job_answer() (text, plain UTF-8, is copied).
 */
const char *http_job_body(const struct http_job *j, size_t *len);
const char *http_job_client(const struct http_job *j);
void http_job_answer(struct http_job *j, unsigned code, const char *text);

/*
 * Listen (nothing is served before the first http_publish(): until then
 * connections wait in the backlog, so socket activation's first client
 * gets the documents, not a 404). With nfds > 0, on fds[0..nfds) (socket
 * activation: sd_listen_fds(); listening stream sockets, duplicated, so
 * the caller keeps its fds for a server made again after a reload), else
 * on s->listen. loop is where work for the loop thread will be handed
 * over (ev_async). Returns NULL (logged) when an address cannot be used
 * or parsed.
 */
struct http *http_new(struct ev_loop *loop, const struct http_settings *s,
    const int *fds, size_t nfds);

/*
 * Serve ds from now on: http takes it over (whatever the result) and seals
 * it against the set served so far (unchanged documents keep their ETag,
 * gzip copy and Last-Modified). Requests in flight finish with the set
 * they started with; each new request sees the whole old or the whole new
 * set. The first call starts the serving threads. Returns 0, or -1
 * (logged): out of memory, the old set stays; or, at the first call, a
 * socket could not be served (the others serve ds).
 */
int http_publish(struct http *h, struct docset *ds);

/* The set served now (sealed; NULL before the first publish), a borrowed
 * reference valid until the next http_publish() or http_free(). */
const struct docset *http_docset(const struct http *h);

/* The set served now with a reference of the caller's (docset_unref), or
 * NULL before the first publish. */
struct docset *http_docset_ref(struct http *h);

/*
 * The value of the Link header served with d ("<hub>; rel=\"hub\", ...,
 * <self>; rel=\"self\""), malloc'd, or NULL: d carries none (or out of
 * memory, then *err is set).
 */
char *http_link(const struct http *h, const struct doc *d, bool *err);

/* Stop listening, close every connection, free h. NULL does nothing. */
void http_free(struct http *h);

#endif
