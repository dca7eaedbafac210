/*
 * config: the config file -> a validated struct (see config.h).
 *
 * Every key is a row of keys[]: section, name, type, bounds, default, where
 * its value is stored and one line of documentation. Defaults, reading,
 * freeing and --print-config all walk that table, so a new key is one row
 * (and a new type one case in set_value() and in print_key()). ini.c reads
 * the file; value.c checks each typed value; this file gives the values a
 * home and checks what spans keys.
 *
 * Every problem is reported and reading goes on, so one run shows the user
 * all of them. [ping "NAME"] sections repeat: each is one struct
 * ping_target, which the rows of SEC_PING point into, and the checks that
 * need all of a section's keys run where it ends (end_section()).
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "config/value.h"
#include "feeds/pages.h"
#include "feeds/url.h"

enum section {
	SEC_NONE,	/* before the first header */
	SEC_FEED, SEC_PATHS, SEC_DAEMON, SEC_PAGES, SEC_PINGS, SEC_HTTP,
	SEC_HUB, SEC_PUBLISH, SEC_PING,
	SEC_BAD,	/* under a header that was reported */
};
#define FIRST_SECTION	SEC_FEED
#define LAST_SECTION	SEC_PING

/* [name], or [name "LABEL"] when the section repeats. */
static const struct {
	const char *name;
	bool repeats;
} sections[] = {
	[SEC_FEED] = { "feed", false }, [SEC_PATHS] = { "paths", false },
	[SEC_DAEMON] = { "daemon", false }, [SEC_PAGES] = { "pages", false },
	[SEC_PINGS] = { "pings", false },
	[SEC_HTTP] = { "http", false }, [SEC_HUB] = { "hub", false },
	[SEC_PUBLISH] = { "publish", false },
	[SEC_PING] = { "ping", true },
};

static const char *const kind_names[] = {
	[PING_WEBSUB] = "websub", [PING_XMLRPC] = "xmlrpc",
	[PING_WEBHOOK] = "webhook",
};
#define NKINDS	(sizeof(kind_names) / sizeof(kind_names[0]))

static const char *const order_names[] = {
	[ORDER_ALL] = "all", [ORDER_SAFE] = "safe",
};
#define NORDERS	(sizeof(order_names) / sizeof(order_names[0]))
static const char *const date_source_names[] = { "file", "git" };
static const char *const period_names[] = {
	[PERIOD_MONTH] = "month", [PERIOD_YEAR] = "year",
};

/* The text types come first, up to T_PATH: see is_text(). */
enum type {
	T_TEXT,		/* any text */
	T_SECRET,	/* any text, never printed */
	T_LANGUAGE,	/* value_language() */
	T_ZONE,		/* value_zone() */
	T_TAG_DATE,	/* value_tag_date() */
	T_TEMPLATE,	/* value_link_template() */
	T_BASE_URL,	/* normalised; also sets feed.tag_authority, tag_path */
	T_URL,		/* a query allowed; normalised */
	T_LISTEN,	/* addresses, split into http.listenv at the end */
	T_URL_PATH,	/* a URL path: starts with '/' */
	T_PATH,		/* resolved against the config file's folder */
	T_UINT,		/* min..max */
	T_SIZE,		/* bytes, min..max */
	T_DURATION,	/* seconds, min..max */
	T_BOOL,
	T_KIND,		/* enum ping_kind, named by kind_names[] */
	T_ORDER,	/* enum publish_order, named by order_names[] */
	T_DATE_SOURCE,	/* a bool: "git" true, "file" false */
	T_PERIOD,	/* enum archive_period, named by period_names[] */
};

/*
 * One key. Its value lives at off in struct config, or for SEC_PING in the
 * section's struct ping_target: a char pointer (owned by the config) for
 * the text types, an unsigned or a size_t (size tells) for the numbers, a
 * bool, an enum ping_kind. Bounds and default are written the way a user
 * writes the value, and read by the same parser.
 */
struct key {
	enum section sec;
	const char *name;
	enum type type;
	const char *min, *max;	/* T_UINT, T_SIZE, T_DURATION */
	const char *dflt;	/* NULL: not set */
	bool required;
	size_t off, size;
	const char *doc;	/* for --print-config */
};

#define CFG(m)	.off = offsetof(struct config, m), \
		.size = sizeof(((struct config *)0)->m)
#define PING(m)	.off = offsetof(struct ping_target, m), \
		.size = sizeof(((struct ping_target *)0)->m)

static const struct key keys[] = {
	{ SEC_FEED, "title", T_TEXT, .required = true, CFG(feed.title),
	  .doc = "the feed's title" },
	{ SEC_FEED, "subtitle", T_TEXT, CFG(feed.subtitle),
	  .doc = "a one line description" },
	{ SEC_FEED, "base_url", T_BASE_URL, .required = true,
	  CFG(feed.base_url),
	  .doc = "the web site; part of every entry id: never change it" },
	{ SEC_FEED, "author", T_TEXT, CFG(feed.author),
	  .doc = "author of entries whose release names none" },
	{ SEC_FEED, "language", T_LANGUAGE, CFG(feed.language),
	  .doc = "language tag of the feed ('sv', 'en-GB')" },
	{ SEC_FEED, "timezone", T_ZONE, .dflt = "UTC", CFG(timezone),
	  .doc = "zone of release dates written without an offset" },
	{ SEC_FEED, "max_entries", T_UINT, .min = "1", .max = "100000",
	  .dflt = "50", CFG(feed.max_entries),
	  .doc = "newest releases per feed" },
	{ SEC_FEED, "link_template", T_TEMPLATE, CFG(feed.link_template),
	  .doc = "a release's page, with {slug}; unset: "
		 "base_url releases/{slug}.html" },
	{ SEC_FEED, "tag_date", T_TAG_DATE, .dflt = "2000",
	  CFG(feed.tag_date),
	  .doc = "date part of entry ids (RFC 4151): never change it" },
	{ SEC_FEED, "max_file_size", T_SIZE, .min = "1K", .max = "64M",
	  .dflt = "1M", CFG(feed.max_file_size),
	  .doc = "larger release files are reported and skipped" },
	{ SEC_FEED, "max_media_size", T_SIZE, .min = "1K", .max = "1024M",
	  .dflt = "20M", CFG(feed.max_media_size),
	  .doc = "a release whose image or attachment is larger is an error" },
	{ SEC_FEED, "raw_html", T_BOOL, .dflt = "false", CFG(feed.raw_html),
	  .doc = "pass raw HTML in Markdown through (trusted editors only)" },
	{ SEC_FEED, "json", T_BOOL, .dflt = "false", CFG(feed.json),
	  .doc = "also write feed.json (JSON Feed 1.1; docs/feeds.md)" },
	{ SEC_FEED, "tag_feeds", T_BOOL, .dflt = "false", CFG(feed.tag_feeds),
	  .doc = "a feed per tag: tags/SLUG.atom (docs/feeds.md)" },
	{ SEC_FEED, "type_feeds", T_BOOL, .dflt = "false",
	  CFG(feed.type_feeds),
	  .doc = "a feed per type: types/SLUG.atom" },
	{ SEC_FEED, "lang_feeds", T_BOOL, .dflt = "false",
	  CFG(feed.lang_feeds),
	  .doc = "a feed per language: langs/SLUG.atom" },
	{ SEC_FEED, "archives", T_BOOL, .dflt = "false", CFG(feed.archives),
	  .doc = "older entries in feed-archive/YYYY-MM.atom (RFC 5005)" },
	{ SEC_FEED, "archive_period", T_PERIOD, .dflt = "month",
	  CFG(feed.archive_period),
	  .doc = "one archive per month or year: the main, type and language "
		 "feeds" },
	{ SEC_FEED, "tag_archive_period", T_PERIOD, .dflt = "year",
	  CFG(feed.tag_archive_period),
	  .doc = "one archive per month or year: the tag feeds" },
	{ SEC_FEED, "deleted_for", T_DURATION, .min = "0s", .max = "3650d",
	  .dflt = "0s", CFG(feed.deleted_for),
	  .doc = "RFC 6721 tombstones of removed releases (0s: none)" },
	{ SEC_FEED, "date_source", T_DATE_SOURCE, .dflt = "file",
	  CFG(date_git),
	  .doc = "dates of releases without 'date': file (its time) or git "
		 "(its first commit)" },
	{ SEC_PATHS, "releases", T_PATH, .dflt = "releases",
	  CFG(releases_dir), .doc = "the folder of release files" },
	{ SEC_PATHS, "follow_symlinks", T_BOOL, .dflt = "true",
	  CFG(feed.follow_symlinks),
	  .doc = "follow links that stay inside the releases folder "
		 "(false: never)" },
	{ SEC_PATHS, "output", T_PATH, .dflt = "public", CFG(output_dir),
	  .doc = "where feed.atom and feed.rss are written" },
	{ SEC_PATHS, "state", T_PATH, .dflt = "state", CFG(state_dir),
	  .doc = "what the daemon remembers between runs" },
	{ SEC_DAEMON, "settle_ms", T_UINT, .min = "0", .max = "10000",
	  .dflt = "20", CFG(settle_ms),
	  .doc = "rebuild once the folder has been quiet this long (ms)" },
	{ SEC_DAEMON, "settle_cap_ms", T_UINT, .min = "0", .max = "60000",
	  .dflt = "500", CFG(settle_cap_ms),
	  .doc = "but never later than this after the first change (ms)" },
	{ SEC_PAGES, "enabled", T_BOOL, .dflt = "true", CFG(pages_enabled),
	  .doc = "write a web page per release, index.html, listings and "
		 "sitemaps" },
	{ SEC_PAGES, "stylesheet", T_PATH, CFG(pages_set.stylesheet),
	  .doc = "the XSLT stylesheet of the pages; unset: the built-in" },
	{ SEC_PAGES, "css", T_PATH, CFG(pages_set.css),
	  .doc = "written as style.css; unset: the built-in" },
	{ SEC_PAGES, "boilerplate", T_PATH, CFG(pages_set.boilerplate),
	  .doc = "Markdown appended as 'About'; {lang} in the name: one per "
		 "language" },
	{ SEC_PAGES, "per_page", T_UINT, .min = "1", .max = "10000",
	  .dflt = "50", CFG(pages_set.per_page),
	  .doc = "releases per listing page (archive/N.html)" },
	{ SEC_PAGES, "index_entries", T_UINT, .min = "1", .max = "1000",
	  .dflt = "20", CFG(pages_set.index_entries),
	  .doc = "newest releases on index.html" },
	{ SEC_PAGES, "sitemap_max_urls", T_UINT, .min = "1", .max = "50000",
	  .dflt = "50000", CFG(pages_sitemap_max_urls),
	  .doc = "URLs per sitemap file; more: sitemap.xml is an index" },
	{ SEC_PAGES, "robots", T_BOOL, .dflt = "true", CFG(pages_robots),
	  .doc = "write robots.txt naming the sitemaps" },
	{ SEC_PINGS, "connect_timeout", T_DURATION, .min = "1s", .max = "5m",
	  .dflt = "5s", CFG(ping_connect_timeout_s),
	  .doc = "how long connecting to a target may take" },
	{ SEC_PINGS, "timeout", T_DURATION, .min = "1s", .max = "1h",
	  .dflt = "15s", CFG(ping_timeout_s),
	  .doc = "how long a whole request may take" },
	{ SEC_PINGS, "give_up_after", T_DURATION, .min = "1m", .max = "30d",
	  .dflt = "24h", CFG(ping_give_up_s),
	  .doc = "how long a failing ping is retried after a change" },
	{ SEC_HTTP, "listen", T_LISTEN, CFG(http.listen),
	  .doc = "addresses to serve the output folder on (HOST:PORT, "
		 "[IPv6]:PORT, *:PORT)" },
	{ SEC_HTTP, "max_age", T_DURATION, .min = "0s", .max = "365d",
	  .dflt = "60s", CFG(http.max_age),
	  .doc = "Cache-Control: max-age of the documents" },
	{ SEC_HTTP, "threads", T_UINT, .min = "1", .max = "64", .dflt = "1",
	  CFG(http.threads), .doc = "serving threads per address" },
	{ SEC_HTTP, "max_connections", T_UINT, .min = "1", .max = "65536",
	  .dflt = "512", CFG(http.max_connections),
	  .doc = "open connections per address" },
	{ SEC_HTTP, "max_per_ip", T_UINT, .min = "0", .max = "65536",
	  .dflt = "32", CFG(http.max_per_ip),
	  .doc = "connections from one client address (0: no limit)" },
	{ SEC_HTTP, "timeout", T_DURATION, .min = "1s", .max = "1h",
	  .dflt = "15s", CFG(http.timeout),
	  .doc = "a silent connection is closed after this long" },
	{ SEC_HTTP, "conn_memory", T_SIZE, .min = "4K", .max = "1M",
	  .dflt = "16K", CFG(http.conn_memory),
	  .doc = "memory per connection; caps the request headers" },
	{ SEC_HTTP, "max_url", T_SIZE, .min = "256", .max = "64K",
	  .dflt = "2K", CFG(http.max_url),
	  .doc = "longest request target (414 beyond)" },
	{ SEC_HTTP, "base_path", T_URL_PATH, CFG(http.base_path),
	  .doc = "URL path the output folder is served under; unset: /" },
	{ SEC_HUB, "enabled", T_BOOL, .dflt = "false", CFG(hub.enabled),
	  .doc = "be the WebSub hub of the feeds (needs [http])" },
	{ SEC_HUB, "url", T_URL, CFG(hub.url),
	  .doc = "the hub's public URL; unset: base_url hub" },
	{ SEC_HUB, "lease_min", T_DURATION, .min = "1s", .max = "365d",
	  .dflt = "1h", CFG(hub.lease_min),
	  .doc = "shortest subscription lease granted" },
	{ SEC_HUB, "lease_default", T_DURATION, .min = "1s", .max = "365d",
	  .dflt = "10d", CFG(hub.lease_default),
	  .doc = "lease of a subscriber that asks for none" },
	{ SEC_HUB, "lease_max", T_DURATION, .min = "1s", .max = "365d",
	  .dflt = "31d", CFG(hub.lease_max),
	  .doc = "longest subscription lease granted" },
	{ SEC_HUB, "max_attempts", T_UINT, .min = "1", .max = "1000",
	  .dflt = "20", CFG(hub.max_attempts),
	  .doc = "tries of one delivery before it is dropped" },
	{ SEC_HUB, "max_per_topic", T_UINT, .min = "1", .max = "1000000",
	  .dflt = "10000", CFG(hub.max_per_topic),
	  .doc = "subscriptions to one feed" },
	{ SEC_HUB, "max_per_host", T_UINT, .min = "1", .max = "1000000",
	  .dflt = "100", CFG(hub.max_per_host),
	  .doc = "subscriptions with callbacks on one host" },
	{ SEC_HUB, "verify_rate", T_UINT, .min = "1", .max = "100000",
	  .dflt = "10", CFG(hub.verify_rate),
	  .doc = "verification requests per second, at most" },
	{ SEC_HUB, "allow_private_callbacks", T_BOOL, .dflt = "false",
	  CFG(hub.allow_private),
	  .doc = "allow callbacks on loopback and private addresses" },
	{ SEC_PUBLISH, "exec", T_TEXT, CFG(publish.exec),
	  .doc = "run after each publish that changed files (rsync -a ...; "
		 "docs/feedpubd.conf.5); unset: none" },
	{ SEC_PUBLISH, "order", T_ORDER, .dflt = "all", CFG(publish.order),
	  .doc = "all: one run per publish; safe: media, pages, feeds, "
		 "deletions, one run each" },
	{ SEC_PUBLISH, "timeout", T_DURATION, .min = "1s", .max = "1d",
	  .dflt = "10m", CFG(publish.timeout),
	  .doc = "a run taking longer is killed and counts as failed" },
	{ SEC_PUBLISH, "retry_max", T_DURATION, .min = "1s", .max = "1d",
	  .dflt = "5m", CFG(publish.retry_max),
	  .doc = "longest wait between tries of a failing run (1 s, 2 s, "
		 "4 s ... up to this)" },
	{ SEC_PING, "kind", T_KIND, .required = true, PING(kind),
	  .doc = "websub, xmlrpc or webhook" },
	{ SEC_PING, "url", T_URL, .required = true, PING(url),
	  .doc = "where the ping is sent; may have a query" },
	{ SEC_PING, "secret", T_SECRET, PING(secret),
	  .doc = "webhook only: the key that signs each request" },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Where each key of one scope was set (0: not in the file), and if well. */
struct scope {
	int line[NKEYS];
	bool ok[NKEYS];
};

/* What a [ping "NAME"] section was, besides its struct ping_target. */
struct ping_def {
	int line;		/* of the header */
	struct scope set;	/* its SEC_PING keys */
};

/* A config and what it owns; struct config * converts back. */
struct owned {
	struct config pub;	/* first */
	struct scope set;	/* keys of the sections that do not repeat */
	struct ping_target *pings;	/* pub.pings, in file order */
	struct ping_def *defs;		/* one per pings[i] */
	size_t npings;
	const char **hubs;		/* pub.feed.hubs: the websub urls */
	char *own_hub;			/* pub.hub.self_url */
	char **listenv;			/* pub.http.listenv */
	char *listen_buf;		/* what listenv points into */
};

struct parse {
	const char *path;
	FILE *errs;
	struct owned *o;
	enum section sec;
	char *label;	/* sec for messages: "[feed]", "[ping \"x\"]" */
	int nerr;
	bool nomem;
};

static void report(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE:LINE: message", or "FILE: message" when line is 0. */
static void
report(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (line > 0)
		fprintf(p->errs, "%s:%d: ", p->path, line);
	else
		fprintf(p->errs, "%s: ", p->path);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

/* "[feed], [paths], [daemon], [pings] or [ping \"NAME\"]" */
static const char *
section_hint(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int s = FIRST_SECTION; s <= LAST_SECTION && len < size; s++)
		len += (size_t)snprintf(buf + len, size - len, "%s[%s%s]",
		    s == FIRST_SECTION ? "" : s == LAST_SECTION ? " or " :
		    ", ", sections[s].name,
		    sections[s].repeats ? " \"NAME\"" : "");
	return buf;
}

/* ---- values in their fields ------------------------------------------ */

static bool
is_text(enum type t)
{
	return t <= T_PATH;
}

static const char *
get_text(const void *base, const struct key *k)
{
	const char *s;

	memcpy(&s, (const char *)base + k->off, sizeof(s));
	return s;
}

/* Store s (owned by the config from here on) and free the old value. */
static void
put_text(void *base, const struct key *k, char *s)
{
	free((void *)get_text(base, k));
	memcpy((char *)base + k->off, &s, sizeof(s));
}

/* Integer fields are unsigned or size_t; the bounds fit either. */
static unsigned long long
get_uint(const void *base, const struct key *k)
{
	const char *f = (const char *)base + k->off;
	unsigned u;
	size_t z;

	if (k->size == sizeof(u)) {
		memcpy(&u, f, sizeof(u));
		return u;
	}
	memcpy(&z, f, sizeof(z));
	return z;
}

static void
put_uint(void *base, const struct key *k, unsigned long long v)
{
	char *f = (char *)base + k->off;
	unsigned u = (unsigned)v;
	size_t z = (size_t)v;

	if (k->size == sizeof(u))
		memcpy(f, &u, sizeof(u));
	else
		memcpy(f, &z, sizeof(z));
}

/* strdup() that remembers running out of memory. */
static char *
copy_str(struct parse *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		p->nomem = true;
	return d;
}

/* base_url: the normalised URL, and the tag: authority and path from it. */
static void
set_base_url(struct parse *p, void *base, const struct key *k,
    const char *value)
{
	struct feed_meta *m = &p->o->pub.feed;
	char *url, *host, *path;

	if (url_normalize_base(value, &url, &host, &path) != 0) {
		p->nomem = true;	/* value passed url_check_http() */
		return;
	}
	put_text(base, k, url);
	free((void *)m->tag_authority);
	free((void *)m->tag_path);
	m->tag_authority = host;
	m->tag_path = path;
}

/* The parsers of numbers with bounds share one signature. */
typedef int (*number_fn)(const char *, unsigned long long,
    unsigned long long, unsigned long long *, char[VALUE_WHY_MAX]);

static number_fn
number_parser(enum type t)
{
	return t == T_SIZE ? value_size : t == T_DURATION ? value_duration :
	    t == T_UINT ? value_uint : NULL;
}

/* A bound of k, as its own parser reads it; tests see every row's. */
static unsigned long long
bound(const struct key *k, const char *s)
{
	char why[VALUE_WHY_MAX];
	unsigned long long v = 0;

	(void)number_parser(k->type)(s, 0, ULLONG_MAX, &v, why);
	return v;
}

/*
 * Check value for k and store it into base (struct config or the current
 * struct ping_target). Returns 0, or -1 after reporting it at line.
 */
static int
set_value(struct parse *p, const struct key *k, void *base,
    const char *value, int line)
{
	char why[VALUE_WHY_MAX], *s;
	unsigned long long n = 0;
	bool b = false;
	int kind = 0, order = 0, rc = 0;
	number_fn number = number_parser(k->type);

	switch (k->type) {
	case T_TEXT: case T_SECRET: case T_PATH:
		break;
	case T_LANGUAGE: rc = value_language(value, why); break;
	case T_ZONE: rc = value_zone(value, why); break;
	case T_TAG_DATE: rc = value_tag_date(value, why); break;
	case T_TEMPLATE: rc = value_link_template(value, why); break;
	case T_BASE_URL: rc = value_url(value, 0, why); break;
	/* Webhook URLs often carry a token in the query. */
	case T_URL: rc = value_url(value, URL_ALLOW_QUERY, why); break;
	case T_LISTEN: rc = value_listen(value, why); break;
	case T_URL_PATH: rc = value_url_path(value, why); break;
	case T_UINT: case T_SIZE: case T_DURATION:
		rc = number(value, bound(k, k->min), bound(k, k->max), &n,
		    why);
		break;
	case T_BOOL: rc = value_bool(value, &b, why); break;
	case T_KIND:
		rc = value_enum(value, kind_names, NKINDS, &kind, why);
		break;
	case T_ORDER:
		rc = value_enum(value, order_names, NORDERS, &order, why);
		break;
	case T_DATE_SOURCE:
		rc = value_enum(value, date_source_names, 2, &kind, why);
		b = kind == 1;
		break;
	case T_PERIOD:
		rc = value_enum(value, period_names, 2, &kind, why);
		break;
	}
	if (rc != 0) {
		report(p, line, "invalid %s '%s': %s", k->name, value, why);
		return -1;
	}
	switch (k->type) {
	case T_BASE_URL:
		set_base_url(p, base, k, value);
		break;
	case T_URL:
		/* As a client requests it: "https://h" is "https://h/". */
		if (url_normalize(value, URL_ALLOW_QUERY, &s) != 0)
			p->nomem = true;
		else
			put_text(base, k, s);
		break;
	case T_UINT: case T_SIZE: case T_DURATION:
		put_uint(base, k, n);
		break;
	case T_BOOL: case T_DATE_SOURCE:
		memcpy((char *)base + k->off, &b, sizeof(b));
		break;
	case T_KIND: {
		enum ping_kind e = (enum ping_kind)kind;

		memcpy((char *)base + k->off, &e, sizeof(e));
		break;
	}
	case T_ORDER: {
		enum publish_order e = (enum publish_order)order;

		memcpy((char *)base + k->off, &e, sizeof(e));
		break;
	}
	case T_PERIOD: {
		enum archive_period e = (enum archive_period)kind;

		memcpy((char *)base + k->off, &e, sizeof(e));
		break;
	}
	default:
		if ((s = copy_str(p, value)) != NULL)
			put_text(base, k, s);
		break;
	}
	return 0;
}

/*
 * The defaults into base: of the keys of a [ping "NAME"] section if ping,
 * else of the other sections' keys.
 */
static void
set_defaults(struct parse *p, bool ping, void *base)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((keys[i].sec == SEC_PING) == ping && keys[i].dflt != NULL)
			set_value(p, &keys[i], base, keys[i].dflt, 0);
}

/* ---- sections --------------------------------------------------------- */

/* The [ping "NAME"] section being read: the last one. */
static struct ping_target *
cur_ping(struct parse *p)
{
	return &p->o->pings[p->o->npings - 1];
}

static struct ping_def *
cur_def(struct parse *p)
{
	return &p->o->defs[p->o->npings - 1];
}

/* The checks of a [ping "NAME"] section that need all of its keys. */
static void
end_section(struct parse *p)
{
	struct ping_def *d;
	size_t kind = 0, secret = 0;

	if (p->sec != SEC_PING)
		return;
	d = cur_def(p);
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].sec != SEC_PING)
			continue;
		if (keys[i].required && d->set.line[i] == 0)
			report(p, d->line, "%s: missing required key '%s'",
			    p->label, keys[i].name);
		if (keys[i].type == T_KIND)
			kind = i;
		else if (keys[i].type == T_SECRET)
			secret = i;
	}
	if (d->set.line[kind] != 0 && d->set.ok[kind] &&
	    d->set.line[secret] != 0 && cur_ping(p)->kind != PING_WEBHOOK)
		report(p, d->set.line[secret],
		    "key 'secret' in %s: only webhook pings are signed "
		    "(kind is %s)", p->label, kind_names[cur_ping(p)->kind]);
}

/* NAME of [ping "NAME"]: letters, digits, '-', '_', '.'. */
static bool
ping_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A new ping_target and ping_def at the end of the arrays, or -1. */
static int
grow_pings(struct owned *o)
{
	struct ping_target *t;
	struct ping_def *d;

	t = realloc(o->pings, (o->npings + 1) * sizeof(*t));
	if (t == NULL)
		return -1;
	o->pings = t;
	d = realloc(o->defs, (o->npings + 1) * sizeof(*d));
	if (d == NULL)
		return -1;
	o->defs = d;
	t[o->npings] = (struct ping_target){ .name = NULL };
	d[o->npings] = (struct ping_def){ .line = 0 };
	o->npings++;
	return 0;
}

/*
 * s is the text of a header of a section that repeats: [ping "NAME"], the
 * one such section, whose values are the struct ping_targets.
 */
static void
begin_ping(struct parse *p, enum section sec, const char *s, int line)
{
	size_t skip = strlen(sections[sec].name);
	const char *name = s + skip + strspn(s + skip, " \t");
	size_t len = strlen(name);
	struct owned *o = p->o;
	char *copy;

	if (name == s + skip || len < 2 || name[0] != '"' ||
	    name[len - 1] != '"' || !ping_name_ok(name + 1, len - 2)) {
		report(p, line, "invalid section [%s]: expected [%s \"NAME\"],"
		    " NAME of letters, digits, '-', '_' or '.'", s,
		    sections[sec].name);
		return;
	}
	name++;
	len -= 2;
	for (size_t i = 0; i < o->npings; i++)
		/* Still read: its keys may hold more problems to report. */
		if (strlen(o->pings[i].name) == len &&
		    strncmp(o->pings[i].name, name, len) == 0)
			report(p, line, "duplicate section [%s \"%.*s\"] "
			    "(first on line %d)", sections[sec].name,
			    (int)len, name, o->defs[i].line);
	if ((copy = strndup(name, len)) == NULL || grow_pings(o) != 0) {
		free(copy);
		p->nomem = true;
		return;
	}
	cur_ping(p)->name = copy;
	cur_def(p)->line = line;
	if (asprintf(&p->label, "[%s \"%s\"]", sections[sec].name, copy) < 0) {
		p->label = NULL;
		p->nomem = true;
		return;
	}
	set_defaults(p, true, cur_ping(p));
	p->sec = sec;
}

/* A "[text]" header on line. */
static void
begin_section(struct parse *p, const char *text, int line)
{
	char hint[128];

	end_section(p);
	free(p->label);
	p->label = NULL;
	p->sec = SEC_BAD;
	for (int s = FIRST_SECTION; s <= LAST_SECTION; s++) {
		const char *name = sections[s].name;
		size_t n = strlen(name);

		if (!sections[s].repeats && strcmp(text, name) == 0) {
			if (asprintf(&p->label, "[%s]", name) < 0) {
				p->label = NULL;
				p->nomem = true;
				return;
			}
			p->sec = (enum section)s;
			return;
		}
		if (sections[s].repeats && strncmp(text, name, n) == 0 &&
		    (text[n] == '\0' || strchr(" \t\"", text[n]) != NULL)) {
			begin_ping(p, (enum section)s, text, line);
			return;
		}
	}
	report(p, line, "unknown section [%s] (expected %s)", text,
	    section_hint(hint, sizeof(hint)));
}

/* ---- keys -------------------------------------------------------------- */

static int
key_index(enum section sec, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec == sec && strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "name = value" on line, in the current section. */
static void
set_key(struct parse *p, const char *name, const char *value, int line)
{
	struct scope *set;
	void *base;
	char hint[128];
	int i;

	if (p->sec == SEC_BAD)
		return;	/* the header was reported already */
	if (p->sec == SEC_NONE) {
		report(p, line, "key '%s' outside any section (%s)", name,
		    section_hint(hint, sizeof(hint)));
		return;
	}
	if ((i = key_index(p->sec, name)) < 0) {
		report(p, line, "unknown key '%s' in %s", name, p->label);
		return;
	}
	set = p->sec == SEC_PING ? &cur_def(p)->set : &p->o->set;
	base = p->sec == SEC_PING ? (void *)cur_ping(p) : (void *)&p->o->pub;
	if (set->line[i] != 0) {
		report(p, line, "duplicate key '%s' in %s (first set on line "
		    "%d)", name, p->label, set->line[i]);
		return;
	}
	set->line[i] = line;
	if (*value == '\0') {
		report(p, line, "empty value for '%s' in %s", name, p->label);
		return;
	}
	set->ok[i] = set_value(p, &keys[i], base, value, line) == 0;
}

static void
on_item(void *ud, const struct ini_item *it)
{
	struct parse *p = ud;

	switch (it->what) {
	case INI_SECTION:
		begin_section(p, it->section, it->line);
		break;
	case INI_PAIR:
		set_key(p, it->name, it->value, it->line);
		break;
	case INI_ERROR:
		report(p, it->line, "%s", it->message);
		break;
	}
}

/* ---- the whole file --------------------------------------------------- */

/*
 * dir of the config file + rel; a relative config path keeps the result
 * relative to the cwd.
 */
static char *
resolve(struct parse *p, const char *rel)
{
	char *copy, *dir, *out = NULL;

	if (*rel == '/')
		return copy_str(p, rel);
	if ((copy = copy_str(p, p->path)) == NULL)
		return NULL;
	dir = dirname(copy);
	if (strcmp(dir, ".") == 0)
		out = copy_str(p, rel);
	else if (asprintf(&out, "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", rel) < 0) {
		out = NULL;
		p->nomem = true;
	}
	free(copy);
	return out;
}

/* Keys of one section (numbers) where hi must be at least lo. */
static const struct {
	enum section sec;
	const char *lo, *hi;
} at_least[] = {
	{ SEC_DAEMON, "settle_ms", "settle_cap_ms" },
	{ SEC_PINGS, "connect_timeout", "timeout" },
	{ SEC_HUB, "lease_min", "lease_default" },
	{ SEC_HUB, "lease_default", "lease_max" },
};

/*
 * One rule of at_least[], checked on values that are good or defaults,
 * and reported at the key that was set (hi if both were). Durations are
 * compared in seconds, since either may be written in other units.
 */
static void
check_order(struct parse *p, enum section sec, const char *lo,
    const char *hi)
{
	const struct scope *set = &p->o->set;
	int l = key_index(sec, lo), h = key_index(sec, hi);
	unsigned long long lv = get_uint(&p->o->pub, &keys[l]);
	unsigned long long hv = get_uint(&p->o->pub, &keys[h]);
	bool secs = keys[h].type == T_DURATION;

	if ((set->line[l] != 0 && !set->ok[l]) ||
	    (set->line[h] != 0 && !set->ok[h]) || hv >= lv)
		return;
	if (set->line[h] != 0 && secs)
		report(p, set->line[h], "invalid %s: %llus is less than %s "
		    "(%s%llus)", hi, hv, lo, set->line[l] != 0 ? "" :
		    "default ", lv);
	else if (set->line[h] != 0)
		report(p, set->line[h], "invalid %s '%llu': less than %s "
		    "(%llu)", hi, hv, lo, lv);
	else if (secs)
		report(p, set->line[l], "invalid %s: %llus is more than %s "
		    "(default %llus)", lo, lv, hi, hv);
	else
		report(p, set->line[l], "invalid %s '%llu': more than %s "
		    "(default %llu)", lo, lv, hi, hv);
}

/*
 * pub.pings and pub.feed.hubs, from the [ping] sections and the own hub
 * (first: the hub a subscriber should use is the one that pushes).
 */
static void
make_pings(struct parse *p)
{
	struct owned *o = p->o;
	size_t nhubs = 0;

	if (o->pub.hub.enabled) {
		if (o->pub.hub.url != NULL)
			o->own_hub = copy_str(p, o->pub.hub.url);
		else if (o->pub.feed.base_url != NULL && asprintf(&o->own_hub,
		    "%shub", o->pub.feed.base_url) < 0) {
			o->own_hub = NULL;
			p->nomem = true;
		}
		o->pub.hub.self_url = o->own_hub;
	}
	if (o->npings == 0 && o->own_hub == NULL)
		return;
	if ((o->hubs = calloc(o->npings + 1, sizeof(*o->hubs))) == NULL) {
		p->nomem = true;
		return;
	}
	if (o->own_hub != NULL)
		o->hubs[nhubs++] = o->own_hub;
	for (size_t i = 0; i < o->npings; i++)
		if (o->pings[i].kind == PING_WEBSUB)
			o->hubs[nhubs++] = o->pings[i].url;
	o->pub.pings = o->pings;
	o->pub.npings = o->npings;
	if (nhubs > 0) {
		o->pub.feed.hubs = o->hubs;
		o->pub.feed.nhubs = nhubs;
	}
}

/*
 * The look of the pages: a stylesheet that does not compile is an error
 * of the config, at its line, so a reload keeps the old one.
 */
static void
load_pages(struct parse *p)
{
	struct config *c = &p->o->pub;
	char why[600];
	int line = p->o->set.line[key_index(SEC_PAGES, "stylesheet")];

	if (!c->pages_enabled || p->nerr > 0)
		return;
	if ((c->pages = pages_load(&c->pages_set, why, sizeof(why))) == NULL)
		report(p, strstr(why, "XSLT") != NULL ? line : 0, "[pages] %s",
		    why);
}

/* pub.http.listenv: the addresses of [http] listen, one string each. */
static void
split_listen(struct parse *p)
{
	struct owned *o = p->o;
	const char *sep = ", \t";
	size_t n = 0, cap;
	char *s, *tok, *save;

	if (o->pub.http.listen == NULL)
		return;
	if ((o->listen_buf = copy_str(p, o->pub.http.listen)) == NULL)
		return;
	cap = strlen(o->listen_buf) / 2 + 2;
	if ((o->listenv = calloc(cap, sizeof(*o->listenv))) == NULL) {
		p->nomem = true;
		return;
	}
	for (s = o->listen_buf; (tok = strtok_r(s, sep, &save)) != NULL;
	    s = NULL)
		o->listenv[n++] = tok;
	o->pub.http.listenv = (const char *const *)o->listenv;
	o->pub.http.nlisten = n;
}

/* Required keys, checks that span keys, paths, ping targets. */
static void
finish(struct parse *p)
{
	struct config *c = &p->o->pub;

	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec != SEC_PING && keys[i].required &&
		    p->o->set.line[i] == 0)
			report(p, 0, "missing required key '%s' in [%s]",
			    keys[i].name, sections[keys[i].sec].name);
	for (size_t i = 0; i < sizeof(at_least) / sizeof(at_least[0]); i++)
		check_order(p, at_least[i].sec, at_least[i].lo, at_least[i].hi);
	for (size_t i = 0; i < NKEYS; i++) {
		const char *rel = get_text(c, &keys[i]);
		char *abs;

		if (keys[i].type != T_PATH || rel == NULL)
			continue;
		if ((abs = resolve(p, rel)) != NULL)
			put_text(c, &keys[i], abs);
	}
	c->feed.root = c->releases_dir;	/* bodies are read from there */
	make_pings(p);
	split_listen(p);
	load_pages(p);
}

struct config *
config_load(const char *path, FILE *errs)
{
	struct parse p = { .path = path, .errs = errs };
	FILE *in = NULL;

	if ((p.o = calloc(1, sizeof(*p.o))) == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	p.o->pub.path = copy_str(&p, path);
	set_defaults(&p, false, &p.o->pub);
	if ((in = fopen(path, "r")) == NULL) {
		/* Most likely the default path: say how to name another. */
		p.nerr++;
		fprintf(errs, "feedpubd: cannot read %s: %s (use --config "
		    "FILE)\n", path, strerror(errno));
		goto out;
	}
	if (ini_read(in, on_item, &p) != 0) {
		/* Half a file would only add noise about missing keys. */
		if (errno == ENOMEM)
			p.nomem = true;
		else if (errno != EFBIG)	/* reported at its line */
			report(&p, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	end_section(&p);
	finish(&p);
out:
	if (p.nomem)
		report(&p, 0, "out of memory");
	if (in != NULL)
		fclose(in);
	free(p.label);
	if (p.nerr > 0) {
		config_free(&p.o->pub);
		return NULL;
	}
	return &p.o->pub;
}

/* The text fields of the rows of one kind of section in base. */
static void
free_texts(void *base, bool ping)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((keys[i].sec == SEC_PING) == ping && is_text(keys[i].type))
			free((void *)get_text(base, &keys[i]));
}

void
config_free(struct config *c)
{
	struct owned *o = (struct owned *)c;

	if (c == NULL)
		return;
	free(c->path);
	pages_free(c->pages);
	free_texts(c, false);
	free((void *)c->feed.tag_authority);
	free((void *)c->feed.tag_path);
	for (size_t i = 0; i < o->npings; i++) {
		free((void *)o->pings[i].name);
		free_texts(&o->pings[i], true);
	}
	free(o->pings);
	free(o->defs);
	free(o->hubs);
	free(o->own_hub);
	free(o->listenv);
	free(o->listen_buf);
	free(o);
}

/* ---- --print-config ---------------------------------------------------- */

/* "# doc", then "name = value ; line N" (or "; default"). */
static void
print_key(FILE *out, const struct key *k, const void *base, int line)
{
	char buf[VALUE_PRINT_MAX], from[32];
	const char *v = buf;
	bool b;
	enum ping_kind kind;
	enum publish_order order;
	enum archive_period period;

	fprintf(out, "# %s\n", k->doc);
	if (line > 0)
		snprintf(from, sizeof(from), "line %d", line);
	else
		snprintf(from, sizeof(from), "default");
	switch (k->type) {
	case T_UINT:
		snprintf(buf, sizeof(buf), "%llu", get_uint(base, k));
		break;
	case T_SIZE:
		value_print_size(get_uint(base, k), buf);
		break;
	case T_DURATION:
		value_print_duration(get_uint(base, k), buf);
		break;
	case T_BOOL:
		memcpy(&b, (const char *)base + k->off, sizeof(b));
		v = b ? "true" : "false";
		break;
	case T_KIND:
		memcpy(&kind, (const char *)base + k->off, sizeof(kind));
		v = kind_names[kind];
		break;
	case T_ORDER:
		memcpy(&order, (const char *)base + k->off, sizeof(order));
		v = order_names[order];
		break;
	case T_DATE_SOURCE:
		memcpy(&b, (const char *)base + k->off, sizeof(b));
		v = date_source_names[b];
		break;
	case T_PERIOD:
		memcpy(&period, (const char *)base + k->off, sizeof(period));
		v = period_names[period];
		break;
	default:
		v = get_text(base, k);
		if (v != NULL && k->type == T_SECRET)
			v = "(set)";
		break;
	}
	if (v == NULL)
		fprintf(out, "# %s is not set\n", k->name);
	else
		fprintf(out, "%s = %s ; %s\n", k->name, v, from);
}

int
config_print(const struct config *c, FILE *out)
{
	const struct owned *o = (const struct owned *)c;

	fprintf(out, "# feedpubd --print-config: %s\n"
	    "# Every key with its value in effect, and where it came from: "
	    "a line of\n# the file, or the default.\n", c->path);
	for (int s = FIRST_SECTION; s <= LAST_SECTION; s++) {
		if (sections[s].repeats)
			continue;
		fprintf(out, "\n[%s]\n", sections[s].name);
		for (size_t i = 0; i < NKEYS; i++)
			if (keys[i].sec == (enum section)s)
				print_key(out, &keys[i], c, o->set.line[i]);
	}
	for (size_t j = 0; j < o->npings; j++) {
		fprintf(out, "\n[%s \"%s\"]\n", sections[SEC_PING].name,
		    o->pings[j].name);
		for (size_t i = 0; i < NKEYS; i++)
			if (keys[i].sec == SEC_PING)
				print_key(out, &keys[i], &o->pings[j],
				    o->defs[j].set.line[i]);
	}
	return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
