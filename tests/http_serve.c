/*
 * http_serve: a test driver for daemon/http.c without the daemon. Loads
 * DIR into a docset (docset_reload) and serves it until SIGTERM or SIGINT;
 * SIGHUP loads DIR again (what changed: docset_reload) and publishes it. Socket activation: listening
 * fds passed by systemd's protocol (LISTEN_FDS) are used instead of
 * --listen. Logs go to stderr as the daemon's do; the lines a test waits
 * for: "http: serving on http://ADDR/" and "http_serve: published N".
 *
 * http_serve [--listen ADDR]... [--hub URL]... [--self-base URL]
 *     [--base-path P] [--max-age S] [--threads N] [--max-connections N]
 *     [--max-per-ip N] [--timeout S] [--conn-memory BYTES]
 *     [--max-url BYTES] [--verbose] DIR
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <systemd/sd-daemon.h>

#include "daemon/docset.h"
#include "daemon/http.h"
#include "daemon/log.h"

#define MAX_LIST 16

struct serve {
	const char *dir;
	struct http *http;
	ev_signal hup, term, intr;
};

static void
publish(struct serve *sv)
{
	struct docset *ds = docset_new();
	int n = ds ? docset_reload(ds, sv->dir, http_docset(sv->http)) : -1;

	if (n < 0) {
		log_errx("http_serve: cannot load %s", sv->dir);
		docset_unref(ds);
		return;
	}
	if (http_publish(sv->http, ds) == 0)
		log_info("http_serve: published %d", n);
}

static void
hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	publish(w->data);
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static unsigned
number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > 0xffffffffUL) {
		fprintf(stderr, "http_serve: not a number: %s\n", s);
		exit(64);
	}
	return (unsigned)v;
}

static void
append(const char **list, size_t *n, const char *s)
{
	if (*n == MAX_LIST) {
		fprintf(stderr, "http_serve: more than %d\n", MAX_LIST);
		exit(64);
	}
	list[(*n)++] = s;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "hub", required_argument, NULL, 'H' },
		{ "self-base", required_argument, NULL, 's' },
		{ "base-path", required_argument, NULL, 'b' },
		{ "max-age", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "max-per-ip", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "conn-memory", required_argument, NULL, 'm' },
		{ "max-url", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen[MAX_LIST], *hubs[MAX_LIST];
	struct http_settings set;
	struct ev_loop *loop = EV_DEFAULT;
	struct serve sv;
	int fds[MAX_LIST], nfds, c;
	bool verbose = false;

	http_settings_init(&set);
	set.listen = listen;
	set.hubs = hubs;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': append(listen, &set.nlisten, optarg); break;
		case 'H': append(hubs, &set.nhubs, optarg); break;
		case 's': set.self_base = optarg; break;
		case 'b': set.base_path = optarg; break;
		case 'a': set.max_age = number(optarg); break;
		case 't': set.threads = number(optarg); break;
		case 'c': set.max_connections = number(optarg); break;
		case 'p': set.max_per_ip = number(optarg); break;
		case 'T': set.timeout = number(optarg); break;
		case 'm': set.conn_memory = number(optarg); break;
		case 'u': set.max_url = number(optarg); break;
		case 'v': verbose = true; break;
		default: return 64;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: http_serve [options] DIR\n");
		return 64;
	}
	log_init(verbose);
	if (set.nlisten == 0)
		append(listen, &set.nlisten, "127.0.0.1:0");
	nfds = sd_listen_fds(1);
	if (nfds > MAX_LIST)
		nfds = MAX_LIST;
	for (int i = 0; i < nfds; i++)
		fds[i] = SD_LISTEN_FDS_START + i;
	sv.dir = argv[optind];
	/* The signals first: the server's threads are made blocking them. */
	ev_signal_init(&sv.hup, hup_cb, SIGHUP);
	ev_signal_init(&sv.term, stop_cb, SIGTERM);
	ev_signal_init(&sv.intr, stop_cb, SIGINT);
	sv.hup.data = &sv;
	ev_signal_start(loop, &sv.hup);
	ev_signal_start(loop, &sv.term);
	ev_signal_start(loop, &sv.intr);
	sv.http = http_new(loop, &set, fds, nfds > 0 ? (size_t)nfds : 0);
	if (sv.http == NULL)
		return 1;
	publish(&sv);
	ev_run(loop, 0);
	http_free(sv.http);
	ev_signal_stop(loop, &sv.hup);
	ev_signal_stop(loop, &sv.term);
	ev_signal_stop(loop, &sv.intr);
	ev_loop_destroy(loop);
	log_info("http_serve: stopped");
	return 0;
}
