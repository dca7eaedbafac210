/*
 * serve: see serve.h.
 */
#include "serve.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "feeds/date.h"
#include "feeds/output.h"
#include "http.h"
#include "hub.h"
#include "log.h"

struct serve {
	struct ev_loop *loop;
	const struct config *cfg;	/* borrowed */
	struct statedir *sd;		/* borrowed */
	struct http *http;		/* NULL: not serving */
	struct hub *hub;		/* NULL: no hub */
	bool http_fresh;		/* nothing published to it yet */
	int fds[8];			/* socket activation's, nfds */
	size_t nfds;
	/*
	 * The files output.c wrote or removed since the snapshot was made
	 * ("dir/name"), from the loop and the site's threads; past
	 * JOURNAL_MAX (or out of memory) only that it overflowed.
	 */
	pthread_mutex_t lock;
	char **journal;
	size_t njournal;
	bool overflow;
	bool walk;			/* the next snapshot walks the folder */
	double walked_ms;		/* the last walk, date_mono_ms() */
	bool last_walked;		/* the last snapshot walked (for the log) */
};

/*
 * A snapshot re-reads the files a publish wrote; every WALK_EVERY_MS at
 * most, and after a reload or a failure, it walks the whole folder, so
 * that what other writers put there is served too.
 */
#define JOURNAL_MAX 100000
#define WALK_EVERY_MS (10 * 60 * 1000.0)

static void
note_change(void *ud, const char *dir, const char *name)
{
	struct serve *sv = ud;
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);
	char **v;

	pthread_mutex_lock(&sv->lock);
	if (sv->njournal < JOURNAL_MAX && path != NULL &&
	    (v = reallocarray(sv->journal, sv->njournal + 1, sizeof(*v)))) {
		snprintf(path, len, "%s/%s", dir, name);
		sv->journal = v;
		sv->journal[sv->njournal++] = path;
		path = NULL;
	} else {
		sv->overflow = true;
	}
	pthread_mutex_unlock(&sv->lock);
	free(path);
}

/* The journal's names under dir, relative to it, into *v (the journal is
 * emptied). Returns their count, or -1 (*v NULL) when it overflowed. */
static long
take_journal(struct serve *sv, const char *dir, char ***v)
{
	size_t n = 0, dlen = strlen(dir);
	bool over;

	pthread_mutex_lock(&sv->lock);
	*v = sv->journal;
	over = sv->overflow;
	for (size_t i = 0; i < sv->njournal; i++) {
		char *p = sv->journal[i];

		if (over || strncmp(p, dir, dlen) != 0 || p[dlen] != '/') {
			free(p);
			continue;
		}
		for (p += dlen; *p == '/'; p++)
			;
		memmove(sv->journal[i], p, strlen(p) + 1);
		(*v)[n++] = sv->journal[i];
	}
	sv->journal = NULL;
	sv->njournal = 0;
	sv->overflow = false;
	pthread_mutex_unlock(&sv->lock);
	if (over) {
		free(*v);
		*v = NULL;
		return -1;
	}
	return (long)n;
}

static void
names_free(char **v, long n)
{
	for (long i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A POST to the hub; it needs the state database, which may be down. */
static void
post(void *ud, struct http_job *job)
{
	struct serve *sv = ud;

	if (sv->hub == NULL)
		http_job_answer(job, 503, "the hub's state database is not "
		    "open yet: try again later\n");
	else
		hub_post(sv->hub, job);
}

/* The hub, once the state database and the pings are there. */
static void
start_hub(struct serve *sv)
{
	struct ping *ping = statedir_ping(sv->sd);

	if (!sv->cfg->hub.enabled || sv->hub != NULL || ping == NULL)
		return;
	if ((sv->hub = hub_new(sv->loop, statedir_state(sv->sd), ping,
	    sv->cfg)) == NULL)
		log_errx("hub: out of memory; not serving subscriptions");
	hub_serve(sv->hub, sv->http);
}

static void
http_settings_of(const struct serve *sv, const struct config *c,
    struct http_settings *s)
{
	http_settings_init(s);
	s->listen = c->http.listenv;
	s->nlisten = c->http.nlisten;
	s->base_path = c->http.base_path ? c->http.base_path : "/";
	s->self_base = c->feed.base_url;
	s->hubs = c->feed.hubs;
	s->nhubs = c->feed.nhubs;
	s->max_age = c->http.max_age;
	s->threads = c->http.threads;
	s->max_connections = c->http.max_connections;
	s->max_per_ip = c->http.max_per_ip;
	s->timeout = c->http.timeout;
	s->conn_memory = c->http.conn_memory;
	s->max_url = c->http.max_url;
	if (c->hub.enabled) {
		s->post_name = "hub";
		s->post = post;
		s->post_ud = (void *)sv;
	}
}

/* Whether c serves differently from old (then the server is made anew). */
static bool
http_changed(const struct serve *sv, const struct config *old,
    const struct config *c)
{
	struct http_settings a, b;
	bool diff;

	http_settings_of(sv, old, &a);
	http_settings_of(sv, c, &b);
	diff = a.nlisten != b.nlisten || a.nhubs != b.nhubs ||
	    strcmp(a.base_path, b.base_path) != 0 ||
	    strcmp(a.self_base, b.self_base) != 0 ||
	    a.max_age != b.max_age || a.threads != b.threads ||
	    a.max_connections != b.max_connections ||
	    a.max_per_ip != b.max_per_ip || a.timeout != b.timeout ||
	    a.conn_memory != b.conn_memory || a.max_url != b.max_url;
	for (size_t i = 0; !diff && i < a.nlisten; i++)
		diff = strcmp(a.listen[i], b.listen[i]) != 0;
	for (size_t i = 0; !diff && i < a.nhubs; i++)
		diff = strcmp(a.hubs[i], b.hubs[i]) != 0;
	return diff;
}

/* A server for c (none without addresses). Returns 0, or -1 (logged). */
static int
start_http(struct serve *sv, const struct config *c)
{
	struct http_settings s;

	if (c->http.nlisten == 0 && sv->nfds == 0)
		return 0;
	http_settings_of(sv, c, &s);
	if ((sv->http = http_new(sv->loop, &s, sv->fds, sv->nfds)) == NULL)
		return -1;
	sv->http_fresh = true;
	hub_serve(sv->hub, sv->http);
	return 0;
}

void
serve_stop(struct serve *sv)
{
	if (sv == NULL)
		return;
	if (sv->hub != NULL)
		hub_drop_jobs(sv->hub);
	hub_serve(sv->hub, NULL);
	http_free(sv->http);
	sv->http = NULL;
}

/* A new set with the pages gone (410), or NULL (logged). */
static struct docset *
set_with_gone(const char *const *gone, size_t ngone)
{
	struct docset *ds = docset_new();

	if (ds != NULL && docset_set_gone(ds, gone, ngone) < 0)
		log_errx("http: out of memory: the pages of deleted releases "
		    "are answered 404, not 410");
	return ds;
}

/*
 * The snapshot after a publish: the served one with the files the publish
 * wrote or removed read again (docset_update), or, the first time, after
 * a reload, a failure or an overflowed journal and every WALK_EVERY_MS,
 * every document of the output folder (docset_reload: a stat of each, a
 * read of those that changed). NULL (logged) when it cannot be read.
 */
static struct docset *
snapshot(struct serve *sv, const struct docset *cur, const char *const *gone,
    size_t ngone)
{
	const char *dir = sv->cfg->output_dir;
	double now = date_mono_ms();
	char **names;
	long n = take_journal(sv, dir, &names);
	bool walk = cur == NULL || n < 0 || sv->walk ||
	    now - sv->walked_ms >= WALK_EVERY_MS;
	struct docset *ds = set_with_gone(gone, ngone);

	if (ds != NULL && !walk && docset_update(ds, dir, cur,
	    (const char *const *)names, (size_t)n) < 0) {
		docset_unref(ds);
		ds = set_with_gone(gone, ngone);
		walk = true;
	}
	names_free(names, n);
	if (ds != NULL && walk && docset_reload(ds, dir, cur) < 0) {
		docset_unref(ds);
		ds = NULL;
	}
	sv->walk = ds == NULL;	/* what the journal said is lost */
	if (ds != NULL && walk)
		sv->walked_ms = now;
	sv->last_walked = walk;
	return ds;
}

/*
 * After a publish: serve the new snapshot (with the pages of deleted
 * releases to answer 410 Gone for), then tell the hub which feeds changed
 * (main feeds, sub-feeds, archives): its deliveries send the bytes now
 * served.
 */
void
serve_published(struct serve *sv, const struct pipe_result *res)
{
	bool any = sv->http_fresh || res->site_changed;
	const struct docset *cur;
	const char *const *gone = res->gone;
	size_t ngone = res->ngone;
	struct docset *ds;
	double t0, t1;

	if (sv->http == NULL) {
		char **names;

		names_free(names, take_journal(sv, "", &names));
		return;
	}
	/* The pages gone (410) are part of the snapshot: swapped with it. */
	if ((cur = http_docset(sv->http)) != NULL && gone == NULL)
		gone = docset_gone_names(cur, &ngone);
	any = any || (cur != NULL && !docset_same_gone(cur, gone, ngone));
	for (int k = 0; k < FEED_NKINDS; k++)
		any = any || res->changed[k];
	if (!any)
		return;
	t0 = date_mono_ms();
	if ((ds = snapshot(sv, cur, gone, ngone)) != NULL) {
		t1 = date_mono_ms();
		if (http_publish(sv->http, ds) == 0)
			sv->http_fresh = false;
		else
			sv->walk = true;
		log_debug("http: %s served %.1f ms after the publish (%.1f ms "
		    "reading it, %s)", sv->cfg->output_dir, date_mono_ms() - t0,
		    t1 - t0, sv->last_walked ? "walked" : "changed files only");
	} else {
		log_errx("http: %s cannot be read: serving what was there",
		    sv->cfg->output_dir);
		return;
	}
	/* Turned off by a reload: no new deliveries (queued ones go). */
	if (sv->hub == NULL || !sv->cfg->hub.enabled)
		return;
	for (int k = 0; k < FEED_NKINDS; k++)
		if (res->changed[k])
			hub_published(sv->hub, feed_file_name(k));
	/* Sub-feeds and archives whose own bytes changed (or that went:
	 * a delivery of a document no longer served is dropped). */
	for (size_t i = 0; i < res->nsubs_changed; i++)
		hub_published(sv->hub, res->subs_changed[i]);
}


struct serve *
serve_new(struct ev_loop *loop, const struct config *c, struct statedir *sd)
{
	struct serve *sv = calloc(1, sizeof(*sv));

	if (sv == NULL) {
		log_errx("out of memory");
		return NULL;
	}
	sv->loop = loop;
	sv->cfg = c;
	sv->sd = sd;
	pthread_mutex_init(&sv->lock, NULL);
	output_on_change(note_change, sv);
	start_hub(sv);
	/* Socket activation's sockets take the place of [http] listen. */
	for (int i = 0, n = sd_listen_fds(1); i < n && i < 8; i++)
		sv->fds[sv->nfds++] = SD_LISTEN_FDS_START + i;
	if (start_http(sv, c) < 0) {
		serve_stop(sv);
		serve_free(sv);
		return NULL;	/* logged: the address cannot be used */
	}
	if (c->hub.enabled && sv->http == NULL)
		log_warnx("the hub needs [http] listen: no one can subscribe");
	return sv;
}

void
serve_state_up(struct serve *sv)
{
	if (sv != NULL)
		start_hub(sv);
}

void
serve_configure(struct serve *sv, const struct config *c)
{
	if (http_changed(sv, sv->cfg, c) || (sv->http == NULL &&
	    (c->http.nlisten > 0 || sv->nfds > 0))) {
		/* It holds the port: the old one goes first. */
		serve_stop(sv);
		if (start_http(sv, c) < 0)
			log_errx("reload: not serving HTTP (see above)");
	}
	sv->cfg = c;
	sv->walk = true;	/* SIGHUP: what else changed is seen */
	hub_configure(sv->hub, c);
}

void
serve_free(struct serve *sv)
{
	char **names;

	if (sv == NULL)
		return;
	output_on_change(NULL, NULL);
	names_free(names, take_journal(sv, "", &names));
	pthread_mutex_destroy(&sv->lock);
	hub_free(sv->hub);
	free(sv);
}
