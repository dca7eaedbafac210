/*
 * relpack: see relpack.h. The bytes: a version byte, then each field in
 * struct order, integers as 8 bytes of this machine, a string as its
 * length (8 bytes; all ones for NULL) and its bytes, a list as its count
 * and its items.
 */
#include "relpack.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docstamp.h"
#include "media.h"

#define VERSION 1
#define NONE UINT64_MAX

struct out {
	unsigned char *p;
	size_t n, cap;
	bool oom;
};

static void
put(struct out *o, const void *v, size_t n)
{
	if (o->oom || n == 0)
		return;
	if (o->n + n > o->cap) {
		size_t cap = o->cap ? o->cap : 512;
		unsigned char *p;

		while (cap < o->n + n)
			cap *= 2;
		if ((p = realloc(o->p, cap)) == NULL) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->n, v, n);
	o->n += n;
}

static void
put_u(struct out *o, uint64_t v)
{
	put(o, &v, sizeof(v));
}

static void
put_s(struct out *o, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	put_u(o, s != NULL ? n : NONE);
	put(o, s, n);
}

static void
put_time(struct out *o, const struct fp_time *t)
{
	put_u(o, (uint64_t)t->sec);
	put_u(o, (uint64_t)(int64_t)t->off);
}

static void
put_media(struct out *o, const struct media *md)
{
	put_s(o, md->src);
	put_s(o, md->caption);
	put_s(o, md->credit);
	put_s(o, md->title);
	put_u(o, md->line);
	put_s(o, md->path);
	put_s(o, md->name);
	put_s(o, md->url);
}

int
relpack_pack(const struct release *r, unsigned char **out, size_t *len)
{
	struct out o = { NULL, 0, 0, false };
	unsigned char v = VERSION;

	put(&o, &v, 1);
	put_s(&o, r->slug);
	put_s(&o, r->id);
	put_s(&o, r->title);
	put_s(&o, r->link);
	put_s(&o, r->has_summary ? r->summary : NULL);
	put_s(&o, r->type);
	put_s(&o, r->lang);
	put_u(&o, r->nauthors);
	for (size_t i = 0; i < r->nauthors; i++)
		put_s(&o, r->authors[i]);
	put_u(&o, r->ntags);
	for (size_t i = 0; i < r->ntags; i++)
		put_s(&o, r->tags[i]);
	put_s(&o, r->facts);
	put_u(&o, r->ncontacts);
	for (size_t i = 0; i < r->ncontacts; i++) {
		put_s(&o, r->contacts[i].name);
		put_s(&o, r->contacts[i].role);
		put_s(&o, r->contacts[i].organisation);
		put_s(&o, r->contacts[i].phone);
		put_s(&o, r->contacts[i].email);
	}
	put_u(&o, r->image != NULL);
	if (r->image != NULL)
		put_media(&o, r->image);
	put_u(&o, r->nattachments);
	for (size_t i = 0; i < r->nattachments; i++)
		put_media(&o, &r->attachments[i]);
	put_time(&o, &r->date);
	put_time(&o, &r->updated);
	put_u(&o, (uint64_t)r->draft | (uint64_t)r->has_date << 1 |
	    (uint64_t)r->has_updated << 2 | (uint64_t)r->body_empty << 3 |
	    (uint64_t)r->has_summary << 4);
	put_u(&o, (uint64_t)r->mtime);
	put_u(&o, (uint64_t)r->format);
	put(&o, r->digest, sizeof(r->digest));
	put_u(&o, r->body_off);
	put_u(&o, r->body_line);
	put_u(&o, r->ndiags);
	for (size_t i = 0; i < r->ndiags; i++) {
		put_u(&o, (uint64_t)r->diags[i].level);
		put_u(&o, r->diags[i].line);
		put_s(&o, r->diags[i].msg);
	}
	if (o.oom) {
		free(o.p);
		return -1;
	}
	*out = o.p;
	*len = o.n;
	return 0;
}

/* Reading: a short or bad buffer sets bad, an allocation that fails oom. */
struct in {
	const unsigned char *p;
	size_t n;
	bool bad, oom;
};

static void
get(struct in *in, void *v, size_t n)
{
	if (in->bad || in->n < n) {
		in->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, in->p, n);
	in->p += n;
	in->n -= n;
}

static uint64_t
get_u(struct in *in)
{
	uint64_t v;

	get(in, &v, sizeof(v));
	return v;
}

/* A count of items each at least min bytes long (a bad one fails). */
static size_t
get_count(struct in *in, size_t min)
{
	uint64_t v = get_u(in);

	if (v > in->n / min) {
		in->bad = true;
		return 0;
	}
	return (size_t)v;
}

static char *
get_s(struct in *in)
{
	uint64_t n = get_u(in);
	char *s;

	if (in->bad || n == NONE)
		return NULL;
	if (n > in->n || memchr(in->p, '\0', (size_t)n) != NULL) {
		in->bad = true;
		return NULL;
	}
	if ((s = strndup((const char *)in->p, (size_t)n)) == NULL)
		in->oom = true;
	in->p += n;
	in->n -= n;
	return s;
}

static void
get_time(struct in *in, struct fp_time *t)
{
	t->sec = (int64_t)get_u(in);
	t->off = (int32_t)(int64_t)get_u(in);
}

static void
get_media(struct in *in, struct media *md)
{
	md->src = get_s(in);
	md->caption = get_s(in);
	md->credit = get_s(in);
	md->title = get_s(in);
	md->line = (size_t)get_u(in);
	md->path = get_s(in);
	md->name = get_s(in);
	md->url = get_s(in);
	md->size = -1;
	if (md->src == NULL) {
		in->bad = in->bad || !in->oom;
		return;
	}
	/* As media_resolve() has it: a URL's path only ("x.gif?v=2"). */
	if (md->path == NULL) {
		char *p = strndup(md->src, strcspn(md->src, "?#"));

		md->mime = p != NULL ? media_mime(p) : NULL;
		in->oom = in->oom || p == NULL;
		free(p);
	} else {
		md->mime = media_mime(md->src);
	}
}

/* A list of n strings, or NULL (and n 0). */
static char **
get_list(struct in *in, size_t *n)
{
	char **v;

	*n = get_count(in, 8);
	if (*n == 0)
		return NULL;
	if ((v = calloc(*n, sizeof(*v))) == NULL) {
		in->oom = true;
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		if ((v[i] = get_s(in)) == NULL)
			in->bad = in->bad || !in->oom;
	return v;
}

static void
get_release(struct in *in, struct release *r)
{
	uint64_t flags, fmt;

	r->slug = get_s(in);
	r->id = get_s(in);
	r->title = get_s(in);
	r->link = get_s(in);
	r->summary = get_s(in);
	r->type = get_s(in);
	r->lang = get_s(in);
	r->authors = get_list(in, &r->nauthors);
	r->tags = get_list(in, &r->ntags);
	r->facts = get_s(in);
	if ((r->ncontacts = get_count(in, 40)) > 0 &&
	    (r->contacts = calloc(r->ncontacts, sizeof(*r->contacts))) == NULL)
		in->oom = true;
	for (size_t i = 0; r->contacts != NULL && i < r->ncontacts; i++) {
		r->contacts[i].name = get_s(in);
		r->contacts[i].role = get_s(in);
		r->contacts[i].organisation = get_s(in);
		r->contacts[i].phone = get_s(in);
		r->contacts[i].email = get_s(in);
	}
	if (r->contacts == NULL)
		r->ncontacts = 0;
	if (get_u(in) != 0) {
		if ((r->image = calloc(1, sizeof(*r->image))) == NULL)
			in->oom = true;
		else
			get_media(in, r->image);
	}
	if ((r->nattachments = get_count(in, 64)) > 0 &&
	    (r->attachments = calloc(r->nattachments,
	    sizeof(*r->attachments))) == NULL)
		in->oom = true;
	for (size_t i = 0; r->attachments != NULL && i < r->nattachments; i++)
		get_media(in, &r->attachments[i]);
	if (r->attachments == NULL)
		r->nattachments = 0;
	get_time(in, &r->date);
	get_time(in, &r->updated);
	flags = get_u(in);
	r->draft = flags & 1;
	r->has_date = flags & 2;
	r->has_updated = flags & 4;
	r->body_empty = flags & 8;
	r->has_summary = flags & 16;
	r->mtime = (int64_t)get_u(in);
	fmt = get_u(in);
	r->format = fmt == RELEASE_TEXT ? RELEASE_TEXT : RELEASE_MARKDOWN;
	get(in, r->digest, sizeof(r->digest));
	r->body_off = (size_t)get_u(in);
	r->body_line = (size_t)get_u(in);
	if ((r->ndiags = get_count(in, 24)) > 0 &&
	    (r->diags = calloc(r->ndiags, sizeof(*r->diags))) == NULL)
		in->oom = true;
	for (size_t i = 0; r->diags != NULL && i < r->ndiags; i++) {
		char *msg;

		r->diags[i].level = get_u(in) == RELEASE_WARNING ?
		    RELEASE_WARNING : RELEASE_NOTE;
		r->diags[i].line = (size_t)get_u(in);
		msg = get_s(in);
		snprintf(r->diags[i].msg, sizeof(r->diags[i].msg), "%s",
		    msg != NULL ? msg : "");
		free(msg);
	}
	if (r->diags == NULL)
		r->ndiags = 0;
	if (fmt > RELEASE_TEXT || r->slug == NULL || r->id == NULL ||
	    r->title == NULL || r->link == NULL || in->n != 0)
		in->bad = in->bad || !in->oom;
}

int
relpack_unpack(const struct feed_meta *m, const char *root,
    const char *relpath, const void *buf, size_t len, struct release **out,
    struct release_error *err)
{
	struct in in = { buf, len, false, false };
	struct release *r;
	unsigned char v = 0;

	*out = NULL;
	get(&in, &v, 1);
	if (v != VERSION)
		return release_error_set(err, 0, "cached release of another "
		    "format");
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(relpath)) == NULL) {
		release_free(r);
		return release_error_oom(err);
	}
	get_release(&in, r);
	if (in.oom || in.bad) {
		release_free(r);
		if (in.oom)
			return release_error_oom(err);
		return release_error_set(err, 0, "cached release is damaged");
	}
	r->stamp_key = stamp_key(r);
	if (release_check_media(r, m, root, err) < 0) {
		release_free(r);
		return -1;
	}
	*out = release_compact(r);
	return 0;
}

static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * UINT64_C(1099511628211);
	return h;
}

static uint64_t
mix_s(uint64_t h, const char *s)
{
	uint64_t n = s != NULL ? strlen(s) : NONE;

	h = mix(h, &n, sizeof(n));
	return s != NULL ? mix(h, s, strlen(s)) : h;
}

uint64_t
relpack_meta_key(const struct feed_meta *m, const char *root)
{
	uint64_t h = UINT64_C(14695981039346656037), v[5] = { VERSION,
	    m->max_file_size, m->max_media_size, m->raw_html,
	    m->follow_symlinks };

	h = mix(h, v, sizeof(v));
	h = mix_s(h, FEEDPUBD_VERSION);
	h = mix_s(h, root);
	h = mix_s(h, m->base_url);
	h = mix_s(h, m->link_template);
	h = mix_s(h, m->tag_authority);
	h = mix_s(h, m->tag_path);
	h = mix_s(h, m->tag_date);
	h = mix_s(h, getenv("TZ"));	/* local times in the front matter */
	return h != 0 ? h : 1;
}
