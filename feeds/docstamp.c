/*
 * docstamp: see docstamp.h. FNV-1a 64 over length-prefixed fields, so
 * ("ab", "c") and ("a", "bc") differ; the memo is an open-addressing
 * table keyed by the release's address, valid for one publish only.
 */
#include "docstamp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tombstone.h"

#define FNV_OFF UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

/*
 * FNV-1a's step over 8 bytes at a time, then the tail byte by byte: a
 * publish hashes every release's text once (the sub-feeds and archives
 * hold them all), and bytewise that was most of an idle publish's time.
 */
static uint64_t
bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		h = (h ^ w) * FNV_PRIME;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ s[i]) * FNV_PRIME;
	return h;
}

static uint64_t
num(uint64_t h, int64_t v)
{
	return bytes(h, &v, sizeof(v));
}

/* A string and its length; NULL differs from "". */
static uint64_t
str(uint64_t h, const char *s)
{
	size_t n;

	if (s == NULL)
		return num(h, -1);
	n = strlen(s);
	h = num(h, (int64_t)n);
	return bytes(h, s, n);
}

struct slot {
	const struct release *r;
	uint64_t h;
};

struct stamp_memo {
	struct slot *v;		/* NULL until a release without a key */
	size_t cap;		/* a power of two, or 0 */
	size_t n;
	size_t hint;
};

struct stamp_memo *
stamp_memo_new(size_t hint)
{
	struct stamp_memo *sm = calloc(1, sizeof(*sm));

	if (sm != NULL)
		sm->hint = hint;
	return sm;
}

void
stamp_memo_free(struct stamp_memo *sm)
{
	if (sm == NULL)
		return;
	free(sm->v);
	free(sm);
}

uint64_t
stamp_key(const struct release *r)
{
	uint64_t h = str(FNV_OFF, r->path);

	h = bytes(h, r->digest, sizeof(r->digest));	/* the text */
	return h != 0 ? h : 1;
}

static uint64_t
release_hash(const struct release *r)
{
	uint64_t h = r->stamp_key != 0 ? r->stamp_key : stamp_key(r);

	h = num(h, r->date.sec);
	h = num(h, r->date.off);
	h = num(h, r->updated.sec);
	h = num(h, r->updated.off);
	/* An image edited in place changes the enclosure's length only. */
	for (size_t i = 0; release_medium(r, i) != NULL; i++)
		h = num(h, release_medium(r, i)->size);
	return h != 0 ? h : 1;	/* 0 says out of memory */
}

static bool
grow(struct stamp_memo *sm)
{
	struct slot *old = sm->v;
	size_t cap = sm->cap, ncap = cap * 2;

	if (cap == 0)
		for (ncap = 64; ncap < sm->hint * 2; ncap *= 2)
			;
	if ((sm->v = calloc(ncap, sizeof(*sm->v))) == NULL) {
		sm->v = old;
		return false;
	}
	sm->cap = ncap;
	for (size_t i = 0; i < cap; i++) {
		size_t j;

		if (old[i].r == NULL)
			continue;
		j = ((uintptr_t)old[i].r >> 4) & (sm->cap - 1);
		while (sm->v[j].r != NULL)
			j = (j + 1) & (sm->cap - 1);
		sm->v[j] = old[i];
	}
	free(old);
	return true;
}

/*
 * r's hash: from its key when it has one (a few fields, no lookup: the
 * table's lookups were most of the stamps' cost), else from the memo or
 * computed into it; 0 when out of memory.
 */
static uint64_t
memo_get(struct stamp_memo *sm, const struct release *r)
{
	size_t j;

	if (r->stamp_key != 0)
		return release_hash(r);
	if (sm->n * 2 >= sm->cap && !grow(sm))
		return 0;
	j = ((uintptr_t)r >> 4) & (sm->cap - 1);
	while (sm->v[j].r != NULL && sm->v[j].r != r)
		j = (j + 1) & (sm->cap - 1);
	if (sm->v[j].r == NULL) {
		sm->v[j].r = r;
		sm->v[j].h = release_hash(r);
		sm->n++;
	}
	return sm->v[j].h;
}

uint64_t
stamp_release(struct stamp_memo *sm, const struct release *r)
{
	return memo_get(sm, r);
}

uint64_t
stamp_meta(const struct feed_meta *m, const char *zone)
{
	const char *s[] = { m->title, m->subtitle, m->base_url, m->author,
		m->language, m->link_template, m->tag_authority, m->tag_path,
		m->tag_date, zone, FEEDPUBD_VERSION };
	uint64_t h = FNV_OFF;

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		h = str(h, s[i]);
	h = num(h, m->raw_html);
	h = num(h, (int64_t)m->nhubs);
	for (size_t i = 0; i < m->nhubs; i++)
		h = str(h, m->hubs[i]);
	return h;
}

/* d's own fields, and its kind, after meta. */
static uint64_t
doc_fields(uint64_t meta, enum feed_kind k, const struct feed_doc *d)
{
	uint64_t h = num(meta, k);

	h = str(h, d->path);
	h = str(h, d->title);
	h = str(h, d->id_part);
	h = num(h, d->archive);
	h = str(h, d->current);
	h = str(h, d->prev_archive);
	h = str(h, d->next_archive);
	h = num(h, (int64_t)d->ntombs);
	for (size_t i = 0; i < d->ntombs; i++)
		h = num(str(h, d->tombs[i].ref), d->tombs[i].when);
	return h;
}

uint64_t
stamp_doc(struct stamp_memo *sm, uint64_t meta, enum feed_kind k,
    const struct feed_doc *d, struct release *const *rs, size_t n)
{
	return stamp_releases(sm, doc_fields(meta, k, d), rs, n);
}

uint64_t
stamp_bytes(uint64_t h, const void *p, size_t n)
{
	return bytes(h, p, n);
}

uint64_t
stamp_addresses(uint64_t h, struct release *const *rs, size_t n)
{
	h = num(h, (int64_t)n);
	if (n > 0)
		h = bytes(h, rs, n * sizeof(*rs));
	return h != 0 ? h : 1;
}

uint64_t
stamp_doc_addresses(uint64_t meta, enum feed_kind k,
    const struct feed_doc *d, struct release *const *rs, size_t n)
{
	return stamp_addresses(doc_fields(meta, k, d), rs, n);
}

uint64_t
stamp_str(uint64_t h, const char *s)
{
	return str(h, s);
}

uint64_t
stamp_num(uint64_t h, int64_t v)
{
	return num(h, v);
}

uint64_t
stamp_releases(struct stamp_memo *sm, uint64_t h, struct release *const *rs,
    size_t n)
{
	h = num(h, (int64_t)n);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = memo_get(sm, rs[i]);

		if (r == 0)
			return 0;
		h = num(h, (int64_t)r);
	}
	return h != 0 ? h : 1;
}
