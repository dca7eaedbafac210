/*
 * feedmemo: see feedmemo.h. A chained hash table of (release stamp,
 * kind) with a doubly linked list in order of use: a hit moves to the
 * head, the tail goes once more than cap bytes are held.
 */
#include "feedmemo.h"

#include <stdlib.h>
#include <string.h>

struct node {
	struct node *chain;		/* the next in its bucket */
	struct node *newer, *older;	/* the use list */
	uint64_t key;			/* release stamp */
	enum feed_kind k;
	unsigned doc;			/* the document that used it last */
	size_t len;
	char bytes[];
};

struct feed_memo {
	struct node **bucket;
	size_t nbuckets;		/* a power of two */
	size_t n, used, cap;		/* used, cap: bytes */
	struct node *newest, *oldest;
	uint64_t meta;
	struct stamp_memo *sm;
	size_t hits;
	unsigned doc;			/* feed_memo_next_doc() */
	struct entry_spots marks;	/* of the document under way */
	size_t marks_cap;
};

/* A node's size as counted against cap: its bytes and its bookkeeping. */
static size_t
cost(size_t len)
{
	return sizeof(struct node) + len + 2 * sizeof(struct node *);
}

struct feed_memo *
feed_memo_new(size_t cap)
{
	struct feed_memo *fm = calloc(1, sizeof(*fm));

	if (fm == NULL)
		return NULL;
	fm->nbuckets = 1024;
	if ((fm->bucket = calloc(fm->nbuckets, sizeof(*fm->bucket))) ==
	    NULL) {
		free(fm);
		return NULL;
	}
	fm->cap = cap;
	return fm;
}

static struct node **
slot(struct feed_memo *fm, uint64_t key, enum feed_kind k)
{
	struct node **p = &fm->bucket[(key ^ (uint64_t)k * 0x9E3779B97F4A7C15ULL)
	    & (fm->nbuckets - 1)];

	while (*p != NULL && ((*p)->key != key || (*p)->k != k))
		p = &(*p)->chain;
	return p;
}

static void
unlink_use(struct feed_memo *fm, struct node *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		fm->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		fm->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
link_newest(struct feed_memo *fm, struct node *e)
{
	e->older = fm->newest;
	e->newer = NULL;
	if (fm->newest != NULL)
		fm->newest->newer = e;
	fm->newest = e;
	if (fm->oldest == NULL)
		fm->oldest = e;
}

static void
drop(struct feed_memo *fm, struct node *e)
{
	struct node **p = slot(fm, e->key, e->k);

	*p = e->chain;
	unlink_use(fm, e);
	fm->used -= cost(e->len);
	fm->n--;
	free(e);
}

static void
drop_all(struct feed_memo *fm)
{
	while (fm->oldest != NULL)
		drop(fm, fm->oldest);
}

void
feed_memo_free(struct feed_memo *fm)
{
	if (fm == NULL)
		return;
	drop_all(fm);
	free(fm->bucket);
	free(fm->marks.v);
	free(fm);
}

void
feed_memo_begin(struct feed_memo *fm, uint64_t meta, struct stamp_memo *sm)
{
	if (fm == NULL)
		return;
	if (meta != fm->meta)
		drop_all(fm);
	fm->meta = meta;
	fm->sm = sm;
}

void
feed_memo_next_doc(struct feed_memo *fm)
{
	if (fm != NULL) {
		fm->doc++;
		fm->marks.n = 0;
	}
}

size_t
feed_memo_bytes(const struct feed_memo *fm)
{
	return fm != NULL ? fm->used : 0;
}

size_t
feed_memo_hits(const struct feed_memo *fm)
{
	return fm != NULL ? fm->hits : 0;
}

/* r's stamp in this publish; 0: none (no memo, out of memory). */
static uint64_t
key_of(struct feed_memo *fm, const struct release *r)
{
	return fm == NULL || fm->sm == NULL ? 0 : stamp_release(fm->sm, r);
}

const char *
feed_memo_get(struct feed_memo *fm, enum feed_kind k,
    const struct release *r, size_t *len)
{
	uint64_t key = key_of(fm, r);
	struct node *e;

	if (key == 0 || (e = *slot(fm, key, k)) == NULL)
		return NULL;
	unlink_use(fm, e);
	link_newest(fm, e);
	e->doc = fm->doc;
	fm->hits++;
	*len = e->len;
	return e->bytes;
}

/* Twice the buckets once there are more nodes than buckets. */
static void
grow(struct feed_memo *fm)
{
	size_t nb = fm->nbuckets * 2;
	struct node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;		/* longer chains, still right */
	for (size_t i = 0; i < fm->nbuckets; i++)
		while (fm->bucket[i] != NULL) {
			struct node *e = fm->bucket[i];
			size_t j = (e->key ^ (uint64_t)e->k *
			    0x9E3779B97F4A7C15ULL) & (nb - 1);

			fm->bucket[i] = e->chain;
			e->chain = b[j];
			b[j] = e;
		}
	free(fm->bucket);
	fm->bucket = b;
	fm->nbuckets = nb;
}

static void
put_key(struct feed_memo *fm, enum feed_kind k, uint64_t key,
    const char *data, size_t len)
{
	struct node **p, *e;

	if (key == 0 || cost(len) > fm->cap)
		return;
	if (*(p = slot(fm, key, k)) != NULL)
		return;		/* kept already */
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		return;		/* rendered each time, still right */
	e->chain = NULL;
	e->key = key;
	e->k = k;
	e->len = len;
	e->doc = fm->doc;
	memcpy(e->bytes, data, len);
	*p = e;
	link_newest(fm, e);
	fm->used += cost(len);
	fm->n++;
	/* Not one the document under way found: it counts on its bytes. */
	while (fm->used > fm->cap && fm->oldest->doc != fm->doc)
		drop(fm, fm->oldest);
	if (fm->n > fm->nbuckets)
		grow(fm);
}

void
feed_memo_put(struct feed_memo *fm, enum feed_kind k,
    const struct release *r, const char *data, size_t len)
{
	put_key(fm, k, key_of(fm, r), data, len);
}

void
feed_memo_mark(struct feed_memo *fm, const struct release *r, size_t off,
    size_t len)
{
	uint64_t key = key_of(fm, r);
	struct entry_spots *m;

	if (key == 0)
		return;
	m = &fm->marks;
	if (m->n == fm->marks_cap) {
		size_t cap = fm->marks_cap * 2 + 64;
		struct entry_spot *t = realloc(m->v, cap * sizeof(*t));

		if (t == NULL)
			return;	/* that entry is rendered next time */
		m->v = t;
		fm->marks_cap = cap;
	}
	m->v[m->n++] = (struct entry_spot){ key, 0, off, len };
}

/* An entry's check sum: docstamp's hash of its bytes. */
static uint64_t
sum_of(const char *p, size_t n)
{
	return stamp_bytes(14695981039346656037ULL, p, n);
}

int
feed_memo_spots(struct feed_memo *fm, const char *data, size_t len,
    struct entry_spots *out)
{
	const struct entry_spots *m = &fm->marks;
	size_t k = 0;

	out->v = NULL;
	out->n = 0;
	if (m->n == 0)
		return 0;
	if ((out->v = malloc(m->n * sizeof(*out->v))) == NULL)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		struct entry_spot s = m->v[i];

		if (s.off > len || s.len > len - s.off)
			continue;
		s.sum = sum_of(data + s.off, s.len);
		out->v[k++] = s;
	}
	out->n = k;
	return 0;
}

void
entry_spots_free(struct entry_spots *sp)
{
	free(sp->v);
	sp->v = NULL;
	sp->n = 0;
}

void
feed_memo_prime(struct feed_memo *fm, enum feed_kind k,
    const struct entry_spots *sp, const char *data, size_t len)
{
	for (size_t i = 0; fm != NULL && i < sp->n; i++) {
		const struct entry_spot *s = &sp->v[i];

		/* Kept already (the newest are): no sum to check. */
		if (s->key == 0 || *slot(fm, s->key, k) != NULL)
			continue;
		if (s->off <= len && s->len <= len - s->off &&
		    sum_of(data + s->off, s->len) == s->sum)
			put_key(fm, k, s->key, data + s->off, s->len);
	}
}

bool
feed_memo_lacks(struct feed_memo *fm, enum feed_kind k,
    const struct entry_spots *sp)
{
	for (size_t i = 0; fm != NULL && i < sp->n; i++)
		if (sp->v[i].key != 0 && *slot(fm, sp->v[i].key, k) == NULL)
			return true;
	return false;
}
