/*
 * hub: see hub.h, and docs/http.md for the hand-over from the HTTP
 * threads. Sections: requests, verification, leases, delivery.
 */
#include "hub.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "hubmsg.h"
#include "log.h"
#include "pingmsg.h"

#define TARGET_PREFIX	"hub/"
/* Verifications waiting for their turn, at most; then 503. */
#define MAX_WAITING	10000
/* Verifications under way at once, at most (each holds a socket). */
#define MAX_RUNNING	64

/* One verification of intent, from the request to its answer. */
struct verif {
	struct verif *next;
	struct hub *hub;
	struct http_job *job;	/* a sync request's, answered at the end */
	enum hub_mode mode;
	char *topic, *callback, *host, *secret, *verify_token;
	unsigned lease;
	char challenge[HUBMSG_CHALLENGE_SIZE];
};

struct hub {
	struct ev_loop *loop;
	struct state *st;
	struct ping *ping;
	struct http *http;
	const struct config *cfg;
	struct ping_delegate dg;
	ev_timer expiry;	/* the next lease ends */
	ev_timer tick;		/* the rate allows the next verification */
	struct verif *wait, *wait_tail;	/* for their turn */
	size_t nwait;
	struct verif *running;	/* under way (ping_transfer) */
	size_t nrunning;
	double tokens;		/* verifications that may start now */
	double refilled;	/* monotonic s of the last refill */
};

/* What a delivery borrows while it runs. */
struct delivery {
	struct docset *ds;	/* a reference: the bytes sent */
	struct curl_slist *headers;
};

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
verif_free(struct verif *v)
{
	if (v == NULL)
		return;
	if (v->job != NULL)
		http_job_answer(v->job, 503, "the hub is stopping\n");
	free(v->topic);
	free(v->callback);
	free(v->host);
	free(v->secret);
	free(v->verify_token);
	free(v);
}

/* ---- the callback policy, on the address actually connected to -------- */

static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	const struct hub *h = ud;

	(void)purpose;
	if (!hubmsg_address_ok(&a->addr, h->cfg->hub.allow_private)) {
		char host[64] = "?";

		getnameinfo(&a->addr, a->addrlen, host, sizeof(host), NULL, 0,
		    NI_NUMERICHOST);
		log_warnx("hub: callback address %s refused (private; "
		    "allow_private_callbacks is off)", host);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* A transfer to a callback: policies shared by verification and delivery. */
static CURL *
callback_easy(struct hub *h, const char *url)
{
	const struct config *c = h->cfg;
	CURL *e = curl_easy_init();

	if (e == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "feedpubd/" FEEDPUBD_VERSION
	    " (WebSub hub)");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)c->ping_connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->ping_timeout_s);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* A proxy would be the address connected to: none. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, h);
	return e;
}

/* ---- verification ----------------------------------------------------- */

static void arm_expiry(struct hub *h);
static void pump(struct hub *h);

static void
unlink_running(struct hub *h, struct verif *v)
{
	for (struct verif **pp = &h->running; *pp != NULL; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			h->nrunning--;
			return;
		}
}

/* The subscription's new state, once verified. Returns 0 or -1. */
static int
apply(struct hub *h, const struct verif *v)
{
	if (v->mode == HUB_UNSUBSCRIBE) {
		if (state_hub_del(h->st, v->topic, v->callback) < 0)
			return -1;
		log_info("hub: %s unsubscribed from %s", v->callback,
		    v->topic);
		return 0;
	}
	{
		struct hub_sub s = { .topic = v->topic, .callback = v->callback,
		    .host = v->host, .secret = v->secret };
		double now = wall_now();

		s.expires = now + v->lease;
		if (state_hub_put(h->st, &s, now) < 0)
			return -1;
	}
	log_info("hub: %s subscribed to %s for %u s%s", v->callback, v->topic,
	    v->lease, v->secret ? ", signed" : "");
	arm_expiry(h);
	return 0;
}

static void
verified(void *ud, long code, const char *body, size_t len, const char *err)
{
	struct verif *v = ud;
	struct hub *h = v->hub;
	bool ok = hubmsg_confirmed(code, body, len, v->challenge);
	const char *mode = v->mode == HUB_SUBSCRIBE ? "subscribe" :
	    "unsubscribe";

	unlink_running(h, v);
	if (!ok) {
		char why[128];

		if (err != NULL)
			snprintf(why, sizeof(why), "%s", err);
		else if (code < 200 || code >= 300)
			snprintf(why, sizeof(why), "HTTP %ld", code);
		else
			snprintf(why, sizeof(why), "the body is not the "
			    "challenge");
		log_info("hub: %s of %s to %s not verified: %s", mode,
		    v->callback, v->topic, why);
		if (v->job != NULL) {
			char text[200];

			snprintf(text, sizeof(text), "verification failed: "
			    "%s\n", why);
			http_job_answer(v->job, 409, text);
			v->job = NULL;
		}
	} else if (apply(h, v) < 0) {
		if (v->job != NULL) {
			http_job_answer(v->job, 503, "cannot store the "
			    "subscription\n");
			v->job = NULL;
		}
	} else if (v->job != NULL) {
		http_job_answer(v->job, 204, "");
		v->job = NULL;
	}
	verif_free(v);
	pump(h);
}

static void
start_verif(struct hub *h, struct verif *v)
{
	char *url = hubmsg_verify_url(v->callback, v->mode, v->topic,
	    v->challenge, v->lease, v->verify_token);
	CURL *e = url ? callback_easy(h, url) : NULL;

	if (e != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	free(url);
	/* ping_transfer() frees e when it fails. */
	if (e == NULL || ping_transfer(h->ping, e, verified, v) < 0) {
		log_errx("hub: cannot verify %s (out of memory)", v->callback);
		verif_free(v);
		return;
	}
	v->next = h->running;
	h->running = v;
	h->nrunning++;
}

static void
tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	pump(t->data);
}

/*
 * Start what the rate allows (a token bucket, one second's worth) and the
 * cap on those under way (each end starts the next).
 */
static void
pump(struct hub *h)
{
	double now = mono_now(), rate = h->cfg->hub.verify_rate;

	h->tokens = fmin(rate, h->tokens + (now - h->refilled) * rate);
	h->refilled = now;
	while (h->wait != NULL && h->tokens >= 1. &&
	    h->nrunning < MAX_RUNNING) {
		struct verif *v = h->wait;

		if ((h->wait = v->next) == NULL)
			h->wait_tail = NULL;
		h->nwait--;
		v->next = NULL;
		h->tokens -= 1.;
		start_verif(h, v);
	}
	ev_timer_stop(h->loop, &h->tick);
	if (h->wait != NULL && h->nrunning < MAX_RUNNING) {
		ev_timer_set(&h->tick, (1. - h->tokens) / rate, 0.);
		ev_timer_start(h->loop, &h->tick);
	}
}

/* ---- requests --------------------------------------------------------- */

/*
 * The document a topic URL names, if it is a feed we serve (any served
 * .atom/.rss/.json: main feeds, sub-feeds, archives); else NULL.
 */
static const char *
topic_name(struct hub *h, const char *topic, const struct docset *ds)
{
	const char *base = h->cfg->feed.base_url;
	size_t n = strlen(base);
	const struct doc *d;

	if (ds == NULL || strncmp(topic, base, n) != 0)
		return NULL;
	d = docset_find(ds, topic + n);
	return d != NULL && d->feed ? d->name : NULL;
}

static char *
dup_or_null(const char *s, bool *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*nomem = true;
	return d;
}

/* Check a request; NULL and a new verif, or a reason and *code. */
static const char *
take(struct hub *h, const struct hub_form *f, struct verif **out,
    unsigned *code)
{
	const struct hub_config *hc = &h->cfg->hub;
	enum hub_mode mode;
	const char *why;
	char *host = NULL;
	struct verif *v;
	bool nomem = false;
	int64_t id;

	*code = 400;
	if ((why = hubmsg_check(f, &mode)) != NULL)
		return why;
	if (topic_name(h, f->topic, h->http ? http_docset(h->http) : NULL) ==
	    NULL)
		return "hub.topic is not a feed of this hub (a hub for its own "
		    "feeds only)";
	if (hubmsg_callback(f->callback, &host) != NULL || host == NULL) {
		*code = 503;
		return "out of memory";
	}
	*code = 403;
	if (mode == HUB_SUBSCRIBE &&
	    (id = state_hub_find(h->st, f->topic, f->callback)) == 0) {
		if (state_hub_count(h->st, f->topic, NULL) >= hc->max_per_topic)
			why = "too many subscriptions to this topic";
		else if (state_hub_count(h->st, NULL, host) >= hc->max_per_host)
			why = "too many subscriptions with callbacks on this "
			    "host";
	} else if (mode == HUB_SUBSCRIBE && id < 0) {
		*code = 503;
		why = "the subscriptions cannot be read now: try again later";
	}
	if (why == NULL && h->nwait >= MAX_WAITING) {
		*code = 503;
		why = "too many verifications waiting: try again later";
	}
	if (why != NULL) {
		free(host);
		return why;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		free(host);
		*code = 503;
		return "out of memory";
	}
	v->hub = h;
	v->mode = mode;
	v->host = host;
	v->lease = hubmsg_lease(f->lease, hc->lease_min, hc->lease_default,
	    hc->lease_max);
	v->topic = dup_or_null(f->topic, &nomem);
	v->callback = dup_or_null(f->callback, &nomem);
	v->secret = dup_or_null(f->secret, &nomem);
	v->verify_token = dup_or_null(f->verify_token, &nomem);
	if (nomem || hubmsg_challenge(v->challenge) < 0) {
		verif_free(v);
		*code = 503;
		return "out of memory";
	}
	*out = v;
	return NULL;
}

void
hub_post(void *ud, struct http_job *job)
{
	struct hub *h = ud;
	struct hub_form f;
	struct verif *v = NULL;
	const char *why, *body;
	unsigned code = 400;
	size_t len;
	char text[300];

	body = http_job_body(job, &len);
	if (hubmsg_parse(body, len, &f) < 0)
		why = errno == ENOMEM ? "out of memory" : "the form is "
		    "malformed (a bad %-escape or a NUL)";
	else
		why = take(h, &f, &v, &code);
	if (why != NULL) {
		log_debug("hub: %s: refused (%u): %s", http_job_client(job),
		    code, why);
		snprintf(text, sizeof(text), "%s\n", why);
		http_job_answer(job, code, text);
		hubmsg_form_free(&f);
		return;
	}
	if (hubmsg_sync(&f))
		v->job = job;
	else
		http_job_answer(job, 202, "accepted: the hub verifies the "
		    "callback now\n");
	hubmsg_form_free(&f);
	if (h->wait_tail != NULL)
		h->wait_tail->next = v;
	else
		h->wait = v;
	h->wait_tail = v;
	h->nwait++;
	pump(h);
}

void
hub_drop_jobs(struct hub *h)
{
	for (struct verif *v = h->wait; v != NULL; v = v->next)
		if (v->job != NULL) {
			http_job_answer(v->job, 503, "the hub is restarting\n");
			v->job = NULL;
		}
	for (struct verif *v = h->running; v != NULL; v = v->next)
		if (v->job != NULL) {
			http_job_answer(v->job, 503, "the hub is restarting\n");
			v->job = NULL;
		}
}

/* ---- leases ----------------------------------------------------------- */

static void
expiry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct hub *h = t->data;
	int n;

	(void)loop;
	(void)revents;
	if ((n = state_hub_expire(h->st, wall_now())) > 0)
		log_info("hub: %d subscription%s expired", n, n == 1 ? "" :
		    "s");
	arm_expiry(h);
}

static void
arm_expiry(struct hub *h)
{
	double next = state_hub_next_expiry(h->st), now = wall_now();

	ev_timer_stop(h->loop, &h->expiry);
	if (!isfinite(next))
		return;
	/* Wall-clock: a long lease is rechecked at least hourly. */
	ev_timer_set(&h->expiry, fmin(3600., fmax(0., next - now) + 0.01),
	    0.);
	ev_timer_start(h->loop, &h->expiry);
}

/* ---- delivery --------------------------------------------------------- */

void
hub_published(struct hub *h, const char *name)
{
	char *topic = NULL;
	double t0 = mono_now();
	int n;

	if (h == NULL || asprintf(&topic, "%s%s", h->cfg->feed.base_url,
	    name) < 0)
		return;
	/* One statement: thousands of rows in milliseconds. */
	if ((n = state_hub_queue(h->st, topic, TARGET_PREFIX, wall_now())) < 0)
		log_errx("hub: the deliveries of %s could not be queued",
		    topic);
	else if (n > 0) {
		log_debug("hub: %s changed: %d deliveries queued in %.1f ms",
		    topic, n, (mono_now() - t0) * 1e3);
		ping_kick(h->ping);
	}
	free(topic);
}

/* The subscription id of a queue row's target, or 0. */
static int64_t
target_id(const char *target)
{
	char *end;
	long long id;

	if (strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) != 0)
		return 0;
	id = strtoll(target + strlen(TARGET_PREFIX), &end, 10);
	return *end == '\0' && id > 0 ? id : 0;
}

static void
delivery_free(void *arg)
{
	struct delivery *d = arg;

	if (d == NULL)
		return;
	docset_unref(d->ds);
	curl_slist_free_all(d->headers);
	free(d);
}

/* "name: value" appended to l; *err set when out of memory. */
static struct curl_slist *
add_header(struct curl_slist *l, bool *err, const char *name, const char *v)
{
	char *line = NULL;
	struct curl_slist *n;

	if (*err || asprintf(&line, "%s%s%s", name, v[0] ? ": " : ":", v) < 0) {
		*err = true;
		return l;
	}
	if ((n = curl_slist_append(l, line)) == NULL)
		*err = true;
	free(line);
	return n ? n : l;
}

/* A due delivery: the topic's bytes now, or NULL (the row goes). */
static CURL *
request(void *ud, const struct pending_ping *pp, void **arg)
{
	struct hub *h = ud;
	struct hub_sub s;
	struct delivery *d = NULL;
	const struct doc *doc;
	const char *name;
	char *link = NULL, *sig = NULL;
	CURL *e = NULL;
	bool err = false;
	int64_t id = target_id(pp->target);

	*arg = NULL;
	if (id == 0 || h->http == NULL || state_hub_get(h->st, id, &s) != 1)
		return NULL;
	if (strcmp(s.topic, pp->feed) != 0 || s.expires <= wall_now() ||
	    (d = calloc(1, sizeof(*d))) == NULL ||
	    (d->ds = http_docset_ref(h->http)) == NULL ||
	    (name = topic_name(h, s.topic, d->ds)) == NULL ||
	    (doc = docset_find(d->ds, name)) == NULL)
		goto fail;
	link = http_link(h->http, doc, &err);
	d->headers = add_header(NULL, &err, "Content-Type", doc->type);
	if (link != NULL)
		d->headers = add_header(d->headers, &err, "Link", link);
	d->headers = add_header(d->headers, &err, "Expect", "");
	/* The pings' delivery id: the same on every retry (ping.h). */
	if (pp->delivery != NULL)
		d->headers = add_header(d->headers, &err, PING_DELIVERY_HEADER,
		    pp->delivery);
	if (s.secret != NULL) {
		sig = pingmsg_signature(s.secret, (const char *)doc->body,
		    doc->len);
		err = err || sig == NULL;
		if (sig != NULL)
			d->headers = add_header(d->headers, &err,
			    "X-Hub-Signature", sig);
	}
	if (err || (e = callback_easy(h, s.callback)) == NULL)
		goto fail;
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)doc->len);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, doc->body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
	*arg = d;
	d = NULL;
fail:
	if (e == NULL && *arg == NULL)
		log_debug("hub: delivery %s of %s dropped (subscription gone "
		    "or expired, or no such document)", pp->target, pp->feed);
	delivery_free(d);
	free(link);
	free(sig);
	state_hub_sub_finish(&s);
	return e;
}

static enum ping_verdict
verdict(void *ud, const char *target, const char *feed, long code,
    int attempts)
{
	struct hub *h = ud;

	if (code >= 200 && code < 300)
		return PING_DONE;
	if (code == 410) {
		/* The Recommendation: Gone ends the subscription. */
		log_info("hub: %s answered 410 Gone for %s: unsubscribed",
		    target, feed);
		state_hub_del_id(h->st, target_id(target));
		return PING_DONE;
	}
	return attempts >= (int)h->cfg->hub.max_attempts ? PING_GIVE_UP :
	    PING_RETRY;
}

/* ---- the rest --------------------------------------------------------- */

struct hub *
hub_new(struct ev_loop *loop, struct state *st, struct ping *ping,
    const struct config *c)
{
	struct hub *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->loop = loop;
	h->st = st;
	h->ping = ping;
	h->cfg = c;
	h->tokens = c->hub.verify_rate;
	h->refilled = mono_now();
	ev_init(&h->expiry, expiry_cb);
	ev_init(&h->tick, tick_cb);
	h->expiry.data = h->tick.data = h;
	h->dg = (struct ping_delegate){ .prefix = TARGET_PREFIX,
	    .request = request, .cleanup = delivery_free, .verdict = verdict,
	    .ud = h };
	ping_delegate(ping, &h->dg);
	/* Leases that ended while feedpubd was not running. */
	expiry_cb(loop, &h->expiry, 0);
	log_info("hub: %" PRId64 " subscriptions", state_hub_count(st, NULL,
	    NULL));
	return h;
}

void
hub_serve(struct hub *h, struct http *http)
{
	if (h != NULL)
		h->http = http;
}

void
hub_configure(struct hub *h, const struct config *c)
{
	if (h != NULL)
		h->cfg = c;
}

void
hub_free(struct hub *h)
{
	if (h == NULL)
		return;
	ev_timer_stop(h->loop, &h->expiry);
	ev_timer_stop(h->loop, &h->tick);
	while (h->wait != NULL) {
		struct verif *v = h->wait;

		h->wait = v->next;
		verif_free(v);
	}
	while (h->running != NULL) {
		struct verif *v = h->running;

		h->running = v->next;
		verif_free(v);
	}
	free(h);
}
