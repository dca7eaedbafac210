/*
 * config: the INI config file -> an immutable, validated struct. The file
 * is read by ini.c (over libinih), each value checked by value.c, and the
 * keys are one table in config.c.
 *
 * Relative paths in the file are resolved against the config file's folder.
 * Every problem is printed to errs as "FILE:LINE: message" (LINE omitted when
 * the problem has no line, e.g. a missing required key).
 */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "../feeds/meta.h"
#include "../feeds/pages.h"

enum ping_kind { PING_WEBSUB, PING_XMLRPC, PING_WEBHOOK };

/* One [ping "name"] section: who hears about a changed feed. */
struct ping_target {
	const char *name;	/* the section's quoted name, unique */
	enum ping_kind kind;	/* kind = websub | xmlrpc | webhook */
	const char *url;	/* absolute http(s) URL */
	const char *secret;	/* webhook only; NULL: no signature header */
};

/* [http]: see docs/http.md. No listen: no server (but socket activation
 * still makes one). */
struct http_config {
	char *listen;			/* as written */
	const char *const *listenv;	/* split, nlisten of them */
	size_t nlisten;
	unsigned max_age;		/* s */
	unsigned threads;
	unsigned max_connections;
	unsigned max_per_ip;
	unsigned timeout;		/* s */
	size_t conn_memory, max_url;	/* bytes */
	char *base_path;		/* "/" */
};

/* [hub]: the built-in WebSub hub (daemon/hub.c). Durations in seconds. */
struct hub_config {
	bool enabled;
	char *url;		/* as configured; NULL: base_url + "hub" */
	const char *self_url;	/* in effect (owned by the config); NULL */
				/* when not enabled */
	unsigned lease_min, lease_default, lease_max;
	unsigned max_attempts;	/* tries of one delivery */
	unsigned max_per_topic, max_per_host;
	unsigned verify_rate;	/* verification requests per second */
	bool allow_private;	/* callbacks on private addresses */
};

enum publish_order { ORDER_ALL, ORDER_SAFE };

/* [publish]: a command that copies the output folder elsewhere after each
 * publish (daemon/upload.c). Durations in seconds. */
struct publish_config {
	char *exec;		/* as written; NULL: none */
	enum publish_order order;
	unsigned timeout;	/* of one run */
	unsigned retry_max;	/* longest wait between tries */
};

struct config {
	char *path;		/* the config file as given */
	struct feed_meta feed;	/* strings point into storage owned here */
	char *timezone;		/* IANA zone; "UTC" when not set */
	char *releases_dir;	/* absolute or relative to the cwd */
	bool date_git;		/* date_source = git (feeds/gitdates.h) */
	char *output_dir;
	char *state_dir;
	unsigned settle_ms;	/* [daemon] settle window, default 20 */
	unsigned settle_cap_ms;	/* [daemon] longest delay, default 500 */
	const struct ping_target *pings;	/* in file order */
	size_t npings;
	unsigned ping_connect_timeout_s;	/* [pings] default 5 */
	unsigned ping_timeout_s;		/* [pings] whole request, 15 */
	unsigned ping_give_up_s;		/* [pings] retry for, 86400 */
	bool pages_enabled;			/* [pages] enabled, true */
	bool pages_robots;			/* [pages] robots, true */
	size_t pages_sitemap_max_urls;	/* [pages] sitemap_max_urls, 50000 */
	struct pages_settings pages_set;	/* [pages], paths owned here */
	struct pages *pages;	/* loaded; NULL when pages are off */
	struct http_config http;
	struct hub_config hub;
	struct publish_config publish;
};

/*
 * Load and validate path. Returns a new config (free with config_free()),
 * or NULL after printing every problem found to errs.
 */
struct config *config_load(const char *path, FILE *errs);

void config_free(struct config *c);	/* NULL is fine */

/*
 * Write c to out as a config file (feedpubd --print-config): every key
 * with its value in effect (paths resolved, URLs normalised, durations and
 * sizes in their largest whole unit), each after a comment saying what it
 * is and followed by "; line N" or "; default" saying where it came from.
 * Keys not set are comments; a webhook secret is written "(set)". Returns
 * 0, or -1 if writing to out failed.
 */
int config_print(const struct config *c, FILE *out);

#endif
