/*
 * pages: release or listing -> XML view (a libxml2 tree) -> XSLT -> bytes
 * (see pages.h; the view's schema is docs/pages.md).
 */
#include "pages.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "date.h"
#include "feed.h"
#include "markdown.h"
#include "subfeed.h"
#include "text.h"
#include "xslmemo.h"

/* The built-in look, compiled in from templates/ (pages_builtin.c). */
extern const unsigned char pages_builtin_xsl[];
extern const size_t pages_builtin_xsl_len;
extern const unsigned char pages_builtin_css[];
extern const size_t pages_builtin_css_len;

#define MAX_ABOUTS	64	/* boilerplate languages */
#define HEADLINE_CHARS	110	/* Google's limit for a NewsArticle's */
#define MEMO_BYTES	(8u << 20)	/* fp:memo's kept output, at most */

/* One boilerplate: its language ("" for the one without {lang}). */
struct about {
	char lang[16];
	char *heading;	/* its "# heading", or NULL */
	char *html;
};

struct pages {
	xsltStylesheetPtr style;
	xsltSecurityPrefsPtr sec;
	struct xslmemo *memo;	/* fp:memo's outputs (NULL: none kept) */
	char *css;
	size_t css_len;
	struct about abouts[MAX_ABOUTS];
	size_t nabouts;
	size_t per_page, index_entries;
	uint64_t gen;		/* tells loads apart: part of every stamp */
};

/* ---- errors from libxml2 and libxslt ---------------------------------- */

/* Where libxml2's and libxslt's messages go while we listen. */
struct errbuf {
	char *buf;
	size_t size, len;
};

static void errbuf_add(void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Their messages come in pieces and lines: one line of it all, cut. */
static void
errbuf_add(void *ctx, const char *fmt, ...)
{
	struct errbuf *e = ctx;
	char piece[512];
	va_list ap;

	if (e == NULL || e->buf == NULL || e->size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	for (char *s = piece; *s != '\0' && e->len + 1 < e->size; s++) {
		char c = *s == '\n' || *s == '\t' ? ' ' : *s;

		if (c == ' ' && (e->len == 0 || e->buf[e->len - 1] == ' '))
			continue;
		e->buf[e->len++] = c;
	}
	e->buf[e->len] = '\0';
}

static void
errbuf_init(struct errbuf *e, char *buf, size_t size)
{
	e->buf = buf;
	e->size = size;
	e->len = 0;
	if (buf != NULL && size > 0)
		buf[0] = '\0';
}

static void
listen_errors(struct errbuf *e)
{
	xmlSetGenericErrorFunc(e, errbuf_add);
	xsltSetGenericErrorFunc(e, errbuf_add);
}

static void
unlisten_errors(void)
{
	xmlSetGenericErrorFunc(NULL, NULL);
	xsltSetGenericErrorFunc(NULL, NULL);
}

static void why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- loading ------------------------------------------------------------ */

/* A whole small file (at most 4 MiB), NUL-terminated. */
static char *
slurp(const char *path, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - n < 4096) {
			char *b;

			if (cap >= 4 * 1024 * 1024) {
				why_set(why, whylen, "%s: larger than 4 MiB",
				    path);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			if ((b = realloc(buf, cap + 1)) == NULL) {
				why_set(why, whylen, "%s: out of memory", path);
				goto fail;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

static int
load_style(struct pages *p, const char *path, char *why, size_t whylen)
{
	char msg[512];
	struct errbuf e;
	xmlDocPtr doc;
	xsltSecurityPrefsPtr loadsec = xsltNewSecurityPrefs();
	xsltSecurityPrefsPtr old = xsltGetDefaultSecurityPrefs();
	const char *name = path != NULL ? path : "(built-in default.xsl)";

	if (loadsec == NULL ||
	    xsltSetSecurityPrefs(loadsec, XSLT_SECPREF_READ_NETWORK,
	    xsltSecurityForbid) < 0 ||
	    xsltSetSecurityPrefs(loadsec, XSLT_SECPREF_WRITE_NETWORK,
	    xsltSecurityForbid) < 0) {
		xsltFreeSecurityPrefs(loadsec);
		why_set(why, whylen, "%s: out of memory", name);
		return -1;
	}
	errbuf_init(&e, msg, sizeof(msg));
	listen_errors(&e);
	/* Imports are read now, from files only: never the network. */
	xsltSetDefaultSecurityPrefs(loadsec);
	if (path != NULL)
		doc = xmlReadFile(path, NULL, XSLT_PARSE_OPTIONS |
		    XML_PARSE_NONET);
	else
		doc = xmlReadMemory((const char *)pages_builtin_xsl,
		    (int)pages_builtin_xsl_len, "default.xsl", NULL,
		    XSLT_PARSE_OPTIONS | XML_PARSE_NONET);
	if (doc != NULL && (p->style = xsltParseStylesheetDoc(doc)) == NULL)
		xmlFreeDoc(doc);	/* not the stylesheet's on failure */
	xsltSetDefaultSecurityPrefs(old);
	unlisten_errors();
	xsltFreeSecurityPrefs(loadsec);
	if (p->style == NULL) {
		why_set(why, whylen, "%s: not a usable XSLT stylesheet: %s",
		    name, msg[0] != '\0' ? msg : "cannot read it");
		return -1;
	}
	return 0;
}

/* A boilerplate file, rendered: its "# heading" apart from the rest. */
static int
load_about(struct about *a, const char *lang, const char *path, char *why,
    size_t whylen)
{
	size_t len, bad;
	char *md = slurp(path, &len, why, whylen), *body;

	if (md == NULL)
		return -1;
	if (text_utf8_check(md, len, &bad) < 0) {
		why_set(why, whylen, "%s: not valid UTF-8 (byte %zu)", path,
		    bad + 1);
		free(md);
		return -1;
	}
	snprintf(a->lang, sizeof(a->lang), "%s", lang);
	body = md + strspn(md, " \t\n\r");
	if (body[0] == '#' && body[1] == ' ') {
		size_t n = text_line_len(body);

		a->heading = text_trim_dup(body + 2, n - 2);
		body += n;
	}
	if (markdown_render(body, false, &a->html, NULL) < 0) {
		why_set(why, whylen, "%s: cannot render the Markdown", path);
		free(md);
		return -1;
	}
	free(md);
	return 0;
}

/*
 * The boilerplate files: one, or with {lang} every file of the folder
 * whose name fits the pattern (the language a short run of letters,
 * digits and '-').
 */
static int
load_abouts(struct pages *p, const char *pattern, char *why, size_t whylen)
{
	const char *at = strstr(pattern, "{lang}"), *slash;
	char dir[4096], path[4096 + 256];
	size_t pre, post;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (at == NULL) {
		p->nabouts = 1;
		return load_about(&p->abouts[0], "", pattern, why, whylen);
	}
	slash = strrchr(pattern, '/');
	if (slash != NULL && slash > at) {
		why_set(why, whylen, "%s: {lang} must be in the file name",
		    pattern);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - pattern) :
	    1, slash ? pattern : ".");
	pre = (size_t)(at - (slash ? slash + 1 : pattern));
	post = strlen(at + 6);
	if ((d = opendir(dir)) == NULL) {
		why_set(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *n = e->d_name, *base = slash ? slash + 1 : pattern;
		size_t len = strlen(n), ll;
		char lang[16];

		if (len <= pre + post || strncmp(n, base, pre) != 0 ||
		    strcmp(n + len - post, at + 6) != 0)
			continue;
		ll = len - pre - post;
		if (ll >= sizeof(lang) || strspn(n + pre, "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") < ll)
			continue;
		memcpy(lang, n + pre, ll);
		lang[ll] = '\0';
		if (p->nabouts == MAX_ABOUTS) {
			why_set(why, whylen, "%s: more than %d languages",
			    pattern, MAX_ABOUTS);
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, n);
		rc = load_about(&p->abouts[p->nabouts++], lang, path, why,
		    whylen);
	}
	closedir(d);
	if (rc == 0 && p->nabouts == 0) {
		why_set(why, whylen, "%s: no file fits the pattern", pattern);
		rc = -1;
	}
	return rc;
}

struct pages *
pages_load(const struct pages_settings *s, char *why, size_t whylen)
{
	static uint64_t loads;
	struct pages *p = calloc(1, sizeof(*p));
	static const xsltSecurityOption all[] = { XSLT_SECPREF_READ_FILE,
	    XSLT_SECPREF_WRITE_FILE, XSLT_SECPREF_CREATE_DIRECTORY,
	    XSLT_SECPREF_READ_NETWORK, XSLT_SECPREF_WRITE_NETWORK };

	if (p == NULL || (p->sec = xsltNewSecurityPrefs()) == NULL) {
		why_set(why, whylen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (xsltSetSecurityPrefs(p->sec, all[i],
		    xsltSecurityForbid) < 0) {
			why_set(why, whylen, "out of memory");
			goto fail;
		}
	p->gen = ++loads;
	/* In the main thread, before any transform (libxml2's threads.html). */
	xmlInitParser();
	xslmemo_register();
	if (!s->no_memo && (p->memo = xslmemo_new(MEMO_BYTES)) == NULL) {
		why_set(why, whylen, "out of memory");
		goto fail;
	}
	p->per_page = s->per_page > 0 ? s->per_page : 1;
	p->index_entries = s->index_entries > 0 ? s->index_entries : 1;
	if (load_style(p, s->stylesheet, why, whylen) < 0)
		goto fail;
	if (s->css != NULL) {
		if ((p->css = slurp(s->css, &p->css_len, why, whylen)) == NULL)
			goto fail;
	} else if ((p->css = strdup((const char *)pages_builtin_css)) ==
	    NULL) {
		why_set(why, whylen, "out of memory");
		goto fail;
	} else {
		p->css_len = pages_builtin_css_len;
	}
	if (s->boilerplate != NULL &&
	    load_abouts(p, s->boilerplate, why, whylen) < 0)
		goto fail;
	return p;
fail:
	pages_free(p);
	return NULL;
}

void
pages_free(struct pages *p)
{
	if (p == NULL)
		return;
	xsltFreeStylesheet(p->style);
	xsltFreeSecurityPrefs(p->sec);
	xslmemo_free(p->memo);
	free(p->css);
	for (size_t i = 0; i < p->nabouts; i++) {
		free(p->abouts[i].heading);
		free(p->abouts[i].html);
	}
	free(p);
}

void
pages_memo_counts(const struct pages *p, size_t *hits, size_t *misses)
{
	*hits = *misses = 0;
	if (p->memo != NULL)
		xslmemo_counts(p->memo, hits, misses);
}

const char *
pages_css(const struct pages *p, size_t *len)
{
	*len = p->css_len;
	return p->css;
}

/* ---- languages, labels and dates --------------------------------------- */

/* The primary subtag of lang, lower-cased, into buf ("sv-SE" -> "sv"). */
static const char *
primary(const char *lang, char buf[9])
{
	size_t i = 0;

	for (; lang != NULL && lang[i] != '\0' && lang[i] != '-' &&
	    lang[i] != '_' && i < 8; i++)
		buf[i] = (char)(lang[i] >= 'A' && lang[i] <= 'Z' ?
		    lang[i] + 32 : lang[i]);
	buf[i] = '\0';
	return buf;
}

bool
pages_rtl(const char *lang)
{
	static const char *const rtl[] = { "ar", "he", "iw", "fa", "ur",
	    "yi", "ps", "dv", "sd", "ug", "ckb" };
	char p[9];

	primary(lang, p);
	for (size_t i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
		if (strcmp(p, rtl[i]) == 0)
			return true;
	return false;
}

/*
 * The words of a page in one language: the view carries them (<labels>),
 * so a stylesheet need not know any language. Languages not here get
 * English.
 */
struct labels {
	const char *lang;
	bool day_first;		/* "10 december 2019" vs "December 10, 2019" */
	const char *months[12];
	const char *key[16];	/* in the order of label_keys[] */
};

static const char *const label_keys[16] = { "facts", "contacts", "about",
    "home", "archive", "older", "newer", "subscribe", "latest", "page",
    "of", "updated", "phone", "tags", "types", "langs" };

static const struct labels languages[] = {
	{ "en", false, { "January", "February", "March", "April", "May",
	    "June", "July", "August", "September", "October", "November",
	    "December" }, { "Facts", "Contacts", "About", "Home", "All "
	    "releases", "Older", "Newer", "Subscribe", "Latest releases",
	    "Page", "of", "Updated", "Phone", "Tags", "Types",
	    "Languages" } },
	{ "sv", true, { "januari", "februari", "mars", "april", "maj",
	    "juni", "juli", "augusti", "september", "oktober", "november",
	    "december" }, { "Fakta", "Kontakter", "Om", "Start", "Alla "
	    "pressmeddelanden", "Äldre", "Nyare", "Prenumerera", "Senaste",
	    "Sida", "av", "Uppdaterad", "Telefon", "Ämnen", "Typer",
	    "Språk" } },
};

static const struct labels *
labels_of(const char *lang)
{
	char p[9];

	primary(lang, p);
	for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
		if (strcmp(p, languages[i].lang) == 0)
			return &languages[i];
	return &languages[0];
}

char *
pages_date(const struct fp_time *t, const char *lang, char *buf,
    size_t size)
{
	const struct labels *l = labels_of(lang);
	time_t tt = (time_t)t->sec;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL) {
		snprintf(buf, size, "%lld", (long long)t->sec);
		return buf;
	}
	if (l->day_first)
		snprintf(buf, size, "%d %s %d %02d:%02d %s", tm.tm_mday,
		    l->months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min, tm.tm_zone ? tm.tm_zone : "");
	else
		snprintf(buf, size, "%s %d, %d %02d:%02d %s",
		    l->months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_zone ? tm.tm_zone : "");
	return buf;
}

/* ---- stamps ------------------------------------------------------------- */

static uint64_t
fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *s = data;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_BASIS	0xcbf29ce484222325ULL

/*
 * FNV-1a's step over 8 bytes at a time (then the tail byte by byte):
 * a page is 10 KB, and bytewise it was 4 % of a cold build.
 */
uint64_t
pages_hash(const void *data, size_t len)
{
	const unsigned char *s = data;
	uint64_t h = FNV_BASIS, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h = fnv(h, s + i, len - i);
	return h != 0 ? h : 1;
}

uint64_t
pages_stamp(const struct pages *p, const struct release *r)
{
	int64_t v[5] = { (int64_t)p->gen, r->date.sec, r->date.off,
	    r->updated.sec, r->updated.off };
	uint64_t h = fnv(FNV_BASIS, v, sizeof(v));

	return h != 0 ? h : 1;
}

/* The slice of rs (newest first) that listing page k shows: [*lo, *hi). */
static void
listing_slice(const struct pages *p, size_t n, size_t k, size_t *lo,
    size_t *hi)
{
	size_t old_lo = (k - 1) * p->per_page, old_hi = k * p->per_page;

	if (old_hi > n)
		old_hi = n;
	if (old_lo > n)
		old_lo = n;
	/* Counted from the oldest: rs[n - 1] is the oldest. */
	*lo = n - old_hi;
	*hi = n - old_lo;
}

size_t
pages_listing_count(const struct pages *p, size_t n)
{
	return n == 0 ? 1 : (n + p->per_page - 1) / p->per_page;
}

uint64_t
pages_listing_stamp(const struct pages *p, struct release *const *rs,
    size_t n, size_t k)
{
	size_t lo, hi, count = pages_listing_count(p, n);
	uint64_t h = fnv(FNV_BASIS, &p->gen, sizeof(p->gen));

	bool newest = k >= count;

	/* Not the count: a page says only whether a newer one follows. */
	h = fnv(h, &k, sizeof(k));
	h = fnv(h, &newest, sizeof(newest));
	listing_slice(p, n, k, &lo, &hi);
	for (size_t i = lo; i < hi; i++)
		h = fnv(h, &rs[i]->page_key, sizeof(rs[i]->page_key));
	return h != 0 ? h : 1;
}

int
pages_release_name(const struct release *r, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "releases/%s.html", r->slug) <
	    size ? 0 : -1;
}

/* ---- JSON-LD ------------------------------------------------------------ */

/*
 * A JSON string for a <script> element: besides what JSON escapes, '<',
 * '>' and '&' as \u escapes, so no "</script" can end the element, and
 * U+2028 / U+2029 too (older JavaScript parsers end a line there).
 */
static void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	fputc('"', f);
	for (; *p; p++) {
		bool sep = p[0] == 0xE2 && p[1] == 0x80 &&
		    (p[2] == 0xA8 || p[2] == 0xA9);

		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p != '<' &&
		    *p != '>' && *p != '&' && !sep)
			continue;
		fwrite(run, 1, (size_t)(p - run), f);
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (sep)
			fprintf(f, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
		else
			fprintf(f, "\\u%04x", *p);
		p += sep ? 2 : 0;
		run = p + 1;
	}
	fwrite(run, 1, (size_t)(p - run), f);
	fputc('"', f);
}

static void
json_key(FILE *f, const char *key, const char *val)
{
	fputc(',', f);
	json_str(f, key);
	fputc(':', f);
	json_str(f, val);
}

static void
json_thing(FILE *f, const char *type, const char *name, const char *url)
{
	fprintf(f, "{\"@type\":");
	json_str(f, type);
	json_key(f, "name", name);
	if (url != NULL)
		json_key(f, "url", url);
	fputc('}', f);
}

/* schema.org NewsArticle of r, as Google reads it. Caller frees. */
static char *
jsonld_article(const struct feed_meta *m, const struct release *r,
    const char *lang)
{
	char *buf = NULL, *headline, d[DATE_BUFSZ];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	if ((headline = text_summary(r->title, HEADLINE_CHARS)) == NULL) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fprintf(f, "{\"@context\":\"https://schema.org\","
	    "\"@type\":\"NewsArticle\"");
	json_key(f, "headline", headline);
	free(headline);
	if (r->summary != NULL && r->summary[0] != '\0')
		json_key(f, "description", r->summary);
	json_key(f, "datePublished", date_rfc3339(&r->date, d));
	json_key(f, "dateModified", date_rfc3339(&r->updated, d));
	if (lang != NULL)
		json_key(f, "inLanguage", lang);
	json_key(f, "url", r->link);
	json_key(f, "mainEntityOfPage", r->link);
	fprintf(f, ",\"author\":[");
	for (size_t i = 0; i < r->nauthors; i++) {
		if (i > 0)
			fputc(',', f);
		json_thing(f, "Person", r->authors[i], NULL);
	}
	if (r->nauthors == 0)
		json_thing(f, "Organization", m->author != NULL ? m->author :
		    m->title, NULL);
	fprintf(f, "],\"publisher\":");
	json_thing(f, "Organization", m->title, m->base_url);
	if (r->ntags > 0) {
		fprintf(f, ",\"keywords\":[");
		for (size_t i = 0; i < r->ntags; i++) {
			if (i > 0)
				fputc(',', f);
			json_str(f, r->tags[i]);
		}
		fputc(']', f);
	}
	fputc('}', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* schema.org CollectionPage for the index and the listings. */
static char *
jsonld_collection(const struct feed_meta *m, const char *url,
    const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "{\"@context\":\"https://schema.org\","
	    "\"@type\":\"CollectionPage\"");
	json_key(f, "name", name);
	json_key(f, "url", url);
	if (m->language != NULL)
		json_key(f, "inLanguage", m->language);
	fprintf(f, ",\"publisher\":");
	json_thing(f, "Organization", m->title, m->base_url);
	fputc('}', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the view ----------------------------------------------------------- */

/*
 * A view under construction. The helpers note running out of memory in
 * oom and return NULL; the builder checks once at the end, and nodes made
 * under a NULL parent are simply not made.
 */
struct view {
	xmlDocPtr doc;
	xmlDictPtr dict;	/* the stylesheet's, for the names */
	bool oom;
};

/* s without the characters XML 1.0 forbids (it has some). */
static xmlChar *
clean(struct view *v, const char *s)
{
	char *c = text_xml_clean(s);

	if (c == NULL)
		v->oom = true;
	return (xmlChar *)c;
}

/* <name>text</name> (text NULL: empty) as the last child of parent. */
static xmlNodePtr
el(struct view *v, xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n;
	xmlChar *c;

	if (parent == NULL)
		return NULL;
	if ((n = xmlNewDocNode(v->doc, NULL, (const xmlChar *)name, NULL)) ==
	    NULL) {
		v->oom = true;
		return NULL;
	}
	xmlAddChild(parent, n);
	if (text != NULL) {
		xmlNodePtr t;

		if (text_xml_ok(text)) {
			t = xmlNewDocText(v->doc, (const xmlChar *)text);
		} else {
			if ((c = clean(v, text)) == NULL)
				return NULL;
			t = xmlNewDocText(v->doc, c);
			free(c);
		}
		if (t == NULL) {
			v->oom = true;
			return NULL;
		}
		xmlAddChild(n, t);
	}
	return n;
}

static void
attr(struct view *v, xmlNodePtr n, const char *name, const char *val)
{
	xmlChar *c;

	if (n == NULL || val == NULL)
		return;
	if (text_xml_ok(val)) {
		if (xmlNewProp(n, (const xmlChar *)name,
		    (const xmlChar *)val) == NULL)
			v->oom = true;
		return;
	}
	if ((c = clean(v, val)) == NULL)
		return;
	if (xmlNewProp(n, (const xmlChar *)name, c) == NULL)
		v->oom = true;
	free(c);
}

static void attrf(struct view *v, xmlNodePtr n, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
attrf(struct view *v, xmlNodePtr n, const char *name, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attr(v, n, name, buf);
}

/* The language of r (its own, else the feed's) and its direction. */
static const char *
lang_of(const struct feed_meta *m, const struct release *r)
{
	return r != NULL && r->lang != NULL ? r->lang : m->language;
}

static void
lang_attrs(struct view *v, xmlNodePtr n, const char *lang)
{
	if (lang != NULL)
		attr(v, n, "lang", lang);
	attr(v, n, "dir", pages_rtl(lang) ? "rtl" : "ltr");
}

static const char *
feed_type(enum feed_kind k)
{
	switch (k) {
	case FEED_ATOM:
		return "application/atom+xml";
	case FEED_RSS:
		return "application/rss+xml";
	default:
		return "application/feed+json";
	}
}

/* What a <feed> element says: the format's name. */
static const char *
feed_label(enum feed_kind k)
{
	return k == FEED_ATOM ? "Atom" : k == FEED_RSS ? "RSS" : "JSON Feed";
}

/* <when datetime="RFC 3339">shown</when> */
static void
date_el(struct view *v, xmlNodePtr parent, const char *name,
    const struct fp_time *t, const char *lang)
{
	char rfc[DATE_BUFSZ], shown[128];
	xmlNodePtr n = el(v, parent, name, pages_date(t, lang, shown,
	    sizeof(shown)));

	attr(v, n, "datetime", date_rfc3339(t, rfc));
}

/*
 * <site>: the newsroom, the feeds and where things are from this page
 * (root: the way back to the output folder, "" or "../").
 */
static void
site_el(struct view *v, xmlNodePtr page, const struct pages *p,
    const struct feed_meta *m, const char *root, size_t nlistings)
{
	xmlNodePtr site = el(v, page, "site", NULL), n;

	lang_attrs(v, site, m->language);
	el(v, site, "title", m->title);
	if (m->subtitle != NULL)
		el(v, site, "subtitle", m->subtitle);
	el(v, site, "base-url", m->base_url);
	attrf(v, el(v, site, "root", NULL), "href", "%s", root[0] ? root :
	    "./");
	attrf(v, el(v, site, "home", NULL), "href", "%sindex.html", root);
	attrf(v, el(v, site, "css", NULL), "href", "%sstyle.css", root);
	/* Release pages leave it out: it moves every per_page releases. */
	if (nlistings > 0)
		attrf(v, el(v, site, "archive", NULL), "href",
		    "%sarchive/%zu.html", root, nlistings);
	for (int k = 0; k < FEED_NKINDS; k++) {
		if (!feed_written(m, k))
			continue;
		n = el(v, site, "feed", feed_label(k));
		attrf(v, n, "href", "%s%s", m->base_url, feed_file_name(k));
		attr(v, n, "type", feed_type(k));
	}
	(void)p;
}

/* The names of the axes in the view: <subfeed axis="tag"> (subfeed.h). */
static const char *const axis_names[SUB_NAXES] = { "tag", "type", "lang" };

/*
 * <subfeed axis value>: sub-feed f, its title and a <feed> per format
 * written (absolute, as site/feed), under parent.
 */
static void
subfeed_el(struct view *v, xmlNodePtr parent, const struct feed_meta *m,
    const struct subfeed *f)
{
	xmlNodePtr n = el(v, parent, "subfeed", NULL);

	attr(v, n, "axis", axis_names[f->axis]);
	attr(v, n, "value", f->value);
	el(v, n, "title", f->title);
	for (int k = 0; k < FEED_NKINDS; k++) {
		char *path;
		xmlNodePtr e;

		if (!feed_written(m, k))
			continue;
		if ((path = subfeed_path(f, k)) == NULL) {
			v->oom = true;
			return;
		}
		e = el(v, n, "feed", feed_label(k));
		attrf(v, e, "href", "%s%s", m->base_url, path);
		attr(v, e, "type", feed_type(k));
		free(path);
	}
}

/* The sub-feeds r is in (m->subs), by axis, under parent. */
static void
release_subfeeds(struct view *v, xmlNodePtr parent,
    const struct feed_meta *m, const struct release *r)
{
	const char *vals[64];

	for (int a = 0; a < SUB_NAXES && m->subs != NULL; a++) {
		size_t k = subfeed_values(m, a, r, vals, 64);

		for (size_t i = 0; i < k; i++) {
			const struct subfeed *f = subfeed_find(m->subs, a,
			    vals[i]);

			if (f != NULL)
				subfeed_el(v, parent, m, f);
		}
	}
}

/* <subfeeds>: every sub-feed of m->subs (the index's), by axis and slug. */
static void
subfeeds_el(struct view *v, xmlNodePtr page, const struct feed_meta *m)
{
	xmlNodePtr n;

	if (m->subs == NULL || m->subs->n == 0)
		return;
	n = el(v, page, "subfeeds", NULL);
	for (size_t i = 0; i < m->subs->n; i++)
		subfeed_el(v, n, m, &m->subs->v[i]);
}

static void
labels_el(struct view *v, xmlNodePtr page, const char *lang)
{
	const struct labels *l = labels_of(lang);
	xmlNodePtr n = el(v, page, "labels", NULL);

	attr(v, n, "lang", l->lang);
	/* Attributes, not elements: @facts is a cheap XPath, a predicate not. */
	for (size_t i = 0; i < sizeof(label_keys) / sizeof(label_keys[0]); i++)
		attr(v, n, label_keys[i], l->key[i]);
}

/* Digits and a leading '+' of a phone number, for a tel: link. */
static void
tel_of(const char *phone, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *s = phone; *s != '\0' && n + 1 < size; s++)
		if ((*s >= '0' && *s <= '9') || (*s == '+' && n == 0))
			buf[n++] = *s;
	buf[n] = '\0';
}

static void
contact_el(struct view *v, xmlNodePtr parent, const struct contact *c)
{
	xmlNodePtr n = el(v, parent, "contact", NULL);
	char tel[64];

	if (c->name != NULL)
		el(v, n, "name", c->name);
	if (c->role != NULL)
		el(v, n, "role", c->role);
	if (c->organisation != NULL)
		el(v, n, "organisation", c->organisation);
	if (c->phone != NULL) {
		tel_of(c->phone, tel, sizeof(tel));
		attr(v, el(v, n, "phone", c->phone), "tel", tel);
	}
	if (c->email != NULL)
		el(v, n, "email", c->email);
}

/*
 * <image> or <attachment>: url absolute (og:image), href from the page
 * (a local copy is "../media/..."), type, length when known.
 */
static void
media_el(struct view *v, xmlNodePtr parent, const char *name,
    const struct feed_meta *m, const struct media *md)
{
	xmlNodePtr n = el(v, parent, name, NULL);

	attr(v, n, "url", md->url);
	/* A local copy's url is base_url and its escaped name. */
	if (md->name != NULL)
		attrf(v, n, "href", "../%s", md->url + strlen(m->base_url));
	else
		attr(v, n, "href", md->url);
	attr(v, n, "type", md->mime);
	if (md->size >= 0)
		attrf(v, n, "length", "%lld", (long long)md->size);
	if (md->caption != NULL)
		el(v, n, "caption", md->caption);
	if (md->credit != NULL)
		el(v, n, "credit", md->credit);
	if (md->title != NULL)
		el(v, n, "title", md->title);
}

/* The boilerplate for lang: exactly, by primary subtag, in p's order. */
static const struct about *
about_for(const struct pages *p, const char *lang)
{
	char a[9], b[9];

	if (lang == NULL)
		return NULL;
	for (size_t i = 0; i < p->nabouts; i++)
		if (strcasecmp(p->abouts[i].lang, lang) == 0)
			return &p->abouts[i];
	/* "sv-SE" finds "sv". */
	for (size_t i = 0; i < p->nabouts; i++)
		if (p->abouts[i].lang[0] != '\0' && strcmp(primary(lang, a),
		    primary(p->abouts[i].lang, b)) == 0)
			return &p->abouts[i];
	return NULL;
}

/* The boilerplate of a release in lang: its own, the feed's, the one. */
static const struct about *
about_of(const struct pages *p, const char *lang, const char *feed_lang)
{
	const struct about *a = about_for(p, lang);

	if (a == NULL)
		a = about_for(p, feed_lang);
	if (a == NULL)
		a = about_for(p, "");
	return a;
}

/* <item>: one release in a list, linked from a page at root. */
static void
item_el(struct view *v, xmlNodePtr parent, const struct feed_meta *m,
    const struct release *r, const char *root)
{
	xmlNodePtr n = el(v, parent, "item", NULL);
	const char *lang = lang_of(m, r);

	lang_attrs(v, n, lang);
	el(v, n, "title", r->title);
	attrf(v, el(v, n, "page", NULL), "href", "%sreleases/%s.html", root,
	    r->slug);
	el(v, n, "url", r->link);
	if (r->type != NULL)
		el(v, n, "type", r->type);
	date_el(v, n, "published", &r->date, lang);
	if (r->summary != NULL && r->summary[0] != '\0')
		el(v, n, "summary", r->summary);
}

static xmlNodePtr
page_el(struct view *v, const char *kind)
{
	xmlNodePtr page;

	if ((v->doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL) {
		v->oom = true;
		return NULL;
	}
	/*
	 * Names from the stylesheet's dictionary (read only here, as each
	 * transform context's does): no malloc per element name, and the
	 * stylesheet's name tests compare pointers.
	 */
	if (v->dict != NULL && (v->doc->dict = xmlDictCreateSub(v->dict)) ==
	    NULL) {
		v->oom = true;
		return NULL;
	}
	if ((page = xmlNewDocNode(v->doc, NULL, (const xmlChar *)"page",
	    NULL)) == NULL) {
		v->oom = true;
		return NULL;
	}
	xmlDocSetRootElement(v->doc, page);
	attr(v, page, "kind", kind);
	attr(v, page, "generator", "feedpubd " FEEDPUBD_VERSION);
	return page;
}

/* The view of release r's page. r is rendered here (release_load_body()). */
static int
view_release(struct view *v, const struct pages *p,
    const struct feed_meta *m, struct release *r)
{
	xmlNodePtr page = page_el(v, "release"), rel;
	const char *lang = lang_of(m, r);
	const struct about *about;
	char *json, *facts = NULL;

	if (release_load_body(r, m, NULL) < 0)
		return -1;
	site_el(v, page, p, m, "../", 0);
	labels_el(v, page, lang);
	rel = el(v, page, "release", NULL);
	lang_attrs(v, rel, lang);
	attr(v, rel, "id", r->id);
	attr(v, rel, "slug", r->slug);
	el(v, rel, "title", r->title);
	el(v, rel, "url", r->link);
	if (r->type != NULL)
		el(v, rel, "type", r->type);
	date_el(v, rel, "published", &r->date, lang);
	if (r->updated.sec != r->date.sec)
		date_el(v, rel, "updated", &r->updated, lang);
	if (r->summary != NULL && r->summary[0] != '\0')
		el(v, rel, "summary", r->summary);
	for (size_t i = 0; i < r->nauthors; i++)
		el(v, rel, "author", r->authors[i]);
	if (r->nauthors == 0)
		el(v, rel, "author", m->author != NULL ? m->author : m->title);
	for (size_t i = 0; i < r->ntags; i++)
		el(v, rel, "tag", r->tags[i]);
	el(v, rel, "content", r->html);
	if (r->facts != NULL) {
		if (markdown_render(r->facts, m->raw_html, &facts, NULL) < 0)
			return -1;
		el(v, rel, "facts", facts);
		free(facts);
	}
	for (size_t i = 0; i < r->ncontacts; i++)
		contact_el(v, rel, &r->contacts[i]);
	if (r->image != NULL)
		media_el(v, rel, "image", m, r->image);
	for (size_t i = 0; i < r->nattachments; i++)
		media_el(v, rel, "attachment", m,
		    &r->attachments[i]);
	if ((about = about_of(p, lang, m->language)) != NULL) {
		xmlNodePtr a = el(v, rel, "about", about->html);
		char heading[512];

		if (about->heading != NULL)
			snprintf(heading, sizeof(heading), "%s",
			    about->heading);
		else
			snprintf(heading, sizeof(heading), "%s %s",
			    labels_of(lang)->key[2], m->title);
		attr(v, a, "heading", heading);
	}
	release_subfeeds(v, rel, m, r);
	if ((json = jsonld_article(m, r, lang)) == NULL)
		return -1;
	el(v, rel, "jsonld", json);
	free(json);
	return v->oom ? -1 : 0;
}

/* The view of index.html (k 0) or of listing page k. */
static int
view_list(struct view *v, const struct pages *p, const struct feed_meta *m,
    struct release *const *rs, size_t n, size_t k)
{
	size_t count = pages_listing_count(p, n), lo = 0, hi, lk = k;
	xmlNodePtr page = page_el(v, k == 0 ? "index" : "listing"), list;
	const char *root = k == 0 ? "" : "../";
	char url[4096], *json;
	const struct labels *l = labels_of(m->language);

	/*
	 * The count (and the site's link to the newest listing) only on the
	 * index: on a listing page it would rewrite every one of them each
	 * time a new page opens.
	 */
	site_el(v, page, p, m, root, k == 0 ? count : 0);
	labels_el(v, page, m->language);
	list = el(v, page, "listing", NULL);
	if (k == 0) {
		hi = n < p->index_entries ? n : p->index_entries;
		snprintf(url, sizeof(url), "%s", m->base_url);
		lk = count;
	} else {
		listing_slice(p, n, k, &lo, &hi);
		snprintf(url, sizeof(url), "%sarchive/%zu.html", m->base_url,
		    k);
	}
	attrf(v, list, "number", "%zu", lk);
	if (k == 0)
		attrf(v, list, "count", "%zu", count);
	el(v, list, "url", url);
	if (k > 1)
		attrf(v, el(v, list, "older", NULL), "href", "%zu.html", k - 1);
	if (k > 0 && k < count)
		attrf(v, el(v, list, "newer", NULL), "href", "%zu.html", k + 1);
	for (size_t i = lo; i < hi; i++) {
		/* The summary is all a list shows: no body rendered again. */
		if (release_load_summary(rs[i], m, NULL) < 0)
			return -1;
		item_el(v, list, m, rs[i], root);
		release_drop_summary(rs[i]);
	}
	if ((json = jsonld_collection(m, url, k == 0 ? m->title :
	    l->key[4])) == NULL)
		return -1;
	el(v, list, "jsonld", json);
	free(json);
	if (k == 0)
		subfeeds_el(v, page, m);
	return v->oom ? -1 : 0;
}

/* ---- the transform ------------------------------------------------------ */

/*
 * Where the serialiser writes: one malloc'd buffer, grown by doubling,
 * that becomes the page (no copy from a libxml2 buffer at the end).
 */
struct sink {
	char *buf;
	size_t len, cap;
	bool oom;
};

static int
sink_write(void *ctx, const char *data, int len)
{
	struct sink *k = ctx;

	if (len < 0 || k->oom)
		return -1;
	if (k->cap - k->len <= (size_t)len) {
		size_t cap = k->cap ? k->cap : 16384;
		char *b;

		while (cap - k->len <= (size_t)len)
			cap *= 2;
		if ((b = realloc(k->buf, cap)) == NULL) {
			k->oom = true;
			return -1;
		}
		k->buf = b;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, data, (size_t)len);
	k->len += (size_t)len;
	k->buf[k->len] = '\0';
	return len;
}

/* Run p's stylesheet over v's document: bytes the caller frees. */
static int
transform(const struct pages *p, struct view *v, char **data, size_t *len,
    char *why, size_t whylen)
{
	xsltTransformContextPtr ctx;
	xmlDocPtr res = NULL;
	xmlOutputBufferPtr out;
	struct sink k = { NULL, 0, 0, false };
	int rc = -1;
	char msg[512];
	struct errbuf e;

	*data = NULL;
	errbuf_init(&e, msg, sizeof(msg));
	if ((ctx = xsltNewTransformContext(p->style, v->doc)) == NULL) {
		why_set(why, whylen, "out of memory");
		return -1;
	}
	/* No document(), no xsl:document: a page reads and writes nothing. */
	xsltSetCtxtSecurityPrefs(p->sec, ctx);
	xslmemo_attach(ctx, p->memo);
	/*
	 * The context's own error function only: the generic ones are one
	 * per process in libxslt, and transforms run on several threads.
	 */
	xsltSetTransformErrorFunc(ctx, &e, errbuf_add);
	res = xsltApplyStylesheetUser(p->style, v->doc, NULL, NULL, NULL, ctx);
	if (res == NULL || ctx->state != XSLT_STATE_OK) {
		why_set(why, whylen, "the stylesheet failed: %s",
		    msg[0] != '\0' ? msg : "no output");
		goto out;
	}
	/* xsltSaveResultTo() flushes; xmlOutputBufferClose() frees out. */
	if ((out = xmlOutputBufferCreateIO(sink_write, NULL, &k, NULL)) ==
	    NULL || xsltSaveResultTo(out, res, p->style) < 0 ||
	    xmlOutputBufferClose(out) < 0 || k.oom) {
		why_set(why, whylen, k.oom ? "out of memory" :
		    "cannot serialise the page");
		goto out;
	}
	if (k.buf == NULL && sink_write(&k, "", 0) < 0) {
		why_set(why, whylen, "out of memory");
		goto out;
	}
	*data = k.buf;
	*len = k.len;
	k.buf = NULL;
	rc = 0;
out:
	free(k.buf);
	xmlFreeDoc(res);
	xsltFreeTransformContext(ctx);
	return rc;
}

/* Build the view of kind into v (v->doc to free, whatever the result). */
static int
build(const struct pages *p, const struct feed_meta *m, const char *kind,
    struct release *r, struct release *const *rs, size_t n, size_t k,
    struct view *v)
{
	size_t count = pages_listing_count(p, n);

	memset(v, 0, sizeof(*v));
	v->dict = p->style->dict;
	if (strcmp(kind, "release") == 0 && r != NULL)
		return view_release(v, p, m, r);
	if (strcmp(kind, "index") == 0)
		return view_list(v, p, m, rs, n, 0);
	if (strcmp(kind, "listing") == 0 && k >= 1 && k <= count)
		return view_list(v, p, m, rs, n, k);
	return -1;
}

static int
render(const struct pages *p, const struct feed_meta *m, const char *kind,
    struct release *r, struct release *const *rs, size_t n, size_t k,
    char **data, size_t *len, char *why, size_t whylen)
{
	struct view v;
	int rc = build(p, m, kind, r, rs, n, k, &v);

	*data = NULL;
	if (rc < 0)
		why_set(why, whylen, "out of memory");
	else
		rc = transform(p, &v, data, len, why, whylen);
	xmlFreeDoc(v.doc);
	return rc;
}

int
pages_render_release(const struct pages *p, const struct feed_meta *m,
    struct release *r, char **data, size_t *len, char *why, size_t whylen)
{
	return render(p, m, "release", r, NULL, 0, 0, data, len, why, whylen);
}

int
pages_render_index(const struct pages *p, const struct feed_meta *m,
    struct release *const *rs, size_t n, char **data, size_t *len,
    char *why, size_t whylen)
{
	return render(p, m, "index", NULL, rs, n, 0, data, len, why, whylen);
}

int
pages_render_listing(const struct pages *p, const struct feed_meta *m,
    struct release *const *rs, size_t n, size_t k, char **data, size_t *len,
    char *why, size_t whylen)
{
	return render(p, m, "listing", NULL, rs, n, k, data, len, why,
	    whylen);
}

int
pages_view_xml(const struct pages *p, const struct feed_meta *m,
    const char *kind, struct release *r, struct release *const *rs,
    size_t n, size_t k, char **xml, size_t *len)
{
	struct view v;
	xmlChar *out = NULL;
	int outlen = 0, rc = build(p, m, kind, r, rs, n, k, &v);

	*xml = NULL;
	if (rc == 0) {
		xmlDocDumpFormatMemoryEnc(v.doc, &out, &outlen, "UTF-8", 1);
		if (out == NULL || (*xml = strdup((char *)out)) == NULL)
			rc = -1;
		else
			*len = (size_t)outlen;
	}
	xmlFree(out);
	xmlFreeDoc(v.doc);
	return rc;
}

/* ---- redirects ---------------------------------------------------------- */

/* <name a="v" ...> under parent in an HTML document; attrs NULL-ended. */
static xmlNodePtr
html_el(struct view *v, xmlNodePtr parent, const char *name,
    const char *const *attrs)
{
	xmlNodePtr n = el(v, parent, name, NULL);

	for (size_t i = 0; attrs != NULL && attrs[i] != NULL; i += 2)
		attr(v, n, attrs[i], attrs[i + 1]);
	return n;
}

int
pages_render_redirect(const struct feed_meta *m, const struct release *to,
    char **data, size_t *len)
{
	struct view v = { 0 };
	xmlNodePtr html, head, a;
	xmlChar *out = NULL;
	int outlen = 0, rc = -1;
	char href[600], refresh[640];
	const char *lang = lang_of(m, to);

	*data = NULL;
	/* Beside the old name, so relative: it works on any host. */
	if ((size_t)snprintf(href, sizeof(href), "%s.html", to->slug) >=
	    sizeof(href))
		return -1;
	snprintf(refresh, sizeof(refresh), "0; url=%s", href);
	if ((v.doc = htmlNewDocNoDtD(NULL, NULL)) == NULL ||
	    xmlCreateIntSubset(v.doc, (const xmlChar *)"html", NULL, NULL) ==
	    NULL || (html = xmlNewDocNode(v.doc, NULL,
	    (const xmlChar *)"html", NULL)) == NULL)
		goto out;
	xmlAddChild((xmlNodePtr)v.doc, html);
	lang_attrs(&v, html, lang);
	head = el(&v, html, "head", NULL);
	html_el(&v, head, "meta", (const char *const[]){ "charset", "utf-8",
	    NULL });
	el(&v, head, "title", to->title);
	html_el(&v, head, "meta", (const char *const[]){ "name", "robots",
	    "content", "noindex", NULL });
	html_el(&v, head, "link", (const char *const[]){ "rel", "canonical",
	    "href", to->link, NULL });
	html_el(&v, head, "meta", (const char *const[]){ "http-equiv",
	    "refresh", "content", refresh, NULL });
	a = el(&v, el(&v, html, "body", NULL), "p", NULL);
	attr(&v, el(&v, a, "a", to->title), "href", href);
	if (v.oom)
		goto out;
	htmlDocDumpMemoryFormat(v.doc, &out, &outlen, 0);
	if (out == NULL || outlen < 0 || (*data = malloc((size_t)outlen +
	    1)) == NULL)
		goto out;
	memcpy(*data, out, (size_t)outlen);
	(*data)[outlen] = '\0';
	*len = (size_t)outlen;
	rc = 0;
out:
	xmlFree(out);
	xmlFreeDoc(v.doc);
	return rc;
}
