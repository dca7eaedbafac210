/*
 * serve: see serve.h.
 */
#include "serve.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "feeds/date.h"
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
};

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

/*
 * After a publish: serve every document of the output folder (so what
 * other writers put there is served too), reading only the files that
 * changed since the set served now (docset_reload: a stat of each), then
 * tell the hub which feeds changed: its deliveries send the bytes now
 * served.
 */
void
serve_published(struct serve *sv, const struct pipe_result *res)
{
	bool any = sv->http_fresh || res->site_changed;
	struct docset *ds;
	double t0, t1;

	for (int k = 0; k < FEED_NKINDS; k++)
		any = any || res->changed[k];
	if (sv->http == NULL || !any)
		return;
	t0 = date_mono_ms();
	if ((ds = docset_new()) != NULL && docset_reload(ds,
	    sv->cfg->output_dir, http_docset(sv->http)) >= 0) {
		t1 = date_mono_ms();
		if (http_publish(sv->http, ds) == 0)
			sv->http_fresh = false;
		log_debug("http: %s served %.1f ms after the publish (%.1f ms "
		    "reading it)", sv->cfg->output_dir, date_mono_ms() - t0,
		    t1 - t0);
	} else {
		log_errx("http: %s cannot be read: serving what was there",
		    sv->cfg->output_dir);
		docset_unref(ds);
		return;
	}
	/* Turned off by a reload: no new deliveries (queued ones go). */
	for (int k = 0; k < FEED_NKINDS && sv->hub != NULL &&
	    sv->cfg->hub.enabled; k++)
		if (res->changed[k])
			hub_published(sv->hub, feed_file_name(k));
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
	hub_configure(sv->hub, c);
}

void
serve_free(struct serve *sv)
{
	if (sv == NULL)
		return;
	hub_free(sv->hub);
	free(sv);
}
