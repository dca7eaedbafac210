/*
 * jsonfeed: see jsonfeed.h. The tree is built with jansson and dumped once;
 * every json_object_set_new() takes a NULL value as a failure, so a failed
 * allocation anywhere ends as one -1.
 */
#include "jsonfeed.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "date.h"
#include "text.h"
#include "xmlout.h"

#define VERSION_URL "https://jsonfeed.org/version/1.1"

/*
 * s as a JSON string. jansson refuses invalid UTF-8: each bad byte becomes
 * U+FFFD first (release files are checked already; this is for the rest).
 */
static json_t *
str(const char *s)
{
	size_t n = strlen(s), bad, at = 0, used = 0;
	json_t *j;
	char *c;

	if (text_utf8_check(s, n, &bad) == 0)
		return json_stringn(s, n);
	/* At most three bytes out for every byte in. */
	if ((c = malloc(n * 3 + 1)) == NULL)
		return NULL;
	do {
		memcpy(c + used, s + at, bad);
		used += bad;
		memcpy(c + used, "\xEF\xBF\xBD", 3);
		used += 3;
		at += bad + 1;
	} while (text_utf8_check(s + at, n - at, &bad) < 0);
	memcpy(c + used, s + at, n - at);
	used += n - at;
	j = json_stringn(c, used);
	free(c);
	return j;
}

static json_t *
date(const struct fp_time *t)
{
	char buf[DATE_BUFSZ];

	return str(date_rfc3339(t, buf));
}

/* [{"name": names[0]}, ...] */
static json_t *
people(char *const *names, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && a != NULL; i++)
		if (json_array_append_new(a, json_pack("{s:o}", "name",
		    str(names[i]))) < 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

static json_t *
strings(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && a != NULL; i++)
		if (json_array_append_new(a, str(v[i])) < 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

/* obj[key] = v; false (v freed) when v is NULL or the set fails. */
static bool
set(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0;
}

/* JSON Feed 1.1 attachments: url, mime_type, and what else is known. */
static json_t *
attachments(const struct media *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && a != NULL; i++) {
		json_t *o = json_object();
		bool ok = o != NULL && set(o, "url", str(v[i].url)) &&
		    set(o, "mime_type", str(v[i].mime));

		if (ok && v[i].title != NULL)
			ok = set(o, "title", str(v[i].title));
		if (ok && v[i].size >= 0)
			ok = set(o, "size_in_bytes", json_integer(v[i].size));
		if (!ok || json_array_append_new(a, o) < 0) {
			if (!ok)
				json_decref(o);
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *
item(const struct feed_meta *m, const struct release *r)
{
	char *fallback = (char *)(m->author != NULL ? m->author : m->title);
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && set(o, "id", str(r->id));
	ok = ok && set(o, "url", str(r->link));
	ok = ok && set(o, "title", str(r->title));
	ok = ok && set(o, "content_html", str(r->html));
	if (r->summary != NULL && r->summary[0] != '\0')
		ok = ok && set(o, "summary", str(r->summary));
	ok = ok && set(o, "date_published", date(&r->date));
	ok = ok && set(o, "date_modified", date(&r->updated));
	/* As in Atom: readers show an item's own authors only. */
	ok = ok && set(o, "authors", r->nauthors > 0 ?
	    people(r->authors, r->nauthors) : people(&fallback, 1));
	if (r->ntags > 0)
		ok = ok && set(o, "tags", strings(r->tags, r->ntags));
	if (r->lang != NULL && (m->language == NULL ||
	    strcmp(r->lang, m->language) != 0))
		ok = ok && set(o, "language", str(r->lang));
	if (r->image != NULL)
		ok = ok && set(o, "image", str(r->image->url));
	if (r->nattachments > 0)
		ok = ok && set(o, "attachments", attachments(r->attachments,
		    r->nattachments));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Bytes being put together; p NULL once an allocation failed. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void
put(struct sbuf *b, const char *s, size_t n)
{
	char *t;

	if (b->p == NULL)
		return;
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		if ((t = realloc(b->p, b->cap)) == NULL) {
			free(b->p);
			b->p = NULL;
			return;
		}
		b->p = t;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
put_str(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/*
 * r's item as jansson dumps it in the document (JSON_INDENT(2), two
 * levels down: its own dump with 4 more spaces after every newline; a
 * newline is never inside a JSON string), into *b; false: out of memory.
 */
static bool
item_text(const struct feed_meta *m, const struct release *r,
    struct sbuf *b)
{
	json_t *o = item(m, r);
	char *s = o != NULL ? json_dumps(o, JSON_INDENT(2)) : NULL;

	json_decref(o);
	if (s == NULL)
		return false;
	for (const char *p = s, *nl; b->p != NULL; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			put(b, p, strlen(p));
			break;
		}
		put(b, p, (size_t)(nl - p));
		put_str(b, "\n    ");
	}
	free(s);
	return b->p != NULL;
}

/* r's item appended to *b: memo's bytes, or made (and kept there). */
static void
put_item(const struct feed_meta *m, const struct release *r,
    struct feed_memo *memo, struct sbuf *b)
{
	struct sbuf one = { malloc(64), 0, 64 };
	const char *kept;
	size_t len;

	if ((kept = feed_memo_get(memo, FEED_JSON, r, &len)) != NULL) {
		free(one.p);
		feed_memo_mark(memo, r, b->n, len);
		put(b, kept, len);
		return;
	}
	if (!item_text(m, r, &one)) {
		free(one.p);
		free(b->p);
		b->p = NULL;
		return;
	}
	feed_memo_put(memo, FEED_JSON, r, one.p, one.n);
	feed_memo_mark(memo, r, b->n, one.n);
	put(b, one.p, one.n);
	free(one.p);
}

static json_t *
hubs(const struct feed_meta *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->nhubs && a != NULL; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:o}", "type",
		    "WebSub", "url", str(m->hubs[i]))) < 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

int
jsonfeed_render(const struct feed_meta *m, const struct feed_doc *d,
    struct release *const *rs, size_t n, struct feed_memo *memo,
    char **data, size_t *len)
{
	char *self = xo_feed_url(m, d->path), *author = (char *)(m->author !=
	    NULL ? m->author : m->title);
	json_t *f = json_object();
	bool ok = f != NULL && self != NULL;
	char *head = NULL;
	size_t hlen = 0;

	*data = NULL;
	ok = ok && set(f, "version", json_string(VERSION_URL));
	ok = ok && set(f, "title", str(d->title != NULL ? d->title :
	    m->title));
	ok = ok && set(f, "home_page_url", str(m->base_url));
	ok = ok && set(f, "feed_url", str(self));
	if (m->subtitle != NULL)
		ok = ok && set(f, "description", str(m->subtitle));
	if (m->language != NULL)
		ok = ok && set(f, "language", str(m->language));
	ok = ok && set(f, "authors", people(&author, 1));
	if (m->nhubs > 0)
		ok = ok && set(f, "hubs", hubs(m));
	/*
	 * The items go in as text: each one is jansson's dump, made once per
	 * release and kept in memo (a document's dump was most of its time);
	 * only the brackets and commas between them are put here, where
	 * jansson would put them. Objects keep their insertion order
	 * (jansson >= 2.8).
	 */
	if (ok && (head = json_dumps(f, JSON_INDENT(2))) != NULL &&
	    (hlen = strlen(head)) >= 2) {
		struct sbuf b = { malloc(hlen + 64), 0, hlen + 64 };

		put(&b, head, hlen - 2);	/* all but "\n}" */
		put_str(&b, ",\n  \"items\": [");
		for (size_t i = 0; i < n && b.p != NULL; i++) {
			put_str(&b, i > 0 ? ",\n    " : "\n    ");
			put_item(m, rs[i], memo, &b);
		}
		put_str(&b, n > 0 ? "\n  ]\n}\n" : "]\n}\n");
		*data = b.p;
		*len = b.n;
	}
	free(head);
	json_decref(f);
	free(self);
	return *data != NULL ? 0 : -1;
}
