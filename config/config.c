/*
 * config: the INI config file (libinih) -> a validated struct (see config.h).
 *
 * inih hands the handler one key at a time and tells it neither the line
 * number nor about lines it rejects, so the file is fed to inih through
 * read_line(), which counts lines, checks section headers and notices the
 * lines inih dropped without calling the handler. Every problem is reported
 * and parsing goes on, so one run shows the user all of them.
 *
 * [ping "NAME"] sections repeat, so their keys are checked at the end of
 * each one (end_ping()) rather than once the whole file is read.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <ini.h>

#include "feeds/date.h"

#define DEFAULT_TIMEZONE	"UTC"
#define DEFAULT_TAG_DATE	"2000"
#define DEFAULT_MAX_ENTRIES	50
#define MAX_MAX_ENTRIES		100000
#define DEFAULT_MAX_FILE_SIZE	((size_t)1 << 20)
#define MIN_MAX_FILE_SIZE	((size_t)1 << 10)
#define MAX_MAX_FILE_SIZE	((size_t)64 << 20)
#define DEFAULT_SETTLE_MS	20
#define MAX_SETTLE_MS		10000
#define DEFAULT_SETTLE_CAP_MS	500
#define MAX_SETTLE_CAP_MS	60000
/* Durations, as the user writes them (see parse_duration()). */
#define DEFAULT_CONNECT_TIMEOUT	"5s"
#define MIN_CONNECT_TIMEOUT	"1s"
#define MAX_CONNECT_TIMEOUT	"5m"
#define DEFAULT_TIMEOUT		"15s"
#define MIN_TIMEOUT		"1s"
#define MAX_TIMEOUT		"1h"
#define DEFAULT_GIVE_UP_AFTER	"24h"
#define MIN_GIVE_UP_AFTER	"1m"
#define MAX_GIVE_UP_AFTER	"30d"
#define MAX_KEYS		24	/* >= the entries in keys[] */
#define SECTIONS_HINT \
	"[feed], [paths], [daemon], [pings] or [ping \"NAME\"]"

/* What one [ping "NAME"] section said; struct ping_target points here. */
struct ping_def {
	char *name;
	char *url;
	char *secret;
	enum ping_kind kind;
	int line;		/* of the section header */
};

/* A config and the strings its struct feed_meta points at. */
struct owned {
	struct config pub;	/* first, so a struct config * converts back */
	char *title;
	char *subtitle;
	char *base_url;
	char *author;
	char *language;
	char *link_template;
	char *tag_authority;
	char *tag_path;
	char *tag_date;
	struct ping_def *defs;		/* file order */
	size_t ndefs;
	struct ping_target *pings;	/* pub.pings, made from defs */
	const char **hubs;		/* pub.feed.hubs: websub urls */
};

enum section {
	SEC_NONE, SEC_FEED, SEC_PATHS, SEC_DAEMON, SEC_PINGS, SEC_PING,
	SEC_BAD
};

/* The sections named by a plain [name]; [ping "NAME"] is read apart. */
static const char *const section_names[] = {
	[SEC_FEED] = "feed", [SEC_PATHS] = "paths", [SEC_DAEMON] = "daemon",
	[SEC_PINGS] = "pings",
};
#define LAST_PLAIN_SECTION	SEC_PINGS

static const char *const kind_names[] = {
	[PING_WEBSUB] = "websub", [PING_XMLRPC] = "xmlrpc",
	[PING_WEBHOOK] = "webhook",
};

struct parse;

/* Stores value, or reports it (at p->lineno) and returns -1. */
typedef int (*setter)(struct parse *p, const char *key, const char *value);

struct key {
	enum section sec;
	const char *name;
	setter set;
	bool required;
};

struct parse {
	const char *path;
	FILE *in;
	FILE *errs;
	struct owned *o;
	char *buf;		/* the current line, from getline() */
	size_t cap;
	int lineno;
	int pending;		/* line that should reach the handler, or 0 */
	enum section sec;	/* as read by read_line() */
	char label[INI_MAX_LINE + 8];	/* sec for messages: "[feed]" */
	int nerr;
	bool nomem;
	/* Per keys[] entry: the line that set it (or 0); was the value good? */
	int key_line[MAX_KEYS];
	bool key_ok[MAX_KEYS];
	/* Raw [paths] values, resolved once the whole file is read. */
	char *releases;
	char *output;
	char *state;
};

static void report(struct parse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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

/* strdup() that remembers running out of memory. */
static char *
copy_str(struct parse *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		p->nomem = true;
	return d;
}

static int
set_string(struct parse *p, char **dst, const char *value)
{
	free(*dst);
	*dst = copy_str(p, value);
	return *dst == NULL ? -1 : 0;
}

/* A decimal number: digits only (no sign, blanks or exponent). */
static int
parse_uint(const char *s, unsigned long long *out, char **end)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, end, 10);
	return errno == 0 ? 0 : -1;
}

static int
set_uint(struct parse *p, const char *key, const char *value,
	 unsigned min, unsigned max, unsigned *dst)
{
	unsigned long long v;
	char *end;

	if (parse_uint(value, &v, &end) != 0 || *end != '\0' || v < min ||
	    v > max) {
		report(p, p->lineno,
		       "invalid %s '%s': expected an integer %u..%u",
		       key, value, min, max);
		return -1;
	}
	*dst = (unsigned)v;
	return 0;
}

/* true if u has the part, even an empty one. */
static bool
has_part(CURLU *u, CURLUPart what)
{
	char *s = NULL;
	bool has = curl_url_get(u, what, &s, 0) == CURLUE_OK;

	curl_free(s);
	return has;
}

/*
 * url must parse (curl's URL API) as an absolute http or https URL with a
 * host and no user info or fragment, and no query unless query is true.
 * Returns the handle, or NULL after reporting why not.
 */
static CURLU *
parse_http_url(struct parse *p, const char *key, const char *url,
	       const char *shown, bool query)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char *scheme = NULL, *host = NULL;
	const char *why = NULL;

	if (u == NULL) {
		p->nomem = true;
		return NULL;
	}
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		/* curl's words ("Bad scheme") assume one knows URL syntax. */
		why = strstr(url, "://") == NULL ?
		    "not an absolute URL (write it as https://host/path/)" :
		    strchr(url, ' ') != NULL ? "spaces are not allowed in a "
		    "URL (a comment after a value starts with ' ;')" :
		    curl_url_strerror(rc);
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		why = "not an http:// or https:// URL";
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		 *host == '\0')
		why = "no host";
	else if (has_part(u, CURLUPART_USER) ||
		 has_part(u, CURLUPART_PASSWORD))
		why = "user info is not allowed";
	else if (!query && has_part(u, CURLUPART_QUERY))
		why = "a query ('?') is not allowed";
	else if (has_part(u, CURLUPART_FRAGMENT))
		why = "a fragment ('#') is not allowed";
	curl_free(scheme);
	curl_free(host);
	if (why == NULL)
		return u;
fail:
	report(p, p->lineno, "invalid %s '%s': %s", key, shown, why);
	curl_url_cleanup(u);
	return NULL;
}

static int
set_base_url(struct parse *p, const char *key, const char *value)
{
	struct owned *o = p->o;
	CURLU *u;
	char *path = NULL, *slashed = NULL, *url = NULL, *host = NULL;
	size_t n;
	int ret = -1;

	u = parse_http_url(p, key, value, value, false);
	if (u == NULL)
		return -1;
	/* Past the checks, only running out of memory can fail. */
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	n = strlen(path);
	if (n == 0 || path[n - 1] != '/') {
		slashed = malloc(n + 2);
		if (slashed == NULL)
			goto done;
		memcpy(slashed, path, n);
		memcpy(slashed + n, "/", 2);
		if (curl_url_set(u, CURLUPART_PATH, slashed, 0) != CURLUE_OK)
			goto done;
	}
	/* curl's own rendering: scheme lower-cased, dot segments removed. */
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto done;
	for (char *c = host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (set_string(p, &o->base_url, url) == 0 &&
	    set_string(p, &o->tag_authority, host) == 0 &&
	    set_string(p, &o->tag_path, slashed != NULL ? slashed : path) == 0)
		ret = 0;
done:
	if (ret != 0)
		p->nomem = true;
	free(slashed);
	curl_free(path);
	curl_free(host);
	curl_free(url);
	curl_url_cleanup(u);
	return ret;
}

static int
set_link_template(struct parse *p, const char *key, const char *value)
{
	const char *at = strstr(value, "{slug}");
	char *sample;
	CURLU *u;
	size_t n = strlen(value);

	if (at == NULL) {
		report(p, p->lineno, "invalid %s '%s': no {slug} in it",
		       key, value);
		return -1;
	}
	/* Check the URL a release would get, not the template's braces. */
	sample = malloc(n + 1);
	if (sample == NULL) {
		p->nomem = true;
		return -1;
	}
	memcpy(sample, value, (size_t)(at - value));
	strcpy(sample + (at - value), "slug");
	strcat(sample, at + 6);
	u = parse_http_url(p, key, sample, value, false);
	free(sample);
	if (u == NULL)
		return -1;
	curl_url_cleanup(u);
	return set_string(p, &p->o->link_template, value);
}

static int
set_title(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &p->o->title, value);
}

static int
set_subtitle(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &p->o->subtitle, value);
}

static int
set_author(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &p->o->author, value);
}

static int
set_language(struct parse *p, const char *key, const char *value)
{
	const char *c;

	for (c = value; isalnum((unsigned char)*c) || *c == '-'; c++)
		;
	if (*c != '\0' || !isalpha((unsigned char)*value)) {
		report(p, p->lineno,
		       "invalid %s '%s': expected a language tag such as "
		       "'sv' or 'en-GB' (letters, digits, '-')", key, value);
		return -1;
	}
	return set_string(p, &p->o->language, value);
}

static int
set_timezone(struct parse *p, const char *key, const char *value)
{
	if (!date_zone_valid(value)) {
		report(p, p->lineno,
		       "invalid %s '%s': not a zone in the tz database "
		       "(e.g. 'UTC', 'Europe/Stockholm')", key, value);
		return -1;
	}
	return set_string(p, &p->o->pub.timezone, value);
}

static int
set_max_entries(struct parse *p, const char *key, const char *value)
{
	unsigned long long v;
	char *end;

	if (parse_uint(value, &v, &end) != 0 || *end != '\0' || v < 1 ||
	    v > MAX_MAX_ENTRIES) {
		report(p, p->lineno,
		       "invalid %s '%s': expected an integer 1..%d",
		       key, value, MAX_MAX_ENTRIES);
		return -1;
	}
	p->o->pub.feed.max_entries = (size_t)v;
	return 0;
}

/* The digits of s[0..n), in [min, max]. */
static int
digits(const char *s, size_t n, int min, int max, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v < min || v > max ? -1 : 0;
}

/* RFC 4151: YYYY, YYYY-MM or YYYY-MM-DD, and a real day. */
static int
set_tag_date(struct parse *p, const char *key, const char *value)
{
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	size_t n = strlen(value);
	int y, m = 1, d = 1;
	bool ok = n == 4 || n == 7 || n == 10;

	ok = ok && digits(value, 4, 0, 9999, &y) == 0;
	if (ok && n >= 7)
		ok = value[4] == '-' && digits(value + 5, 2, 1, 12, &m) == 0;
	if (ok && n == 10)
		ok = value[7] == '-' &&
		     digits(value + 8, 2, 1, mdays[m - 1], &d) == 0 &&
		     !(m == 2 && d == 29 &&
		       (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
	if (!ok) {
		report(p, p->lineno,
		       "invalid %s '%s': expected a date YYYY, YYYY-MM or "
		       "YYYY-MM-DD (RFC 4151)", key, value);
		return -1;
	}
	return set_string(p, &p->o->tag_date, value);
}

static int
set_max_file_size(struct parse *p, const char *key, const char *value)
{
	unsigned long long v, mult = 1;
	char *rest;

	if (parse_uint(value, &v, &rest) != 0)
		goto bad;
	if (*rest == 'K' || *rest == 'k')
		mult = 1024;
	else if (*rest == 'M' || *rest == 'm')
		mult = 1024 * 1024;
	else if (*rest != '\0')
		goto bad;
	if (mult != 1 && rest[1] != '\0')
		goto bad;
	if (v > MAX_MAX_FILE_SIZE / mult || v * mult < MIN_MAX_FILE_SIZE)
		goto bad;
	p->o->pub.feed.max_file_size = (size_t)(v * mult);
	return 0;
bad:
	report(p, p->lineno,
	       "invalid %s '%s': expected a size 1K..64M (bytes, or with a "
	       "K or M suffix)", key, value);
	return -1;
}

static int
set_raw_html(struct parse *p, const char *key, const char *value)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			p->o->pub.feed.raw_html = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			p->o->pub.feed.raw_html = false;
			return 0;
		}
	}
	report(p, p->lineno,
	       "invalid %s '%s': expected true/false, yes/no, on/off or 1/0",
	       key, value);
	return -1;
}

static int
set_releases(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &p->releases, value);
}

static int
set_output(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &p->output, value);
}

static int
set_state(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &p->state, value);
}

static int
set_settle_ms(struct parse *p, const char *key, const char *value)
{
	return set_uint(p, key, value, 0, MAX_SETTLE_MS,
			&p->o->pub.settle_ms);
}

static int
set_settle_cap_ms(struct parse *p, const char *key, const char *value)
{
	return set_uint(p, key, value, 0, MAX_SETTLE_CAP_MS,
			&p->o->pub.settle_cap_ms);
}

/*
 * A duration: "90" or "90s" (seconds), "15m", "24h" or "30d". Returns 0
 * and the seconds in *out, or -1.
 */
static int
parse_duration(const char *s, unsigned long long *out)
{
	unsigned long long v, mult;
	char *rest;

	if (parse_uint(s, &v, &rest) != 0)
		return -1;
	switch (*rest) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 60 * 60;
		break;
	case 'd':
		mult = 24 * 60 * 60;
		break;
	default:
		return -1;
	}
	if ((*rest != '\0' && rest[1] != '\0') || v > ULLONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* One of the duration constants above, in seconds (the tests check them). */
static unsigned
duration(const char *s)
{
	unsigned long long v = 0;

	(void)parse_duration(s, &v);
	return (unsigned)v;
}

static int
set_duration(struct parse *p, const char *key, const char *value,
	     const char *min, const char *max, unsigned *dst)
{
	unsigned long long v;

	if (parse_duration(value, &v) != 0 || v < duration(min) ||
	    v > duration(max)) {
		report(p, p->lineno,
		       "invalid %s '%s': expected a duration %s..%s (an "
		       "integer with an optional unit s, m, h or d)",
		       key, value, min, max);
		return -1;
	}
	*dst = (unsigned)v;
	return 0;
}

static int
set_connect_timeout(struct parse *p, const char *key, const char *value)
{
	return set_duration(p, key, value, MIN_CONNECT_TIMEOUT,
			    MAX_CONNECT_TIMEOUT,
			    &p->o->pub.ping_connect_timeout_s);
}

static int
set_timeout(struct parse *p, const char *key, const char *value)
{
	return set_duration(p, key, value, MIN_TIMEOUT, MAX_TIMEOUT,
			    &p->o->pub.ping_timeout_s);
}

static int
set_give_up_after(struct parse *p, const char *key, const char *value)
{
	return set_duration(p, key, value, MIN_GIVE_UP_AFTER,
			    MAX_GIVE_UP_AFTER, &p->o->pub.ping_give_up_s);
}

/* The [ping "NAME"] section being read: the last one. */
static struct ping_def *
cur_ping(struct parse *p)
{
	return &p->o->defs[p->o->ndefs - 1];
}

static int
set_kind(struct parse *p, const char *key, const char *value)
{
	for (size_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]);
	     k++) {
		if (strcmp(value, kind_names[k]) == 0) {
			cur_ping(p)->kind = (enum ping_kind)k;
			return 0;
		}
	}
	report(p, p->lineno,
	       "invalid %s '%s': expected websub, xmlrpc or webhook",
	       key, value);
	return -1;
}

/* Webhook URLs often carry a token in the query, so one is allowed. */
static int
set_url(struct parse *p, const char *key, const char *value)
{
	CURLU *u = parse_http_url(p, key, value, value, true);
	char *url = NULL;
	int ret;

	if (u == NULL)
		return -1;
	/* curl's rendering, as for base_url: what curl will request. */
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		p->nomem = true;
		curl_url_cleanup(u);
		return -1;
	}
	ret = set_string(p, &cur_ping(p)->url, url);
	curl_free(url);
	curl_url_cleanup(u);
	return ret;
}

static int
set_secret(struct parse *p, const char *key, const char *value)
{
	(void)key;
	return set_string(p, &cur_ping(p)->secret, value);
}

static const struct key keys[] = {
	{ SEC_FEED, "title", set_title, true },
	{ SEC_FEED, "subtitle", set_subtitle, false },
	{ SEC_FEED, "base_url", set_base_url, true },
	{ SEC_FEED, "author", set_author, false },
	{ SEC_FEED, "language", set_language, false },
	{ SEC_FEED, "timezone", set_timezone, false },
	{ SEC_FEED, "max_entries", set_max_entries, false },
	{ SEC_FEED, "link_template", set_link_template, false },
	{ SEC_FEED, "tag_date", set_tag_date, false },
	{ SEC_FEED, "max_file_size", set_max_file_size, false },
	{ SEC_FEED, "raw_html", set_raw_html, false },
	{ SEC_PATHS, "releases", set_releases, false },
	{ SEC_PATHS, "output", set_output, false },
	{ SEC_PATHS, "state", set_state, false },
	{ SEC_DAEMON, "settle_ms", set_settle_ms, false },
	{ SEC_DAEMON, "settle_cap_ms", set_settle_cap_ms, false },
	{ SEC_PINGS, "connect_timeout", set_connect_timeout, false },
	{ SEC_PINGS, "timeout", set_timeout, false },
	{ SEC_PINGS, "give_up_after", set_give_up_after, false },
	/* Required in each [ping "NAME"]; see end_ping(). */
	{ SEC_PING, "kind", set_kind, true },
	{ SEC_PING, "url", set_url, true },
	{ SEC_PING, "secret", set_secret, false },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= MAX_KEYS, "MAX_KEYS too small");

static int
key_index(enum section sec, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec == sec && strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* inih calls this for every "key = value" line, while p->lineno is it. */
static int
handle(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	int i;

	(void)section;	/* read_line() tracked it; see there */
	p->pending = 0;
	if (p->sec == SEC_BAD)
		return 1;	/* the header was reported already */
	if (p->sec == SEC_NONE) {
		report(p, p->lineno,
		       "key '%s' outside any section (" SECTIONS_HINT ")",
		       name);
		return 1;
	}
	i = key_index(p->sec, name);
	if (i < 0) {
		report(p, p->lineno, "unknown key '%s' in %s", name,
		       p->label);
		return 1;
	}
	if (p->key_line[i] != 0) {
		report(p, p->lineno,
		       "duplicate key '%s' in %s (first set on line %d)",
		       name, p->label, p->key_line[i]);
		return 1;
	}
	p->key_line[i] = p->lineno;
	if (*value == '\0') {
		report(p, p->lineno, "empty value for '%s' in %s", name,
		       p->label);
		return 1;
	}
	p->key_ok[i] = keys[i].set(p, name, value) == 0;
	/* Our own errors are counted in p; inih's return is for syntax. */
	return 1;
}

/* The line before this one should have reached handle() but did not. */
static void
check_pending(struct parse *p)
{
	if (p->pending != 0)
		report(p, p->pending,
		       "syntax error: expected 'key = value', '[section]' "
		       "or a comment");
	p->pending = 0;
}

/* The checks of a [ping "NAME"] section that need all of its keys. */
static void
end_ping(struct parse *p)
{
	struct ping_def *d;
	int kind = key_index(SEC_PING, "kind");
	int secret = key_index(SEC_PING, "secret");

	if (p->sec != SEC_PING)
		return;
	d = cur_ping(p);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec == SEC_PING && keys[i].required &&
		    p->key_line[i] == 0)
			report(p, d->line, "%s: missing required key '%s'",
			       p->label, keys[i].name);
	if (p->key_line[kind] != 0 && p->key_ok[kind] &&
	    p->key_line[secret] != 0 && d->kind != PING_WEBHOOK)
		report(p, p->key_line[secret],
		       "key 'secret' in %s: only webhook pings are signed "
		       "(kind is %s)", p->label, kind_names[d->kind]);
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

/* s[0..n) is what a [ping "NAME"] header has between its brackets. */
static void
read_ping_section(struct parse *p, const char *s, size_t n)
{
	const char *name = s + 4 + strspn(s + 4, " \t");
	size_t len = (size_t)(s + n - name);
	struct owned *o = p->o;
	struct ping_def *defs;

	p->sec = SEC_BAD;
	if (name == s + 4 || len < 2 || name[0] != '"' ||
	    name[len - 1] != '"' || !ping_name_ok(name + 1, len - 2)) {
		report(p, p->lineno,
		       "invalid section [%.*s]: expected [ping \"NAME\"], "
		       "NAME of letters, digits, '-', '_' or '.'", (int)n, s);
		return;
	}
	name++;
	len -= 2;
	for (size_t i = 0; i < o->ndefs; i++)
		/* Still read: its keys may hold more problems to report. */
		if (strlen(o->defs[i].name) == len &&
		    strncmp(o->defs[i].name, name, len) == 0)
			report(p, p->lineno,
			       "duplicate section [ping \"%.*s\"] (first on "
			       "line %d)", (int)len, name, o->defs[i].line);
	defs = realloc(o->defs, (o->ndefs + 1) * sizeof(*defs));
	if (defs == NULL) {
		p->nomem = true;
		return;
	}
	o->defs = defs;
	defs += o->ndefs;
	*defs = (struct ping_def){ .line = p->lineno };
	defs->name = strndup(name, len);
	if (defs->name == NULL) {
		p->nomem = true;
		return;
	}
	o->ndefs++;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].sec == SEC_PING) {
			p->key_line[i] = 0;
			p->key_ok[i] = false;
		}
	}
	snprintf(p->label, sizeof(p->label), "[ping \"%s\"]", defs->name);
	p->sec = SEC_PING;
}

/* A "[name]" line: remember the section for handle(). */
static void
read_section(struct parse *p, const char *line)
{
	const char *end = strchr(line, ']');
	size_t n;

	end_ping(p);
	if (end == NULL) {
		report(p, p->lineno, "syntax error: '[' without ']'");
		p->sec = SEC_BAD;
		return;
	}
	n = (size_t)(end - line - 1);
	for (int s = SEC_FEED; s <= LAST_PLAIN_SECTION; s++) {
		if (strlen(section_names[s]) == n &&
		    strncmp(section_names[s], line + 1, n) == 0) {
			p->sec = (enum section)s;
			snprintf(p->label, sizeof(p->label), "[%s]",
				 section_names[s]);
			return;
		}
	}
	if (strncmp(line + 1, "ping", 4) == 0 &&
	    (n == 4 || strchr(" \t\"", line[5]) != NULL)) {
		read_ping_section(p, line + 1, n);
		return;
	}
	report(p, p->lineno,
	       "unknown section [%.*s] (expected " SECTIONS_HINT ")",
	       (int)n, line + 1);
	p->sec = SEC_BAD;
}

/*
 * The ini_reader: one whole line per call, so p->lineno is the line inih is
 * parsing. Leading blanks are dropped because inih (Debian builds it with
 * multi-line values on) would take an indented "key = value" as more of the
 * previous value; and a line longer than inih's buffer is reported here
 * instead of reaching inih cut in two.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t len;
	char *s;

	check_pending(p);
	len = getline(&p->buf, &p->cap, p->in);
	if (len < 0)
		return NULL;
	p->lineno++;
	s = p->buf;
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	s += strspn(s, " \t");
	s[strcspn(s, "\r\n")] = '\0';
	if (strlen(s) >= (size_t)num) {
		report(p, p->lineno, "line too long (over %d characters)",
		       num - 1);
		s = "";
	}
	if (*s == '[')
		read_section(p, s);
	else if (*s != '\0' && *s != ';' && *s != '#')
		p->pending = p->lineno;
	strcpy(str, s);
	return str;
}

/*
 * dir of the config file + rel; a relative config path keeps the result
 * relative to the cwd.
 */
static char *
resolve(struct parse *p, const char *rel, const char *dflt)
{
	char *copy, *dir, *out = NULL;

	if (rel == NULL)
		rel = dflt;
	if (*rel == '/')
		return copy_str(p, rel);
	copy = copy_str(p, p->path);
	if (copy == NULL)
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

/* A key not set, or set to a good value. */
static bool
usable(const struct parse *p, int key)
{
	return p->key_line[key] == 0 || p->key_ok[key];
}

/* The timeouts of [pings] must agree with each other. */
static void
check_timeouts(struct parse *p)
{
	const struct config *c = &p->o->pub;
	int ct = key_index(SEC_PINGS, "connect_timeout");
	int to = key_index(SEC_PINGS, "timeout");

	if (!usable(p, ct) || !usable(p, to) ||
	    c->ping_timeout_s >= c->ping_connect_timeout_s)
		return;
	/* Seconds, since the user may have written either in other units. */
	if (p->key_line[to] != 0)
		report(p, p->key_line[to],
		       "invalid timeout: %us is less than connect_timeout "
		       "(%s%us)", c->ping_timeout_s,
		       p->key_line[ct] != 0 ? "" : "default ",
		       c->ping_connect_timeout_s);
	else
		report(p, p->key_line[ct],
		       "invalid connect_timeout: %us is more than timeout "
		       "(default %us)", c->ping_connect_timeout_s,
		       c->ping_timeout_s);
}

/* pub.pings and pub.feed.hubs, from the [ping] sections. */
static void
make_pings(struct parse *p)
{
	struct owned *o = p->o;
	size_t nhubs = 0;

	if (o->ndefs == 0)
		return;
	o->pings = calloc(o->ndefs, sizeof(*o->pings));
	o->hubs = calloc(o->ndefs, sizeof(*o->hubs));
	if (o->pings == NULL || o->hubs == NULL) {
		p->nomem = true;
		return;
	}
	for (size_t i = 0; i < o->ndefs; i++) {
		const struct ping_def *d = &o->defs[i];

		o->pings[i] = (struct ping_target){
			.name = d->name, .kind = d->kind, .url = d->url,
			.secret = d->secret,
		};
		if (d->kind == PING_WEBSUB)
			o->hubs[nhubs++] = d->url;
	}
	o->pub.pings = o->pings;
	o->pub.npings = o->ndefs;
	if (nhubs > 0) {
		o->pub.feed.hubs = o->hubs;
		o->pub.feed.nhubs = nhubs;
	}
}

/* Defaults, required keys and checks that span keys. */
static void
finish(struct parse *p)
{
	struct owned *o = p->o;
	struct config *c = &o->pub;
	int ms = key_index(SEC_DAEMON, "settle_ms");
	int cap = key_index(SEC_DAEMON, "settle_cap_ms");

	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec != SEC_PING && keys[i].required &&
		    p->key_line[i] == 0)
			report(p, 0, "missing required key '%s' in [%s]",
			       keys[i].name, section_names[keys[i].sec]);
	/* Compare only values that are valid or defaults. */
	if ((p->key_line[ms] == 0 || p->key_ok[ms]) &&
	    (p->key_line[cap] == 0 || p->key_ok[cap]) &&
	    c->settle_cap_ms < c->settle_ms) {
		if (p->key_line[cap] != 0)
			report(p, p->key_line[cap],
			       "invalid settle_cap_ms '%u': less than "
			       "settle_ms (%u)", c->settle_cap_ms,
			       c->settle_ms);
		else
			report(p, p->key_line[ms],
			       "invalid settle_ms '%u': more than "
			       "settle_cap_ms (default %u)", c->settle_ms,
			       c->settle_cap_ms);
	}
	check_timeouts(p);
	if (c->timezone == NULL)
		c->timezone = copy_str(p, DEFAULT_TIMEZONE);
	if (o->tag_date == NULL)
		o->tag_date = copy_str(p, DEFAULT_TAG_DATE);
	c->releases_dir = resolve(p, p->releases, "releases");
	c->output_dir = resolve(p, p->output, "public");
	c->state_dir = resolve(p, p->state, "state");

	c->feed.title = o->title;
	c->feed.subtitle = o->subtitle;
	c->feed.base_url = o->base_url;
	c->feed.author = o->author;
	c->feed.language = o->language;
	c->feed.link_template = o->link_template;
	c->feed.tag_authority = o->tag_authority;
	c->feed.tag_path = o->tag_path;
	c->feed.tag_date = o->tag_date;
	/* A section with errors may lack its url: no half-made targets. */
	if (p->nerr == 0)
		make_pings(p);
}

struct config *
config_load(const char *path, FILE *errs)
{
	struct parse p = { .path = path, .errs = errs };
	struct owned *o;
	int rc;

	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	p.o = o;
	o->pub.feed.max_entries = DEFAULT_MAX_ENTRIES;
	o->pub.feed.max_file_size = DEFAULT_MAX_FILE_SIZE;
	/* Until the config key for it lands: links within the folder. */
	o->pub.feed.follow_symlinks = true;
	o->pub.settle_ms = DEFAULT_SETTLE_MS;
	o->pub.settle_cap_ms = DEFAULT_SETTLE_CAP_MS;
	o->pub.ping_connect_timeout_s = duration(DEFAULT_CONNECT_TIMEOUT);
	o->pub.ping_timeout_s = duration(DEFAULT_TIMEOUT);
	o->pub.ping_give_up_s = duration(DEFAULT_GIVE_UP_AFTER);
	o->pub.path = copy_str(&p, path);

	p.in = fopen(path, "r");
	if (p.in == NULL) {
		report(&p, 0, "cannot read: %s", strerror(errno));
		goto done;
	}
	rc = ini_parse_stream(read_line, &p, handle, &p);
	check_pending(&p);
	if (ferror(p.in)) {
		/* A half-read file would only add noise about missing keys. */
		report(&p, 0, "cannot read: %s", strerror(errno));
		goto done;
	}
	end_ping(&p);
	if (rc != 0 && p.nerr == 0)
		/* Not expected: read_line() catches what inih rejects. */
		report(&p, rc > 0 ? rc : 0, "cannot parse (inih error %d)",
		       rc);
	finish(&p);
	if (p.nomem)
		report(&p, 0, "out of memory");
done:
	if (p.in != NULL)
		fclose(p.in);
	free(p.buf);
	free(p.releases);
	free(p.output);
	free(p.state);
	if (p.nerr > 0) {
		config_free(&o->pub);
		return NULL;
	}
	return &o->pub;
}

void
config_free(struct config *c)
{
	struct owned *o = (struct owned *)c;

	if (c == NULL)
		return;
	free(c->path);
	free(c->timezone);
	free(c->releases_dir);
	free(c->output_dir);
	free(c->state_dir);
	free(o->title);
	free(o->subtitle);
	free(o->base_url);
	free(o->author);
	free(o->language);
	free(o->link_template);
	free(o->tag_authority);
	free(o->tag_path);
	free(o->tag_date);
	for (size_t i = 0; i < o->ndefs; i++) {
		free(o->defs[i].name);
		free(o->defs[i].url);
		free(o->defs[i].secret);
	}
	free(o->defs);
	free(o->pings);
	free(o->hubs);
	free(o);
}
