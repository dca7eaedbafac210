/*
 * ping: see ping.h. The curl-on-libev glue follows curl's evhiperfifo.c
 * example: one ev_io per socket curl cares about, one ev_timer for curl's
 * timeout, and every finished transfer handled in check_done().
 */
#include "ping.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/hash.h>

#include "log.h"
#include "pingmsg.h"
#include "feeds/xmlstr.h"

#define MAX_RESPONSE	(64 * 1024)	/* bytes of an answer we keep */
#define BACKOFF_MAX	3600.0		/* seconds between tries, at most */
#define STATE_HOLD	5.0		/* seconds to wait after a DB error */
/*
 * Queued transfers under way at once, at most: a hub's thousands of
 * deliveries go in waves, within the fds systemd's soft limit (1024)
 * gives, and each wave's query of the queue stays small.
 */
#define MAX_XFERS	256
/*
 * Transfers one pass starts, at most (the due timer fires again at once
 * for the rest): a pass of 256 hub deliveries (a subscription read, an
 * HMAC, a handle each) held the loop for tens of ms, a publish waiting.
 */
#define REFILL_MAX	32
#define OWED_RETRY	1.0		/* seconds between tries to queue */
#define MAX_UNDONE	256		/* deliveries whose deletion is owed */
#define MAX_OWED_DOCS	4096		/* other documents' pings kept */

/*
 * The pings of one feed that the state database could not take (busy,
 * read-only, full): kept here and written by the owed timer, so a ping
 * stays owed until the queue holds it. What was announced moves on only
 * then. A newer change of the feed replaces them (its entries are counted
 * from what was announced, so they include these).
 */
struct owed {
	bool set;
	char *url;
	char *entries;			/* JSON array, for webhooks */
	struct announced *now;		/* to announce once queued */
	size_t n;
};

/* A delivered ping whose row could not be deleted: never send it again. */
struct undone {
	char *target, *feed;
	int64_t gen;
};

struct ping {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer curl_timer;	/* CURLMOPT_TIMERFUNCTION */
	/*
	 * Transfers that ended are handled once per loop iteration, after
	 * every socket ready in it: one batch (one commit) for all of them,
	 * where one check per socket made a commit per delivery.
	 */
	ev_prepare ended;
	ev_timer due_timer;	/* the next pending ping's due time */
	struct state *st;
	const struct config *cfg;
	struct xfer *xfers;	/* under way */
	size_t nxfers;		/* of them, queued ones */
	const struct ping_delegate *dg;	/* or NULL */
	xmlHashTablePtr busy;	/* (target, feed) -> its xfer under way */
	xmlHashTablePtr targets;	/* name -> struct ping_target */
	size_t pending;
	size_t failed;		/* given up since start */
	size_t failed_told;	/* as last passed to on_counts */
	double hold_until;	/* after a state DB error: send nothing */
	ping_counts_fn *on_counts;
	void *ud;
	struct announced *seen[FEED_NKINDS];	/* by id, as in st */
	size_t nseen[FEED_NKINDS];
	struct owed owed[FEED_NKINDS];
	ev_timer owed_timer;		/* OWED_RETRY while any is owed */
	bool owed_told;			/* the failure is logged */
	char **owed_docs;		/* URLs of other documents, as owed */
	size_t nowed_docs;
	struct undone undone[MAX_UNDONE];
	size_t nundone;
	/*
	 * The rows deleted in the open batch (batch_begin()): owed, as
	 * undone, if its commit fails. batching: a batch is open.
	 */
	struct undone *batch;
	size_t nbatch, batch_cap;
	bool batching;
	/*
	 * The last due row handed out, in the queue's order (due, seq):
	 * schedule() asks for the rows past it only, as many as slots are
	 * free, not again for the ones under way. Unset (after a queueing,
	 * or anything that may leave a row owed behind it): the next
	 * schedule() asks from the start.
	 */
	struct pending_ping cursor;	/* its due and seq only */
	bool cursor_set;
	unsigned queued;	/* bumped at every queueing */
};

/* One socket curl asked us to watch. */
struct sock {
	ev_io io;
	struct ping *p;
};

/* One HTTP request under way. Owns copies of all it needs. */
struct xfer {
	struct xfer *next;
	struct ping *p;
	CURL *easy;
	struct curl_slist *headers;
	char *target, *feed, *url, *secret, *body;
	char *delivery;		/* the row's delivery id, or NULL */
	enum ping_kind kind;
	bool delegated;		/* a row of p->dg's (kind unused) */
	void *darg;		/* its request()'s, for cleanup() */
	ping_done_fn *done;	/* a one-shot transfer (ping_transfer) */
	void *done_ud;
	bool fallback;		/* xmlrpc: weblogUpdates.ping after a fault */
	int64_t gen;
	unsigned queued;	/* p->queued when taken from the queue */
	int attempts;
	double first;
	char status[128];	/* the answer's status line */
	char *resp;
	size_t resp_len;
	bool capped;		/* cut past MAX_RESPONSE by write_fn */
	char err[CURL_ERROR_SIZE];
};

static void schedule(struct ping *p);
static void counts(struct ping *p);
static void state_failed(struct ping *p, int rc);

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


/* Hash lookups: with hundreds of targets, lists would go quadratic. */
static const struct ping_target *
find_target(const struct ping *p, const char *name)
{
	return xmlHashLookup(p->targets, X(name));
}

static struct xfer *
find_xfer(const struct ping *p, const char *target, const char *feed)
{
	return xmlHashLookup2(p->busy, X(target), X(feed));
}

static int
index_targets(struct ping *p)
{
	xmlHashFree(p->targets, NULL);
	if ((p->targets = xmlHashCreate((int)p->cfg->npings + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < p->cfg->npings; i++)
		xmlHashAddEntry(p->targets, X(p->cfg->pings[i].name),
		    (void *)&p->cfg->pings[i]);
	return 0;
}

static void
forget_cursor(struct ping *p)
{
	p->cursor_set = false;
}

static void
set_cursor(struct ping *p, const struct pending_ping *row)
{
	p->cursor.due = row->due;
	p->cursor.seq = row->seq;
	p->cursor_set = true;
}

/* Run schedule() on the next loop iteration, once for many callers. */
static void
refill_soon(struct ping *p)
{
	ev_timer_stop(p->loop, &p->due_timer);
	ev_timer_set(&p->due_timer, 0., 0.);
	ev_timer_start(p->loop, &p->due_timer);
}

/*
 * The same after rows were queued or changed: a new row, or a new gen of
 * one under way, may sort before the cursor.
 */
static void
schedule_soon(struct ping *p)
{
	p->queued++;
	forget_cursor(p);
	refill_soon(p);
}

static const char *
xfer_kind(const struct xfer *x);

static const char *
kind_name(enum ping_kind k)
{
	return k == PING_WEBSUB ? "websub" : k == PING_XMLRPC ? "xmlrpc" :
	    "webhook";
}

/* ---- curl on libev ---------------------------------------------------- */

static void check_done(struct ping *p);

static void
sock_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	/* socket_action may close this socket and free s: copy p first. */
	struct ping *p = ((struct sock *)io)->p;
	int running, action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
	    (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);

	(void)loop;
	curl_multi_socket_action(p->multi, io->fd, action, &running);
	ev_prepare_start(p->loop, &p->ended);
}

static int
socket_fn(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct ping *p = userp;
	struct sock *s = sockp;
	int events = (what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0);

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			ev_io_stop(p->loop, &s->io);
			free(s);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->p = p;
		ev_init(&s->io, sock_cb);
		/*
		 * Ahead of the other watchers ready in the same iteration: an
		 * answer read sooner is a row deleted sooner, which narrows
		 * the window in which a kill makes a delivered ping owed.
		 */
		ev_set_priority(&s->io, EV_MAXPRI);
		curl_multi_assign(p->multi, fd, s);
	}
	ev_io_stop(p->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	ev_io_start(p->loop, &s->io);
	return 0;
}

static void
curl_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ping *p = t->data;
	int running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	ev_prepare_start(p->loop, &p->ended);
}

static void
ended_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	ev_prepare_stop(loop, w);
	check_done(w->data);
}

/* curl wants to be called back after timeout_ms; -1 means never. */
static int
timer_fn(CURLM *m, long timeout_ms, void *userp)
{
	struct ping *p = userp;

	(void)m;
	ev_timer_stop(p->loop, &p->curl_timer);
	if (timeout_ms >= 0) {	/* 0: on the next loop iteration */
		ev_timer_set(&p->curl_timer, timeout_ms / 1000.0, 0.);
		ev_timer_start(p->loop, &p->curl_timer);
	}
	return 0;
}

/* ---- one transfer ----------------------------------------------------- */

static size_t
write_fn(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, keep = len;
	char *r;

	if (x->resp_len + keep > MAX_RESPONSE)
		keep = MAX_RESPONSE - x->resp_len;
	if (keep > 0 && (r = realloc(x->resp, x->resp_len + keep + 1))) {
		memcpy(r + x->resp_len, data, keep);
		x->resp = r;
		x->resp_len += keep;
		r[x->resp_len] = '\0';
	}
	if (keep < len) {
		/*
		 * Past the cap: stop the transfer (CURLE_WRITE_ERROR) rather
		 * than read an endless body until the timeout. outcome()
		 * judges by the status already received; no kind needs more
		 * of the body than its first MAX_RESPONSE bytes.
		 */
		x->capped = true;
		return 0;
	}
	return len;
}

static size_t
header_fn(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	/* The last status line wins (after "100 Continue", say). */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		size_t k = strcspn(data, "\r\n");

		snprintf(x->status, sizeof(x->status), "%.*s", (int)k, data);
	}
	return len;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL) {
		curl_multi_remove_handle(x->p->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	if (x->delegated && x->p->dg != NULL && x->p->dg->cleanup != NULL)
		x->p->dg->cleanup(x->darg);
	free(x->target);
	free(x->feed);
	free(x->url);
	free(x->secret);
	free(x->body);
	free(x->delivery);
	free(x->resp);
	free(x);
}

/* The feed's file name, for the webhook's "feed" field. */
static const char *
feed_name(const char *url)
{
	const char *s = strrchr(url, '/');

	return s ? s + 1 : url;
}

/* Build the request body and headers for x's kind. */
static int
prepare(struct xfer *x, const char *entries)
{
	const struct config *c = x->p->cfg;
	const char *ctype = "application/x-www-form-urlencoded";

	free(x->body);
	x->body = NULL;
	if (x->kind == PING_WEBSUB) {
		x->body = pingmsg_websub(x->feed);
	} else if (x->kind == PING_XMLRPC) {
		const char *ext[] = { c->feed.title, c->feed.base_url,
		    c->feed.base_url, x->feed };

		x->body = x->fallback ?
		    pingmsg_xmlrpc("weblogUpdates.ping", ext, 2) :
		    pingmsg_xmlrpc("weblogUpdates.extendedPing", ext, 4);
		ctype = "text/xml";
	} else {
		x->body = pingmsg_webhook(feed_name(x->feed), x->feed,
		    entries ? entries : "[]", x->delivery);
		ctype = "application/json";
	}
	if (x->body == NULL)
		return -1;
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	{
		char h[128];

		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		x->headers = curl_slist_append(x->headers, h);
		/* No 100-continue round trip before the body. */
		x->headers = curl_slist_append(x->headers, "Expect:");
		/* The same on every try: a receiver drops what it has seen. */
		if (x->delivery != NULL) {
			snprintf(h, sizeof(h), "%s: %s", PING_DELIVERY_HEADER,
			    x->delivery);
			x->headers = curl_slist_append(x->headers, h);
		}
	}
	if (x->kind == PING_WEBHOOK && x->secret != NULL) {
		char *sig = pingmsg_signature(x->secret, x->body,
		    strlen(x->body)), *h = NULL;

		if (sig != NULL && asprintf(&h, "X-Feedpubd-Signature: %s",
		    sig) >= 0)
			x->headers = curl_slist_append(x->headers, h);
		free(sig);
		free(h);
	}
	return 0;
}

/* What ping needs of every transfer: its callbacks, and then run it. */
static int
run_easy(struct xfer *x)
{
	CURL *e = x->easy;

	x->resp_len = 0;
	x->capped = false;
	x->status[0] = x->err[0] = '\0';
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_fn);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_fn);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	return curl_multi_add_handle(x->p->multi, e) == CURLM_OK ? 0 : -1;
}

static int
start(struct xfer *x)
{
	const struct config *c = x->p->cfg;
	CURL *e = curl_easy_init();

	if (e == NULL)
		return -1;
	x->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "feedpubd/" FEEDPUBD_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)c->ping_connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->ping_timeout_s);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* A redirect would turn the POST into a GET: report, don't follow. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if (run_easy(x) < 0)
		return -1;
	log_debug("ping %s: %s %s for %s (delivery %s)", x->target,
	    kind_name(x->kind), x->url, x->feed,
	    x->delivery ? x->delivery : "without id");
	return 0;
}

static void
link_xfer(struct ping *p, struct xfer *x)
{
	x->next = p->xfers;
	p->xfers = x;
	if (x->done == NULL) {
		p->nxfers++;
		xmlHashAddEntry2(p->busy, X(x->target), X(x->feed), x);
	}
}

/* A transfer for the queue row pp, or NULL when out of memory. */
static struct xfer *
xfer_of(struct ping *p, const struct pending_ping *pp)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->p = p;
	x->gen = pp->gen;
	x->queued = p->queued;
	x->attempts = pp->attempts;
	x->first = pp->first;
	x->target = strdup(pp->target);
	x->feed = strdup(pp->feed);
	x->delivery = pp->delivery ? strdup(pp->delivery) : NULL;
	if (x->target == NULL || x->feed == NULL ||
	    (pp->delivery != NULL && x->delivery == NULL)) {
		xfer_free(x);
		return NULL;
	}
	return x;
}

/* A due row of the delegate's: its transfer, or the row dropped. */
static void
send_delegated(struct ping *p, const struct pending_ping *pp)
{
	struct xfer *x = xfer_of(p, pp);

	if (x == NULL) {
		log_errx("ping %s: out of memory", pp->target);
		forget_cursor(p);	/* still owed: the next pass tries */
		return;
	}
	x->delegated = true;
	if ((x->easy = p->dg->request(p->dg->ud, pp, &x->darg)) == NULL) {
		state_failed(p, state_ping_drop(p->st, pp->target, pp->feed));
		xfer_free(x);
		return;
	}
	if (run_easy(x) < 0) {
		log_errx("ping %s: cannot start the request", pp->target);
		forget_cursor(p);	/* still owed: the next pass tries */
		xfer_free(x);
		return;
	}
	link_xfer(p, x);
}

int
ping_transfer(struct ping *p, CURL *e, ping_done_fn *done, void *ud)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (x == NULL) {
		curl_easy_cleanup(e);
		return -1;
	}
	x->p = p;
	x->easy = e;
	x->done = done;
	x->done_ud = ud;
	if (run_easy(x) < 0) {
		xfer_free(x);
		return -1;
	}
	link_xfer(p, x);
	return 0;
}

static void
send_pending(struct ping *p, const struct pending_ping *pp,
    const struct ping_target *t)
{
	struct xfer *x = xfer_of(p, pp);

	if (x == NULL) {
		log_errx("ping %s: out of memory", pp->target);
		forget_cursor(p);	/* still owed: the next pass tries */
		return;
	}
	x->kind = t->kind;
	x->url = strdup(t->url);
	x->secret = t->secret ? strdup(t->secret) : NULL;
	if (x->url == NULL ||
	    (t->secret != NULL && x->secret == NULL) ||
	    prepare(x, pp->body) < 0 || start(x) < 0) {
		log_errx("ping %s: out of memory", pp->target);
		forget_cursor(p);
		xfer_free(x);
		return;
	}
	link_xfer(p, x);
}

/* ---- outcomes --------------------------------------------------------- */

static void
unlink_xfer(struct ping *p, struct xfer *x)
{
	if (x->done == NULL) {
		p->nxfers--;
		xmlHashRemoveEntry2(p->busy, X(x->target), X(x->feed), NULL);
	}
	for (struct xfer **pp = &p->xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			return;
		}
	}
}

/* The first line of the answer's body, for a log line. */
static void
first_line(const struct xfer *x, char *buf, size_t n)
{
	const char *s = x->resp ? x->resp : "";

	s += strspn(s, " \t\r\n");
	snprintf(buf, n, "%.*s", (int)strcspn(s, "\r\n"), s);
}

/*
 * The queue could not be updated: without a pause the same row would be
 * sent again at once, in a loop. The database may recover (disk space).
 */
static void
state_failed(struct ping *p, int rc)
{
	if (rc < 0) {
		p->hold_until = wall_now() + STATE_HOLD;
		forget_cursor(p);	/* the row may be left where it was */
	}
}

static const char *
xfer_kind(const struct xfer *x)
{
	return x->delegated ? "delivery" : kind_name(x->kind);
}

/* Remember u's deletion as owed; takes its strings (NULL: none). */
static void
owe(struct ping *p, struct undone u)
{
	if (p->nundone == MAX_UNDONE || u.target == NULL || u.feed == NULL) {
		free(u.target);		/* a resend, at worst */
		free(u.feed);
		return;
	}
	p->undone[p->nundone++] = u;
}

static struct undone
undone_of(const struct xfer *x)
{
	return (struct undone){ .target = strdup(x->target),
	    .feed = strdup(x->feed), .gen = x->gen };
}

/* A row deleted in the open batch, kept until it commits. */
static void
batch_note(struct ping *p, const struct xfer *x)
{
	if (p->nbatch == p->batch_cap) {
		size_t cap = p->batch_cap ? 2 * p->batch_cap : 64;
		struct undone *v = realloc(p->batch, cap * sizeof(*v));

		if (v == NULL)
			return;		/* a resend if the commit fails */
		p->batch = v;
		p->batch_cap = cap;
	}
	p->batch[p->nbatch++] = undone_of(x);
}

/*
 * x is done with (delivered or given up): delete its row, unless a newer
 * change (gen) came meanwhile. When the database cannot, the row stays
 * and would be sent again: remember it, so schedule() skips it until the
 * deletion goes through.
 */
static void
finished(struct xfer *x)
{
	struct ping *p = x->p;

	if (state_ping_done(p->st, x->target, x->feed, x->gen) == 0) {
		if (p->batching)
			batch_note(p, x);
		return;
	}
	state_failed(p, -1);
	owe(p, undone_of(x));
}

/*
 * One transaction around a pass's many small writes (the rows of the
 * transfers that ended, the reads of a refill): each would be a commit of
 * its own, a WAL append and a round of locks, thousands per fan-out. None
 * when one is open already (the pipeline's). Returns whether it began one.
 */
static bool
batch_begin(struct ping *p)
{
	p->batching = state_batch_begin(p->st);
	return p->batching;
}

/*
 * Commit the batch (if began). When that fails every write since
 * batch_begin() is undone: its deletions are owed (delivered, not to be
 * sent again), retries and the rest come back due, after STATE_HOLD.
 * Returns false: no batch open any more.
 */
static bool
batch_end(struct ping *p, bool began)
{
	bool failed = began && state_commit(p->st) < 0;

	if (failed)
		state_failed(p, -1);
	else if (p->nbatch > 1)
		log_debug("ping: %zu rows done in one commit", p->nbatch);
	for (size_t i = 0; i < p->nbatch; i++) {
		if (failed) {
			owe(p, p->batch[i]);
		} else {
			free(p->batch[i].target);
			free(p->batch[i].feed);
		}
	}
	p->nbatch = 0;
	p->batching = false;
	return false;
}

/* Retry the owed deletions; true when (target, feed, gen) is one left. */
static bool
undone(struct ping *p, const struct pending_ping *pp)
{
	bool found = false;

	for (size_t i = 0; i < p->nundone; ) {
		struct undone *u = &p->undone[i];

		if (pp == NULL && state_ping_done(p->st, u->target, u->feed,
		    u->gen) == 0) {
			free(u->target);
			free(u->feed);
			*u = p->undone[--p->nundone];
			continue;
		}
		if (pp != NULL && u->gen == pp->gen && strcmp(u->target,
		    pp->target) == 0 && strcmp(u->feed, pp->feed) == 0)
			found = true;
		i++;
	}
	return found;
}

static void
give_up(struct xfer *x, const char *why)
{
	log_errx("ping %s (%s) for %s: %s; giving up", x->target,
	    xfer_kind(x), x->feed, why);
	/* Only this change: a newer one queued meanwhile is still owed. */
	finished(x);
	x->p->failed++;
}

static void
retry(struct xfer *x, const char *why, long retry_after)
{
	double now = wall_now(), delay;
	int n = x->attempts + 1;

	/* 1 s doubling to an hour, with jitter so targets do not sync. */
	delay = fmin(BACKOFF_MAX, ldexp(1.0, n - 1 > 12 ? 12 : n - 1));
	delay *= 0.75 + 0.5 * ((double)rand() / RAND_MAX);
	if (retry_after > 0 && (double)retry_after > delay)
		delay = (double)retry_after;
	/* A delegate's verdict said when to give up. */
	if (!x->delegated && now + delay - x->first >
	    x->p->cfg->ping_give_up_s) {
		give_up(x, why);
		return;
	}
	log_warnx("ping %s (%s) for %s: %s; try %d in %.1f s", x->target,
	    xfer_kind(x), x->feed, why, n + 1, delay);
	state_failed(x->p, state_ping_retry(x->p->st, x->target, x->feed,
	    x->gen, now + delay, why));
	/* Due again before the cursor (the clock was set back). */
	if (x->p->cursor_set && now + delay <= x->p->cursor.due)
		forget_cursor(x->p);
}

static void
delivered(struct xfer *x)
{
	/* Thousands of hub deliveries: one line each only when asked. */
	(x->delegated ? log_debug : log_info)("ping %s (%s) for %s: %s%s "
	    "(delivery %s)", x->target, xfer_kind(x), x->feed, x->status[0] ?
	    x->status : "done", x->capped ? " (answer cut after 64 KiB)" : "",
	    x->delivery ? x->delivery : "without id");
	finished(x);
}

/* A 2xx answer of an XML-RPC service: read it. Returns true when done. */
static bool
xmlrpc_answer(struct xfer *x)
{
	char *msg = NULL, why[300];
	enum xmlrpc_result r = pingmsg_xmlrpc_result(x->resp ? x->resp : "",
	    x->resp_len, &msg);

	switch (r) {
	case XMLRPC_OK:
		delivered(x);
		break;
	case XMLRPC_FAULT:
		if (!x->fallback) {
			/* No extendedPing there: the plain ping will do. */
			log_info("ping %s: extendedPing refused (%s); trying "
			    "weblogUpdates.ping", x->target, msg ? msg : "");
			x->fallback = true;
			free(msg);
			return false;
		}
		snprintf(why, sizeof(why), "fault: %s", msg ? msg : "");
		give_up(x, why);
		break;
	case XMLRPC_FLERROR:
		snprintf(why, sizeof(why), "flerror: %s", msg ? msg : "");
		retry(x, why, 0);
		break;
	case XMLRPC_GARBLED:
		retry(x, "not an XML-RPC answer", 0);
		break;
	}
	free(msg);
	return true;
}

/* What the delegate says an answer (code 0: none) means. */
static bool
delegated_outcome(struct xfer *x, long code, const char *why, long after)
{
	const struct ping_delegate *d = x->p->dg;

	switch (d == NULL ? PING_GIVE_UP : d->verdict(d->ud, x->target,
	    x->feed, code, x->attempts + 1)) {
	case PING_DONE:
		delivered(x);
		break;
	case PING_RETRY:
		retry(x, why, after);
		break;
	case PING_GIVE_UP:
		give_up(x, why);
		break;
	}
	return true;
}

/* Decide what a finished transfer means. Returns true when x is done. */
static bool
outcome(struct xfer *x, CURLcode rc)
{
	long code = 0, after = 0;
	char why[512], line[200];
	curl_off_t ra = 0;

	/* Cut by write_fn past MAX_RESPONSE: judged by the status (D3). */
	if (rc == CURLE_WRITE_ERROR && x->capped)
		rc = CURLE_OK;
	if (rc == CURLE_OK)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (x->done != NULL) {
		x->done(x->done_ud, rc == CURLE_OK ? code : 0, x->resp,
		    x->resp_len, rc == CURLE_OK ? NULL : x->err[0] ? x->err :
		    curl_easy_strerror(rc));
		return true;
	}
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", x->err[0] ? x->err :
		    curl_easy_strerror(rc));
		if (x->delegated)
			return delegated_outcome(x, 0, why, 0);
		retry(x, why, 0);
		return true;
	}
	if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) ==
	    CURLE_OK && ra > 0)
		after = (long)ra;
	if (code >= 200 && code < 300 && !x->delegated)
		return x->kind == PING_XMLRPC ? xmlrpc_answer(x) :
		    (delivered(x), true);
	first_line(x, line, sizeof(line));
	snprintf(why, sizeof(why), "%s%s%s", x->status[0] ? x->status :
	    "no status", line[0] ? ": " : "", line);
	if (x->delegated)
		return delegated_outcome(x, code, why, after);
	if (code >= 500 || code == 408 || code == 429)
		retry(x, why, after);
	else
		give_up(x, why);	/* other 4xx, 3xx: won't get better */
	return true;
}

static void
check_done(struct ping *p)
{
	CURLMsg *m;
	int left;
	bool any = false, began = false;

	while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
		struct xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
		/*
		 * A one-shot transfer's callback writes and answers (a
		 * verified subscription, a sync subscriber's 204) on its
		 * own: outside the batch, whose commit could fail.
		 */
		if (x->done != NULL)
			began = batch_end(p, began);
		else if (!began)
			began = batch_begin(p);
		if (!outcome(x, m->data.result)) {
			/* Again, differently (the XML-RPC fallback). */
			curl_multi_remove_handle(p->multi, x->easy);
			curl_easy_cleanup(x->easy);
			x->easy = NULL;
			if (prepare(x, NULL) == 0 && start(x) == 0)
				continue;
			retry(x, "cannot start the request", 0);
		}
		/*
		 * Queued meanwhile: a newer gen of x's row may be due behind
		 * the cursor, not done by x's outcome.
		 */
		if (x->done == NULL && x->queued != p->queued)
			forget_cursor(p);
		/* The one place a transfer's state is freed. */
		unlink_xfer(p, x);
		xfer_free(x);
		any = true;
	}
	batch_end(p, began);
	if (any)
		refill_soon(p);
}

/* ---- the queue -------------------------------------------------------- */

static void
due_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	schedule(t->data);
}

/* Send what is due and not under way; wake up again for the next one. */
static void
schedule_pass(struct ping *p, double now)
{
	struct pending_ping *v;
	size_t n, i, started = 0, free_slots, want;
	double next = INFINITY;

	if (p->nxfers >= MAX_XFERS)
		return;		/* the next end schedules again */
	/*
	 * Nothing under way: nothing to skip, and from the start a row the
	 * cursor could have passed by (whatever the reason) is seen again.
	 */
	if (p->nxfers == 0)
		forget_cursor(p);
	/*
	 * Past the cursor, as many as slots are free; from the start, with
	 * room for those under way, which came first (they were due first).
	 */
	free_slots = MAX_XFERS - p->nxfers;
	want = !p->cursor_set ? MAX_XFERS : free_slots < REFILL_MAX ?
	    free_slots : REFILL_MAX;
	if (now < p->hold_until || state_ping_due_max(p->st, now,
	    p->cursor_set ? &p->cursor : NULL, want, &v, &n) < 0) {
		forget_cursor(p);
		if (p->hold_until <= now)
			p->hold_until = now + STATE_HOLD;
		ev_timer_set(&p->due_timer, p->hold_until - now, 0.);
		ev_timer_start(p->loop, &p->due_timer);
		return;
	}
	/* Before the loop: a row it cannot start unsets it again. */
	if (n > 0)
		set_cursor(p, &v[n - 1]);
	for (i = 0; i < n && p->nxfers < MAX_XFERS && started < REFILL_MAX;
	    i++) {
		const struct ping_target *t = find_target(p, v[i].target);

		if (p->dg != NULL && strncmp(v[i].target, p->dg->prefix,
		    strlen(p->dg->prefix)) == 0) {
			if (find_xfer(p, v[i].target, v[i].feed) == NULL &&
			    !undone(p, &v[i])) {
				send_delegated(p, &v[i]);
				started++;
			}
		} else if (t == NULL) {
			log_warnx("ping %s for %s: no such target in the "
			    "config any more; dropped", v[i].target,
			    v[i].feed);
			state_failed(p, state_ping_drop(p->st, v[i].target,
			    v[i].feed));
		} else if (find_xfer(p, v[i].target, v[i].feed) == NULL &&
		    !undone(p, &v[i])) {
			send_pending(p, &v[i], t);
			started++;
		}	/* else under way: its end schedules again */
	}
	if (i < n && p->cursor_set)	/* full: the rest are still owed */
		set_cursor(p, &v[i - 1]);
	state_pings_free(v, n);
	/* Capped (REFILL_MAX): due rows are left, the next pass at once. */
	if ((started == REFILL_MAX && p->nxfers < MAX_XFERS) ||
	    (want < free_slots && n == want)) {
		log_debug("ping: %zu started, %zu under way; more in the next "
		    "pass", started, p->nxfers);
		next = now;
	} else {
		next = state_ping_next(p->st, now);
	}
	if (p->nundone > 0 && !isfinite(next))
		next = p->hold_until > now ? p->hold_until : now + STATE_HOLD;
	counts(p);
	if (isfinite(next)) {
		ev_timer_set(&p->due_timer, next - now, 0.);
		ev_timer_start(p->loop, &p->due_timer);
	}
}

/*
 * A refill's queries and its hundreds of subscription reads in one read
 * transaction (one round of locks); the owed deletions before it, each
 * committed, so that a failed batch cannot take them along.
 */
static void
schedule(struct ping *p)
{
	double now = wall_now();
	bool began;

	ev_timer_stop(p->loop, &p->due_timer);
	if (now >= p->hold_until)
		undone(p, NULL);
	began = batch_begin(p);
	schedule_pass(p, now);
	batch_end(p, began);
}

/* Pings queued or owed in memory, and given up: tell on_counts of a move. */
static void
counts(struct ping *p)
{
	size_t pending = state_ping_count(p->st);

	for (int k = 0; k < FEED_NKINDS; k++)
		pending += p->owed[k].set ? p->cfg->npings : 0;
	pending += p->nowed_docs;
	if (p->on_counts != NULL && (pending != p->pending ||
	    p->failed != p->failed_told)) {
		p->pending = pending;
		p->failed_told = p->failed;
		p->on_counts(p->ud);
	}
}

/*
 * The feed at feed_url changed: queue one ping per target, merged with any
 * still pending for the same (target, feed). entries is the JSON array of
 * the changed entries (see pingmsg_entries()), for webhooks.
 */
static int
feed_changed(struct ping *p, const char *feed_url, const char *entries)
{
	double now = wall_now();
	int rc = 0;

	for (size_t i = 0; i < p->cfg->npings && rc == 0; i++) {
		const struct ping_target *t = &p->cfg->pings[i];
		char *old = NULL, *body = NULL;

		if (t->kind == PING_WEBHOOK) {
			old = state_ping_body(p->st, t->name, feed_url);
			if ((body = pingmsg_entries_merge(old, entries)) == NULL)
				rc = -1;
		}
		if (rc == 0)
			rc = state_ping_add(p->st, t->name, feed_url, body, now);
		free(old);
		free(body);
	}
	if (p->cfg->npings > 0)
		schedule_soon(p);
	return rc;
}

/* ---- what was announced ----------------------------------------------- */

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct announced *)a)->id,
	    ((const struct announced *)b)->id);
}

/*
 * The entries of rs that kind has not announced with this updated time
 * (in rs's order, borrowed from rs) into *changed, their number into *k,
 * and rs as the list to announce next, sorted by id, into *now. Returns
 * 0, or -1 when out of memory.
 */
static int
compare(const struct ping *p, enum feed_kind kind, struct release *const *rs,
    size_t n, struct release ***changed, size_t *k, struct announced **now)
{
	struct announced *v = calloc(n + 1, sizeof(*v));
	struct release **ch = calloc(n + 1, sizeof(*ch));
	size_t i;

	*k = 0;
	for (i = 0; i < n && v != NULL && ch != NULL; i++) {
		struct announced key = { rs[i]->id, rs[i]->updated.sec };
		const struct announced *was = p->nseen[kind] == 0 ? NULL :
		    bsearch(&key, p->seen[kind], p->nseen[kind],
		    sizeof(key), by_id);

		if (was == NULL || was->updated != key.updated)
			ch[(*k)++] = rs[i];
		if ((v[i].id = strdup(rs[i]->id)) == NULL)
			break;
		v[i].updated = key.updated;
	}
	if (v == NULL || ch == NULL || i < n) {
		state_announced_free(v, i);
		free(ch);
		return -1;
	}
	qsort(v, n, sizeof(*v), by_id);
	*changed = ch;
	*now = v;
	return 0;
}

static char *
feed_url(const struct ping *p, enum feed_kind kind)
{
	char *url = NULL;

	if (asprintf(&url, "%s%s", p->cfg->feed.base_url,
	    feed_file_name(kind)) < 0)
		return NULL;
	return url;
}

/*
 * Queue the pings and remember what they announce in one transaction:
 * what kind announced moves on only once the queue holds the pings.
 */
static int
queue(struct ping *p, enum feed_kind kind, struct owed *o)
{
	if (state_begin(p->st) < 0)
		return -1;
	if (feed_changed(p, o->url, o->entries) < 0 ||
	    state_announced_set(p->st, o->url, o->now, o->n) < 0) {
		state_rollback(p->st);
		return -1;
	}
	if (state_commit(p->st) < 0)
		return -1;
	state_announced_free(p->seen[kind], p->nseen[kind]);
	p->seen[kind] = o->now;
	p->nseen[kind] = o->n;
	o->now = NULL;
	return 0;
}

static void
docs_clear(struct ping *p)
{
	for (size_t d = 0; d < p->nowed_docs; d++)
		free(p->owed_docs[d]);
	free(p->owed_docs);
	p->owed_docs = NULL;
	p->nowed_docs = 0;
}

static void
owed_clear(struct owed *o)
{
	free(o->url);
	free(o->entries);
	state_announced_free(o->now, o->n);
	memset(o, 0, sizeof(*o));
}

/*
 * The WebSub pings of the other documents owed (sub-feeds, archives), in
 * one transaction: a hub fetches the topic itself, so one ping per hub and
 * document. XML-RPC services and webhooks hear of the main feeds only.
 */
static int
queue_docs(struct ping *p)
{
	double now = wall_now();
	int rc;

	if (state_begin(p->st) < 0)
		return -1;
	rc = 0;
	for (size_t d = 0; d < p->nowed_docs && rc == 0; d++)
		for (size_t i = 0; i < p->cfg->npings && rc == 0; i++)
			if (p->cfg->pings[i].kind == PING_WEBSUB)
				rc = state_ping_add(p->st, p->cfg->pings[i].name,
				    p->owed_docs[d], NULL, now);
	if (rc < 0) {
		state_rollback(p->st);
		return -1;
	}
	if (state_commit(p->st) < 0)
		return -1;
	docs_clear(p);
	schedule_soon(p);
	return 0;
}

/*
 * Write what is owed to the queue; what the database cannot take yet
 * stays owed, and the owed timer tries again.
 */
static void
flush_owed(struct ping *p)
{
	bool left = false;

	for (int k = 0; k < FEED_NKINDS; k++) {
		struct owed *o = &p->owed[k];

		if (!o->set)
			continue;
		if (queue(p, k, o) == 0)
			owed_clear(o);
		else
			left = true;
	}
	if (p->nowed_docs > 0 && queue_docs(p) < 0)
		left = true;
	if (left && !p->owed_told)
		log_errx("ping: the state database cannot queue pings now; "
		    "they are kept and queued as soon as it can");
	else if (!left && p->owed_told)
		log_info("ping: the pings kept meanwhile are queued");
	p->owed_told = left;
	ev_timer_stop(p->loop, &p->owed_timer);
	if (left) {
		ev_timer_set(&p->owed_timer, OWED_RETRY, 0.);
		ev_timer_start(p->loop, &p->owed_timer);
	}
	counts(p);
}

static void
owed_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	flush_owed(t->data);
}

void
ping_published(struct ping *p, enum feed_kind kind,
    struct release *const *rs, size_t n, bool written)
{
	struct owed *o, next = { .set = true, .n = n };
	struct release **changed = NULL;
	size_t k;

	if (p == NULL)
		return;
	o = &p->owed[kind];
	if (compare(p, kind, rs, n, &changed, &k, &next.now) < 0 ||
	    (next.entries = pingmsg_entries(changed, k)) == NULL ||
	    (next.url = feed_url(p, kind)) == NULL) {
		log_errx("ping: out of memory; %s not announced",
		    feed_file_name(kind));
		owed_clear(&next);
		free(changed);
		return;
	}
	free(changed);
	/* Unwritten, what was announced, nothing owed: up to date. */
	if (!written && !o->set && k == 0 && n == p->nseen[kind]) {
		owed_clear(&next);
		return;
	}
	owed_clear(o);
	*o = next;
	flush_owed(p);
}

void
ping_document_changed(struct ping *p, const char *name)
{
	char *url = NULL, **v;
	bool websub = false;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->cfg->npings; i++)
		websub |= p->cfg->pings[i].kind == PING_WEBSUB;
	if (!websub)
		return;
	if (asprintf(&url, "%s%s", p->cfg->feed.base_url, name) < 0) {
		log_errx("ping: out of memory; %s not announced", name);
		return;
	}
	for (size_t d = 0; d < p->nowed_docs; d++)
		if (strcmp(p->owed_docs[d], url) == 0) {
			free(url);	/* owed already: one ping says it */
			return;
		}
	if (p->nowed_docs == MAX_OWED_DOCS || (v = realloc(p->owed_docs,
	    (p->nowed_docs + 1) * sizeof(*v))) == NULL) {
		log_errx("ping: too many documents owed; %s not announced",
		    name);
		free(url);
		return;
	}
	p->owed_docs = v;
	p->owed_docs[p->nowed_docs++] = url;
	flush_owed(p);
}

/* What the feeds announced before a restart. */
static void
load_announced(struct ping *p)
{
	for (int k = 0; k < FEED_NKINDS; k++) {
		char *url = feed_url(p, k);

		if (url == NULL || state_announced_get(p->st, url, &p->seen[k],
		    &p->nseen[k]) < 0)
			log_errx("ping: what %s announced is unknown; its next "
			    "webhook lists every entry", feed_file_name(k));
		free(url);
	}
}

void
ping_counts(struct ping *p, size_t *pending, size_t *failed)
{
	*pending = p->pending;
	*failed = p->failed;
}

struct ping *
ping_new(struct ev_loop *loop, struct state *st, const struct config *c,
    ping_counts_fn *on_counts, void *ud)
{
	struct ping *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->loop = loop;
	p->st = st;
	p->cfg = c;
	if ((p->multi = curl_multi_init()) == NULL ||
	    (p->busy = xmlHashCreate(64)) == NULL || index_targets(p) < 0) {
		ping_free(p);
		return NULL;
	}
	p->on_counts = on_counts;
	p->ud = ud;
	ev_init(&p->curl_timer, curl_timer_cb);
	ev_prepare_init(&p->ended, ended_cb);
	p->ended.data = p;
	ev_init(&p->due_timer, due_cb);
	ev_init(&p->owed_timer, owed_cb);
	p->curl_timer.data = p->due_timer.data = p->owed_timer.data = p;
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	srand((unsigned)time(NULL) ^ (unsigned)(uintptr_t)p);
	load_announced(p);
	/*
	 * Not schedule(): at start the pending rows must wait for the
	 * start-up publish, which may merge a change into them (a new gen);
	 * taken now, they would go out once as they were and once merged.
	 */
	schedule_soon(p);
	return p;
}

void
ping_delegate(struct ping *p, const struct ping_delegate *d)
{
	p->dg = d;
	schedule_soon(p);
}

void
ping_kick(struct ping *p)
{
	schedule_soon(p);
}

void
ping_configure(struct ping *p, const struct config *c)
{
	p->cfg = c;
	if (index_targets(p) < 0)
		log_errx("ping: out of memory");
	forget_cursor(p);	/* targets come and go */
	schedule(p);
}

void
ping_free(struct ping *p)
{
	if (p == NULL)
		return;
	p->on_counts = NULL;	/* whoever listened may be gone */
	/* Transfers that ended in the last iteration: their rows go now. */
	if (ev_is_active(&p->ended)) {
		ev_prepare_stop(p->loop, &p->ended);
		check_done(p);
	}
	if (p->owed_timer.data != NULL)
		flush_owed(p);		/* a last try */
	ev_timer_stop(p->loop, &p->owed_timer);
	for (int k = 0; k < FEED_NKINDS; k++) {
		if (p->owed[k].set)
			log_errx("ping: the pings of %s could not be queued; "
			    "the next start sends them", p->owed[k].url);
		owed_clear(&p->owed[k]);
	}
	if (p->nowed_docs > 0)
		log_errx("ping: the pings of %zu documents could not be "
		    "queued; their hubs hear of them at their next change",
		    p->nowed_docs);
	docs_clear(p);
	free(p->batch);
	for (size_t i = 0; i < p->nundone; i++) {
		free(p->undone[i].target);
		free(p->undone[i].feed);
	}
	while (p->xfers != NULL) {
		struct xfer *x = p->xfers;

		p->xfers = x->next;
		xfer_free(x);
	}
	ev_timer_stop(p->loop, &p->curl_timer);
	ev_timer_stop(p->loop, &p->due_timer);
	ev_prepare_stop(p->loop, &p->ended);
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	xmlHashFree(p->busy, NULL);
	xmlHashFree(p->targets, NULL);
	for (int k = 0; k < FEED_NKINDS; k++)
		state_announced_free(p->seen[k], p->nseen[k]);
	free(p);
}
